// The natural logarithm the samplers' acceptance tests use, written out in plain arithmetic so that the
// scalar samplers (sampling.cpp) and the lane-parallel ones (lanes.cpp) compute exactly the same IEEE
// operations: the compiler can run it over eight lanes at once, where a call to the C library's log stays
// one lane at a time, and the two give the same bits. Accurate to about 2 ulps, which is far finer than any
// acceptance test needs.
#pragma once

#include <cstdint>
#include <cstring>

namespace cxrisk {

/// log(x) for a positive, finite x (subnormals included).
inline double logarithm(double x) {
  // x = 2^e m with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s) with s = (m - 1) / (m + 1), |s| <= 0.1716,
  // summed as 2 s (1 + z/3 + z^2/5 + ...) with z = s^2 <= 0.0295: eleven terms reach 1e-18.
  const bool tiny = x < 0x1.0p-1022;
  const double scaled = tiny ? x * 0x1.0p54 : x;
  std::uint64_t bits;
  std::memcpy(&bits, &scaled, sizeof bits);
  std::int64_t e = static_cast<std::int64_t>(bits >> 52) - 1023 - (tiny ? 54 : 0);
  bits = (bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;
  double m;
  std::memcpy(&m, &bits, sizeof m);
  const bool high = m > 1.4142135623730951;
  m = high ? m * 0.5 : m;
  e += high ? 1 : 0;
  const double f = m - 1, s = f / (2 + f), z = s * s;
  double series = 1.0 / 23;
  series = series * z + 1.0 / 21;
  series = series * z + 1.0 / 19;
  series = series * z + 1.0 / 17;
  series = series * z + 1.0 / 15;
  series = series * z + 1.0 / 13;
  series = series * z + 1.0 / 11;
  series = series * z + 1.0 / 9;
  series = series * z + 1.0 / 7;
  series = series * z + 1.0 / 5;
  series = series * z + 1.0 / 3;
  // log 2 split in a head with trailing zero bits (exact times e) and the rest.
  const double de = static_cast<double>(e);
  const double log_m = 2 * s + 2 * s * (z * series);
  return de * 0x1.62e42fefa38p-1 + (log_m + de * 0x1.ef35793c7673p-45);
}

}  // namespace cxrisk
