// Metrics (MODEL.md section 6) and the statistics of a metric over the trials.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cxrisk {

/// The per-trial metrics, in the order of MODEL.md section 6.
enum Metric : int {
  customers_with_problems,
  complaints,
  contacts,
  escalations,
  customers_lost,
  revenue_lost,
  wom_prospects_lost,
  wom_prospects_won,
  wom_revenue_lost,
  handling_cost,
  total_cost,
};
inline constexpr int N_METRICS = 11;
inline constexpr std::array<std::string_view, N_METRICS> METRIC_NAMES{
    "customers_with_problems", "complaints",    "contacts",           "escalations",
    "customers_lost",          "revenue_lost",  "wom_prospects_lost", "wom_prospects_won",
    "wom_revenue_lost",        "handling_cost", "total_cost"};

/// The metric named `name` (one of METRIC_NAMES); throws UsageError naming the metrics otherwise.
int parse_metric(std::string_view name);

/// The dimensions a metric is broken down by (MODEL.md section 6).
enum class Dimension { problem, stage, segment, cause, outcome };
inline constexpr int N_DIMENSIONS = 5;
inline constexpr std::array<std::string_view, N_DIMENSIONS> DIMENSION_NAMES{"problem", "stage", "segment",
                                                                            "cause", "outcome"};
inline constexpr std::array<Dimension, N_DIMENSIONS> DIMENSIONS{
    Dimension::problem, Dimension::stage, Dimension::segment, Dimension::cause, Dimension::outcome};
constexpr std::string_view to_string(Dimension d) {
  return DIMENSION_NAMES[static_cast<std::size_t>(d)];
}

/// Where each breakdown entry's statistics live: entry 0 is the total, then each dimension's entries in turn
/// (problems in file order, stages in journey order, segments, the causes used, the outcomes).
struct Layout {
  std::array<std::vector<std::string>, N_DIMENSIONS> entry_names;  ///< per dimension
  std::array<int, N_DIMENSIONS> first_entry{};                     ///< entry index of each one's first
  int n_entries = 1;
  std::vector<int> problem_stage;  ///< stage entry index of each problem (within the stage dimension)
  std::vector<int> problem_cause;  ///< cause entry index of each problem (within the cause dimension)

  const std::vector<std::string>& names(Dimension d) const {
    return entry_names[static_cast<std::size_t>(d)];
  }
  /// The entry index of entry `i` of dimension `d`.
  int entry(Dimension d, int i) const { return first_entry[static_cast<std::size_t>(d)] + i; }
  /// Series index of a metric of an entry in a trial's row.
  static int series(int entry, int metric) { return entry * N_METRICS + metric; }
  int n_series() const { return n_entries * N_METRICS; }
};

/// The percentiles reported for every metric.
inline constexpr std::array<double, 8> PERCENTILES{0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99};
inline constexpr std::array<std::string_view, 8> PERCENTILE_NAMES{"p5",  "p10", "p25", "p50",
                                                                  "p75", "p90", "p95", "p99"};

/// Which tail is "worst" for cvar95: the largest values (costs) or the smallest (savings, benefits).
enum class Tail { upper, lower };

/// A 95% confidence interval; NaN bounds where none is known.
struct Interval {
  double low = 0, high = 0;
  double half_width() const { return (high - low) / 2; }
  friend bool operator==(const Interval&, const Interval&) = default;
};

/// Statistics of one metric over the trials.
struct Stats {
  double mean = 0;
  double sd = 0;  ///< sample standard deviation (n - 1 in the denominator)
  double se = 0;  ///< standard error of the mean: sd / sqrt(n)
  double min = 0;
  double max = 0;
  std::array<double, 8> percentiles{};  ///< at PERCENTILES
  double cvar95 = 0;                    ///< mean of the worst 5% of trials
  /// 95% confidence intervals of the mean, of each percentile and of cvar95 (docs/outputs.md says how each is
  /// made).
  Interval mean_ci;
  std::array<Interval, 8> percentile_ci{};
  Interval cvar95_ci;

  double p5() const { return percentiles[0]; }
  double p10() const { return percentiles[1]; }
  double p25() const { return percentiles[2]; }
  double p50() const { return percentiles[3]; }
  double p75() const { return percentiles[4]; }
  double p90() const { return percentiles[5]; }
  double p95() const { return percentiles[6]; }
  double p99() const { return percentiles[7]; }
  /// Whether every statistic is a finite number.
  bool finite() const;
};

/// Statistics of the values (in trial order; the order fixes the rounding of sums).
///
/// Percentiles use linear interpolation between order statistics (Hyndman and Fan's definition 7, as
/// numpy.percentile and Excel's PERCENTILE.INC): with x sorted ascending and h = (n - 1) p, the p-quantile is
/// x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]). cvar95 is the mean of the worst k = 0.05 n
/// values, the boundary value weighted by the fractional part of k (Acerbi and Tasche's estimator); for the
/// upper tail the worst values are the largest.
///
/// The confidence intervals treat the values as independent: the mean's is mean +- t(n-1) se; a percentile's
/// is distribution-free, between the order statistics whose ranks bracket n p by 1.96 sqrt(n p (1 - p))
/// (the binomial count of values below the true percentile); cvar95's is cvar95 +- 1.96 se with se the
/// standard deviation of (x - VaR)+ / 0.05 over sqrt(n) (its influence function, Rockafellar and Uryasev's
/// representation), VaR the 95th percentile.
Stats compute_stats(std::span<const double> values, Tail tail = Tail::upper);

/// The statistics of a designed run's per-trial values: as compute_stats, but the standard error of the mean
/// and every interval from the spread of the design's independent replicates (estimate +- t(R-1) times the
/// replicate standard error of each statistic). `values[i]` is trial i's, or trial `trial_of[i]`'s
/// (ascending) of a run of `trials` trials when the values are at some trials only (a ratio defined where its
/// denominator is not zero).
Stats compute_designed_stats(std::span<const double> values, Tail tail = Tail::upper,
                             std::span<const std::int64_t> trial_of = {}, std::int64_t trials = 0);

/// The statistics of a metric by the two-level estimator of variance reduction: `f` the trials' values and
/// `g` E[metric | each trial's inputs] (trial order), `gm` E[metric | inputs] at further input points drawn
/// like the trials' (point order). The mean is mean(gm) + mean(f - g); the distribution function
/// F(x) = mean(1{gm <= x}) + mean(1{f <= x} - 1{g <= x}), the percentiles its inverse; cvar95 is
/// v + [mean((gm - v)+) + mean((f - v)+ - (g - v)+)] / 0.05 at v the P95 (Rockafellar and Uryasev). Each is
/// unbiased for fixed x or v, whatever g is: g only makes the corrections small. Standard errors add the two
/// levels' (each i.i.d., or from its replicates with `designed`); intervals are +- t se, Woodruff's for
/// percentiles. sd, min and max are the trials' own.
Stats two_level_stats(std::span<const double> f, std::span<const double> g, std::span<const double> gm,
                      bool designed);

/// The distribution-free interval of the p-quantile from order statistics: the 0-based ranks of its low and
/// high ends among n values.
std::array<std::size_t, 2> quantile_interval_ranks(std::size_t n, double p);

/// The 0.975 quantile of Student's t with `df` degrees of freedom (the normal's 1.96 for df of 0, infinite).
double t975(double df);

/// Quantile p of ascending-sorted values by definition 7 above.
double sorted_quantile(std::span<const double> sorted, double p);

/// A distribution told in a few hundred numbers, for charts and reports: a histogram of equal-width bins over
/// [min, max] and the quantiles at DISTRIBUTION_LEVELS. Its size does not grow with the trials.
struct Distribution {
  std::vector<double> edges;  ///< bins + 1 ascending bin edges, edges[0] the minimum, the last the maximum
  std::vector<std::int64_t> counts;  ///< values in [edges[i], edges[i + 1]) (the last bin includes its end)
  std::vector<double> quantiles;     ///< at DISTRIBUTION_LEVELS, by definition 7
  bool empty() const { return quantiles.empty(); }
};
/// The levels a Distribution's quantiles are at: 0 (the minimum), 0.001, 0.005, 0.01 to 0.99 by 0.01,
/// 0.995, 0.999 and 1 (the maximum): fine in the tails, where an exceedance curve is read.
std::span<const double> distribution_levels();
/// The histogram bins of a Distribution.
inline constexpr int DISTRIBUTION_BINS = 40;
/// The distribution of the values (any order); empty values give an empty Distribution.
Distribution distribution_of(std::span<const double> values, int bins = DISTRIBUTION_BINS);

/// Compensated (Neumaier) sum: the result depends only on the order of the values.
double accurate_sum(std::span<const double> values);

}  // namespace cxrisk
