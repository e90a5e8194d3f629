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
#include "cxrisk/precision.h"
#include "cxrisk/registry.h"
#include "cxrisk/scenario.h"
#include "cxrisk/statistics.h"

namespace cxrisk {

/// How to run: the settings every command that simulates shares (`run`, `compare`, `batch`, `sweep`, and
/// their Python functions), resolved against each scenario by resolve().
struct RunSettings {
  std::optional<std::int64_t> trials;  ///< default: the scenario's simulation.trials
  std::optional<std::uint64_t> seed;   ///< default: the scenario's simulation.seed
  std::optional<Sampling> sampling;    ///< default: the scenario's simulation.sampling
  /// Run to these precisions (cxrisk/precision.h) instead of a fixed number of trials; default: the
  /// scenario's simulation.precision; empty: a fixed number of trials whatever the scenario says.
  std::optional<std::vector<PrecisionTarget>> precision;
  std::optional<std::int64_t> max_trials;  ///< default: the scenario's simulation.max_trials
  /// The two-level estimators of variance reduction (docs/precision.md): on, off, or (unset) on for a run to
  /// a precision only.
  std::optional<bool> variance_reduction;
  int threads = 0;  ///< worker threads per process; 0: every core (at most MAX_THREADS)
  Mode mode = Mode::aggregate;
  /// When set and it becomes true, the run stops and throws Cancelled.
  const std::atomic<bool>* cancel = nullptr;
  /// The processes to share the work with (trials of a run, scenarios of a batch, points of a sweep); null:
  /// this process alone. Only process 0 gets the results.
  const Communicator* communicator = nullptr;
  /// Called now and then with (done, in all): trials of a run, scenarios of a comparison; from a worker, so
  /// it must be thread-safe.
  std::function<void(std::int64_t, std::int64_t)> progress;
  /// Called with a line for each scenario of a batch and each point of a sweep.
  std::function<void(const std::string&)> log;

  /// What a run of `scenario` uses.
  struct Resolved {
    std::int64_t trials = 0;
    std::uint64_t seed = 0;
    Sampling sampling = Sampling::random;
    std::vector<PrecisionTarget> precision;  ///< empty: a run of `trials` trials
    std::int64_t max_trials = DEFAULT_MAX_TRIALS;
    bool variance_reduction = false;
    int threads = 1;  ///< worker threads (every core for 0)
    /// The design of the inputs over the run's trials.
    InputDesign design() const { return {sampling, trials}; }
  };
  /// The settings resolved against a scenario; throws UsageError for a value out of range.
  Resolved resolve(const Scenario& scenario) const;
  /// The processes (this one alone when none were given).
  const Communicator& processes() const;
};

/// With variance reduction, E[metric | inputs] is evaluated at this many input points per trial besides the
/// trials' own (it costs a fraction of a trial: the chain's arithmetic without its draws).
inline constexpr std::int64_t VR_POINTS = 8;

/// What a run keeps besides the statistics of every metric (the defaults suit `run`).
struct Keep {
  bool period_costs = false;  ///< total_cost per trial and period (comparisons need it)
  /// Summarise the breakdowns; false: the statistics of the totals alone (summary.stats holds N_METRICS
  /// entries and summary.breakdowns is false), all a comparison or a sweep uses.
  bool breakdowns = true;
  /// Bytes for keeping every trial's value of every series. The totals are always kept whole; breakdown
  /// series are kept whole while everything fits, else summarised by chunked moments and a quantile sketch
  /// (percentiles within 0.1% relative). 256 MiB keeps every value up to about 90,000 trials of a scenario
  /// with 30 breakdown entries.
  std::size_t memory_budget = std::size_t{256} << 20;
};

/// Statistics of every metric, in total and broken down.
struct Summary {
  std::string scenario;
  std::string currency;
  std::int64_t trials = 0;
  std::uint64_t seed = 0;
  Mode mode = Mode::aggregate;
  Sampling sampling = Sampling::random;  ///< the inputs' design: a designed run's se is between replicates
  /// The correlated groups of inputs, with the rank correlations asked and used.
  std::vector<CorrelatedGroup> correlations;
  /// How a run to a precision went (a run to a precision only).
  std::optional<PrecisionReport> precision;
  /// With variance reduction, the further input points E[metric | inputs] was evaluated at; 0 without.
  std::int64_t variance_reduction_points = 0;
  bool closed_form = false;     ///< `cxrisk expect`: every quantity at its mean; only means are set
  bool breakdown_exact = true;  ///< breakdown percentiles from every value (else from a quantile sketch)
  bool breakdowns = true;       ///< false: `stats` holds the totals alone (Keep::breakdowns)
  Layout layout;
  std::vector<Stats> stats;  ///< one per series: Layout::series(entry, metric)
  /// Each total metric's distribution over the trials, for charts (N_METRICS of them; none for the closed
  /// form).
  std::vector<Distribution> distributions;
  /// The scenario's parameters, as a report lists them.
  std::vector<InputSummary> inputs;

  const Stats& total(int metric) const { return stats[Layout::series(0, metric)]; }
  /// The statistics of a metric of entry `i` of a breakdown dimension.
  const Stats& of(Dimension d, int i, int metric) const {
    return stats[Layout::series(layout.entry(d, i), metric)];
  }
  /// "aggregate", "individual", or "expect" for the closed form.
  std::string_view mode_name() const { return closed_form ? "expect" : to_string(mode); }
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
  /// upfront + the discounted per_period amounts over `periods`.
  double present_value(int periods) const {
    double pv = upfront;
    for_each_period(periods, [&](int, double amount) { pv += amount; });
    return pv;
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

/// What `--samples` writes beside each trial's totals: its sampled inputs (a column per uncertain input,
/// named by its path; a Dirichlet's is its first share with weight, as sensitivity reports it) and, with
/// `breakdown`, every metric of every breakdown entry ("problem.billing_error.total_cost"). The trials are
/// recomputed from the scenario, bit for bit those of the run.
class TrialDetails {
 public:
  /// For the run that gave `summary` (its seed, trials and design) of `scenario`, in `mode`.
  TrialDetails(const Scenario& scenario, const Summary& summary, Mode mode, bool breakdown);
  const std::vector<std::string>& columns() const { return columns_; }
  /// Trials first .. first + count - 1, row after row, columns().size() values each.
  void rows(std::uint64_t first, int count, double* out, const std::atomic<bool>* cancel = nullptr) const;

 private:
  Model model_;
  Mode mode_;
  bool breakdown_;
  std::vector<std::string> columns_;
};

/// Runs a scenario. Throws UsageError for bad settings, Cancelled when cancelled.
RunResult run(const Scenario& scenario, const RunSettings& settings = {}, const Keep& keep = {});

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
