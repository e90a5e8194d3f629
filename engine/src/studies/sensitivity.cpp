// Sensitivity analysis on the chain in expectation. The variance of a metric is the variance of its
// conditional expectation given the inputs plus the chain's own counting noise; the indices share the first
// part among the inputs, evaluated in closed form at the points of a Saltelli design (no draws), and the
// second is reported beside them, estimated from full trials.
//
// The design's rows are keyed like trials of a model under a seed of their own (row j of A is that model's
// trial 2j, row j of B its trial 2j + 1), so a design of 2N rows extends one of N, and every number is the
// same at any thread or process count.
#include "cxrisk/sensitivity.h"

#include <fmt/format.h>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>

#include "cxrisk/error.h"
#include "cxrisk/expectation.h"
#include "cxrisk/random.h"
#include "studies/groups.h"
#include "studies/inputs.h"
#include "studies/parallel.h"

namespace cxrisk {

SobolIndex sobol_indices(std::span<const double> f_a, std::span<const double> f_b,
                         std::span<const double> f_ab, int bootstrap, std::uint64_t seed) {
  const std::size_t n = f_a.size();
  // The indices of the rows `rows` (n entries, each a row of the design).
  const auto estimate = [&](const auto& row) {
    double sum = 0, first = 0, total = 0;
    for (std::size_t j = 0; j < n; ++j) sum += f_a[row(j)] + f_b[row(j)];
    const double mean = sum / static_cast<double>(2 * n);
    double variance = 0;
    for (std::size_t j = 0; j < n; ++j) {
      const std::size_t r = row(j);
      variance += (f_a[r] - mean) * (f_a[r] - mean) + (f_b[r] - mean) * (f_b[r] - mean);
      first += (f_b[r] - mean) * (f_ab[r] - f_a[r]);
      total += (f_a[r] - f_ab[r]) * (f_a[r] - f_ab[r]);
    }
    variance /= static_cast<double>(2 * n);
    if (!(variance > 0)) return std::pair{0.0, 0.0};
    return std::pair{first / static_cast<double>(n) / variance,
                     total / (2.0 * static_cast<double>(n)) / variance};
  };
  SobolIndex out;
  if (n == 0) return out;
  std::tie(out.first, out.total) = estimate([](std::size_t j) { return j; });
  std::vector<double> firsts(static_cast<std::size_t>(bootstrap)), totals(firsts.size());
  std::vector<std::size_t> pick(n);
  for (int b = 0; b < bootstrap; ++b) {
    Stream stream(seed, static_cast<std::uint64_t>(b), 0);
    for (std::size_t& p : pick) p = static_cast<std::size_t>(stream.uniform() * static_cast<double>(n));
    std::tie(firsts[static_cast<std::size_t>(b)], totals[static_cast<std::size_t>(b)]) =
        estimate([&](std::size_t j) { return pick[j]; });
  }
  std::sort(firsts.begin(), firsts.end());
  std::sort(totals.begin(), totals.end());
  if (bootstrap > 0) {
    out.first_ci = {sorted_quantile(firsts, 0.025), sorted_quantile(firsts, 0.975)};
    out.total_ci = {sorted_quantile(totals, 0.025), sorted_quantile(totals, 0.975)};
  }
  return out;
}

double spearman(std::span<const double> x, std::span<const double> y) {
  const std::vector<double> rx = average_ranks(x), ry = average_ranks(y);
  const double n = static_cast<double>(rx.size()), mean = (n + 1) / 2;
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < rx.size(); ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
    syy += (ry[i] - mean) * (ry[i] - mean);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
}

namespace {

// A column of the design: the inputs whose uniforms come from B (one input, or a group of them).
using Column = InputGroup;

std::vector<Column> groups_of(const Model& model) {
  std::vector<GroupedInput> inputs;
  for (const Model::Input& input : model.inputs()) inputs.push_back({&input.ref, &model.scenario()});
  return input_groups(inputs);
}

// The design's evaluations of the metrics: [column][metric][row], column 0 A, 1 B, 2 + c A with column c's
// inputs from B.
class DesignEvaluations {
 public:
  DesignEvaluations(const Model& model, const std::vector<Column>& columns, const std::vector<int>& metrics)
      : model_(model),
        columns_(columns),
        metrics_(metrics),
        values_(columns.size() + 2, std::vector<std::vector<double>>(metrics.size())) {}

  // Evaluates rows [rows(), n) on `threads` workers.
  void grow(std::int64_t n, int threads, const std::atomic<bool>* cancel) {
    const std::int64_t from = rows_;
    for (auto& column : values_)
      for (auto& metric : column) metric.resize(static_cast<std::size_t>(n));
    constexpr std::int64_t BLOCK = 32;
    std::vector<ConditionalExpectation> workers;
    for (int w = 0; w < threads; ++w) workers.emplace_back(model_);
    parallel_blocks((n - from + BLOCK - 1) / BLOCK, threads,
                    [&](std::int64_t block, int worker) {
                      for (std::int64_t j = from + block * BLOCK; j < std::min(n, from + (block + 1) * BLOCK);
                           ++j)
                        evaluate_row(workers[static_cast<std::size_t>(worker)], j);
                    },
                    cancel);
    rows_ = n;
  }
  std::int64_t rows() const { return rows_; }
  std::span<const double> at(std::size_t column, std::size_t metric) const { return values_[column][metric]; }

 private:
  // Row j's points: A, B, and A with each column's inputs from B, evaluated a batch at a time.
  void evaluate_row(ConditionalExpectation& e, std::int64_t j) {
    constexpr int BATCH = ConditionalExpectation::BATCH;
    const auto n_series = static_cast<std::size_t>(model_.layout().n_series());
    // A, B and their mixes in the space of independent uniforms, then correlated: a column's inputs come
    // from B without breaking the joint law (a correlated group is always mixed whole).
    std::vector<double> a, b;
    model_.independent_uniforms(static_cast<std::uint64_t>(2 * j), a);
    model_.independent_uniforms(static_cast<std::uint64_t>(2 * j + 1), b);
    std::vector<double> a_correlated = a, b_correlated = b;
    model_.correlate(a_correlated);
    model_.correlate(b_correlated);
    std::vector<std::vector<double>> mixed(BATCH);
    std::vector<double> rows(n_series * BATCH);
    std::span<const double> points[BATCH];
    double* out[BATCH];
    for (int l = 0; l < BATCH; ++l) out[l] = rows.data() + static_cast<std::size_t>(l) * n_series;
    const std::size_t n_points = columns_.size() + 2;
    for (std::size_t first = 0; first < n_points; first += BATCH) {
      const int count = static_cast<int>(std::min<std::size_t>(BATCH, n_points - first));
      for (int l = 0; l < count; ++l) {
        const std::size_t point = first + static_cast<std::size_t>(l);
        if (point < 2) {
          points[l] =
              point == 0 ? std::span<const double>(a_correlated) : std::span<const double>(b_correlated);
          continue;
        }
        std::vector<double>& m = mixed[static_cast<std::size_t>(l)];
        m = a;
        for (std::size_t i : columns_[point - 2].members) {
          const Model::Input& input = model_.inputs()[i];
          std::copy_n(b.begin() + static_cast<std::ptrdiff_t>(input.first_uniform), input.uniforms,
                      m.begin() + static_cast<std::ptrdiff_t>(input.first_uniform));
        }
        model_.correlate(m);
        points[l] = m;
      }
      e.at(count, points, out);
      for (int l = 0; l < count; ++l)
        for (std::size_t m = 0; m < metrics_.size(); ++m)
          values_[first + static_cast<std::size_t>(l)][m][static_cast<std::size_t>(j)] =
              out[l][static_cast<std::size_t>(metrics_[m])];
    }
  }

  const Model& model_;
  const std::vector<Column>& columns_;
  const std::vector<int>& metrics_;
  std::vector<std::vector<std::vector<double>>> values_;
  std::int64_t rows_ = 0;
};

// The tornado of every input: the metrics with the input at its P10 and P90, every other at its median (a
// Dirichlet: its first share's uniform at p, the others' at 1 - p). Also each input's P10 and P90.
void tornado(const Model& model, const std::vector<int>& metrics, Sensitivity& out) {
  ConditionalExpectation e(model);
  std::vector<double> u(model.n_uniforms(), 0.5), row(static_cast<std::size_t>(model.layout().n_series()));
  e.at(u, row.data());
  for (std::size_t m = 0; m < metrics.size(); ++m)
    out.metrics[m].tornado_base = row[static_cast<std::size_t>(metrics[m])];
  for (std::size_t i = 0; i < model.inputs().size(); ++i) {
    const Model::Input& input = model.inputs()[i];
    for (double p : {0.1, 0.9}) {
      std::fill(u.begin(), u.end(), 0.5);
      for (std::size_t k = 0; k < input.uniforms; ++k) u[input.first_uniform + k] = k == 0 ? p : 1 - p;
      e.at(u, row.data());
      const double value = input_value(model, input, e.draw());
      for (std::size_t m = 0; m < metrics.size(); ++m) {
        InputSensitivity& s = out.metrics[m].inputs[i];
        (p < 0.5 ? s.at_p10 : s.at_p90) = row[static_cast<std::size_t>(metrics[m])];
        (p < 0.5 ? s.p10 : s.p90) = value;
      }
    }
  }
  for (MetricSensitivity& m : out.metrics)
    for (InputSensitivity& s : m.inputs) s.swing = s.at_p90 - s.at_p10;
}

// From full trials: each input's rank correlation with each metric, the metrics' variances, and the
// unexplained share, mean((metric - E[metric | the trial's inputs])^2) / Var(metric).
void full_trials(const Scenario& scenario, const RunSettings& settings, const std::vector<int>& metrics,
                 std::int64_t trials, Sensitivity& out) {
  const RunResult result = run(scenario, settings, Keep{.breakdowns = false});
  if (!settings.processes().is_root()) return;
  const Model model(scenario, out.seed, Model::Use::trials, settings.resolve(scenario).design());
  const auto n = static_cast<std::size_t>(trials);
  const std::size_t k = model.inputs().size();
  std::vector<std::vector<double>> values(k, std::vector<double>(n)),
      expected(metrics.size(), std::vector<double>(n));
  const int threads = settings.resolve(scenario).threads;
  std::vector<ConditionalExpectation> workers;
  for (int w = 0; w < threads; ++w) workers.emplace_back(model);
  constexpr std::int64_t BLOCK = 256;
  parallel_blocks((trials + BLOCK - 1) / BLOCK, threads,
                  [&](std::int64_t block, int worker) {
                    ConditionalExpectation& e = workers[static_cast<std::size_t>(worker)];
                    constexpr int BATCH = ConditionalExpectation::BATCH;
                    const auto n_series = static_cast<std::size_t>(model.layout().n_series());
                    std::vector<double> rows(n_series * BATCH);
                    double* rows_of[BATCH];
                    for (int l = 0; l < BATCH; ++l)
                      rows_of[l] = rows.data() + static_cast<std::size_t>(l) * n_series;
                    const std::int64_t end = std::min(trials, (block + 1) * BLOCK);
                    for (std::int64_t first = block * BLOCK; first < end; first += BATCH) {
                      const int count = static_cast<int>(std::min<std::int64_t>(BATCH, end - first));
                      e.at_trials(static_cast<std::uint64_t>(first), count, rows_of);
                      for (int l = 0; l < count; ++l) {
                        const auto t = static_cast<std::size_t>(first + l);
                        for (std::size_t i = 0; i < k; ++i)
                          values[i][t] = input_value(model, model.inputs()[i], e.draw(l));
                        for (std::size_t m = 0; m < metrics.size(); ++m)
                          expected[m][t] = rows_of[l][static_cast<std::size_t>(metrics[m])];
                      }
                    }
                  },
                  settings.cancel);
  for (std::size_t m = 0; m < metrics.size(); ++m) {
    const std::span<const double> samples = result.metric_samples(metrics[m]);
    MetricSensitivity& ms = out.metrics[m];
    const Stats stats = compute_stats(samples);
    ms.variance = stats.sd * stats.sd;
    double noise = 0;
    for (std::size_t t = 0; t < n; ++t)
      noise += (samples[t] - expected[m][t]) * (samples[t] - expected[m][t]);
    ms.unexplained_share = ms.variance > 0 ? noise / static_cast<double>(n) / ms.variance : 0.0;
    for (std::size_t i = 0; i < k; ++i) ms.inputs[i].spearman = spearman(values[i], samples);
  }
}

// The indices from the design, growing it while the ten largest total indices' intervals are too wide.
constexpr std::int64_t MAX_DESIGN_ROWS = 16384;
void indices(const Model& design, const std::vector<int>& metrics, const SensitivityOptions& options,
             int threads, const std::atomic<bool>* cancel, Sensitivity& out) {
  // A column for each input correlated with no other, then the groups, then each correlated group. A
  // correlated group is indivisible: a group of inputs that holds one of its members takes all of them.
  const std::size_t k = design.inputs().size();
  std::vector<int> copula_of(k, -1);
  for (std::size_t g = 0; g < design.copulas().size(); ++g)
    for (std::size_t i : design.copulas()[g].members) copula_of[i] = static_cast<int>(g);
  std::vector<Column> columns;
  std::vector<std::size_t> input_of;  // the input of each of the first columns
  for (std::size_t i = 0; i < k; ++i)
    if (copula_of[i] < 0) {
      columns.push_back({"", "", {i}});
      input_of.push_back(i);
    }
  std::vector<std::string> correlated_names;
  for (const Model::Copula& c : design.copulas()) {
    // Named by its first input: "A and B", or "A and 4 more".
    const std::string first = design.inputs()[c.members[0]].ref.path_text();
    correlated_names.push_back(c.members.size() == 2
                                   ? first + " and " + design.inputs()[c.members[1]].ref.path_text()
                                   : fmt::format("{} and {} more", first, c.members.size() - 1));
  }
  for (Column group : groups_of(design)) {
    for (std::size_t i : std::vector<std::size_t>(group.members))
      if (copula_of[i] >= 0)
        for (std::size_t m : design.copulas()[static_cast<std::size_t>(copula_of[i])].members)
          if (std::find(group.members.begin(), group.members.end(), m) == group.members.end())
            group.members.push_back(m);
    columns.push_back(std::move(group));
  }
  for (std::size_t g = 0; g < design.copulas().size(); ++g)
    columns.push_back({"correlated", correlated_names[g], design.copulas()[g].members});
  DesignEvaluations evaluations(design, columns, metrics);
  const std::uint64_t key = key_combine(out.seed, "bootstrap");
  for (std::int64_t n = options.design_rows > 0 ? options.design_rows : 1024;;) {
    evaluations.grow(n, threads, cancel);
    double widest = 0;
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      MetricSensitivity& ms = out.metrics[m];
      ms.groups.clear();
      for (std::size_t c = 0; c < columns.size(); ++c) {
        const SobolIndex index =
            sobol_indices(evaluations.at(0, m), evaluations.at(1, m), evaluations.at(c + 2, m),
                          options.bootstrap, key_combine(key, c * metrics.size() + m));
        if (c < input_of.size()) {
          ms.inputs[input_of[c]].sobol = index;
          continue;
        }
        ms.groups.push_back({columns[c].dimension, columns[c].name, index});
        if (columns[c].dimension == "correlated")
          for (std::size_t i : columns[c].members) {
            // A correlated input has no indices of its own: it carries its group's, marked.
            ms.inputs[i].sobol = index;
            ms.inputs[i].sobol.applicable = false;
            ms.inputs[i].correlated_group = columns[c].name;
          }
      }
      const Stats f = compute_stats(evaluations.at(0, m));
      ms.expectation_variance = f.sd * f.sd;
      std::vector<const InputSensitivity*> top;
      for (const InputSensitivity& s : ms.inputs)
        if (s.sobol.applicable) top.push_back(&s);
      std::sort(top.begin(), top.end(), [](auto* a, auto* b) { return a->sobol.total > b->sobol.total; });
      for (std::size_t i = 0; i < std::min<std::size_t>(10, top.size()); ++i)
        widest = std::max(widest, top[i]->sobol.total_ci[1] - top[i]->sobol.total_ci[0]);
    }
    out.design_rows = n;
    if (options.design_rows > 0 || widest <= options.interval_width || n >= MAX_DESIGN_ROWS) break;
    // An interval's width falls as 1 / sqrt(rows): the rows that should bring the widest within the target,
    // with a tenth to spare, in steps of 256 rows, and at least 256 more.
    const double need =
        static_cast<double>(n) * (widest / options.interval_width) * (widest / options.interval_width) * 1.1;
    n = std::min<std::int64_t>(
        MAX_DESIGN_ROWS,
        std::max<std::int64_t>(n + 256, static_cast<std::int64_t>(std::ceil(need / 256)) * 256));
  }
}

}  // namespace

Sensitivity sensitivity(const Scenario& scenario, const RunSettings& settings,
                        const SensitivityOptions& options) {
  const RunSettings::Resolved r = settings.resolve(scenario);
  CXRISK_REQUIRE(
      !uncertain_inputs(scenario).empty(),
      "the scenario has no uncertain input: every number is fixed, so nothing to attribute its risk to");
  CXRISK_REQUIRE(!options.metrics.empty(), "sensitivity needs at least one metric");
  CXRISK_REQUIRE(options.design_rows >= 0 && options.design_rows <= (std::int64_t{1} << 24),
                 "the design takes 0 (chosen) to 16,777,216 rows, got " << options.design_rows);
  Sensitivity out;
  out.scenario = scenario.name;
  out.trials = r.trials;
  out.seed = r.seed;
  out.bootstrap = options.bootstrap;
  const Model model(scenario, r.seed);
  for (int metric : options.metrics) {
    MetricSensitivity m;
    m.metric = metric;
    for (const Model::Input& input : model.inputs()) {
      InputSensitivity s;
      s.path = input.ref.path_text();
      s.distribution = input.ref.describe();
      s.group = input.ref.spec->group;
      m.inputs.push_back(std::move(s));
    }
    out.metrics.push_back(std::move(m));
  }
  RunSettings each = settings;
  each.progress = nullptr;
  full_trials(scenario, each, options.metrics, r.trials, out);
  if (!settings.processes().is_root()) return {};
  tornado(model, options.metrics, out);
  // The design's rows are trials of a model under a seed of their own.
  const Model design(scenario, key_combine(r.seed, "design"));
  indices(design, options.metrics, options, r.threads, settings.cancel, out);
  for (MetricSensitivity& m : out.metrics) {
    std::stable_sort(m.inputs.begin(), m.inputs.end(),
                     [](const auto& a, const auto& b) { return a.sobol.total > b.sobol.total; });
    std::stable_sort(m.groups.begin(), m.groups.end(), [](const auto& a, const auto& b) {
      return a.dimension != b.dimension ? a.dimension < b.dimension : a.sobol.total > b.sobol.total;
    });
  }
  return out;
}

}  // namespace cxrisk
