#include "cxrisk/statistics.h"

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <string>

#include "cxrisk/design.h"
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

std::span<const double> distribution_levels() {
  static const std::vector<double> levels = [] {
    std::vector<double> l{0, 0.001, 0.005};
    for (int k = 1; k <= 99; ++k) l.push_back(k / 100.0);
    for (double x : {0.995, 0.999, 1.0}) l.push_back(x);
    return l;
  }();
  return levels;
}

Distribution distribution_of(std::span<const double> values, int bins) {
  Distribution d;
  if (values.empty()) return d;
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  for (double p : distribution_levels()) d.quantiles.push_back(sorted_quantile(sorted, p));
  const double lo = sorted.front(), hi = sorted.back();
  // A constant has one bin of no width.
  const int k = hi > lo ? std::max(bins, 1) : 1;
  for (int i = 0; i <= k; ++i) d.edges.push_back(i == k ? hi : lo + (hi - lo) * i / k);
  d.counts.assign(static_cast<std::size_t>(k), 0);
  std::size_t bin = 0;
  for (double x : sorted) {
    while (bin + 1 < d.counts.size() && x >= d.edges[bin + 1]) ++bin;
    ++d.counts[bin];
  }
  return d;
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

double t975(double df) {
  if (!(df > 0) || std::isinf(df) || df > 1e6) return 1.959963984540054;
  return boost::math::quantile(boost::math::students_t(df), 0.975);
}

std::array<std::size_t, 2> quantile_interval_ranks(std::size_t n, double p) {
  // B ~ Binomial(n, p) values lie below the true p-quantile; the interval [x(l), x(u)] (1-based) holds it
  // when l <= B < u, about 95% of the time for l and u at n p -+ 1.96 sqrt(n p (1 - p)).
  const double np = static_cast<double>(n) * p, spread = 1.959963984540054 * std::sqrt(np * (1 - p));
  const double l = std::floor(np - spread), u = std::ceil(np + spread) + 1;
  const auto clamp = [&](double r) {
    return static_cast<std::size_t>(std::clamp(r, 1.0, static_cast<double>(n))) - 1;
  };
  return {clamp(l), clamp(u)};
}

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
    for (std::size_t r : quantile_interval_ranks(n, p)) ranks.push_back(r);
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

  // The intervals, as the header says.
  const double t = t975(static_cast<double>(n) - 1);
  s.mean_ci = {s.mean - t * s.se, s.mean + t * s.se};
  for (std::size_t i = 0; i < PERCENTILES.size(); ++i) {
    const auto [lo, hi] = quantile_interval_ranks(n, PERCENTILES[i]);
    s.percentile_ci[i] = {sorted[lo], sorted[hi]};
  }
  // (x - VaR)+ for the upper tail, (VaR - x)+ for the lower: non-zero only within the sorted worst values.
  const double var = s.percentiles[upper ? 6 : 0];  // p95, or p5 for the lower tail
  double m1 = 0, m2 = 0;
  for (std::size_t i = 0; i < tail_size; ++i) {
    const double excess = std::max(0.0, upper ? worst(i) - var : var - worst(i));
    m1 += excess;
    m2 += excess * excess;
  }
  const double nn = static_cast<double>(n);
  const double excess_sd = n > 1 ? std::sqrt(std::max(0.0, (m2 - m1 * m1 / nn) / (nn - 1))) : 0.0;
  const double cvar_se = excess_sd / 0.05 / std::sqrt(nn);
  s.cvar95_ci = {s.cvar95 - 1.959963984540054 * cvar_se, s.cvar95 + 1.959963984540054 * cvar_se};
  return s;
}

Stats compute_designed_stats(std::span<const double> values, Tail tail,
                             std::span<const std::int64_t> trial_of, std::int64_t trials) {
  Stats s = compute_stats(values, tail);
  if (trial_of.empty()) trials = static_cast<std::int64_t>(values.size());
  // Each statistic of each replicate; the replicates are independent, so the spread of a statistic across
  // them gives its standard error.
  std::vector<Stats> reps;
  std::vector<double> weights;
  std::size_t begin = 0;
  for (const Replicate& r : replicates_of(trials)) {
    std::size_t end = begin;
    while (end < values.size() &&
           (trial_of.empty() ? static_cast<std::int64_t>(end) : trial_of[end]) < r.first + r.size)
      ++end;
    if (end > begin) {
      reps.push_back(compute_stats(values.subspan(begin, end - begin), tail));
      weights.push_back(static_cast<double>(end - begin) / static_cast<double>(values.size()));
    }
    begin = end;
  }
  const double t = t975(static_cast<double>(reps.size()) - 1);
  const auto interval = [&](double estimate, auto get) {
    std::vector<double> x;
    for (const Stats& r : reps) x.push_back(get(r));
    const double se = replicate_se(x, weights);
    return Interval{estimate - t * se, estimate + t * se};
  };
  std::vector<double> means;
  for (const Stats& r : reps) means.push_back(r.mean);
  s.se = replicate_se(means, weights);
  s.mean_ci = {s.mean - t * s.se, s.mean + t * s.se};
  // A percentile's interval by Woodruff's inversion: the share of each replicate's values at or below the
  // estimate, whose spread gives the standard error of the distribution function there, mapped back through
  // the pooled values' quantiles. The replicates' own percentiles would do too, but a small replicate's
  // percentile is biased (an order statistic of a few hundred values), which the pooled one is far less.
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < PERCENTILES.size(); ++i) {
    const double q = s.percentiles[i];
    std::vector<double> below;
    begin = 0;
    for (const Replicate& r : replicates_of(trials)) {
      std::size_t end = begin, count = 0;
      while (end < values.size() &&
             (trial_of.empty() ? static_cast<std::int64_t>(end) : trial_of[end]) < r.first + r.size)
        count += values[end++] <= q;
      if (end > begin) below.push_back(static_cast<double>(count) / static_cast<double>(end - begin));
      begin = end;
    }
    const double h = t * replicate_se(below, weights);
    s.percentile_ci[i] = {sorted_quantile(sorted, std::max(0.0, PERCENTILES[i] - h)),
                          sorted_quantile(sorted, std::min(1.0, PERCENTILES[i] + h))};
  }
  s.cvar95_ci = interval(s.cvar95, [](const Stats& r) { return r.cvar95; });
  return s;
}

namespace {

// The standard error of the mean of per-trial values: i.i.d., or from a design's replicates.
double mean_se(std::span<const double> values, bool designed) {
  const auto n = static_cast<double>(values.size());
  if (designed) return replicate_se(values);
  if (values.size() < 2) return 0;
  const double mean = accurate_sum(values) / n;
  double ss = 0;
  for (double x : values) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / (n - 1) / n);
}

// The count of sorted values at or below x.
double count_below(const std::vector<double>& sorted, double x) {
  return static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), x) - sorted.begin());
}

}  // namespace

Stats two_level_stats(std::span<const double> f, std::span<const double> g, std::span<const double> gm,
                      bool designed) {
  Stats s = designed ? compute_designed_stats(f) : compute_stats(f);  // sd, min, max: the trials' own
  const auto n = static_cast<double>(f.size()), m = static_cast<double>(gm.size());
  std::vector<double> residual(f.size());
  for (std::size_t i = 0; i < f.size(); ++i) residual[i] = f[i] - g[i];
  const double t = designed ? t975(REPLICATES - 1) : 1.959963984540054;
  s.mean = accurate_sum(gm) / m + accurate_sum(residual) / n;
  s.se = std::hypot(mean_se(gm, designed), mean_se(residual, designed));
  s.mean_ci = {s.mean - t * s.se, s.mean + t * s.se};

  std::vector<double> sf(f.begin(), f.end()), sg(g.begin(), g.end()), sgm(gm.begin(), gm.end());
  std::sort(sf.begin(), sf.end());
  std::sort(sg.begin(), sg.end());
  std::sort(sgm.begin(), sgm.end());
  std::vector<double> candidates;
  candidates.reserve(sf.size() + sg.size() + sgm.size());
  std::merge(sf.begin(), sf.end(), sgm.begin(), sgm.end(), std::back_inserter(candidates));
  const auto F = [&](double x) {
    return count_below(sgm, x) / m + (count_below(sf, x) - count_below(sg, x)) / n;
  };
  // The least candidate where F reaches p (F is a step function that may dip by the corrections' jumps: the
  // search finds a crossing, within those jumps of the first).
  const auto quantile = [&](double p) {
    std::size_t lo = 0, hi = candidates.size() - 1;
    if (p <= 0) return candidates.front();
    if (F(candidates[hi]) < p) return candidates[hi];
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (F(candidates[mid]) >= p)
        hi = mid;
      else
        lo = mid + 1;
    }
    return candidates[lo];
  };
  // The standard error of F at x: of the points' share at or below x, and of the trials' corrections.
  std::vector<double> below_m(gm.size()), below_n(f.size());
  const auto F_se = [&](double x) {
    for (std::size_t j = 0; j < gm.size(); ++j) below_m[j] = gm[j] <= x ? 1.0 : 0.0;
    for (std::size_t i = 0; i < f.size(); ++i) below_n[i] = (f[i] <= x ? 1.0 : 0.0) - (g[i] <= x ? 1.0 : 0.0);
    return std::hypot(mean_se(below_m, designed), mean_se(below_n, designed));
  };
  for (std::size_t i = 0; i < PERCENTILES.size(); ++i) {
    const double p = PERCENTILES[i];
    s.percentiles[i] = quantile(p);
    const double h = t * F_se(s.percentiles[i]);
    s.percentile_ci[i] = {quantile(std::max(0.0, p - h)), quantile(std::min(1.0, p + h))};
  }
  // cvar95 at v = P95: the points' mean excess over v, corrected by the trials'.
  const double v = s.percentiles[6];
  std::vector<double> excess_m(gm.size()), excess_n(f.size());
  for (std::size_t j = 0; j < gm.size(); ++j) excess_m[j] = std::max(0.0, gm[j] - v);
  for (std::size_t i = 0; i < f.size(); ++i) excess_n[i] = std::max(0.0, f[i] - v) - std::max(0.0, g[i] - v);
  s.cvar95 = v + (accurate_sum(excess_m) / m + accurate_sum(excess_n) / n) / 0.05;
  const double cvar_se = std::hypot(mean_se(excess_m, designed), mean_se(excess_n, designed)) / 0.05;
  s.cvar95_ci = {s.cvar95 - t * cvar_se, s.cvar95 + t * cvar_se};
  return s;
}

}  // namespace cxrisk
