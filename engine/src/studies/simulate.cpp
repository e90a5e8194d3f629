#include "cxrisk/simulate.h"

#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <new>
#include <optional>
#include <string>
#include <thread>

#include "chain/runner.h"
#include "cxrisk/error.h"
#include "cxrisk/expectation.h"
#include "stats/tally.h"
#include "studies/inputs.h"
#include "studies/parallel.h"
#include "studies/rounds.h"

namespace cxrisk {

namespace {
// A statistic beyond double precision (money amounts near 1e300 times millions of customers) would be written
// as null or inf: the scenario is refused instead, naming the metric that overflowed.
void require_finite(const Scenario& scenario, const Summary& s) {
  for (std::size_t i = 0; i < s.stats.size(); ++i) {
    const Stats& x = s.stats[i];
    bool finite = std::isfinite(x.mean) && std::isfinite(x.sd) && std::isfinite(x.se) &&
                  std::isfinite(x.min) && std::isfinite(x.max) && std::isfinite(x.cvar95);
    for (double p : x.percentiles) finite = finite && std::isfinite(p);
    if (!finite)
      throw ScenarioError({scenario.source, 0, 0}, "",
                          fmt::format("{} goes beyond what a double can hold (about 1.8e308): the scenario's "
                                      "amounts are too large; give them in thousands or millions",
                                      METRIC_NAMES[i % N_METRICS]));
  }
}

Summary make_summary(const Scenario& scenario, const Model& model, std::int64_t trials, Mode mode) {
  Summary s;
  s.scenario = scenario.name;
  s.currency = scenario.currency;
  s.trials = trials;
  s.seed = model.seed();
  s.mode = mode;
  s.sampling = model.design().sampling;
  s.correlations = resolve_correlations(scenario).groups;
  s.layout = model.layout();
  s.stats.resize(static_cast<std::size_t>(s.layout.n_series()));
  s.inputs = summarize_inputs(scenario);
  return s;
}

// The memory this process may use: the physical memory, or less where its address space (RLIMIT_AS) or its
// control group (cgroup v2's memory.max or v1's memory.limit_in_bytes, for the group /proc/self/cgroup
// names) allows less.
double usable_memory() {
  double limit =
      static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGE_SIZE));
  rlimit address_space{};
  if (::getrlimit(RLIMIT_AS, &address_space) == 0 && address_space.rlim_cur != RLIM_INFINITY)
    limit = std::min(limit, static_cast<double>(address_space.rlim_cur));
  std::ifstream groups("/proc/self/cgroup");
  for (std::string line; std::getline(groups, line);) {
    const auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1),
                      path = line.substr(second + 1);
    const std::vector<std::string> files =
        controllers.empty() ? std::vector<std::string>{"/sys/fs/cgroup" + path + "/memory.max",
                                                       "/sys/fs/cgroup/unified" + path + "/memory.max"}
        : controllers == "memory"
            ? std::vector<std::string>{"/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes"}
            : std::vector<std::string>{};
    for (const std::string& file : files) {
      std::ifstream in(file);
      double bytes = 0;
      if (in >> bytes && bytes > 0)
        limit = limit > 0 ? std::min(limit, bytes) : bytes;  // "max" reads as nothing
    }
  }
  return limit;
}

// What a run needs in memory, counted before any trial runs, so that a run too large fails at once with the
// reason instead of being killed part way: the values kept whole (every trial's totals, total_cost by period
// for comparisons, the breakdowns while they fit the budget), the breakdowns' chunk moments and sketches
// past it, and each worker's rows and cell tables. Workers beyond what fits are not started (the numbers do
// not depend on them); a run whose single worker does not fit is refused.
struct Footprint {
  double shared = 0, per_worker = 0;
};

Footprint footprint(const Model& model, std::int64_t trials, const Keep& keep, std::size_t extra_width) {
  const double n = static_cast<double>(trials), d = sizeof(double);
  const double series = keep.breakdowns ? model.layout().n_series() : N_METRICS;
  const double breakdown = series - N_METRICS;
  const bool exact = series * n * d <= static_cast<double>(keep.memory_budget);
  Footprint f;
  f.shared = (N_METRICS + static_cast<double>(extra_width)) * n * d + (exact ? breakdown * n * d : 0.0);
  const Sampling sampling = model.design().sampling;
  if (!exact)
    f.shared += static_cast<double>(Tally::chunks_of(trials, sampling)) * breakdown * 5 * d;  // moments
  const auto chunk = static_cast<double>(Tally::chunk_size(trials, sampling));
  f.per_worker =
      (static_cast<double>(model.layout().n_series()) + static_cast<double>(extra_width)) * chunk * d +
      static_cast<double>(model.n_cells()) * 8 * d;  // rows, and the bundle's cell tables
  if (!exact) f.per_worker += breakdown * 1024;      // a sketch a series, a kilobyte or so each
  f.per_worker += n * d;                             // a sorted copy of one series, at the end
  f.per_worker += 8 << 20;                           // a thread's stack
  return f;
}

Tally make_tally(const Model& model, std::int64_t trials, int& threads, const Keep& keep,
                 std::size_t extra_width) {
  const std::size_t per_trial = N_METRICS + extra_width;
  const Footprint need = footprint(model, trials, keep, extra_width);
  const double usable = usable_memory();
  const auto too_large = [&] {
    return RuntimeError(fmt::format(
        "not enough memory for {} trials: the run needs about {:.1f} GB ({} numbers a trial kept whole{}{}), "
        "and this "
        "process may use {:.1f} GB; run fewer trials{}",
        trials, (need.shared + need.per_worker) / 1e9, per_trial,
        extra_width
            ? fmt::format(", as a comparison keeps total_cost in each of the {} periods", model.n_periods())
            : "",
        keep.breakdowns ? fmt::format(", and {} breakdown series", model.layout().n_series() - N_METRICS)
                        : "",
        usable / 1e9, keep.breakdowns ? ", or give the scenario fewer problems, stages and segments" : ""));
  };
  if (usable > 0) {
    if (need.shared + need.per_worker > usable) throw too_large();
    threads = static_cast<int>(
        std::clamp((usable - need.shared) / need.per_worker, 1.0, static_cast<double>(threads)));
  }
  try {
    // Without the breakdowns, only the rows' first N_METRICS values (the totals) are kept.
    return Tally(keep.breakdowns ? static_cast<std::size_t>(model.layout().n_series()) : N_METRICS, N_METRICS,
                 trials, threads, keep.memory_budget, extra_width,
                 static_cast<std::size_t>(model.layout().n_series()), model.design().sampling);
  } catch (const std::bad_alloc&) {
    throw too_large();
  }
}

// The costs are compacted in place (each row moves to a lower address), so that the largest array of a long
// horizon is never held twice; each trial's investment (TrialInvestment) goes to its own list.
void take_period_costs(Tally& tally, std::size_t n, std::size_t T, RunResult& result) {
  const std::size_t width = T + 3;
  result.period_costs = tally.take_extras();
  result.investment.resize(n);
  double* all = result.period_costs.data();
  for (std::size_t t = 0; t < n; ++t) {
    const double* inv = all + t * width + T;
    result.investment[t] = {inv[0], inv[1], inv[2]};
    if (t > 0) std::copy(all + t * width, all + t * width + T, all + t * T);  // row 0 stays
  }
  result.period_costs.resize(n * T);
}

}  // namespace

int resolve_threads(int threads) {
  CXRISK_REQUIRE(threads >= 0 && threads <= MAX_THREADS,
                 "--threads must be between 0 (every core) and " << MAX_THREADS << ", got " << threads);
  if (threads > 0) return threads;
  return static_cast<int>(
      std::clamp(std::thread::hardware_concurrency(), 1u, static_cast<unsigned>(MAX_THREADS)));
}

RunSettings::Resolved RunSettings::resolve(const Scenario& scenario) const {
  Resolved r;
  r.trials = trials.value_or(scenario.trials);
  CXRISK_REQUIRE(r.trials >= 1 && r.trials <= std::numeric_limits<std::uint32_t>::max(),
                 "the number of trials must be between 1 and 4294967295, got " << r.trials);
  r.seed = seed.value_or(scenario.seed);
  r.sampling = sampling.value_or(scenario.sampling);
  r.precision = precision.value_or(scenario.precision);
  r.max_trials = max_trials.value_or(scenario.max_trials);
  r.variance_reduction = variance_reduction.value_or(!r.precision.empty());
  CXRISK_REQUIRE(
      r.max_trials >= FIRST_ROUND && r.max_trials <= std::numeric_limits<std::uint32_t>::max(),
      "the maximum of trials must be between " << FIRST_ROUND << " and 4294967295, got " << r.max_trials);
  CXRISK_REQUIRE(r.sampling == Sampling::random || r.trials >= MIN_DESIGN_TRIALS,
                 to_string(r.sampling) << " sampling needs at least " << MIN_DESIGN_TRIALS << " trials ("
                                       << REPLICATES << " replicates of two), got " << r.trials);
  r.threads = resolve_threads(threads);
  return r;
}

const Communicator& RunSettings::processes() const {
  return communicator ? *communicator : serial_communicator();
}

namespace {

std::size_t chunk_size_of(const Tally& t) {
  return static_cast<std::size_t>(t.chunk_trials());
}

// E[every series | inputs of trials first .. first + count - 1] into rows (count x n_series), a batch at a
// time.
void expect_at_trials(ConditionalExpectation& e, std::int64_t first, std::int64_t count, double* rows,
                      std::size_t n_series) {
  constexpr int BATCH = ConditionalExpectation::BATCH;
  double* out[BATCH];
  for (std::int64_t k = 0; k < count; k += BATCH) {
    const int here = static_cast<int>(std::min<std::int64_t>(BATCH, count - k));
    for (int l = 0; l < here; ++l) out[l] = rows + static_cast<std::size_t>(k + l) * n_series;
    e.at_trials(static_cast<std::uint64_t>(first + k), here, out);
  }
}

// The two-level estimators (statistics.h, two_level_stats) in place of the plain ones: every series' mean
// and its interval, and for the totals, kept whole, their percentiles and cvar95 too.
void reduce_variance(Tally& trials, Tally& residual, Tally& points, int threads, bool designed,
                     const std::atomic<bool>* cancel, std::vector<Stats>& stats) {
  const std::vector<Stats> r = residual.means(threads, cancel), e = points.means(threads, cancel);
  const double t = designed ? t975(REPLICATES - 1) : 1.959963984540054;
  for (std::size_t s = 0; s < stats.size(); ++s) {
    stats[s].mean = e[s].mean + r[s].mean;
    stats[s].se = std::hypot(e[s].se, r[s].se);
    stats[s].mean_ci = {stats[s].mean - t * stats[s].se, stats[s].mean + t * stats[s].se};
  }
  const auto n = static_cast<std::size_t>(trials.trials()), m = static_cast<std::size_t>(points.trials());
  const std::span<const double> f_all = trials.exact_column(0), r_all = residual.exact_column(0),
                                g_all = points.exact_column(0);
  parallel_blocks(
      N_METRICS, threads,
      [&](std::int64_t metric, int) {
        const auto k = static_cast<std::size_t>(metric);
        const std::span<const double> f = f_all.subspan(k * n, n), res = r_all.subspan(k * n, n),
                                      gm = g_all.subspan(k * m, m);
        std::vector<double> g(n);
        for (std::size_t i = 0; i < n; ++i) g[i] = f[i] - res[i];
        stats[k] = two_level_stats(f, g, gm, designed);
      },
      cancel);
}

// A run of r.trials trials.
RunResult run_trials(const Scenario& scenario, const RunSettings& settings, const Keep& keep,
                     const RunSettings::Resolved& r) {
  if (settings.mode == Mode::individual)
    for (const Segment& seg : scenario.segments)
      CXRISK_REQUIRE(seg[Param::customers].largest_draw() < 4294967295.5,
                     "the individual mode follows at most 4294967295 customers a segment; segment '"
                         << seg.name << "' can have " << seg[Param::customers].largest_draw());
  // Workers beyond this process's chunks of trials would have nothing to do but hold scratch space.
  const Communicator& comm = settings.processes();
  const std::int64_t chunks = Tally::chunks_of(r.trials, r.sampling);
  const std::int64_t my_chunk_count = (chunks - comm.rank() + comm.size() - 1) / comm.size();
  int threads = static_cast<int>(std::clamp<std::int64_t>(my_chunk_count, 1, r.threads));

  const Model model(scenario, r.seed, Model::Use::trials, r.design());
  const auto n_series = static_cast<std::size_t>(model.layout().n_series());
  const auto n = static_cast<std::size_t>(r.trials);
  const auto T = static_cast<std::size_t>(model.n_periods());
  // Every chunk of trials writes its own place (its columns, its moments), whichever thread or process runs
  // it. With comparisons, each trial also keeps total_cost by period (T values) and its investment (3
  // values).
  const std::size_t extra_width = keep.period_costs ? T + 3 : 0;
  Tally tally = make_tally(model, r.trials, threads, keep, extra_width);
  std::vector<std::int64_t> my_chunks;  // interleaved over the processes, for balance
  for (std::int64_t c = comm.rank(); c < tally.n_chunks(); c += comm.size()) my_chunks.push_back(c);

  std::vector<TrialRunner> runners;
  for (int w = 0; w < threads; ++w) runners.emplace_back(model, settings.mode, settings.cancel);
  // Variance reduction: E[every series | a trial's inputs] beside every trial (its residual kept), and at
  // VR_POINTS times as many further input points (a model under a seed of their own, on the same design).
  const bool reduce = r.variance_reduction;
  const std::int64_t points = reduce ? VR_POINTS * r.trials : 0;
  std::optional<Tally> residual, at_points;
  std::vector<ConditionalExpectation> expectations;
  std::vector<std::vector<double>> expected_rows;
  std::optional<Model> points_model;
  if (reduce) {
    const std::size_t kept = keep.breakdowns ? n_series : N_METRICS;
    residual.emplace(kept, N_METRICS, r.trials, threads, keep.memory_budget, 0, n_series, r.sampling);
    at_points.emplace(kept, N_METRICS, points, threads, keep.memory_budget, 0, n_series, r.sampling);
    points_model.emplace(scenario, key_combine(r.seed, "expectation points"), Model::Use::trials,
                         InputDesign{r.sampling, points});
    for (int w = 0; w < threads; ++w) expectations.emplace_back(model);
    expected_rows.assign(static_cast<std::size_t>(threads),
                         std::vector<double>(n_series * chunk_size_of(tally)));
  }
  const auto chunk = static_cast<std::size_t>(tally.chunk_trials());
  std::vector<std::vector<double>> rows(static_cast<std::size_t>(threads),
                                        std::vector<double>(n_series * chunk));
  std::vector<std::vector<double>> extras(static_cast<std::size_t>(threads),
                                          std::vector<double>(extra_width * chunk));
  std::vector<std::uint64_t> chunk_first(static_cast<std::size_t>(threads));
  if (extra_width)
    for (std::size_t w = 0; w < runners.size(); ++w)
      runners[w].on_trial(
          [&, w](std::uint64_t trial, const TrialDraw& d) {  // after each trial: its investment
            double* inv = extras[w].data() + (trial - chunk_first[w]) * extra_width + T;
            inv[0] = d.investment_upfront;
            inv[1] = d.investment_per_period;
            inv[2] = d.period_discount;
          });
  std::atomic<std::int64_t> done{0};
  parallel_blocks(
      static_cast<std::int64_t>(my_chunks.size()), threads,
      [&](std::int64_t i, int worker) {
        const auto w = static_cast<std::size_t>(worker);
        const std::int64_t c = my_chunks[static_cast<std::size_t>(i)];
        const std::int64_t first = c * tally.chunk_trials(),
                           last = std::min(r.trials, first + tally.chunk_trials());
        chunk_first[w] = static_cast<std::uint64_t>(first);
        double* extra = extra_width ? extras[w].data() : nullptr;
        runners[w].run(static_cast<std::uint64_t>(first), static_cast<int>(last - first), rows[w].data(),
                       extra, extra_width);
        tally.record(worker, first, last - first, rows[w].data(), extra);
        if (reduce) {
          // Each trial's f - E[f | its inputs], in every series.
          double* f = rows[w].data();
          double* g = expected_rows[w].data();
          expect_at_trials(expectations[w], first, last - first, g, n_series);
          for (std::size_t k = 0; k < static_cast<std::size_t>(last - first) * n_series; ++k)
            g[k] = f[k] - g[k];
          residual->record(worker, first, last - first, g);
        }
        const std::int64_t now = done += last - first;
        if (settings.progress) settings.progress(now * comm.size(), r.trials);
      },
      settings.cancel);

  std::vector<std::int64_t> my_point_chunks;
  if (reduce) {
    // The further points, chunk by chunk like the trials.
    for (std::int64_t c = comm.rank(); c < at_points->n_chunks(); c += comm.size())
      my_point_chunks.push_back(c);
    std::vector<ConditionalExpectation> at;
    for (int w = 0; w < threads; ++w) at.emplace_back(*points_model);
    std::vector<std::vector<double>> point_rows(static_cast<std::size_t>(threads),
                                                std::vector<double>(n_series * chunk_size_of(*at_points)));
    parallel_blocks(
        static_cast<std::int64_t>(my_point_chunks.size()), threads,
        [&](std::int64_t i, int worker) {
          const auto w = static_cast<std::size_t>(worker);
          const std::int64_t first = my_point_chunks[static_cast<std::size_t>(i)] * at_points->chunk_trials(),
                             last = std::min(points, first + at_points->chunk_trials());
          expect_at_trials(at[w], first, last - first, point_rows[w].data(), n_series);
          at_points->record(worker, first, last - first, point_rows[w].data());
        },
        settings.cancel);
  }

  RunResult result;
  result.summary = make_summary(scenario, model, r.trials, settings.mode);
  if (comm.size() > 1) {
    // Process 0 collects every other process's chunks; the others are done.
    const std::vector<std::string> parts = comm.gather(tally.export_part(my_chunks));
    std::vector<std::string> residual_parts, point_parts;
    if (reduce) {
      residual_parts = comm.gather(residual->export_part(my_chunks));
      point_parts = comm.gather(at_points->export_part(my_point_chunks));
    }
    if (!comm.is_root()) {
      result.summary.trials = 0;
      return result;
    }
    for (std::size_t p = 1; p < parts.size(); ++p) tally.import_part(parts[p]);
    for (std::size_t p = 1; p < residual_parts.size(); ++p) residual->import_part(residual_parts[p]);
    for (std::size_t p = 1; p < point_parts.size(); ++p) at_points->import_part(point_parts[p]);
  }
  result.summary.breakdown_exact = tally.exact();
  result.summary.breakdowns = keep.breakdowns;
  result.summary.stats =
      tally.finalize(threads, settings.cancel);  // sorting millions of values takes a while
  if (reduce) {
    reduce_variance(tally, *residual, *at_points, threads, r.sampling != Sampling::random, settings.cancel,
                    result.summary.stats);
    result.summary.variance_reduction_points = points;
  }
  require_finite(scenario, result.summary);
  result.samples =
      tally.take_exact_columns(static_cast<std::size_t>(N_METRICS) * n);  // the totals come first
  if (extra_width) take_period_costs(tally, n, T, result);
  if (keep.breakdowns) {
    // A run's charts (a comparison or a sweep keeps its totals for its differences only).
    result.summary.distributions.resize(N_METRICS);
    parallel_blocks(
        N_METRICS, threads,
        [&](std::int64_t m, int) {
          result.summary.distributions[static_cast<std::size_t>(m)] =
              distribution_of(result.metric_samples(static_cast<int>(m)));
        },
        settings.cancel);
  }
  return result;
}

}  // namespace

RunResult run(const Scenario& scenario, const RunSettings& settings, const Keep& keep) {
  const RunSettings::Resolved r = settings.resolve(scenario);
  if (r.precision.empty()) return run_trials(scenario, settings, keep, r);
  PrecisionReport report{r.precision, r.max_trials, {}};
  RunResult result = grow_to_precision(r, settings.processes(), report, [&](std::int64_t trials) {
    RunSettings::Resolved round = r;
    round.trials = trials;
    RunResult x = run_trials(scenario, settings, keep, round);
    std::vector<TargetStatus> status;
    if (settings.processes().is_root())
      for (const PrecisionTarget& t : r.precision)
        status.push_back(status_of(t, x.summary.total(parse_metric(t.metric))));
    return std::pair{std::move(x), std::move(status)};
  });
  if (settings.processes().is_root()) result.summary.precision = std::move(report);
  return result;
}

Summary expect(const Scenario& scenario) {
  const Model model(scenario, scenario.seed, Model::Use::means);
  TrialDraw draw;
  model.draw_means(draw);
  std::vector<double> cells(static_cast<std::size_t>(model.n_cells())),
      row(static_cast<std::size_t>(model.layout().n_series()));
  expected_cells(model, draw, cells.data(), nullptr);
  model.marginalize(cells.data(), row.data());
  Summary s = make_summary(scenario, model, 0, Mode::aggregate);
  s.closed_form = true;
  for (std::size_t i = 0; i < row.size(); ++i) s.stats[i].mean = row[i];
  require_finite(scenario, s);
  return s;
}

std::vector<double> run_trial(const Model& model, Mode mode, std::uint64_t trial) {
  std::vector<double> row(static_cast<std::size_t>(model.layout().n_series()));
  TrialRunner(model, mode).run(trial, 1, row.data());
  return row;
}

TrialDetails::TrialDetails(const Scenario& scenario, const Summary& summary, Mode mode, bool breakdown)
    : model_(scenario, summary.seed, Model::Use::trials, InputDesign{summary.sampling, summary.trials}),
      mode_(mode),
      breakdown_(breakdown) {
  for (const Model::Input& input : model_.inputs()) columns_.push_back(input.ref.path_text());
  if (!breakdown) return;
  const Layout& L = model_.layout();
  for (Dimension d : DIMENSIONS)
    for (const std::string& name : L.names(d))
      for (auto metric : METRIC_NAMES)
        columns_.push_back(fmt::format("{}.{}.{}", to_string(d), name, metric));
}

void TrialDetails::rows(std::uint64_t first, int count, double* out, const std::atomic<bool>* cancel) const {
  const std::size_t width = columns_.size(), n_inputs = model_.inputs().size();
  const auto n_series = static_cast<std::size_t>(model_.layout().n_series());
  std::vector<double> series(static_cast<std::size_t>(count) * n_series);
  TrialRunner runner(model_, mode_, cancel);
  runner.on_trial([&](std::uint64_t trial, const TrialDraw& draw) {
    double* row = out + (trial - first) * width;
    for (std::size_t i = 0; i < n_inputs; ++i) row[i] = input_value(model_, model_.inputs()[i], draw);
  });
  runner.run(first, count, series.data());
  if (!breakdown_) return;
  // The breakdown entries follow the total (entry 0) in the series of a trial's row.
  for (int t = 0; t < count; ++t)
    std::copy(
        series.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(t) * n_series + N_METRICS),
        series.begin() + static_cast<std::ptrdiff_t>((static_cast<std::size_t>(t) + 1) * n_series),
        out + static_cast<std::size_t>(t) * width + n_inputs);
}

}  // namespace cxrisk
