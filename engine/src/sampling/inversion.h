// Shared by the scalar samplers (sampling.cpp) and the lane-parallel ones (lanes.cpp), so that both paths
// compute the same IEEE operations: the small-mean inversion loops of the binomial and Poisson samplers
// multiply by a tabulated 1/x instead of dividing by x (the lanes, which all reach step x together, use one
// broadcast reciprocal), and BTRD's final test uses the same Stirling correction.
#pragma once

#include <array>
#include <cstdint>

#include "logarithm.h"

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

/// log(k!) - the Stirling approximation's leading terms: the correction fc(k) of Hormann's BTRD, exact for
/// small k from a table (log k! - (k + 1/2) log(k + 1) + (k + 1) - log sqrt(2 pi)). Written without
/// branches on k beyond the select, so that lanes compute it together.
inline constexpr double STIRLING_TABLE[10] = {0.08106146679532726, 0.04134069595540929, 0.02767792568499834,
                                              0.02079067210376509, 0.01664469118982119, 0.01387612882307075,
                                              0.01189670994589177, 0.01041126526197209, 0.009255462182712733,
                                              0.008330563433362871};
inline double stirling_correction(std::int64_t k) {
  const double r = 1.0 / (static_cast<double>(k) + 1), r2 = r * r;
  const double series = (1.0 / 12 - (1.0 / 360 - r2 / 1260) * r2) * r;
  const bool small = static_cast<std::uint64_t>(k) < 10;
  return small ? STIRLING_TABLE[small ? k : 0] : series;
}

/// log k! for PTRD's acceptance test: a table below 10, Stirling's series above (log Gamma(x) = (x - 1/2)
/// log x - x + log sqrt(2 pi) + 1/(12x) - 1/(360x^3) + 1/(1260x^5) at x = k + 1).
inline constexpr double LOG_FACTORIAL_TABLE[10] = {0.0,
                                                   0.0,
                                                   0.6931471805599453,
                                                   1.791759469228055,
                                                   3.1780538303479458,
                                                   4.787491742782046,
                                                   6.579251212010101,
                                                   8.525161361065415,
                                                   10.60460290274525,
                                                   12.801827480081469};
inline double log_factorial(std::int64_t k) {
  const double x = static_cast<double>(k) + 1, r = 1 / x, r2 = r * r;
  const double series =
      (x - 0.5) * logarithm(x) - x + 0.9189385332046727 + r * (1.0 / 12 - r2 * (1.0 / 360 - r2 / 1260));
  const bool small = static_cast<std::uint64_t>(k) < 10;
  return small ? LOG_FACTORIAL_TABLE[small ? k : 0] : series;
}

}  // namespace cxrisk
