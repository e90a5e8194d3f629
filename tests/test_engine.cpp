#include <catch2/catch.hpp>
#include <cmath>
#include <stdexcept>

#include "cxrisk/output.h"
#include "helpers.h"

using namespace cxrisk;

namespace {

RunResult run_with(const Scenario& s, std::int64_t trials, std::uint64_t seed, Mode mode = Mode::aggregate,
                   int threads = 2) {
  RunSettings o;
  o.trials = trials;
  o.seed = seed;
  o.mode = mode;
  o.threads = threads;
  return run(s, o);
}

std::string series_name(const Layout& L, int series) {
  const int entry = series / N_METRICS, metric = series % N_METRICS;
  std::string name = "total";
  for (Dimension d : DIMENSIONS)
    if (entry >= L.entry(d, 0) && entry < L.entry(d, static_cast<int>(L.names(d).size())))
      name = std::string(to_string(d)) + "=" + L.names(d)[static_cast<std::size_t>(entry - L.entry(d, 0))];
  return name + " " + std::string(METRIC_NAMES[metric]);
}

// Period u's total_cost in every trial of a run that kept the periods' costs ([trial][period]).
std::vector<double> period_cost_samples(const RunResult& r, int u, int periods) {
  const std::size_t n = r.period_costs.size() / static_cast<std::size_t>(periods);
  std::vector<double> out(n);
  for (std::size_t t = 0; t < n; ++t)
    out[t] = r.period_costs[t * static_cast<std::size_t>(periods) + static_cast<std::size_t>(u)];
  return out;
}

// Checks that samples of one quantity from the aggregate engine (a) and the individual one (b), with
// independent seeds, have the same distribution: means within 4.5 combined standard errors, and two-sample
// KS at the 0.1% level (critical value 1.95 sqrt(1 / n_a + 1 / n_b)).
void check_same_distribution(const std::string& what, const std::vector<double>& a,
                             const std::vector<double>& b) {
  const Stats x = compute_stats(a), y = compute_stats(b);
  const double d = test::ks_statistic(a, b);
  const double critical =
      1.95 * std::sqrt(1.0 / static_cast<double>(a.size()) + 1.0 / static_cast<double>(b.size()));
  INFO(what << ": aggregate " << x.mean << " (se " << x.se << "), individual " << y.mean << " (se " << y.se
            << "), KS " << d << " (critical " << critical << ")");
  CHECK(test::within_se(x.mean, y.mean, std::hypot(x.se, y.se)));
  CHECK(d < critical);
}

}  // namespace

TEST_CASE("expect reproduces the TARP worked example: 744.5 customers lost", "[engine]") {
  const Summary e = expect(test::scenario_from(test::TARP_WORKED_EXAMPLE));
  CHECK(e.total(customers_lost).mean == Approx(744.5).epsilon(1e-12));
  CHECK(e.total(customers_with_problems).mean == Approx(1000));
  CHECK(e.total(complaints).mean == Approx(500));
  CHECK(e.total(escalations).mean == Approx(150));
  CHECK(e.total(contacts).mean == Approx(650));
  CHECK(e.total(handling_cost).mean ==
        Approx(500 * 10 + 150 * 50));  // every complaint at the front line, 150 at headquarters
  CHECK(e.total(revenue_lost).mean == Approx(744.5 * 100));  // annual valuation, one year of value
  // By outcome: 500 silent x 91%, 250 unresolved x 81%, 150 resolved x 46%, 100 quick x 18%.
  auto lost = [&](Outcome o) { return e.of(Dimension::outcome, static_cast<int>(o), customers_lost).mean; };
  CHECK(lost(Outcome::silent) == Approx(455));
  CHECK(lost(Outcome::unresolved) == Approx(202.5));
  CHECK(lost(Outcome::resolved) == Approx(69));
  CHECK(lost(Outcome::quick) == Approx(18));
  CHECK(lost(Outcome::mollified) == 0);
}

TEST_CASE("With fixed parameters the Monte Carlo mean of every metric equals expect",
          "[engine][statistical]") {
  for (const char* method : {"annual", "horizon", "lifetime"}) {
    const Scenario s = test::scenario_from(test::fixed_chain(method));
    const Summary e = expect(s);
    const RunResult r = run_with(s, 20000, 20261123);
    REQUIRE(r.summary.stats.size() == e.stats.size());
    for (std::size_t i = 0; i < e.stats.size(); ++i) {
      const Stats& mc = r.summary.stats[i];
      INFO(method << " " << series_name(e.layout, static_cast<int>(i)) << ": Monte Carlo " << mc.mean
                  << " (se " << mc.se << ") vs expect " << e.stats[i].mean);
      CHECK(test::within_se(mc.mean, e.stats[i].mean, mc.se));
    }
  }
  const Scenario tarp = test::scenario_from(test::TARP_WORKED_EXAMPLE);
  const RunResult r = run_with(tarp, 20000, 7);
  CHECK(test::within_se(r.summary.total(customers_lost).mean, 744.5, r.summary.total(customers_lost).se));
}

TEST_CASE("The individual and aggregate modes agree", "[engine][statistical]") {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"fixed chain, lifetime", test::fixed_chain("lifetime", 0.2)},
      // Annual valuation: the gamma and fixed segments' values are drawn once for the
      // horizon, the lognormal and empirical segments' once a period.
      {"fixed chain, annual", test::fixed_chain("annual", 0.2)},
      {"TARP worked example", test::TARP_WORKED_EXAMPLE},
      {"uncertain inputs", R"(
cxrisk: 1
name: Uncertain
horizon: {periods: 4, period: quarter, discount_rate: 0.1}
valuation: {method: horizon, margin: {dist: uniform, min: 0.3, max: 0.5}}
word_of_mouth: {negative_conversion: {dist: pert, min: 0.01, mode: 0.05, max: 0.1}, positive_conversion: 0.02}
segments:
  - {name: s, customers: 700, value: {mean: {dist: normal, mean: 100, sd: 10, min: 50}, cv: 0.9}, baseline_churn: {dist: beta, mean: 0.05, sd: 0.01}}
problems:
  - name: p
    incidence: {observed: 12, of: 100}
    complaint_rate: {dist: beta, mean: 0.5, sd: 0.1}
    handling:
      - {tier: one, resolution: {dist: dirichlet, resolved: 5, mollified: 3, unresolved: 2}, escalate: {dist: triangular, min: 0.2, mode: 0.4, max: 0.6}, cost: 5}
      - {tier: two, resolution: {resolved: 0.7, mollified: 0.2, unresolved: 0.1}, cost: 30}
    loyalty: {no_problem: {dist: beta, mean: 0.9, sd: 0.03}, silent: 0.4, quick: 0.95, resolved: 0.7, mollified: 0.5, unresolved: 0.3}
    wom: {negative: {silent: 6, unresolved: 9}, positive: {quick: 4}}
)"}};
  for (const auto& [label, yaml] : cases) {
    const Scenario s = test::scenario_from(yaml);
    // Independent seeds, so the standard error of the difference is the combined one.
    const RunResult agg = run_with(s, 6000, 101, Mode::aggregate);
    const RunResult ind = run_with(s, 6000, 202, Mode::individual);
    for (std::size_t i = 0; i < agg.summary.stats.size(); ++i) {
      const Stats& a = agg.summary.stats[i];
      const Stats& b = ind.summary.stats[i];
      INFO(label << " " << series_name(agg.summary.layout, static_cast<int>(i)) << ": aggregate " << a.mean
                 << " (se " << a.se << "), individual " << b.mean << " (se " << b.se << ")");
      CHECK(test::within_se(a.mean, b.mean, std::hypot(a.se, b.se)));
    }
  }
}

TEST_CASE("The two modes have the same distribution of customers and revenue lost (two-sample KS)",
          "[engine][statistical]") {
  // Horizon valuation draws every value once a period; annual valuation draws the gamma and fixed segments'
  // values once for the horizon.
  for (const char* method : {"horizon", "annual"}) {
    const Scenario s = test::scenario_from(test::fixed_chain(method, 0.1));
    const int n = 5000;
    const RunResult agg = run_with(s, n, 11, Mode::aggregate);
    const RunResult ind = run_with(s, n, 12, Mode::individual);
    // Critical value of the two-sample KS statistic at the 0.1% level: 1.95 sqrt(2 / n). Conservative for
    // the discrete customers_lost.
    const double critical = 1.95 * std::sqrt(2.0 / n);
    for (int m : {customers_lost, revenue_lost, total_cost, wom_prospects_lost, wom_prospects_won,
                  wom_revenue_lost}) {
      const auto a = agg.metric_samples(m), b = ind.metric_samples(m);
      const double d = test::ks_statistic({a.begin(), a.end()}, {b.begin(), b.end()});
      INFO(method << " " << METRIC_NAMES[m] << ": KS " << d << " (critical " << critical << ")");
      CHECK(d < critical);
    }
  }
}

TEST_CASE("Without the breakdowns a run keeps the totals alone, the same as a full run's", "[engine]") {
  const Scenario s = test::scenario_from(test::fixed_chain("annual", 0.2));
  RunSettings o;
  o.trials = 500;
  o.seed = 3;
  const RunResult full = run(s, o, {.period_costs = true});
  const RunResult totals = run(s, o, {.period_costs = true, .breakdowns = false});
  REQUIRE(totals.summary.stats.size() == static_cast<std::size_t>(N_METRICS));
  CHECK_FALSE(totals.summary.breakdowns);
  for (int m = 0; m < N_METRICS; ++m) {
    const Stats &a = full.summary.total(m), &b = totals.summary.total(m);
    CHECK(a.mean == b.mean);
    CHECK(a.sd == b.sd);
    CHECK(a.percentiles == b.percentiles);
    CHECK(a.cvar95 == b.cvar95);
  }
  CHECK(full.samples == totals.samples);
  CHECK(full.period_costs == totals.period_costs);
  // Its outputs say only what it has.
  const std::string json = summary_json(totals.summary);
  CHECK(json.find("\"breakdown\"") == std::string::npos);
  CHECK(json.find("\"total_cost\"") != std::string::npos);
  CHECK(breakdown_csv(totals.summary).find("problem,") == std::string::npos);
  CHECK(summary_table(totals.summary).find("by problem") == std::string::npos);
}

TEST_CASE("Which segments draw their values once for the horizon", "[engine]") {
  // Annual valuation (or a single period) and gamma or fixed values; fixed_chain's segments are gamma,
  // lognormal, fixed and empirical.
  const std::vector<bool> pooled{true, false, true, false}, none(4, false);
  const auto pools = [](const std::string& yaml) {
    const Model model(test::scenario_from(yaml), 1, Model::Use::means);
    std::vector<bool> out;
    for (int s = 0; s < model.n_segments(); ++s) out.push_back(model.pools_horizon(s));
    return out;
  };
  CHECK(pools(test::fixed_chain("annual")) == pooled);
  CHECK(pools(test::fixed_chain("lifetime")) == none);
  CHECK(pools(test::fixed_chain("horizon")) == none);
  std::string one_period = test::fixed_chain("lifetime");
  one_period.replace(one_period.find("periods: 6"), 10, "periods: 1");
  CHECK(pools(one_period) == pooled);
  std::string long_horizon = test::fixed_chain("annual");
  long_horizon.replace(long_horizon.find("periods: 6"), 10,
                       "periods: " + std::to_string(Model::POOLED_PERIODS_MAX + 1));
  CHECK(pools(long_horizon) == none);
}

TEST_CASE("Values drawn once for the horizon split back into its periods exactly", "[engine][statistical]") {
  const Scenario s = test::scenario_from(test::fixed_chain("annual", 0.2));
  const int n = 6000, T = s.periods;
  RunSettings o;
  o.trials = n;
  o.threads = 2;
  o.seed = 31;
  const RunResult agg = run(s, o, {.period_costs = true});
  // The periods' costs are a split of the same draws: the run without them has the same numbers, and each
  // trial's periods add up to its total cost.
  CHECK(summary_json(run(s, o).summary) == summary_json(agg.summary));
  const auto total = agg.metric_samples(total_cost);
  for (int t = 0; t < n; ++t) {
    double sum = 0;
    for (int u = 0; u < T; ++u) sum += agg.period_costs[static_cast<std::size_t>(t * T + u)];
    REQUIRE(sum == Approx(total[static_cast<std::size_t>(t)]).epsilon(1e-9));
  }
  // Each period's cost has the distribution of the per-customer model's: means within 4.5 combined
  // standard errors, and two-sample KS at the 0.1% level.
  o.mode = Mode::individual;
  o.seed = 32;
  const RunResult ind = run(s, o, {.period_costs = true});
  for (int u = 0; u < T; ++u)
    check_same_distribution("period " + std::to_string(u + 1) + " total_cost", period_cost_samples(agg, u, T),
                            period_cost_samples(ind, u, T));
}

TEST_CASE("Word of mouth counted once for the horizon has the per-customer model's distribution",
          "[engine][statistical]") {
  // One gamma segment under annual valuation: its prospects lost and won are one Poisson draw each for the
  // horizon (of the periods' means summed), and, with the periods' costs kept, split back into the periods.
  // Strong word of mouth both ways from several outcomes, and a base that shrinks period by period, so that
  // the periods' means differ.
  const Scenario s = test::scenario_from(R"(
cxrisk: 1
name: Word of mouth over the horizon
horizon: {periods: 5, period: quarter}
valuation: {method: annual}
word_of_mouth: {negative_conversion: 0.2, positive_conversion: 0.15}
segments:
  - {name: members, customers: 300, value: {mean: 60, cv: 0.8}, baseline_churn: 0.05}
problems:
  - name: outage
    incidence: 0.15
    complaint_rate: 0.5
    handling:
      - {tier: care, resolution: {resolved: 0.5, mollified: 0.2, unresolved: 0.3}, cost: 10}
    loyalty: {no_problem: 0.9, silent: 0.4, quick: 0.95, resolved: 0.8, mollified: 0.6, unresolved: 0.2}
    wom:
      negative: {silent: 3, mollified: 1, unresolved: 6}
      positive: {quick: 4}
)");
  const int n = 5000, T = s.periods;
  RunSettings o;
  o.trials = n;
  o.seed = 41;
  const RunResult agg = run(s, o, {.period_costs = true});
  o.mode = Mode::individual;
  o.seed = 42;
  const RunResult ind = run(s, o, {.period_costs = true});
  // Every quantity is non-zero in the aggregate run, and has the individual engine's distribution.
  const auto same_distribution = [](const std::string& what, const std::vector<double>& a,
                                    const std::vector<double>& b) {
    INFO(what);
    CHECK(compute_stats(a).mean > 0);
    check_same_distribution(what, a, b);
  };
  for (int m : {wom_prospects_lost, wom_prospects_won, wom_revenue_lost, total_cost}) {
    const auto a = agg.metric_samples(m), b = ind.metric_samples(m);
    same_distribution(std::string(METRIC_NAMES[m]), {a.begin(), a.end()}, {b.begin(), b.end()});
  }
  for (int u = 0; u < T; ++u)
    same_distribution("period " + std::to_string(u + 1) + " total_cost", period_cost_samples(agg, u, T),
                      period_cost_samples(ind, u, T));
}

TEST_CASE("Results are bit-identical at any thread count", "[engine]") {
  const Scenario s = load_scenario(std::string(CXRISK_SCENARIOS) + "/telecom.yaml");
  const std::string one = summary_json(run_with(s, 700, 5, Mode::aggregate, 1).summary);
  CHECK(summary_json(run_with(s, 700, 5, Mode::aggregate, 2).summary) == one);
  CHECK(summary_json(run_with(s, 700, 5, Mode::aggregate, 3).summary) == one);
  const Scenario small = test::scenario_from(test::fixed_chain("annual", 0.05));
  CHECK(summary_json(run_with(small, 300, 5, Mode::individual, 1).summary) ==
        summary_json(run_with(small, 300, 5, Mode::individual, 3).summary));
}

TEST_CASE("One trial can be recomputed alone", "[engine]") {
  // ecommerce draws its values every period; the annual fixed chain draws most of them once for the horizon.
  for (const Scenario& s : {load_scenario(std::string(CXRISK_SCENARIOS) + "/ecommerce.yaml"),
                            test::scenario_from(test::fixed_chain("annual", 0.2))}) {
    const RunResult full = run_with(s, 300, 9);
    const Model model(s, 9);
    for (std::uint64_t t : {0u, 1u, 137u, 299u}) {
      const auto row = run_trial(model, Mode::aggregate, t);
      for (int m = 0; m < N_METRICS; ++m) CHECK(row[Layout::series(0, m)] == full.metric_samples(m)[t]);
    }
  }
}

TEST_CASE("Same seed, same numbers, another seed, other numbers", "[engine]") {
  const Scenario s = test::scenario_from(test::TARP_WORKED_EXAMPLE);
  CHECK(summary_json(run_with(s, 500, 3).summary) == summary_json(run_with(s, 500, 3).summary));
  CHECK(summary_json(run_with(s, 500, 3).summary) != summary_json(run_with(s, 500, 4).summary));
}

TEST_CASE("Scenarios that share structure share draws", "[engine]") {
  // Adding a segment and a problem that touches only it leaves the draws of everything else unchanged.
  const std::string base = test::fixed_chain("annual", 0.5);
  std::string extended = base;
  extended.replace(extended.find("stages:"), 7, R"(  - {name: extra, customers: 900, value: {mean: 10}}
stages:)");
  extended += R"(  - name: extra_only
    stage: support
    segments: [extra]
    incidence: 0.2
    complaint_rate: 0
    loyalty: {no_problem: 1, silent: 0.5, quick: 1, resolved: 1, mollified: 1, unresolved: 1}
)";
  const Scenario a = test::scenario_from(base), b = test::scenario_from(extended);
  const RunResult ra = run_with(a, 200, 8), rb = run_with(b, 200, 8);
  const Layout& La = ra.summary.layout;
  const Layout& Lb = rb.summary.layout;
  (void)Lb;
  for (std::size_t seg = 0; seg < La.names(Dimension::segment).size(); ++seg)
    for (int m = 0; m < N_METRICS; ++m) {
      const Stats& x = ra.summary.of(Dimension::segment, static_cast<int>(seg), m);
      const Stats& y = rb.summary.of(Dimension::segment, static_cast<int>(seg), m);
      CHECK(x.mean == y.mean);
      CHECK(x.percentiles == y.percentiles);
    }
}

TEST_CASE("A segment's numbers do not depend on the other segments, however many slots they take",
          "[engine]") {
  // 3 segments x 60 problems: more slots than the chain advances together, so the segments are simulated in
  // more than one block. Each segment alone (one block) must give its breakdown of the whole run exactly.
  const auto scenario = [](const std::vector<std::string>& segments) {
    std::string yaml = R"(
cxrisk: 1
name: Many slots
horizon: {periods: 4, period: quarter, discount_rate: 0.05}
valuation: {method: lifetime}
word_of_mouth: {negative_conversion: {dist: pert, min: 0.01, mode: 0.02, max: 0.04}, positive_conversion: 0.01}
segments:
)";
    const std::vector<std::string> all{
        "{name: large, customers: 2000000, value: {mean: 50, cv: 0.8}, baseline_churn: 0.01}",
        "{name: middle, customers: 40000, value: {mean: {dist: normal, mean: 300, sd: 20, min: 200}, cv: 1}}",
        "{name: small, customers: 900, value: {mean: 2000, cv: 1.2}, baseline_churn: 0.02}"};
    for (const std::string& name : segments)
      for (const std::string& line : all)
        if (line.find("name: " + name + ",") != std::string::npos) yaml += "  - " + line + "\n";
    yaml += "problems:\n";
    for (int p = 0; p < 60; ++p)
      yaml += "  - name: problem_" + std::to_string(p) + R"(
    incidence: {dist: beta, mean: 0.002, sd: 0.0005}
    complaint_rate: {dist: pert, min: 0.1, mode: 0.3, max: 0.5}
    handling:
      - {tier: chat, resolution: {dist: dirichlet, resolved: 40, mollified: 30, unresolved: 30}, escalate: 0.3, cost: 5}
      - {tier: care, resolution: {resolved: 0.6, mollified: 0.2, unresolved: 0.2}, cost: 40}
    loyalty: {no_problem: 0.9, silent: 0.4, quick: 0.95, resolved: 0.8, mollified: 0.6, unresolved: 0.3}
    wom: {negative: {silent: 5, unresolved: 9}, positive: {quick: 4}}
)";
    return test::scenario_from(yaml);
  };
  const RunResult whole = run_with(scenario({"large", "middle", "small"}), 100, 4);
  const Layout& L = whole.summary.layout;
  for (std::size_t seg = 0; seg < L.names(Dimension::segment).size(); ++seg) {
    const RunResult alone = run_with(scenario({L.names(Dimension::segment)[seg]}), 100, 4);
    for (int m = 0; m < N_METRICS; ++m) {
      const Stats& x = whole.summary.of(Dimension::segment, static_cast<int>(seg), m);
      const Stats& y = alone.summary.of(Dimension::segment, 0, m);
      CHECK(x.mean == y.mean);
      CHECK(x.percentiles == y.percentiles);
    }
    CHECK(alone.summary.total(customers_lost).mean > 0);
  }
}

TEST_CASE("The aggregate mode handles 10^10 customers at the cost of a small base", "[engine]") {
  std::string yaml = test::TARP_WORKED_EXAMPLE;
  yaml.replace(yaml.find("customers: 1000"), 15, "customers: 10000000000");
  const Scenario s = test::scenario_from(yaml);
  const RunResult r = run_with(s, 2000, 1);
  const Stats& lost = r.summary.total(customers_lost);
  CHECK(test::within_se(lost.mean, 7.445e9, lost.se));
  CHECK(lost.max <= 1e10);
  CHECK(std::isfinite(r.summary.total(total_cost).mean));
}

TEST_CASE("The breakdowns add up to the totals in every trial's mean", "[engine]") {
  const Scenario s = load_scenario(std::string(CXRISK_SCENARIOS) + "/ecommerce.yaml");
  const RunResult r = run_with(s, 500, 2);
  const Layout& L = r.summary.layout;
  for (Dimension d : DIMENSIONS)
    for (int m = 0; m < N_METRICS; ++m) {
      double sum = 0;
      for (std::size_t e = 0; e < L.names(d).size(); ++e) sum += r.summary.of(d, static_cast<int>(e), m).mean;
      INFO(to_string(d) << " " << METRIC_NAMES[m]);
      CHECK(sum == Approx(r.summary.total(m).mean).epsilon(1e-9).margin(1e-6));
    }
}

TEST_CASE("A value cv too small for a gamma shape is drawn as fixed, totals past a double are refused",
          "[engine]") {
  // cv 1e-200 made the gamma shape 1 / cv^2 infinite and every money metric NaN (written as null).
  const std::string base = test::fixed_chain("annual", 1);
  const auto with = [&](const std::string& from, const std::string& to) {
    std::string text = base;
    text.replace(text.find(from), from.size(), to);
    return test::scenario_from(text);
  };
  const std::string gamma = "value: {mean: 80, cv: 0.7}";
  // The numbers, not the list of inputs (which says how each value was written).
  const auto numbers = [](Summary s) {
    s.inputs.clear();
    return summary_json(s);
  };
  const std::string fixed = numbers(run_with(with(gamma, "value: {mean: 80}"), 300, 7).summary);
  for (const char* tiny : {"value: {mean: 80, cv: 1e-200, shape: gamma}", "value: {mean: 80, cv: 1e-25}"})
    CHECK(numbers(run_with(with(gamma, tiny), 300, 7).summary) == fixed);
  // 1e307 a customer made the revenue lost by some tens of customers more than a double holds; money is now
  // bounded where it is read (cxrisk/limits.h), so every total stays far inside a double.
  try {
    run_with(with(gamma, "value: {mean: 1e307, cv: 0.7}"), 50, 7);
    FAIL("no error");
  } catch (const ScenarioError& e) {
    CHECK_THAT(e.message(), Catch::Matchers::Contains("must stay at most 1e+15"));
    CHECK(e.path() == "segments[0].value.mean");
  }
}

TEST_CASE("Bad run options are usage errors", "[engine]") {
  const Scenario s = test::scenario_from(test::TARP_WORKED_EXAMPLE);
  RunSettings o;
  o.trials = 0;
  CHECK_THROWS_AS(run(s, o), UsageError);
  o.trials = 10;
  o.threads = -1;
  CHECK_THROWS_AS(run(s, o), UsageError);
  o.threads = MAX_THREADS + 1;
  CHECK_THROWS_WITH(run(s, o), Catch::Contains("--threads must be between 0 (every core) and 1024"));
}

TEST_CASE("More threads than chunks of trials give the same numbers as one thread", "[engine]") {
  const Scenario s = test::scenario_from(test::TARP_WORKED_EXAMPLE);
  RunSettings o;
  o.trials = 200;  // four chunks of 64 trials: the run starts four workers, not MAX_THREADS
  o.threads = 1;
  const std::string one = summary_json(run(s, o).summary);
  o.threads = MAX_THREADS;
  CHECK(summary_json(run(s, o).summary) == one);
}

TEST_CASE("Past the memory budget, breakdowns keep exact moments and sketched percentiles", "[engine]") {
  const Scenario s = load_scenario(std::string(CXRISK_SCENARIOS) + "/ecommerce.yaml");
  RunSettings exact_options;
  exact_options.trials = 3000;
  exact_options.seed = 4;
  const RunResult exact = run(s, exact_options);
  const RunResult sketch = run(s, exact_options, {.memory_budget = 0});
  CHECK(exact.summary.breakdown_exact);
  CHECK_FALSE(sketch.summary.breakdown_exact);
  for (std::size_t i = 0; i < exact.summary.stats.size(); ++i) {
    const Stats& a = exact.summary.stats[i];
    const Stats& b = sketch.summary.stats[i];
    INFO(series_name(exact.summary.layout, static_cast<int>(i)));
    CHECK(b.mean == Approx(a.mean).epsilon(1e-12).margin(1e-9));
    CHECK(b.sd == Approx(a.sd).epsilon(1e-9).margin(1e-9));
    CHECK(b.min == a.min);
    CHECK(b.max == a.max);
    for (std::size_t p = 0; p < PERCENTILES.size(); ++p)
      CHECK(std::abs(b.percentiles[p] - a.percentiles[p]) <= 2e-3 * std::abs(a.percentiles[p]) + 1e-6);
  }
  // And they stay independent of the thread count.
  RunSettings sketch_options = exact_options;
  sketch_options.threads = 1;
  const std::string one = summary_json(run(s, sketch_options, {.memory_budget = 0}).summary);
  sketch_options.threads = 3;
  CHECK(summary_json(run(s, sketch_options, {.memory_budget = 0}).summary) == one);
}

TEST_CASE("Valuation factors follow MODEL.md section 4, in time linear in the horizon", "[engine]") {
  for (int T : {1, 2, 12, 40}) {
    for (double c : {0.0, 0.011, 0.3}) {
      const double d = std::pow(1.08, -1.0 / 12);
      const std::vector<double> horizon = valuation_factors(ValuationMethod::horizon, T, 12, c, d);
      const std::vector<double> lifetime = valuation_factors(ValuationMethod::lifetime, T, 12, c, d);
      const std::vector<double> annual = valuation_factors(ValuationMethod::annual, T, 4, c, d);
      REQUIRE(horizon.size() == static_cast<std::size_t>(T));
      for (int t = 1; t <= T; ++t) {
        // The definition, summed term by term.
        double sum = 0;
        for (int u = t + 1; u <= T; ++u) sum += std::pow(1 - c, u - t - 1) * std::pow(d, u);
        INFO("T " << T << ", c " << c << ", t " << t);
        CHECK(horizon[t - 1] == Approx(sum).epsilon(1e-13).margin(0));
        CHECK(lifetime[t - 1] == Approx(std::pow(d, t + 1) / (1 - (1 - c) * d)).epsilon(1e-15));
        CHECK(annual[t - 1] == 4);
      }
      CHECK(horizon[T - 1] == 0);  // nothing is left to lose after the last period
    }
  }
  // The longest horizon the schema allows: 100000 periods (the term-by-term sums took minutes a trial).
  const std::vector<double> longest = valuation_factors(ValuationMethod::horizon, 100000, 4, 0.01, 0.99);
  CHECK(longest.front() == Approx(0.99 * 0.99 / (1 - 0.99 * 0.99)).epsilon(1e-12));
}

TEST_CASE("A run too large for the memory fails before any trial, saying why", "[engine]") {
  std::string yaml = test::TARP_WORKED_EXAMPLE;
  yaml.replace(yaml.find("periods: 1,"), 11, "periods: 100000,");
  const Scenario s = test::scenario_from(yaml);
  RunSettings o;
  o.trials = 4294967295;  // 4.3e9 trials x 100,000 periods: petabytes, refused at once
  CHECK_THROWS_WITH(run(s, o, {.period_costs = true}),
                    Catch::Contains("not enough memory for 4294967295 trials") &&
                        Catch::Contains("total_cost in each of the 100000 periods"));
}

TEST_CASE("A model for the means alone builds no tables and refuses to draw trials", "[engine]") {
  const Scenario s = load_scenario(std::string(CXRISK_SCENARIOS) + "/ecommerce.yaml");
  const Model means(s, 7, Model::Use::means), trials(s, 7);
  TrialDraw a, b;
  means.draw_means(a);
  trials.draw_means(b);
  CHECK(a.negative_conversion == b.negative_conversion);
  CHECK(a.problems[3].complaint == b.problems[3].complaint);
  CHECK_THROWS_AS(means.draw(0, a), std::logic_error);
}
