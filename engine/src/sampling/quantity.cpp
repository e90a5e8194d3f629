#include "cxrisk/quantity.h"

#include <fmt/format.h>
#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace cxrisk {

namespace {

using Policy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;
constexpr double INF = std::numeric_limits<double>::infinity();
constexpr double SQRT2 = 1.4142135623730951;
constexpr double INV_SQRT_2PI = 0.3989422804014327;

double phi(double x) {
  return std::isfinite(x) ? INV_SQRT_2PI * std::exp(-0.5 * x * x) : 0.0;
}
double Phi(double x) {
  return 0.5 * boost::math::erfc(-x / SQRT2, Policy());
}
double Phi_upper(double x) {
  return 0.5 * boost::math::erfc(x / SQRT2, Policy());
}
// The standard normal quantile, accurate in both tails: for p above 1/2 it works with 1 - p, which is exact
// in floating point there (Sterbenz).
double Phi_inv(double p) {
  return p < 0.5 ? -SQRT2 * boost::math::erfc_inv(2.0 * p, Policy())
                 : SQRT2 * boost::math::erfc_inv(2.0 * (1 - p), Policy());
}

[[noreturn]] void fail(std::string key, std::string message) {
  throw QuantityError(std::move(key), std::move(message));
}

std::string num(double x) {
  return fmt::format("{}", x);
}

}  // namespace

const std::vector<std::string>& Quantity::form_keys(QuantityForm form) {
  static const std::vector<std::string> keys[] = {
      {"value"},
      {"mean", "sd"},
      {"alpha", "beta"},
      {"observed", "of"},
      {"min", "mode", "max"},
      {"min", "mode", "max"},
      {"min", "max"},
      {"mean", "sd", "min", "max"},
      {"median", "sigma"},
      {"mean", "sd"},
      {"mean", "sd"},
      {"shape", "scale"},
  };
  return keys[static_cast<int>(form)];
}

std::string_view Quantity::dist_name(QuantityForm form) {
  switch (form) {
    case QuantityForm::number:
    case QuantityForm::observed:
      return "";
    case QuantityForm::beta_mean_sd:
    case QuantityForm::beta_alpha_beta:
      return "beta";
    case QuantityForm::pert:
      return "pert";
    case QuantityForm::triangular:
      return "triangular";
    case QuantityForm::uniform:
      return "uniform";
    case QuantityForm::normal:
      return "normal";
    case QuantityForm::lognormal_median_sigma:
    case QuantityForm::lognormal_mean_sd:
      return "lognormal";
    case QuantityForm::gamma_mean_sd:
    case QuantityForm::gamma_shape_scale:
      return "gamma";
  }
  return "";
}

bool Quantity::key_optional(QuantityForm form, std::string_view key) {
  return form == QuantityForm::normal && (key == "min" || key == "max");
}

Quantity Quantity::fixed(double value) {
  if (!std::isfinite(value)) fail("", "must be a finite number");
  Quantity q;
  q.args_ = {value};
  q.value_ = value;
  return q;
}

Quantity Quantity::make(QuantityForm form, const std::vector<double>& args) {
  const auto& keys = form_keys(form);
  if (args.size() != keys.size()) fail("", "internal error: wrong number of parameters");
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (std::isnan(args[i]) && key_optional(form, keys[i])) continue;
    if (!std::isfinite(args[i])) fail(keys[i], "must be a finite number");
  }
  if (form == QuantityForm::number) return fixed(args[0]);

  Quantity q;
  q.form_ = form;
  q.args_ = args;
  auto positive = [&](std::size_t i) {
    if (!(args[i] > 0)) fail(keys[i], "must be > 0");
  };
  auto set_beta = [&](double a, double b, double lo, double hi) {
    q.family_ = Family::beta;
    q.p0_ = a;
    q.p1_ = b;
    q.lo_ = lo;
    q.hi_ = hi;
  };
  auto min_mode_max = [&]() {
    if (!(args[2] > args[0])) fail("max", "must be > min (" + num(args[0]) + ")");
    if (args[1] < args[0] || args[1] > args[2]) fail("mode", "must lie between min and max");
  };

  switch (form) {
    case QuantityForm::number:
      break;
    case QuantityForm::beta_mean_sd: {
      const double m = args[0], sd = args[1];
      if (!(m > 0 && m < 1)) fail("mean", "must be between 0 and 1 (exclusive)");
      positive(1);
      const double limit = std::sqrt(m * (1 - m));
      if (!(sd < limit)) fail("sd", "must be < sqrt(mean * (1 - mean)) = " + num(limit) + " for a beta");
      const double nu = m * (1 - m) / (sd * sd) - 1;  // alpha + beta
      set_beta(m * nu, (1 - m) * nu, 0, 1);
      break;
    }
    case QuantityForm::beta_alpha_beta:
      positive(0);
      positive(1);
      set_beta(args[0], args[1], 0, 1);
      break;
    case QuantityForm::observed:
      if (args[0] < 0) fail("observed", "must be >= 0");
      if (!(args[1] >= args[0])) fail("of", "must be >= observed (" + num(args[0]) + ")");
      set_beta(args[0] + 1, args[1] - args[0] + 1, 0, 1);
      break;
    case QuantityForm::pert: {
      min_mode_max();
      const double range = args[2] - args[0];
      set_beta(1 + 4 * (args[1] - args[0]) / range, 1 + 4 * (args[2] - args[1]) / range, args[0], args[2]);
      break;
    }
    case QuantityForm::triangular:
      min_mode_max();
      q.family_ = Family::triangular;
      q.lo_ = args[0];
      q.mode_ = args[1];
      q.hi_ = args[2];
      break;
    case QuantityForm::uniform:
      if (!(args[1] > args[0])) fail("max", "must be > min (" + num(args[0]) + ")");
      q.family_ = Family::uniform;
      q.lo_ = args[0];
      q.hi_ = args[1];
      break;
    case QuantityForm::normal:
      positive(1);
      q.set_normal(args[0], args[1], std::isnan(args[2]) ? -INF : args[2],
                   std::isnan(args[3]) ? INF : args[3]);
      break;
    case QuantityForm::lognormal_median_sigma:
      positive(0);
      positive(1);
      q.family_ = Family::lognormal;
      q.p0_ = std::log(args[0]);
      q.p1_ = args[1];
      break;
    case QuantityForm::lognormal_mean_sd: {
      positive(0);
      positive(1);
      const double s2 = std::log1p((args[1] / args[0]) * (args[1] / args[0]));
      q.family_ = Family::lognormal;
      q.p0_ = std::log(args[0]) - 0.5 * s2;
      q.p1_ = std::sqrt(s2);
      break;
    }
    case QuantityForm::gamma_mean_sd:
      positive(0);
      positive(1);
      q.family_ = Family::gamma;
      q.p0_ = (args[0] / args[1]) * (args[0] / args[1]);
      q.p1_ = args[1] * args[1] / args[0];
      break;
    case QuantityForm::gamma_shape_scale:
      positive(0);
      positive(1);
      q.family_ = Family::gamma;
      q.p0_ = args[0];
      q.p1_ = args[1];
      break;
  }
  if ((q.family_ == Family::beta || q.family_ == Family::gamma) &&
      !(within_shape_limits(q.p0_) && (q.family_ == Family::gamma || within_shape_limits(q.p1_))))
    fail("", fmt::format("the parameters are too extreme to compute with: {} (a beta's alpha and beta and a "
                         "gamma's shape must lie between {:g} and {:g})",
                         q.describe(), SHAPE_MIN, SHAPE_MAX));
  q.check_representable();
  return q;
}

void Quantity::set_normal(double mu, double sigma, double lo, double hi) {
  family_ = Family::normal;
  p0_ = mu;
  p1_ = sigma;
  lo_ = lo;
  hi_ = hi;
  if (!(hi_ > lo_)) fail("max", "must be > min (" + num(lo_) + ")");
  const double a = (lo_ - p0_) / p1_, b = (hi_ - p0_) / p1_;
  // Both the CDF and the survival function at the bounds, so either tail keeps its precision.
  cdf_lo_ = Phi(a);
  cdf_hi_ = Phi(b);
  sf_lo_ = Phi_upper(a);
  sf_hi_ = Phi_upper(b);
  if (!(sf_lo_ - sf_hi_ > 1e-300 || cdf_hi_ - cdf_lo_ > 1e-300))
    fail("", "the interval [min, max] has no probability under this normal");
}

Quantity Quantity::scaled(double factor) const {
  if (!(std::isfinite(factor) && factor >= 0)) fail("", "a scale factor must be a finite number >= 0");
  if (is_fixed()) {
    if (!std::isfinite(value_ * factor)) fail("", "the scaled value is too large to represent");
    return fixed(value_ * factor);
  }
  Quantity q = *this;
  q.scale_ *= factor;
  q.check_representable();
  return q;
}

void Quantity::check_representable() const {
  // Every draw (the quantiles at the smallest and largest uniforms a stream yields), the mean and the
  // variance must be finite numbers; a special function that gives up on the parameters says the same.
  bool finite = false;
  try {
    finite = std::isfinite(scale_) && std::isfinite(quantile(0x1p-53)) && std::isfinite(largest_draw()) &&
             std::isfinite(mean()) && std::isfinite(variance());
  } catch (const std::exception& e) {
    fail("", fmt::format("the parameters of {} are too extreme to compute with ({})", describe(), e.what()));
  }
  if (!finite) fail("", fmt::format("the values of {} are too large to represent", describe()));
}

double Quantity::quantile(double u) const {
  double x = 0;
  switch (family_) {
    case Family::fixed:
      return value_;
    case Family::beta:
      x = lo_ + (hi_ - lo_) * boost::math::ibeta_inv(p0_, p1_, u, Policy());
      break;
    case Family::triangular: {
      const double range = hi_ - lo_, split = (mode_ - lo_) / range;
      x = u < split ? lo_ + std::sqrt(u * range * (mode_ - lo_))
                    : hi_ - std::sqrt((1 - u) * range * (hi_ - mode_));
      break;
    }
    case Family::uniform:
      x = lo_ + u * (hi_ - lo_);
      break;
    case Family::normal: {
      // Invert the CDF in the lower half and the survival function in the upper half.
      const double p = cdf_lo_ + u * (cdf_hi_ - cdf_lo_);
      const double z = p < 0.5 ? Phi_inv(p) : -Phi_inv(sf_hi_ + (1 - u) * (sf_lo_ - sf_hi_));
      x = std::min(std::max(p0_ + p1_ * z, lo_), hi_);  // guard against the last ulp of rounding
      break;
    }
    case Family::lognormal:
      x = std::exp(p0_ + p1_ * Phi_inv(u));
      break;
    case Family::gamma:
      x = p1_ * boost::math::gamma_p_inv(p0_, u, Policy());
      break;
  }
  return scale_ * x;
}

double Quantity::density(double x) const {
  if (scale_ == 0) return 0;
  const double y = x / scale_;
  double f = 0;
  switch (family_) {
    case Family::fixed:
      return 0;
    case Family::beta: {
      const double r = hi_ - lo_, z = (y - lo_) / r;
      f = z <= 0 || z >= 1 ? 0.0 : boost::math::ibeta_derivative(p0_, p1_, z, Policy()) / r;
      break;
    }
    case Family::triangular:
      if (y <= lo_ || y >= hi_) return 0;
      f = y < mode_ ? 2 * (y - lo_) / ((hi_ - lo_) * (mode_ - lo_))
                    : 2 * (hi_ - y) / ((hi_ - lo_) * (hi_ - mode_));
      break;
    case Family::uniform:
      f = y < lo_ || y > hi_ ? 0.0 : 1 / (hi_ - lo_);
      break;
    case Family::normal:
      f = y < lo_ || y > hi_ ? 0.0 : phi((y - p0_) / p1_) / (p1_ * mass());
      break;
    case Family::lognormal:
      f = y <= 0 ? 0.0 : phi((std::log(y) - p0_) / p1_) / (p1_ * y);
      break;
    case Family::gamma:
      f = y <= 0 ? 0.0 : boost::math::gamma_p_derivative(p0_, y / p1_, Policy()) / p1_;
      break;
  }
  return f / scale_;
}

double Quantity::mean() const {
  double m = 0;
  switch (family_) {
    case Family::fixed:
      return value_;
    case Family::beta:
      m = lo_ + (hi_ - lo_) * p0_ / (p0_ + p1_);
      break;
    case Family::triangular:
      m = (lo_ + mode_ + hi_) / 3;
      break;
    case Family::uniform:
      m = 0.5 * (lo_ + hi_);
      break;
    case Family::normal: {
      const double a = (lo_ - p0_) / p1_, b = (hi_ - p0_) / p1_;
      m = p0_ + p1_ * (phi(a) - phi(b)) / mass();
      break;
    }
    case Family::lognormal:
      m = std::exp(p0_ + 0.5 * p1_ * p1_);
      break;
    case Family::gamma:
      m = p0_ * p1_;
      break;
  }
  return scale_ * m;
}

double Quantity::variance() const {
  double v = 0;
  switch (family_) {
    case Family::fixed:
      return 0;
    case Family::beta: {
      const double s = p0_ + p1_, r = hi_ - lo_;
      v = r * r * p0_ * p1_ / (s * s * (s + 1));
      break;
    }
    case Family::triangular: {
      const double a = lo_, c = mode_, b = hi_;
      v = (a * a + b * b + c * c - a * b - a * c - b * c) / 18;
      break;
    }
    case Family::uniform:
      v = (hi_ - lo_) * (hi_ - lo_) / 12;
      break;
    case Family::normal: {
      const double a = (lo_ - p0_) / p1_, b = (hi_ - p0_) / p1_, z = mass();
      const double ta = std::isfinite(a) ? a * phi(a) : 0.0, tb = std::isfinite(b) ? b * phi(b) : 0.0;
      const double d = (phi(a) - phi(b)) / z;
      v = p1_ * p1_ * (1 + (ta - tb) / z - d * d);
      break;
    }
    case Family::lognormal: {
      const double s2 = p1_ * p1_;
      v = std::expm1(s2) * std::exp(2 * p0_ + s2);
      break;
    }
    case Family::gamma:
      v = p0_ * p1_ * p1_;
      break;
  }
  return scale_ * scale_ * v;
}

double Quantity::support_min() const {
  switch (family_) {
    case Family::fixed:
      return value_;
    case Family::lognormal:
    case Family::gamma:
      return 0.0;
    default:
      return scale_ * lo_;
  }
}

double Quantity::support_max() const {
  switch (family_) {
    case Family::fixed:
      return value_;
    case Family::lognormal:
    case Family::gamma:
      return scale_ == 0 ? 0.0 : INF;
    default:
      return scale_ * hi_;
  }
}

std::string Quantity::describe() const {
  if (is_fixed()) return num(value_);
  std::string s = form_ == QuantityForm::observed ? "observed" : std::string(dist_name(form_));
  s += "(";
  const auto& keys = form_keys(form_);
  bool first = true;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (std::isnan(args_[i])) continue;
    s += (first ? "" : ", ") + keys[i] + "=" + num(args_[i]);
    first = false;
  }
  s += ")";
  if (scale_ != 1) s += " x " + num(scale_);
  return s;
}

std::array<double, 3> Shares::mean() const {
  if (!dirichlet) return values;
  const double total = values[0] + values[1] + values[2];
  return {values[0] / total, values[1] / total, values[2] / total};
}

double standard_normal_cdf(double x) {
  return Phi(x);
}

double standard_normal_quantile(double p) {
  return Phi_inv(p);
}

}  // namespace cxrisk
