#include "cxrisk/statistics.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "cxrisk/error.h"

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

int parse_metric(std::string_view name) {
  for (int m = 0; m < N_METRICS; ++m)
    if (METRIC_NAMES[static_cast<std::size_t>(m)] == name) return m;
  std::string known;
  for (std::string_view n : METRIC_NAMES) known += (known.empty() ? "" : ", ") + std::string(n);
  throw UsageError("unknown metric '" + std::string(name) + "' (use one of " + known + ")");
}

namespace {

// Puts the values of ranks [rank, rank_end) (ascending, all within [first, last), whose first element has
// rank `offset`) where a sort of [first, last) would put them.
void select_ranks(double* first, double* last, const std::size_t* rank, const std::size_t* rank_end,
                  std::size_t offset) {
  while (rank != rank_end && last - first > 1) {
    const std::size_t* mid = rank + (rank_end - rank) / 2;
    double* nth = first + (*mid - offset);
    std::nth_element(first, nth, last);
    select_ranks(first, nth, rank, mid, offset);
    offset += static_cast<std::size_t>(nth + 1 - first);
    first = nth + 1;
    rank = mid + 1;
  }
}

}  // namespace

bool Stats::finite() const {
  bool ok = std::isfinite(mean) && std::isfinite(sd) && std::isfinite(se) && std::isfinite(min) &&
            std::isfinite(max) && std::isfinite(cvar95);
  for (double p : percentiles) ok = ok && std::isfinite(p);
  return ok;
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
  // Only some order statistics are needed: min, max, the two around each percentile, and the worst 5% (in
  // order, for cvar95). They are put in place by selection, as a full sort would place them, at a fraction
  // of its cost.
  std::vector<double> sorted(values.begin(), values.end());
  const std::size_t tail_size =
      std::min(n, static_cast<std::size_t>(std::floor(0.05 * static_cast<double>(n))) + 1);
  const bool upper = tail == Tail::upper;
  const std::size_t tail_begin = upper ? n - tail_size : 0, tail_end = upper ? n : tail_size;
  if (tail_size < n)
    std::nth_element(sorted.begin(),
                     sorted.begin() + static_cast<std::ptrdiff_t>(upper ? tail_begin : tail_end - 1),
                     sorted.end());
  std::sort(sorted.begin() + static_cast<std::ptrdiff_t>(tail_begin),
            sorted.begin() + static_cast<std::ptrdiff_t>(tail_end));
  std::vector<std::size_t> ranks{0, n - 1};
  for (double p : PERCENTILES) {
    const auto lo = static_cast<std::size_t>(std::floor((static_cast<double>(n) - 1) * p));
    ranks.push_back(lo);
    if (lo + 1 < n) ranks.push_back(lo + 1);
  }
  std::erase_if(ranks, [&](std::size_t r) { return r >= tail_begin && r < tail_end; });
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  const std::size_t rest_begin = upper ? 0 : tail_end, rest_end = upper ? tail_begin : n;
  select_ranks(sorted.data() + rest_begin, sorted.data() + rest_end, ranks.data(),
               ranks.data() + ranks.size(), rest_begin);
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
