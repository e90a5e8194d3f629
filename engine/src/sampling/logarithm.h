// The natural logarithm and exponential the samplers use, written out in plain arithmetic so that the scalar
// samplers (sampling.cpp) and the lane-parallel ones (lanes.cpp) compute exactly the same IEEE operations:
// the compiler can run them over eight lanes at once, where a call to the C library's log or exp stays one
// lane at a time, and the two give the same bits. Accurate to about 2 ulps, which is far finer than any
// acceptance test or Monte Carlo estimate can resolve.
#pragma once

#include <cmath>
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

/// e^x for x <= 709 (0 below -1100, subnormal results included).
inline double exponential(double x) {
  // x = k log 2 + r with |r| <= log(2) / 2 (log 2 in a head with trailing zero bits, so that k times it is
  // exact, and the rest); e^r by its Taylor series to r^13 / 13!, whose remainder is below 5e-18; then 2^k in
  // two normal factors, so that a subnormal result is rounded once.
  const double clamped = x < -1100 ? -1100.0 : x;
  const double kf = std::floor(clamped * 1.4426950408889634 + 0.5);
  const double r = (clamped - kf * 0x1.62e42fefa38p-1) - kf * 0x1.ef35793c7673p-45;
  double series = 1.0 / 6227020800;
  series = series * r + 1.0 / 479001600;
  series = series * r + 1.0 / 39916800;
  series = series * r + 1.0 / 3628800;
  series = series * r + 1.0 / 362880;
  series = series * r + 1.0 / 40320;
  series = series * r + 1.0 / 5040;
  series = series * r + 1.0 / 720;
  series = series * r + 1.0 / 120;
  series = series * r + 1.0 / 24;
  series = series * r + 1.0 / 6;
  series = series * r + 0.5;
  series = series * r + 1;
  series = series * r + 1;
  const auto k = static_cast<std::int64_t>(kf);
  const std::int64_t k1 = k / 2, k2 = k - k1;
  const std::uint64_t bits1 = static_cast<std::uint64_t>(k1 + 1023) << 52,
                      bits2 = static_cast<std::uint64_t>(k2 + 1023) << 52;
  double two1, two2;
  std::memcpy(&two1, &bits1, sizeof two1);
  std::memcpy(&two2, &bits2, sizeof two2);
  return series * two1 * two2;
}

/// u^(1 / shape) for a uniform u in (0, 1): the factor that turns a Gamma(shape + 1) draw into a
/// Gamma(shape) one.
inline double power_of_uniform(double u, double shape) {
  return exponential(logarithm(u) / shape);
}

}  // namespace cxrisk
