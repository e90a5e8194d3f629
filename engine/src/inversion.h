// Shared by the scalar samplers (sampling.cpp) and the lane-parallel ones (lanes.cpp): the small-mean
// inversion loops of the binomial and Poisson samplers multiply by a tabulated 1/x instead of dividing by x,
// so that the lanes, which all reach step x together, can use one broadcast reciprocal, and both paths
// compute the same IEEE operations.
#pragma once

#include <array>
#include <cstdint>

namespace cxrisk {

/// Below this mean the binomial and Poisson samplers use sequential inversion, above it Hormann's BTRD and
/// PTRD (valid from a mean of 10).
inline constexpr double INVERSION_MEAN_MAX = 10;

/// Steps of an inversion loop the lanes take; a lane still searching after them is finished by the scalar
/// sampler (below INVERSION_MEAN_MAX, a probability under 1e-20).
inline constexpr int INVERSION_STEPS = 64;

/// 1/x for x in [0, INVERSION_STEPS) (entry 0 unused), each the correctly rounded quotient.
inline constexpr std::array<double, INVERSION_STEPS> RECIPROCAL = [] {
  std::array<double, INVERSION_STEPS> r{};
  for (int x = 1; x < INVERSION_STEPS; ++x) r[static_cast<std::size_t>(x)] = 1.0 / x;
  return r;
}();

/// 1/x for any x >= 1: the table's entry, or the quotient past it.
inline double reciprocal(std::int64_t x) {
  return x < INVERSION_STEPS ? RECIPROCAL[static_cast<std::size_t>(x)] : 1.0 / static_cast<double>(x);
}

/// x^n for a whole n >= 0 by binary powering (about log2(n) multiplications, accurate to a few ulps); the
/// lanes run the same multiplications in the same order.
inline double power(double x, std::int64_t n) {
  double result = 1;
  while (n > 0) {
    if (n & 1) result *= x;
    x *= x;
    n >>= 1;
  }
  return result;
}

}  // namespace cxrisk
