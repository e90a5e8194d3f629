#include "quantile_table.h"

#include <algorithm>
#include <cmath>

namespace cxrisk {

FastQuantile::FastQuantile(const Quantity& q, bool deferred) : q_(q) {
  if (!deferred) build();
}

void FastQuantile::build() {
  const Quantity& q = q_;
  if (tabulated_ || q.is_fixed() || !q.quantile_is_costly()) return;
  const double sd = std::sqrt(q.variance());
  if (!(sd > 0)) return;
  const double tolerance = 1e-9 * sd, h = 1.0 / INTERVALS;
  x_.assign(INTERVALS + 1, 0.0);
  slope_.assign(INTERVALS + 1, 0.0);
  exact_.assign(INTERVALS, 1);
  for (int i = 1; i < INTERVALS; ++i) {
    x_[i] = q.quantile(i * h);
    const double f = q.density(x_[i]);
    slope_[i] = f > 0 && std::isfinite(f) ? h / f : 0.0;
  }
  for (int i = 1; i + 1 < INTERVALS; ++i) {
    if (!(slope_[i] > 0 && slope_[i + 1] > 0)) continue;
    // The error of cubic Hermite interpolation is Q4(xi) s^2 (1 - s)^2 h^4 / 24, with Q4 the fourth
    // derivative: largest at the middle of the interval where Q4 is smooth, which a table this fine makes it.
    const double hermite = 0.5 * (x_[i] + x_[i + 1]) + 0.125 * (slope_[i] - slope_[i + 1]);
    const double worst = std::abs(hermite - q.quantile((i + 0.5) * h));
    if (worst <= 0.5 * tolerance) {
      exact_[i] = 0;
      checked_error_ = std::max(checked_error_, worst);
    }
  }
  tabulated_ = true;
}

}  // namespace cxrisk
