#include "cxrisk/sampling.h"

#include "inversion.h"
#include "logarithm.h"
#include "ziggurat.h"

#include <array>
#include <cmath>

namespace cxrisk {

namespace {

// Binomial(n, p) for p <= 1/2 by sequential inversion: O(n p) steps, used below a mean of 10.
std::int64_t binomial_inversion(Stream& s, std::int64_t n, double p) {
  const double q = 1 - p, ratio = p / q, a = (static_cast<double>(n) + 1) * ratio;
  const double f0 = power(q, n);  // P(X = 0)
  while (true) {
    double f = f0;
    double u = s.uniform();
    std::int64_t x = 0;
    while (u > f) {
      u -= f;
      ++x;
      if (x > n) break;
      f *= a * reciprocal(x) - ratio;
      if (f < 1e-300) break;  // the remaining mass is below the resolution of u: draw again
    }
    if (x <= n && u <= f) return x;
  }
}

// Binomial(n, p) for p <= 1/2 and n p >= 10 by Hormann's BTRD ("The generation of binomial random
// variates", J. Statist. Comput. Simul. 46, 1993): transformed rejection with a decomposition, accepting
// about 80% of draws at the first, cheap test.
std::int64_t binomial_btrd(Stream& s, std::int64_t n, double p) {
  // The constants of the first, cheap acceptance test (taken about 86% of the time) first; the rest only
  // when it fails.
  const double dn = static_cast<double>(n);
  const double npq = dn * p * (1 - p), spq = std::sqrt(npq);
  const double b = 1.15 + 2.53 * spq, inv_b = 1 / b;
  const double a = -0.0873 + 0.0248 * b + 0.01 * p, c = dn * p + 0.5;
  const double vr = 0.92 - 4.2 * inv_b, inv_vr = 1 / vr, urvr = 0.86 * vr;
  double v = s.uniform();
  if (v <= urvr) {
    const double u = v * inv_vr - 0.43;
    return static_cast<std::int64_t>(std::floor((2 * a / (0.5 - std::abs(u)) + b) * u + c));
  }
  const double alpha = (2.83 + 5.1 * inv_b) * spq;
  const auto m = static_cast<std::int64_t>(std::floor((dn + 1) * p));
  const double r = p / (1 - p), nr = (dn + 1) * r;
  while (true) {
    double u;
    if (v <= urvr) {
      u = v * inv_vr - 0.43;
      return static_cast<std::int64_t>(std::floor((2 * a / (0.5 - std::abs(u)) + b) * u + c));
    }
    if (v >= vr) {
      u = s.uniform() - 0.5;
    } else {
      u = v * inv_vr - 0.93;
      u = std::copysign(0.5, u) - u;
      v = s.uniform() * vr;
    }
    const double us = 0.5 - std::abs(u);
    const double kf = std::floor((2 * a / us + b) * u + c);
    if (kf < 0 || kf > dn) {
      v = s.uniform();
      continue;
    }
    const auto k = static_cast<std::int64_t>(kf);
    v = v * alpha / (a / (us * us) + b);
    const std::int64_t km = k > m ? k - m : m - k;
    if (km <= 15) {
      // Recursive evaluation of f(k) / f(m).
      double f = 1;
      if (m < k) {
        for (std::int64_t i = m + 1; i <= k; ++i) f *= nr / static_cast<double>(i) - r;
      } else if (m > k) {
        for (std::int64_t i = k + 1; i <= m; ++i) v *= nr / static_cast<double>(i) - r;
      }
      if (v <= f) return k;
    } else {
      // Squeeze, then the final test with Stirling's formula.
      v = logarithm(v);
      const double dkm = static_cast<double>(km);
      const double rho = (dkm / npq) * (((dkm / 3 + 0.625) * dkm + 1.0 / 6) / npq + 0.5);
      const double t = -dkm * dkm / (2 * npq);
      if (v < t - rho) return k;
      if (v <= t + rho) {
        const double dm = static_cast<double>(m), dk = kf;
        const double nm = dn - dm + 1, nk = dn - dk + 1;
        const double h =
            (dm + 0.5) * logarithm((dm + 1) / (r * nm)) + stirling_correction(m) + stirling_correction(n - m);
        if (v <= h + (dn + 1) * logarithm(nm / nk) + (dk + 0.5) * logarithm(nk * r / (dk + 1)) -
                     stirling_correction(k) - stirling_correction(n - k))
          return k;
      }
    }
    v = s.uniform();
  }
}

// Poisson(mu) for mu >= 10 by Hormann's PTRD ("The transformed rejection method for generating Poisson
// random variables", Insurance: Mathematics and Economics 12, 1993).
std::int64_t poisson_ptrd(Stream& s, double mu) {
  const double smu = std::sqrt(mu), b = 0.931 + 2.53 * smu, a = -0.059 + 0.02483 * b;
  const double vr = 0.9277 - 3.6224 / (b - 2);
  double inv_alpha = 0, log_mu = 0;  // only needed when the cheap test fails
  while (true) {
    const double u = s.uniform() - 0.5, v = s.uniform();
    const double us = 0.5 - std::abs(u);
    const double kf = std::floor((2 * a / us + b) * u + mu + 0.43);
    if (us >= 0.07 && v <= vr) return static_cast<std::int64_t>(kf);
    if (kf < 0 || (us < 0.013 && v > us)) continue;
    if (log_mu == 0) {
      inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
      log_mu = logarithm(mu);
    }
    const auto k = static_cast<std::int64_t>(kf);
    if (logarithm(v * inv_alpha / (a / (us * us) + b)) <= -mu + kf * log_mu - log_factorial(k)) return k;
  }
}

// Poisson(mu) for small mu by sequential inversion.
std::int64_t poisson_inversion(Stream& s, double mu) {
  while (true) {
    double p = exponential(-mu), u = s.uniform();
    std::int64_t k = 0;
    while (u > p) {
      u -= p;
      ++k;
      p *= mu * reciprocal(k);
      if (p < 1e-300) break;
    }
    if (u <= p) return k;
  }
}

}  // namespace

std::int64_t draw_binomial(Stream& stream, std::int64_t n, double p) {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  const bool flip = p > 0.5;  // draw the failures instead
  const double pp = flip ? 1 - p : p;
  const std::int64_t x = static_cast<double>(n) * pp < INVERSION_MEAN_MAX ? binomial_inversion(stream, n, pp)
                                                                          : binomial_btrd(stream, n, pp);
  return flip ? n - x : x;
}

std::int64_t draw_poisson(Stream& stream, double mean) {
  if (!(mean > 0)) return 0;
  return mean < INVERSION_MEAN_MAX ? poisson_inversion(stream, mean) : poisson_ptrd(stream, mean);
}

const Ziggurat ZIGGURAT;

Ziggurat::Ziggurat() {
  const auto f = [](double t) { return std::exp(-0.5 * t * t); };
  x[0] = V / f(R);
  x[1] = R;
  for (int i = 2; i < 128; ++i) x[i] = std::sqrt(-2 * std::log(V / x[i - 1] + f(x[i - 1])));
  x[128] = 0;
  for (int i = 0; i < 128; ++i) ratio[i] = x[i + 1] / x[i];
}

double draw_normal(Stream& stream) {
  const Ziggurat& z = ZIGGURAT;
  while (true) {
    const std::uint64_t word = stream();
    const auto i = static_cast<int>(word & 0x7f);
    const double u = (static_cast<double>(word >> 12) + 0.5) * 0x1.0p-51 - 1;  // in (-1, 1)
    if (std::abs(u) < z.ratio[i]) return u * z.x[i];
    if (i == 0) {
      // The tail beyond R (Marsaglia 1964).
      double t, y;
      do {
        t = std::log(stream.uniform()) / Ziggurat::R;
        y = std::log(stream.uniform());
      } while (-2 * y < t * t);
      return u < 0 ? t - Ziggurat::R : Ziggurat::R - t;
    }
    const double t = u * z.x[i];
    const double f0 = exponential(-0.5 * (z.x[i] * z.x[i] - t * t));
    const double f1 = exponential(-0.5 * (z.x[i + 1] * z.x[i + 1] - t * t));
    if (f1 + stream.uniform() * (f0 - f1) < 1) return t;
  }
}

double draw_gamma(Stream& stream, double shape) {
  if (!(shape > 0)) return 0;
  // Marsaglia and Tsang, "A simple method for generating gamma variables", ACM TOMS 26, 2000; for a shape
  // below 1, Gamma(a) = Gamma(a + 1) U^(1/a).
  const double a = shape < 1 ? shape + 1 : shape;
  const double d = a - 1.0 / 3, c = 1 / std::sqrt(9 * d);
  double x, v;
  while (true) {
    do {
      x = draw_normal(stream);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = stream.uniform(), x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) break;
    if (logarithm(u) < 0.5 * x2 + d * (1 - v + logarithm(v))) break;
  }
  const double g = d * v;
  return shape < 1 ? g * power_of_uniform(stream.uniform(), shape) : g;
}

void ValueDraw::prepare() {
  if (shape != ValueShape::empirical && !(cv > 0)) shape = ValueShape::fixed;
  if (shape == ValueShape::gamma && cv < VALUE_CV_POINT) shape = ValueShape::fixed;
  switch (shape) {
    case ValueShape::gamma:
      gamma_shape = 1 / (cv * cv);
      gamma_scale = mean / gamma_shape;
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
      return gamma_scale * draw_gamma(stream, gamma_shape);
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
      return gamma_scale * draw_gamma(stream, dn * gamma_shape);
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
