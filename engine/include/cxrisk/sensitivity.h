// Which inputs drive the risk (`cxrisk sensitivity`): a tornado, rank correlations, and variance-based
// (Sobol) indices of each uncertain input and of groups of them, computed on the chain in expectation at the
// inputs (cxrisk/expectation.h).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cxrisk/registry.h"
#include "cxrisk/scenario.h"
#include "cxrisk/simulate.h"

namespace cxrisk {

/// What to compute.
struct SensitivityOptions {
  std::vector<int> metrics{total_cost, revenue_lost, customers_lost};
  /// Rows of the Saltelli design; 0: start at 1,024 and grow (to the rows the widest interval so far says are
  /// needed, with a tenth to spare) until the total indices of the ten largest have 95% intervals no wider
  /// than `interval_width`, up to 16,384 rows.
  std::int64_t design_rows = 0;
  double interval_width = 0.05;
  int bootstrap = 200;  ///< resamples of the design's rows for the indices' intervals
};

/// A first-order and a total-effect index with their 95% bootstrap intervals.
struct SobolIndex {
  double first = 0, total = 0;
  std::array<double, 2> first_ci{}, total_ci{};
  /// False for an input correlated with others: its own indices are not defined (a variance decomposition
  /// needs independent inputs), and the values are those of its correlated group.
  bool applicable = true;
};

struct InputSensitivity {
  std::string path;          ///< the registry path ("problems.billing_error.complaint_rate")
  std::string distribution;  ///< "beta(mean=0.5, sd=0.08)"
  Group group = Group::customers;
  double p10 = 0, p90 = 0;  ///< the input's own 10th and 90th percentiles (a Dirichlet: its resolved share's)
  /// The metric's conditional mean with this input at its P10 and at its P90, every other input at its
  /// median.
  double at_p10 = 0, at_p90 = 0, swing = 0;
  double spearman = 0;  ///< rank correlation of the input's draws with the metric over full trials
  SobolIndex sobol;
  std::string correlated_group;  ///< the name of its correlated group, if it has one
};

/// The indices of a group of inputs (all of a problem's, of a segment's, or of a kind).
struct GroupSensitivity {
  std::string dimension;  ///< "problem", "segment", "kind" or "correlated"
  std::string name;
  SobolIndex sobol;
};

struct MetricSensitivity {
  int metric = total_cost;
  double variance = 0;  ///< Var(metric) over the full trials
  /// E[Var(metric | inputs)] / Var(metric): the chain's own counting noise, which no input explains;
  /// estimated from the full trials as the mean of (metric - E[metric | the trial's inputs])^2.
  double unexplained_share = 0;
  double expectation_variance = 0;  ///< Var(E[metric | inputs]) over the design, what the indices share
  /// E[metric] with every input at its median: where the tornado's bars start from.
  double tornado_base = 0;
  std::vector<InputSensitivity> inputs;  ///< by total index, largest first
  std::vector<GroupSensitivity> groups;  ///< by dimension, then total index, largest first
};

struct Sensitivity {
  std::string scenario;
  std::int64_t trials = 0;  ///< full Monte Carlo trials (rank correlations, the unexplained share)
  std::uint64_t seed = 0;
  std::int64_t design_rows = 0;  ///< rows of the Saltelli design the indices come from
  int bootstrap = 0;
  std::vector<MetricSensitivity> metrics;
};

/// The sensitivity of the metrics to every uncertain input of the scenario (its registry inputs). Throws
/// UsageError when the scenario has no uncertain input. Runs the full trials, and the design's evaluations,
/// on the settings' threads; only process 0 gets the result (it does the work: the design is cheap).
Sensitivity sensitivity(const Scenario& scenario, const RunSettings& settings,
                        const SensitivityOptions& options = {});

/// Sobol indices of one input from a Saltelli design: f at the rows of A, of B, and of A with the input's
/// columns from B. First order by Saltelli et al. (2010) with f at B centred on the design's mean (the same
/// expectation, a far smaller variance when the metric's mean is large against its spread), total effect by
/// Jansen (1999), each over the variance of f over A and B together; 95% intervals from `bootstrap`
/// resamples of the rows (keyed by `seed`). Exposed for tests on functions with known indices.
SobolIndex sobol_indices(std::span<const double> f_a, std::span<const double> f_b,
                         std::span<const double> f_ab, int bootstrap, std::uint64_t seed);

/// Spearman's rank correlation (average ranks for ties); 0 when either side is constant.
double spearman(std::span<const double> x, std::span<const double> y);

}  // namespace cxrisk
