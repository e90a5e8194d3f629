// Improvement scenarios against a base, trial by trial on common random numbers: the business case.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cxrisk/scenario.h"
#include "cxrisk/simulate.h"
#include "cxrisk/statistics.h"
#include "cxrisk/voi.h"

namespace cxrisk {

/// Cumulative savings and cumulative (discounted) investment by period, over the trials: the payback curve.
/// Element t - 1 is period t's.
struct PaybackCurve {
  std::vector<double> savings_mean, savings_p10, savings_p50, savings_p90;
  std::vector<double> investment_mean;
  std::vector<double> p_paid_back;  ///< the share of trials whose savings have covered the investment by t
};

/// One alternative against the base. Statistics are over the paired per-trial differences.
struct AlternativeResult {
  std::string name;
  Stats savings_total_cost;      ///< base total_cost - alternative total_cost
  Stats savings_revenue_lost;    ///< base revenue_lost - alternative revenue_lost
  Stats savings_customers_lost;  ///< base customers_lost - alternative customers_lost
  Stats investment_pv;           ///< upfront + per_period discounted over the horizon
  Stats net_benefit;             ///< savings in total_cost - investment_pv
  std::optional<Stats> roi;  ///< net_benefit / investment_pv, over trials with an investment; none without
  /// The first period whose cumulative savings cover the cumulative investment, over the trials that pay back
  /// within the horizon; none when no trial does.
  std::optional<Stats> payback_period;
  double p_payback_within_horizon = 0;
  double p_net_benefit_positive = 0;
  /// The largest up-front investment that would still pay back within the horizon with probability 50%,
  /// 80% and 90%: the 50th, 20th and 10th percentiles of the savings net of the per-period investment.
  std::array<double, 3> break_even_investment{};
  Distribution net_benefit_distribution;  ///< for charts
  /// False when the alternative has other segments, stages, problems or tiers than the base: its draws are
  /// common with the base's only where the two match, so its savings carry more noise.
  bool same_structure = true;
  PaybackCurve payback_curve;
  /// Per-trial values, kept for the Python module: savings in total_cost and net benefit.
  std::vector<double> savings_samples, net_benefit_samples;
};

struct Comparison {
  std::string base;
  std::string currency;
  std::int64_t trials = 0;
  std::uint64_t seed = 0;
  Sampling sampling = Sampling::random;
  int periods = 0;
  PeriodUnit period = PeriodUnit::month;        ///< the unit of a payback period
  Stats base_total_cost;                        ///< the base's own total_cost, what the savings are out of
  std::vector<AlternativeResult> alternatives;  ///< in the order given
  /// The value of information for the choice among them (compare --voi), when asked for.
  std::optional<ValueOfInformation> voi;
  /// How a comparison to a precision went (`--precision` on savings or net benefit).
  std::optional<PrecisionReport> precision;
};

/// Runs the base and every alternative on the same trial keys (common random numbers: draws are shared
/// wherever the structure is shared) and summarises the paired differences. `settings` resolve against the
/// base (trials and seed); the progress counts scenarios run. Only process 0 gets the comparison; elsewhere
/// it has no alternatives.
Comparison compare(const Scenario& base, const std::vector<Scenario>& alternatives,
                   const RunSettings& settings = {});

}  // namespace cxrisk
