#include "cxrisk/statistics.h"

#include <algorithm>
#include <cmath>

namespace cxrisk {

double accurate_sum(std::span<const double> values) {
  double sum = 0, compensation = 0;
  for (double x : values) {
    const double t = sum + x;
    compensation += std::abs(sum) >= std::abs(x) ? (sum - t) + x : (x - t) + sum;
    sum = t;
  }
  return sum + compensation;
}

double sorted_quantile(std::span<const double> sorted, double p) {
  if (sorted.empty()) return 0;
  const double h = (static_cast<double>(sorted.size()) - 1) * p;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  if (lo + 1 >= sorted.size()) return sorted.back();
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
}

Stats compute_stats(std::span<const double> values, Tail tail) {
  Stats s;
  const std::size_t n = values.size();
  if (n == 0) return s;
  s.mean = accurate_sum(values) / static_cast<double>(n);
  if (n > 1) {
    double ss = 0, c = 0;  // compensated sum of squared deviations (second pass)
    for (double x : values) {
      const double d = (x - s.mean) * (x - s.mean);
      const double t = ss + d;
      c += ss >= d ? (ss - t) + d : (d - t) + ss;
      ss = t;
    }
    s.sd = std::sqrt(std::max(0.0, (ss + c) / static_cast<double>(n - 1)));
    s.se = s.sd / std::sqrt(static_cast<double>(n));
  }
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  s.min = sorted.front();
  s.max = sorted.back();
  for (std::size_t i = 0; i < PERCENTILES.size(); ++i)
    s.percentiles[i] = sorted_quantile(sorted, PERCENTILES[i]);

  // cvar95: the worst k = 0.05 n values, the boundary one weighted by the fraction of k.
  const double k = 0.05 * static_cast<double>(n);
  const auto whole = static_cast<std::size_t>(std::floor(k));
  const double frac = k - static_cast<double>(whole);
  auto worst = [&](std::size_t i) { return tail == Tail::upper ? sorted[n - 1 - i] : sorted[i]; };
  double sum = 0;
  for (std::size_t i = 0; i < whole; ++i) sum += worst(i);
  if (frac > 0 && whole < n) sum += frac * worst(whole);
  s.cvar95 = sum / k;
  return s;
}

}  // namespace cxrisk
