// The inputs' joint law: rank correlations through the Gaussian copula, the repair of an invalid matrix,
// Latin hypercube and scrambled Sobol designs, and the standard errors a designed run reports.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <numeric>

#include "cxrisk/correlations.h"
#include "cxrisk/design.h"
#include "cxrisk/model.h"
#include "cxrisk/output.h"
#include "cxrisk/random.h"
#include "helpers.h"

using namespace cxrisk;

namespace {

// Four uncertain inputs of different families: a beta incidence, a normal value, a PERT complaint rate and a
// lognormal number of customers.
std::string four_inputs(const std::string& extra) {
  return R"(
cxrisk: 1
name: Four inputs
horizon: {periods: 2, period: month}
segments:
  - name: consumer
    customers: {dist: lognormal, median: 10000, sigma: 0.3}
    value: {mean: {dist: normal, mean: 50, sd: 5, min: 0}, cv: 0.5}
problems:
  - name: late
    incidence: {dist: beta, mean: 0.05, sd: 0.01}
    complaint_rate: {dist: pert, min: 0.2, mode: 0.3, max: 0.7}
    handling:
      - {tier: front_line, resolution: {resolved: 0.5, mollified: 0.3, unresolved: 0.2}, cost: 5}
    loyalty: {no_problem: 0.9, silent: 0.4, quick: 0.9, resolved: 0.7, mollified: 0.5, unresolved: 0.3}
)" + extra;
}

// Ranks 0 .. n-1 of values without ties.
std::vector<double> ranks(const std::vector<double>& x) {
  std::vector<std::size_t> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  std::vector<double> r(x.size());
  for (std::size_t i = 0; i < order.size(); ++i) r[order[i]] = static_cast<double>(i);
  return r;
}

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  const std::vector<double> a = ranks(x), b = ranks(y);
  const double n = static_cast<double>(x.size()), mean = (n - 1) / 2;
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sxy += (a[i] - mean) * (b[i] - mean);
    sxx += (a[i] - mean) * (a[i] - mean);
  }
  return sxy / sxx;
}

// The two-sample Kolmogorov-Smirnov statistic.
double ks_statistic(std::vector<double> a, std::vector<double> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  double d = 0;
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] <= x) ++i;
    while (j < b.size() && b[j] <= x) ++j;
    d = std::max(d, std::abs(static_cast<double>(i) / static_cast<double>(a.size()) -
                             static_cast<double>(j) / static_cast<double>(b.size())));
  }
  return d;
}

// Every trial's value of the named inputs.
std::vector<std::vector<double>> draws(const Model& model, const std::vector<std::pair<Param, Place>>& inputs,
                                       std::int64_t trials) {
  std::vector<std::vector<double>> out(inputs.size(), std::vector<double>(static_cast<std::size_t>(trials)));
  TrialDraw d;
  for (std::int64_t t = 0; t < trials; ++t) {
    model.draw(static_cast<std::uint64_t>(t), d);
    for (std::size_t i = 0; i < inputs.size(); ++i)
      out[i][static_cast<std::size_t>(t)] = d.inputs[model.slot(inputs[i].first, inputs[i].second)];
  }
  return out;
}

}  // namespace

TEST_CASE("Correlated inputs reach their rank correlations and keep their marginals", "[design]") {
  const std::string correlated = four_inputs(R"(
correlations:
  - {between: [problems.late.incidence, segments.consumer.value.mean], rank: 0.6}
  - {between: [problems.late.complaint_rate, segments.consumer.customers], rank: -0.45}
)");
  const Scenario with = test::scenario_from(correlated);
  const Scenario without = test::scenario_from(four_inputs(""));
  const std::vector<std::pair<Param, Place>> inputs{{Param::incidence, {-1, 0, -1}},
                                                    {Param::value_mean, {0, -1, -1}},
                                                    {Param::complaint_rate, {-1, 0, -1}},
                                                    {Param::customers, {0, -1, -1}}};
  const std::int64_t n = 100000;
  for (Sampling sampling : {Sampling::random, Sampling::lhs, Sampling::sobol}) {
    INFO(to_string(sampling));
    const Model model(with, 7, Model::Use::trials, {sampling, n});
    const auto x = draws(model, inputs, n);
    // Beta with normal, PERT with lognormal; pairs not asked stay independent.
    CHECK(std::abs(spearman(x[0], x[1]) - 0.6) < 0.02);
    CHECK(std::abs(spearman(x[2], x[3]) + 0.45) < 0.02);
    CHECK(std::abs(spearman(x[0], x[2])) < 0.02);
    // Each marginal against independent draws of the uncorrelated scenario under another seed: the KS
    // statistic below its 0.1% critical value, 1.95 sqrt(2 / n).
    const Model plain(without, 8);
    const auto y = draws(plain, inputs, n);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      INFO("input " << i);
      CHECK(ks_statistic(x[i], y[i]) < 1.95 * std::sqrt(2.0 / static_cast<double>(n)));
    }
  }
}

TEST_CASE("Higham's repair gives the nearest correlation matrix, and the warning names the changed pairs",
          "[design]") {
  // Higham (2002), section 4: the nearest correlation matrix to [[1, 1, 0], [1, 1, 1], [0, 1, 1]].
  const std::vector<double> a{1, 1, 0, 1, 1, 1, 0, 1, 1};
  const std::vector<double> x = nearest_correlation(a, 3);
  const std::vector<double> known{1, 0.7607, 0.1573, 0.7607, 1, 0.7607, 0.1573, 0.7607, 1};
  for (std::size_t i = 0; i < 9; ++i) CHECK(x[i] == Approx(known[i]).margin(1e-4));

  const Scenario s = test::scenario_from(four_inputs(R"(
correlations:
  - inputs: [segments.consumer.value.mean, problems.late.incidence, problems.late.complaint_rate]
    matrix: [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]]
)"));
  REQUIRE(s.warnings.size() == 1);
  const std::string w = s.warnings[0].to_string();
  INFO(w);
  CHECK(w.find("<test>:18:5: correlations[0]:") == 0);
  CHECK(w.find("segments.consumer.value.mean ~ problems.late.incidence: 0.9 -> 0.483") != std::string::npos);
  CHECK(w.find("segments.consumer.value.mean ~ problems.late.complaint_rate: 0.9 -> 0.483") !=
        std::string::npos);
  CHECK(w.find("problems.late.incidence ~ problems.late.complaint_rate: -0.9 -> -0.483") !=
        std::string::npos);
  // A valid matrix is used as given, without a warning.
  const Scenario valid = test::scenario_from(four_inputs(R"(
correlations:
  - {between: [problems.late.incidence, segments.consumer.value.mean], rank: 0.6}
)"));
  CHECK(valid.warnings.empty());
}

TEST_CASE("Correlations survive extends, changes and expand", "[design]") {
  const Scenario s = test::scenario_from(four_inputs(R"(
correlations:
  - {between: [problems.late.incidence, "segments.*.value.mean"], rank: 0.6}
)"));
  const Scenario again = load_scenario_text(dump_yaml(s), "<dump>", CXRISK_TEST_DATA);
  CHECK(dump_yaml(again) == dump_yaml(s));
  CHECK(resolve_correlations(again).pairs.size() == 1);
  CHECK(resolve_correlations(again).pairs[0].rank == 0.6);
  // An alternative's value for a pair replaces its base's; its inputs draw the same values as the base's.
  const Scenario alt = apply_changes(s, R"(
name: Alternative
changes:
  - {set: problems.late.handling.front_line.cost, to: 6}
correlations:
  - {between: [segments.consumer.value.mean, problems.late.incidence], rank: 0.3}
)");
  const ResolvedCorrelations r = resolve_correlations(alt);
  REQUIRE(r.pairs.size() == 1);
  CHECK(r.pairs[0].rank == 0.3);
  const Scenario same = apply_changes(s, R"(
name: Cheaper
changes:
  - {set: problems.late.handling.front_line.cost, to: 6}
)");
  const Model a(s, 3), b(same, 3);
  TrialDraw da, db;
  for (std::uint64_t t = 0; t < 100; ++t) {
    a.draw(t, da);
    b.draw(t, db);
    CHECK(da.inputs[a.slot(Param::incidence, {-1, 0, -1})] ==
          db.inputs[b.slot(Param::incidence, {-1, 0, -1})]);
    CHECK(da.inputs[a.slot(Param::value_mean, {0, -1, -1})] ==
          db.inputs[b.slot(Param::value_mean, {0, -1, -1})]);
  }
}

TEST_CASE("A Latin hypercube hits each of its strata once per input in every replicate", "[design]") {
  const Scenario s = test::scenario_from(four_inputs(""));
  for (std::int64_t trials : {1000, 4096, 100000}) {
    INFO(trials << " trials");
    const Model model(s, 5, Model::Use::trials, {Sampling::lhs, trials});
    const std::vector<Replicate> reps = replicates_of(trials);
    REQUIRE(reps.size() == static_cast<std::size_t>(REPLICATES));
    CHECK(reps.front().first == 0);
    CHECK(reps.back().first + reps.back().size == trials);
    std::vector<double> u;
    for (const Replicate& r : reps) {
      CHECK(replicate_of(r.first, trials).index == r.index);
      CHECK(replicate_of(r.first + r.size - 1, trials).index == r.index);
      std::vector<std::vector<int>> hits(model.n_uniforms(),
                                         std::vector<int>(static_cast<std::size_t>(r.size)));
      for (std::int64_t t = r.first; t < r.first + r.size; ++t) {
        model.independent_uniforms(static_cast<std::uint64_t>(t), u);
        for (std::size_t i = 0; i < u.size(); ++i)
          ++hits[i][static_cast<std::size_t>(u[i] * static_cast<double>(r.size))];
      }
      for (const auto& h : hits) CHECK(std::all_of(h.begin(), h.end(), [](int c) { return c == 1; }));
    }
  }
}

TEST_CASE("Sobol points: the unscrambled sequence is Joe and Kuo's, and scrambling beats random sampling",
          "[design]") {
  // The first points of the sequence of new-joe-kuo-6.21201 in its first three dimensions.
  const double known[8][3] = {{0, 0, 0},
                              {0.5, 0.5, 0.5},
                              {0.75, 0.25, 0.25},
                              {0.25, 0.75, 0.75},
                              {0.375, 0.375, 0.625},
                              {0.875, 0.875, 0.125},
                              {0.625, 0.125, 0.875},
                              {0.125, 0.625, 0.375}};
  const SobolDirections sobol(3);
  for (std::uint64_t i = 0; i < 8; ++i)
    for (std::size_t d = 0; d < 3; ++d) CHECK(sobol.point(d, i) * 0x1.0p-32 == known[i][d]);

  // A scrambled net stays a net: the first 2^m points hit every interval of width 2^-m once, per dimension.
  const SobolDirections six(6);
  for (std::size_t d = 0; d < 6; ++d) {
    std::vector<int> hits(256);
    for (std::uint64_t i = 0; i < 256; ++i) ++hits[owen_scramble(six.point(d, i), 0x9e3779b9u + d) >> 24];
    CHECK(std::all_of(hits.begin(), hits.end(), [](int c) { return c == 1; }));
  }

  // The integral of prod_d (1 + (u_d - 1/2)) over [0, 1]^6 is 1: the root mean square error of 1,024
  // points over 64 independent scramblings, against 64 random samples of 1,024.
  const auto f = [](const std::vector<double>& u) {
    double p = 1;
    for (double x : u) p *= 1 + (x - 0.5);
    return p;
  };
  double sobol_mse = 0, random_mse = 0;
  std::vector<double> u(6);
  for (std::uint64_t rep = 0; rep < 64; ++rep) {
    double qmc = 0, mc = 0;
    for (std::uint64_t i = 0; i < 1024; ++i) {
      for (std::size_t d = 0; d < 6; ++d)
        u[d] =
            uniform_from_bits(owen_scramble(six.point(d, i), static_cast<std::uint32_t>(mix64(rep * 6 + d))),
                              mix64(rep ^ (i << 8) ^ d));
      qmc += f(u);
      for (std::size_t d = 0; d < 6; ++d) u[d] = keyed_uniform(mix64(rep + 1000), i, d);
      mc += f(u);
    }
    sobol_mse += (qmc / 1024 - 1) * (qmc / 1024 - 1) / 64;
    random_mse += (mc / 1024 - 1) * (mc / 1024 - 1) / 64;
  }
  const double ratio = std::sqrt(random_mse / sobol_mse);
  INFO("random sampling's error over the scrambled Sobol points' error: " << ratio);
  CHECK(ratio > 20);
}

TEST_CASE("A designed run reports the spread of its replicates as the standard error, honestly", "[design]") {
  // 30 seeds of the telecom scenario at 4,096 trials: the standard deviation of the mean total_cost across
  // them, with random sampling and with scrambled Sobol points.
  const Scenario s = load_scenario(std::string(CXRISK_SCENARIOS) + "/telecom.yaml");
  const auto spread = [&](Sampling sampling, double& rms_se) {
    std::vector<double> means;
    double se2 = 0;
    for (std::uint64_t seed = 1; seed <= 30; ++seed) {
      RunSettings o;
      o.trials = 4096;
      o.seed = seed;
      o.sampling = sampling;
      const Summary summary = run(s, o, Keep{.breakdowns = false}).summary;
      means.push_back(summary.total(total_cost).mean);
      se2 += summary.total(total_cost).se * summary.total(total_cost).se / 30;
    }
    rms_se = std::sqrt(se2);
    const double mean = std::accumulate(means.begin(), means.end(), 0.0) / 30;
    double ss = 0;
    for (double m : means) ss += (m - mean) * (m - mean);
    return std::sqrt(ss / 29);
  };
  double random_se = 0, sobol_se = 0, lhs_se = 0;
  const double random = spread(Sampling::random, random_se);
  const double sobol = spread(Sampling::sobol, sobol_se);
  const double lhs = spread(Sampling::lhs, lhs_se);
  INFO("spread over seeds: random " << random << ", lhs " << lhs << ", sobol " << sobol);
  INFO("reported se: random " << random_se << ", lhs " << lhs_se << ", sobol " << sobol_se);
  CHECK(random / sobol >= 5);
  CHECK(lhs < random);
  for (auto [reported, seen] : {std::pair{random_se, random}, {sobol_se, sobol}, {lhs_se, lhs}})
    CHECK(std::abs(reported / seen - 1) < 0.3);
}

TEST_CASE("Designs and correlations give the same numbers at any thread count, and need enough trials",
          "[design]") {
  const Scenario s = test::scenario_from(four_inputs(R"(
correlations:
  - {between: [problems.late.incidence, segments.consumer.value.mean], rank: 0.6}
)"));
  for (Sampling sampling : {Sampling::random, Sampling::lhs, Sampling::sobol}) {
    INFO(to_string(sampling));
    RunSettings o;
    o.trials = 3000;
    o.sampling = sampling;
    o.threads = 1;
    const std::string one = summary_json(run(s, o).summary);
    o.threads = 2;
    CHECK(summary_json(run(s, o).summary) == one);
    CHECK(one.find("\"design\": \"" + std::string(to_string(sampling)) + "\"") != std::string::npos);
  }
  RunSettings o;
  o.trials = 31;
  o.sampling = Sampling::lhs;
  CHECK_THROWS_WITH(run(s, o), "lhs sampling needs at least 32 trials (16 replicates of two), got 31");
}
