#include "cxrisk/sampling.h"

#include <boost/random/binomial_distribution.hpp>
#include <boost/random/gamma_distribution.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/poisson_distribution.hpp>
#include <cmath>

namespace cxrisk {

std::int64_t draw_binomial(Stream& stream, std::int64_t n, double p) {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  return boost::random::binomial_distribution<std::int64_t, double>(n, p)(stream);
}

std::int64_t draw_poisson(Stream& stream, double mean) {
  if (!(mean > 0)) return 0;
  return boost::random::poisson_distribution<std::int64_t, double>(mean)(stream);
}

double draw_gamma(Stream& stream, double shape) {
  if (!(shape > 0)) return 0;
  return boost::random::gamma_distribution<double>(shape, 1.0)(stream);
}

double draw_normal(Stream& stream) {
  return boost::random::normal_distribution<double>()(stream);
}

void ValueDraw::prepare() {
  if (shape != ValueShape::empirical && !(cv > 0)) shape = ValueShape::fixed;
  switch (shape) {
    case ValueShape::gamma:
      gamma_shape = 1 / (cv * cv);
      break;
    case ValueShape::lognormal: {
      const double s2 = std::log1p(cv * cv);
      log_sigma = std::sqrt(s2);
      log_mu = std::log(mean) - 0.5 * s2;
      break;
    }
    case ValueShape::empirical: {
      double s = 0, ss = 0;
      for (double x : *empirical) s += x;
      mean = s / static_cast<double>(empirical->size());
      for (double x : *empirical) ss += (x - mean) * (x - mean);
      cv = mean > 0 ? std::sqrt(ss / static_cast<double>(empirical->size())) / mean : 0;
      break;
    }
    case ValueShape::fixed:
      cv = 0;
      break;
  }
}

double ValueDraw::one(Stream& stream) const {
  switch (shape) {
    case ValueShape::fixed:
      return mean;
    case ValueShape::gamma:
      return mean / gamma_shape * draw_gamma(stream, gamma_shape);
    case ValueShape::lognormal:
      return std::exp(log_mu + log_sigma * draw_normal(stream));
    case ValueShape::empirical: {
      const auto i = static_cast<std::size_t>(stream.uniform() * static_cast<double>(empirical->size()));
      return (*empirical)[std::min(i, empirical->size() - 1)];
    }
  }
  return mean;
}

double ValueDraw::sum(Stream& stream, std::int64_t n) const {
  if (n <= 0) return 0;
  const double dn = static_cast<double>(n);
  switch (shape) {
    case ValueShape::fixed:
      return dn * mean;
    case ValueShape::gamma:
      return mean / gamma_shape * draw_gamma(stream, dn * gamma_shape);
    case ValueShape::lognormal:
    case ValueShape::empirical: {
      if (n <= VALUE_SUM_EXACT_MAX) {
        double s = 0;
        for (std::int64_t i = 0; i < n; ++i) s += one(stream);
        return s;
      }
      if (!(cv > 0)) return dn * mean;
      // Fenton-Wilkinson: the lognormal with the sum's mean n m and variance n (m cv)^2.
      const double s2 = std::log1p(cv * cv / dn);
      return std::exp(std::log(dn * mean) - 0.5 * s2 + std::sqrt(s2) * draw_normal(stream));
    }
  }
  return dn * mean;
}

}  // namespace cxrisk
