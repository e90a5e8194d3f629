// Quantities: every numeric parameter of a scenario is a plain number or a distribution (MODEL.md section 3).
//
// An uncertain quantity is drawn once per trial, by inverse CDF from a keyed uniform: x = Q(u). Inverse-CDF
// sampling is what lets an alternative scenario that changes a parameter keep it coupled to the base's draw
// (common random numbers), and it is the entry point for Latin hypercube sampling and copulas later.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "cxrisk/error.h"

namespace cxrisk {

/// How a quantity was written in the scenario file. Kept so that a scenario dumps back as it was written.
enum class QuantityForm {
  number,                  ///< 0.04
  beta_mean_sd,            ///< {dist: beta, mean, sd}
  beta_alpha_beta,         ///< {dist: beta, alpha, beta}
  observed,                ///< {observed, of}: Beta(observed + 1, of - observed + 1)
  pert,                    ///< {dist: pert, min, mode, max}: beta-PERT with lambda 4
  triangular,              ///< {dist: triangular, min, mode, max}
  uniform,                 ///< {dist: uniform, min, max}
  normal,                  ///< {dist: normal, mean, sd, min?, max?}: truncated to [min, max] when given
  lognormal_median_sigma,  ///< {dist: lognormal, median, sigma}
  lognormal_mean_sd,       ///< {dist: lognormal, mean, sd}
  gamma_mean_sd,           ///< {dist: gamma, mean, sd}
  gamma_shape_scale,       ///< {dist: gamma, shape, scale}
};

/// A parameter error found while building a quantity: `key` is the offending key ("sd"), or empty when the
/// whole quantity is at fault. The loader adds the file, line and key path.
class QuantityError : public Error {
 public:
  QuantityError(std::string key_, std::string message_)
      : Error(message_), key(std::move(key_)), message(std::move(message_)) {}
  std::string key;
  std::string message;
};

/// The shape parameters a beta (alpha, beta), a gamma (shape) or a Dirichlet (each concentration above 0)
/// may take. Boost.Math's inverse CDFs fail outside them (the incomplete gamma's series gives up above about
/// 1e10, the root finding below about 1e-20), and beyond them a distribution is a point or two to
/// double precision anyway. The test "Every shape within the limits has finite quantiles" covers the range.
inline constexpr double SHAPE_MIN = 1e-12, SHAPE_MAX = 1e9;
inline bool within_shape_limits(double shape) {
  return shape >= SHAPE_MIN && shape <= SHAPE_MAX;
}

/// A number or a probability distribution over numbers.
class Quantity {
 public:
  /// The fixed quantity 0.
  Quantity() = default;

  /// A fixed number.
  static Quantity fixed(double value);

  /// A quantity of the given form; `args` in the order of `form_keys(form)`, NaN for an optional key that is
  /// absent. Throws QuantityError when the parameters are out of range.
  static Quantity make(QuantityForm form, const std::vector<double>& args);

  /// The keys of a form in canonical order ("mean", "sd", ...); the `dist` key is not among them.
  static const std::vector<std::string>& form_keys(QuantityForm form);
  /// The value of the `dist` key for a form ("beta", "pert", ...), or empty for `number` and `observed`.
  static std::string_view dist_name(QuantityForm form);
  /// Keys of a form that may be omitted.
  static bool key_optional(QuantityForm form, std::string_view key);

  QuantityForm form() const { return form_; }
  /// The parameters as written, in the order of `form_keys(form())`.
  const std::vector<double>& args() const { return args_; }
  /// Every draw is multiplied by this factor (a `scale` change of an improvement scenario); 1 by default.
  double scale() const { return scale_; }
  /// This quantity with every draw multiplied by `factor` (a fixed number is multiplied directly).
  Quantity scaled(double factor) const;

  bool is_fixed() const { return form_ == QuantityForm::number; }
  /// The value of a fixed quantity; the mean of an uncertain one.
  double value() const { return is_fixed() ? value_ : mean(); }

  /// The inverse CDF at u in (0, 1).
  double quantile(double u) const;
  /// The probability density at x (0 for a fixed quantity).
  double density(double x) const;
  /// True when quantile() is iterative (beta and gamma families) and worth tabulating.
  bool quantile_is_costly() const { return family_ == Family::beta || family_ == Family::gamma; }
  double mean() const;
  double variance() const;
  /// The smallest and largest values a draw can take (may be infinite).
  double support_min() const;
  double support_max() const;
  /// The largest value a draw can take: the quantile at the largest uniform a stream yields (1 - 2^-53);
  /// finite even for an unbounded distribution.
  double largest_draw() const { return quantile(1 - 0x1p-53); }
  /// True when the quantity can take a value above `x` (fixed: value > x; uncertain: support_max > x).
  bool can_exceed(double x) const { return support_max() > x; }

  /// A short human description, e.g. "beta(alpha=4, beta=96)".
  std::string describe() const;

  friend bool operator==(const Quantity& a, const Quantity& b) {
    return a.form_ == b.form_ && a.args_ == b.args_ && a.scale_ == b.scale_ && a.value_ == b.value_;
  }

 private:
  enum class Family { fixed, beta, triangular, uniform, normal, lognormal, gamma };

  QuantityForm form_ = QuantityForm::number;
  std::vector<double> args_{0.0};
  double scale_ = 1.0;
  double value_ = 0.0;

  // Derived, canonical parameters.
  Family family_ = Family::fixed;
  double p0_ = 0, p1_ = 0;  // beta: alpha, beta; normal: mu, sigma; lognormal: mu, sigma; gamma: shape, scale
  double lo_ = 0, hi_ = 0;  // beta/triangular/uniform: range; normal: truncation bounds (may be infinite)
  double mode_ = 0;         // triangular
  double cdf_lo_ = 0, cdf_hi_ = 1;  // normal: Phi at the standardised truncation bounds
  double sf_lo_ = 1, sf_hi_ = 0;    // normal: 1 - Phi there, computed directly
  /// A normal N(mu, sigma) truncated to [lo, hi] (infinite bounds for none).
  void set_normal(double mu, double sigma, double lo, double hi);
  /// Throws QuantityError unless every draw, the mean and the variance are finite numbers.
  void check_representable() const;
  /// normal: the probability of [lo, hi], from whichever tail holds it more precisely.
  double mass() const { return cdf_lo_ < 0.5 ? cdf_hi_ - cdf_lo_ : sf_lo_ - sf_hi_; }
};

/// Resolution shares of a handling tier: fixed shares summing to 1, or Dirichlet concentrations.
struct Shares {
  bool dirichlet = false;
  /// resolved, mollified, unresolved: shares (fixed) or concentrations (Dirichlet).
  std::array<double, 3> values{1.0, 0.0, 0.0};

  /// Expected shares.
  std::array<double, 3> mean() const;
  friend bool operator==(const Shares&, const Shares&) = default;
};

/// The standard normal distribution function and its quantile (accurate in both tails).
double standard_normal_cdf(double x);
double standard_normal_quantile(double p);

}  // namespace cxrisk
