// Running a scenario: the library entry points the command line and the Python module share.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cxrisk/communicator.h"
#include "cxrisk/model.h"
#include "cxrisk/scenario.h"
#include "cxrisk/statistics.h"

namespace cxrisk {

/// How to run a scenario. Unset options fall back to the scenario's `simulation` settings.
struct RunOptions {
  std::optional<std::int64_t> trials;
  std::optional<std::uint64_t> seed;
  int threads = 0;  ///< 0: every core
  Mode mode = Mode::aggregate;
  bool keep_period_costs = false;  ///< keep total_cost per trial and period (comparisons need it)
  /// Summarise the breakdowns; false: the statistics of the totals alone (summary.stats holds N_METRICS
  /// entries and summary.breakdowns is false), all a comparison uses.
  bool breakdowns = true;
  /// Bytes for keeping every trial's value of every series. The totals are always kept whole; breakdown
  /// series are kept whole while everything fits, else summarised by chunked moments and a quantile sketch
  /// (percentiles within 0.1% relative). 256 MiB keeps every value up to about 90,000 trials of a scenario
  /// with 30 breakdown entries.
  std::size_t memory_budget = std::size_t{256} << 20;
  /// Called now and then from a worker with (trials done, trials in all); must be thread-safe.
  std::function<void(std::int64_t, std::int64_t)> progress;
  /// When set and it becomes true, the run stops and throws Cancelled.
  const std::atomic<bool>* cancel = nullptr;
  /// The processes to spread the trials over (by chunks); null: this process alone. Only process 0 gets
  /// results: elsewhere the returned summary has 0 trials.
  const Communicator* communicator = nullptr;
};

/// Statistics of every metric, in total and broken down.
struct Summary {
  std::string scenario;
  std::string currency;
  std::int64_t trials = 0;
  std::uint64_t seed = 0;
  std::string mode;             ///< "aggregate", "individual" or "expect"
  bool breakdown_exact = true;  ///< breakdown percentiles from every value (else from a quantile sketch)
  bool breakdowns = true;       ///< false: `stats` holds the totals alone (RunOptions::breakdowns)
  Layout layout;
  std::vector<Stats> stats;  ///< one per series: Layout::series(entry, metric)

  const Stats& total(int metric) const { return stats[Layout::series(0, metric)]; }
};

/// A trial's investment: `upfront` at time 0 and `per_period` in each period t, discounted to time 0 by
/// `period_discount`^t (like the horizon).
struct TrialInvestment {
  double upfront = 0, per_period = 0, period_discount = 1;

  /// Calls f(t, amount) for t = 1 .. periods with period t's discounted amount (the discount factor built
  /// up by multiplication, period by period).
  template <class F>
  void for_each_period(int periods, F&& f) const {
    double discount = 1;
    for (int t = 1; t <= periods; ++t) {
      discount *= period_discount;
      f(t, per_period * discount);
    }
  }
};

/// The outcome of a Monte Carlo run.
struct RunResult {
  Summary summary;
  std::vector<double> samples;       ///< total metrics per trial, [metric][trial]
  std::vector<double> period_costs;  ///< total_cost per trial and period, [trial][period], when asked for
  /// Each trial's investment, with period_costs: three numbers a trial, not one a period (see
  /// TrialInvestment), so that long horizons keep their memory for the costs.
  std::vector<TrialInvestment> investment;

  /// The per-trial values of a total metric.
  std::span<const double> metric_samples(int metric) const {
    const auto n = static_cast<std::size_t>(summary.trials);
    return {samples.data() + static_cast<std::size_t>(metric) * n, n};
  }
};

/// Runs a scenario. Throws UsageError for bad options, Cancelled when cancelled.
RunResult run(const Scenario& scenario, const RunOptions& options = {});

/// The closed-form answer with every quantity at its mean (`cxrisk expect`); only `mean` is set.
Summary expect(const Scenario& scenario);

/// Recomputes one trial alone: its row of entries x metrics (Layout::series). Equal, bit for bit, to the
/// same trial inside a full run.
std::vector<double> run_trial(const Model& model, Mode mode, std::uint64_t trial);

/// The most worker threads one process takes (beyond that, share the work among processes).
inline constexpr int MAX_THREADS = 1024;

/// The number of worker threads a `threads` option stands for (0: every core, at most MAX_THREADS); throws
/// UsageError outside 0 .. MAX_THREADS. A run starts no more workers than it has chunks of trials.
int resolve_threads(int threads);

}  // namespace cxrisk
