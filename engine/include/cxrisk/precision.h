// Answers to a stated precision: a run (or a comparison) that grows in rounds until the 95% intervals of the
// statistics asked for are within their tolerances (`--precision total_cost:p95:1%`, `simulation.precision`).
//
// Each round is a plain run of its number of trials, so the result equals exactly a run with `--trials` set
// to the count it stopped at. The rounds' counts are a deterministic function of the scenario, the seed and
// the targets: the first is FIRST_ROUND trials, and each next one the count the widest interval so far says
// is needed (intervals narrow as 1 / sqrt(trials)), with a fifth to spare, at least half again as many, in
// whole multiples of FIRST_ROUND (a power of two times it with Sobol points), at most the maximum.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cxrisk/design.h"
#include "cxrisk/statistics.h"

namespace cxrisk {

/// A precision to reach: the half-width of the 95% interval of a statistic of a metric at most `tolerance`
/// (a fraction of the estimate's magnitude when `relative`).
struct PrecisionTarget {
  std::string
      metric;  ///< a metric of a run ("total_cost"), or of a comparison ("savings", "net_benefit", ...)
  std::string statistic;  ///< "mean", "p5" .. "p99" or "cvar95"
  double tolerance = 0;
  bool relative = false;
  /// As written: "total_cost:p95:1%".
  std::string text() const;
  friend bool operator==(const PrecisionTarget&, const PrecisionTarget&) = default;
};

/// The statistics a target can name.
inline constexpr std::array<std::string_view, 10> PRECISION_STATISTICS{"mean", "p5",  "p10", "p25", "p50",
                                                                       "p75",  "p90", "p95", "p99", "cvar95"};
/// The metrics of a comparison a target can name: each alternative's savings (of total_cost, revenue_lost and
/// customers_lost), investment and net benefit.
inline constexpr std::array<std::string_view, 5> COMPARISON_METRICS{
    "savings", "savings_revenue_lost", "savings_customers_lost", "investment_pv", "net_benefit"};

/// Parses METRIC:STATISTIC:TOLERANCE, the tolerance relative with a % ("0.5%") or absolute ("2e6"); the
/// metric one of METRIC_NAMES, or of COMPARISON_METRICS for a comparison. Throws UsageError saying what is
/// wrong.
PrecisionTarget parse_precision(std::string_view text, bool comparison = false);

/// The first round's trials, and the largest count a run to a precision goes to by default.
inline constexpr std::int64_t FIRST_ROUND = 2048;
inline constexpr std::int64_t DEFAULT_MAX_TRIALS = 1000000;

/// A statistic's estimate and 95% interval.
struct Estimate {
  double value = 0;
  Interval ci;
};
/// The statistic named `statistic` (one of PRECISION_STATISTICS) of `s`.
Estimate statistic_of(const Stats& s, std::string_view statistic);

/// Where a target stands after a round: for a comparison, for each alternative (`of` its name).
struct TargetStatus {
  PrecisionTarget target;
  std::string of;
  double estimate = 0, half_width = 0, allowed = 0;  ///< allowed: the tolerance as an absolute half-width
  bool met = false;
};
/// The status of `target` given the statistics of its metric.
TargetStatus status_of(const PrecisionTarget& target, const Stats& stats, std::string of = {});

/// One round of a run to a precision.
struct PrecisionRound {
  std::int64_t trials = 0;
  std::vector<TargetStatus> targets;
  bool met() const;
};

/// How a run to a precision went: every round (the last is the result's), and the maximum it could go to.
struct PrecisionReport {
  std::vector<PrecisionTarget> targets;
  std::int64_t max_trials = 0;
  std::vector<PrecisionRound> rounds;
  bool met() const { return !rounds.empty() && rounds.back().met(); }
  /// "total_cost p95 +-0.42% of 25.0 billion (target 1%)" for each target, or what is missing; for tables and
  /// warnings.
  std::string describe() const;
};

/// The trials of the round after one of `trials` whose targets stand at `status`: 0 when every target is met
/// or `trials` is already `max_trials`.
std::int64_t next_round(std::int64_t trials, const std::vector<TargetStatus>& status, std::int64_t max_trials,
                        Sampling sampling);

}  // namespace cxrisk
