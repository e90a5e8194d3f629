#include "cxrisk/simulate.h"

#include <algorithm>
#include <limits>
#include <thread>

#include "kernel.h"
#include "parallel.h"

namespace cxrisk {

namespace {

// Trials are handed to workers in blocks of this many; the block, not the thread, decides where results go.
constexpr std::int64_t BLOCK_TRIALS = 64;

Summary make_summary(const Scenario& scenario, const Model& model, std::int64_t trials, std::string mode) {
  Summary s;
  s.scenario = scenario.name;
  s.currency = scenario.currency;
  s.trials = trials;
  s.seed = model.seed();
  s.mode = std::move(mode);
  s.layout = model.layout();
  s.stats.resize(static_cast<std::size_t>(s.layout.n_series()));
  return s;
}

}  // namespace

int resolve_threads(int threads) {
  CXRISK_REQUIRE(threads >= 0, "--threads must be >= 0, got " << threads);
  if (threads > 0) return threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

RunResult run(const Scenario& scenario, const RunOptions& options) {
  const std::int64_t trials = options.trials.value_or(scenario.simulation.trials);
  CXRISK_REQUIRE(trials >= 1 && trials <= std::numeric_limits<std::uint32_t>::max(),
                 "the number of trials must be between 1 and 4294967295, got " << trials);
  const std::uint64_t seed = options.seed.value_or(scenario.simulation.seed);
  if (options.mode == Mode::individual)
    for (const Segment& seg : scenario.segments)
      CXRISK_REQUIRE(seg.customers.largest_draw() < 4294967295.5,
                     "the individual mode follows at most 4294967295 customers a segment; segment '"
                         << seg.name << "' can have " << seg.customers.largest_draw());
  const int threads = resolve_threads(options.threads);

  const Model model(scenario, seed);
  const auto n_series = static_cast<std::size_t>(model.layout().n_series());
  const auto n = static_cast<std::size_t>(trials);
  const auto T = static_cast<std::size_t>(model.n_periods());

  // Per-trial values, one column a series: every trial writes its own place, whichever thread runs it.
  std::vector<double> columns(n_series * n);
  std::vector<double> period_costs(options.keep_period_costs ? n * T : 0);

  const std::int64_t n_blocks = (trials + BLOCK_TRIALS - 1) / BLOCK_TRIALS;
  std::vector<TrialRunner> runners;
  for (int w = 0; w < threads; ++w) runners.emplace_back(model, options.mode);
  std::vector<std::vector<double>> rows(threads, std::vector<double>(n_series * BLOCK_TRIALS));
  std::atomic<std::int64_t> done{0};
  parallel_blocks(
      n_blocks, threads,
      [&](std::int64_t block, int worker) {
        const std::int64_t first = block * BLOCK_TRIALS, last = std::min(trials, first + BLOCK_TRIALS);
        double* row = rows[worker].data();
        for (std::int64_t t = first; t < last; ++t) {
          double* pc =
              options.keep_period_costs ? period_costs.data() + static_cast<std::size_t>(t) * T : nullptr;
          runners[worker].run(static_cast<std::uint64_t>(t),
                              row + static_cast<std::size_t>(t - first) * n_series, pc);
        }
        for (std::size_t s = 0; s < n_series; ++s)
          for (std::int64_t t = first; t < last; ++t)
            columns[s * n + static_cast<std::size_t>(t)] =
                row[static_cast<std::size_t>(t - first) * n_series + s];
        const std::int64_t now = done += last - first;
        if (options.progress) options.progress(now, trials);
      },
      options.cancel);

  RunResult result;
  result.summary = make_summary(scenario, model, trials, std::string(to_string(options.mode)));
  auto& stats = result.summary.stats;
  parallel_blocks(
      static_cast<std::int64_t>(n_series), threads,
      [&](std::int64_t s, int) {
        stats[s] = compute_stats({columns.data() + static_cast<std::size_t>(s) * n, n});
      },
      options.cancel);
  columns.resize(static_cast<std::size_t>(N_METRICS) * n);  // the total metrics come first
  columns.shrink_to_fit();
  result.samples = std::move(columns);
  result.period_costs = std::move(period_costs);
  return result;
}

Summary expect(const Scenario& scenario) {
  const Model model(scenario, scenario.simulation.seed);
  TrialDraw draw;
  model.draw_means(draw);
  std::vector<double> cells(static_cast<std::size_t>(model.n_cells())), row(model.layout().n_series());
  expected_cells(model, draw, cells.data(), nullptr);
  model.marginalize(cells.data(), row.data());
  Summary s = make_summary(scenario, model, 0, "expect");
  for (std::size_t i = 0; i < row.size(); ++i) s.stats[i].mean = row[i];
  return s;
}

std::vector<double> run_trial(const Model& model, Mode mode, std::uint64_t trial) {
  std::vector<double> row(static_cast<std::size_t>(model.layout().n_series()));
  TrialRunner(model, mode).run(trial, row.data(), nullptr);
  return row;
}

}  // namespace cxrisk
