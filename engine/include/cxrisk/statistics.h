// Metrics (MODEL.md section 6) and the statistics of a metric over the trials.
#pragma once

#include <array>
#include <cstdint>
#include <span>
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

/// The percentiles reported for every metric.
inline constexpr std::array<double, 8> PERCENTILES{0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99};
inline constexpr std::array<std::string_view, 8> PERCENTILE_NAMES{"p5",  "p10", "p25", "p50",
                                                                  "p75", "p90", "p95", "p99"};

/// Which tail is "worst" for cvar95: the largest values (costs) or the smallest (savings, benefits).
enum class Tail { upper, lower };

/// Statistics of one metric over the trials.
struct Stats {
  double mean = 0;
  double sd = 0;  ///< sample standard deviation (n - 1 in the denominator)
  double se = 0;  ///< standard error of the mean: sd / sqrt(n)
  double min = 0;
  double max = 0;
  std::array<double, 8> percentiles{};  ///< at PERCENTILES
  double cvar95 = 0;                    ///< mean of the worst 5% of trials
};

/// Statistics of the values (in trial order; the order fixes the rounding of sums).
///
/// Percentiles use linear interpolation between order statistics (Hyndman and Fan's definition 7, as
/// numpy.percentile and Excel's PERCENTILE.INC): with x sorted ascending and h = (n - 1) p, the p-quantile is
/// x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]). cvar95 is the mean of the worst k = 0.05 n
/// values, the boundary value weighted by the fractional part of k (Acerbi and Tasche's estimator); for the
/// upper tail the worst values are the largest.
Stats compute_stats(std::span<const double> values, Tail tail = Tail::upper);

/// Quantile p of ascending-sorted values by definition 7 above.
double sorted_quantile(std::span<const double> sorted, double p);

/// Compensated (Neumaier) sum: the result depends only on the order of the values.
double accurate_sum(std::span<const double> values);

}  // namespace cxrisk
