// Samplers for the aggregate and individual engines: counts (binomial, Poisson) and sums of per-customer
// values. Each is exact in distribution; the one documented exception is the sum of many lognormal or
// empirical values (see value_sum).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "cxrisk/random.h"

namespace cxrisk {

/// How the values of a segment's customers are spread (MODEL.md section 3).
enum class ValueShape { gamma, lognormal, fixed, empirical };
inline constexpr std::array<std::string_view, 4> VALUE_SHAPE_NAMES{"gamma", "lognormal", "fixed",
                                                                   "empirical"};

/// Binomial(n, p) for n up to 10^15: Hormann's BTRD ("The generation of binomial random variates", J.
/// Statist. Comput. Simul. 46, 1993) above a mean of 10 and sequential inversion below.
std::int64_t draw_binomial(Stream& stream, std::int64_t n, double p);

/// Poisson(mean): Hormann's PTRD ("The transformed rejection method for generating Poisson random
/// variables", Insurance: Mathematics and Economics 12, 1993) above a mean of 10, inversion below.
std::int64_t draw_poisson(Stream& stream, double mean);

/// Gamma(shape, 1).
double draw_gamma(Stream& stream, double shape);

/// Standard normal.
double draw_normal(Stream& stream);

/// Sums of `n` iid per-customer values are exact up to this count for lognormal and empirical values; above
/// it the sum is drawn from a lognormal with the exact mean and variance of the sum (Fenton-Wilkinson).
inline constexpr std::int64_t VALUE_SUM_EXACT_MAX = 32;
/// A value's cv may not exceed this (a gamma shape 1 / cv^2 below 1e-12 cannot be computed; the loader
/// checks).
inline constexpr double VALUE_CV_MAX = 1e6;
/// A gamma value with a cv below this is its mean to double precision (its relative sd is under 1e-20), and
/// is drawn as fixed: its shape 1 / cv^2 would overflow a sum's shape n / cv^2, or be infinite.
inline constexpr double VALUE_CV_POINT = 1e-20;

/// The per-customer value distribution of one segment in one trial.
struct ValueDraw {
  ValueShape shape = ValueShape::fixed;
  double mean = 0;
  double cv = 0;
  double gamma_shape = 0;            ///< 1 / cv^2
  double gamma_scale = 0;            ///< mean / gamma_shape
  double log_mu = 0, log_sigma = 0;  ///< lognormal parameters of one customer's value
  const std::vector<double>* empirical = nullptr;

  /// Sets the derived parameters from shape, mean and cv.
  void prepare();
  /// One customer's value.
  double one(Stream& stream) const;
  /// The sum of `n` customers' values: exact for fixed and gamma (a sum of gammas is gamma), exact up to
  /// VALUE_SUM_EXACT_MAX for lognormal and empirical, moment-matched above.
  double sum(Stream& stream, std::int64_t n) const;
};

}  // namespace cxrisk
