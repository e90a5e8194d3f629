// Confidence intervals on every statistic: they cover the true value at the nominal rate, with every design.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "cxrisk/compare.h"
#include "cxrisk/output.h"
#include "helpers.h"
#include "processes.h"

using namespace cxrisk;

namespace {

// A small scenario whose trials cost little, with uncertain inputs and continuous values.
const char* SMALL = R"(
cxrisk: 1
name: Small
horizon: {periods: 1, period: year}
segments:
  - {name: all, customers: 200, value: {mean: {dist: normal, mean: 100, sd: 20, min: 0}, cv: 0.8}}
problems:
  - name: p
    incidence: {dist: beta, mean: 0.3, sd: 0.08}
    complaint_rate: {dist: beta, mean: 0.5, sd: 0.1}
    handling: [{resolution: {resolved: 0.5, mollified: 0.3, unresolved: 0.2}, cost: 3}]
    loyalty: {no_problem: 0.9, silent: 0.4, quick: 0.85, resolved: 0.7, mollified: 0.5, unresolved: 0.3}
    wom: {negative: {silent: 4, unresolved: 6}}
)";

}  // namespace

TEST_CASE("The 95% intervals of the mean, p50, p95 and cvar95 cover the truth 93-97% of the time",
          "[precision]") {
  const Scenario s = test::scenario_from(SMALL);
  // The truth from a long reference run: its own error is a few percent of a repetition's interval.
  RunSettings reference;
  reference.trials = 4000000;
  reference.seed = 999;
  const Stats truth = run(s, reference, Keep{.breakdowns = false}).summary.total(total_cost);
  // 2,000 repetitions: a coverage of 95% is then measured to within 0.5% (one standard error), so that the
  // band 93-97% is four standard errors wide on either side.
  constexpr int REPETITIONS = 2000;
  for (const auto& [sampling, reduce] : {std::pair{Sampling::random, false},
                                         {Sampling::lhs, false},
                                         {Sampling::sobol, false},
                                         {Sampling::random, true},
                                         {Sampling::sobol, true}}) {
    int mean = 0, p50 = 0, p95 = 0, cvar = 0;
    for (int rep = 0; rep < REPETITIONS; ++rep) {
      RunSettings o;
      o.trials = reduce ? 512 : 2048;  // with 8 x 512 points besides
      o.seed = 1000 + static_cast<std::uint64_t>(rep);
      o.threads = 1;
      o.sampling = sampling;
      o.variance_reduction = reduce;
      const Stats x = run(s, o, Keep{.breakdowns = false}).summary.total(total_cost);
      const auto covers = [](const Interval& ci, double value) {
        return ci.low <= value && value <= ci.high;
      };
      mean += covers(x.mean_ci, truth.mean);
      p50 += covers(x.percentile_ci[3], truth.p50());
      p95 += covers(x.percentile_ci[6], truth.p95());
      cvar += covers(x.cvar95_ci, truth.cvar95);
    }
    // The coverage of each estimator, for the record (docs/precision.md quotes it).
    std::cout << to_string(sampling) << (reduce ? " with variance reduction" : "") << ": mean " << mean
              << ", p50 " << p50 << ", p95 " << p95 << ", cvar95 " << cvar << " of " << REPETITIONS << "\n";
    INFO(to_string(sampling) << (reduce ? " with variance reduction" : ""));
    for (int covered : {mean, p50, p95, cvar}) {
      CHECK(covered >= 0.93 * REPETITIONS);
      CHECK(covered <= 0.97 * REPETITIONS);
    }
  }
}

TEST_CASE("A run to a precision stops where its targets are met and equals a plain run of that many trials",
          "[precision]") {
  const Scenario s = test::scenario_from(SMALL);
  for (Sampling sampling : {Sampling::random, Sampling::sobol}) {
    INFO(to_string(sampling));
    RunSettings o;
    o.sampling = sampling;
    o.precision = std::vector{parse_precision("total_cost:mean:0.2%"), parse_precision("total_cost:p95:1%")};
    const RunResult to_precision = run(s, o);
    REQUIRE(to_precision.summary.precision);
    const PrecisionReport& report = *to_precision.summary.precision;
    CHECK(report.met());
    CHECK(report.rounds.front().trials == FIRST_ROUND);
    CHECK(report.rounds.size() >= 2);
    CHECK(report.rounds.back().trials == to_precision.summary.trials);
    for (const TargetStatus& t : report.rounds.back().targets) CHECK(t.half_width <= t.allowed);
    for (std::size_t i = 0; i + 1 < report.rounds.size(); ++i) CHECK_FALSE(report.rounds[i].met());
    // The same numbers as a run of the trials it stopped at, with the same estimators.
    CHECK(to_precision.summary.variance_reduction_points == VR_POINTS * to_precision.summary.trials);
    RunSettings plain;
    plain.sampling = sampling;
    plain.trials = to_precision.summary.trials;
    plain.variance_reduction = true;
    Summary same = to_precision.summary;
    same.precision.reset();
    CHECK(summary_json(same) == summary_json(run(s, plain).summary));
    // Spread over processes: the same rounds and numbers.
    const std::string serial = summary_json(to_precision.summary);
    const std::string spread = test::as_processes(2, [&](const Communicator& comm) {
      RunSettings mine = o;
      mine.communicator = &comm;
      const RunResult r = run(s, mine);
      return comm.rank() == 0 ? summary_json(r.summary) : std::string();
    });
    CHECK(spread == serial);
  }
}

TEST_CASE("A precision out of reach stops at the maximum and says so, and targets are parsed strictly",
          "[precision]") {
  const Scenario s = test::scenario_from(SMALL);
  RunSettings o;
  o.precision = std::vector{parse_precision("total_cost:p99:0.01%")};
  o.max_trials = 10000;
  const RunResult r = run(s, o);
  REQUIRE(r.summary.precision);
  CHECK_FALSE(r.summary.precision->met());
  CHECK(r.summary.trials == 10000);
  CHECK(r.summary.precision->describe().find("NOT met by the maximum of 10000 trials") == 0);
  const std::string json = summary_json(r.summary);
  CHECK(json.find("\"met\": false") != std::string::npos);

  const PrecisionTarget t = parse_precision("revenue_lost:cvar95:2e6");
  CHECK(t.metric == "revenue_lost");
  CHECK(t.statistic == "cvar95");
  CHECK(t.tolerance == 2e6);
  CHECK_FALSE(t.relative);
  CHECK(parse_precision("total_cost:p95:0.5%").tolerance == Approx(0.005));
  CHECK(parse_precision("total_cost:p95:0.5%").text() == "total_cost:p95:0.5%");
  CHECK_THROWS_WITH(parse_precision("total_cost:p97:1%"), Catch::Contains("unknown statistic 'p97'"));
  CHECK_THROWS_WITH(parse_precision("total:p95:1%"), Catch::Contains("unknown metric 'total'"));
  CHECK_THROWS_WITH(parse_precision("total_cost:p95:-1%"), Catch::Contains("not a number above 0"));
  CHECK_THROWS_WITH(parse_precision("total_cost:p95"), Catch::Contains("three parts"));
  CHECK_THROWS_WITH(parse_precision("total_cost:mean:1%", true),
                    Catch::Contains("unknown metric 'total_cost'"));
  CHECK(parse_precision("net_benefit:mean:5%", true).metric == "net_benefit");
}

TEST_CASE("A comparison to a precision meets its targets on every alternative", "[precision]") {
  const Scenario base = load_scenario(std::string(CXRISK_SCENARIOS) + "/telecom.yaml");
  const Scenario alt = load_scenario(std::string(CXRISK_SCENARIOS) + "/telecom_prevention.yaml");
  RunSettings o;
  o.sampling = Sampling::sobol;
  o.precision = std::vector{parse_precision("net_benefit:mean:2%", true)};
  const Comparison c = compare(base, {alt}, o);
  REQUIRE(c.precision);
  CHECK(c.precision->met());
  CHECK(c.trials == c.precision->rounds.back().trials);
  const TargetStatus& t = c.precision->rounds.back().targets.at(0);
  CHECK(t.of == alt.name);
  CHECK(t.half_width <= 0.02 * std::abs(c.alternatives[0].net_benefit.mean));
  RunSettings plain;
  plain.sampling = Sampling::sobol;
  plain.trials = c.trials;
  CHECK(comparison_json(compare(base, {alt}, plain)).substr(0, 40) == comparison_json(c).substr(0, 40));
  CHECK(compare(base, {alt}, plain).alternatives[0].net_benefit.mean == c.alternatives[0].net_benefit.mean);
}

TEST_CASE("Variance reduction changes no expectation: with and without it agree on every shipped scenario",
          "[precision]") {
  for (const auto& entry : std::filesystem::directory_iterator(CXRISK_SCENARIOS)) {
    if (entry.path().extension() != ".yaml") continue;
    const Scenario s = load_scenario(entry.path().string());
    INFO(entry.path().filename().string());
    RunSettings o;
    o.trials = 2000;
    o.variance_reduction = false;
    const Summary plain = run(s, o, Keep{.breakdowns = false}).summary;
    o.variance_reduction = true;
    const Summary reduced = run(s, o, Keep{.breakdowns = false}).summary;
    CHECK(reduced.variance_reduction_points == VR_POINTS * 2000);
    for (int m = 0; m < N_METRICS; ++m) {
      INFO(METRIC_NAMES[static_cast<std::size_t>(m)]);
      const Stats &a = plain.total(m), &b = reduced.total(m);
      // Two estimates of the same figure from the same trials: within 4.5 of their standard errors
      // combined (conservative, as they are positively correlated), the percentiles' from their intervals.
      CHECK(std::abs(a.mean - b.mean) <= 4.5 * std::hypot(a.se, b.se) + 1e-9 * std::abs(a.mean));
      const auto se = [](const Interval& ci) { return ci.half_width() / 1.96; };
      CHECK(std::abs(a.p95() - b.p95()) <=
            4.5 * std::hypot(se(a.percentile_ci[6]), se(b.percentile_ci[6])) + 1e-9 * std::abs(a.p95()));
      CHECK(std::abs(a.cvar95 - b.cvar95) <=
            4.5 * std::hypot(se(a.cvar95_ci), se(b.cvar95_ci)) + 1e-9 * std::abs(a.cvar95));
      // The reduced estimator is at least as precise as the plain one, bar the noise of estimating that.
      CHECK(b.se <= 1.1 * a.se + 1e-12);
    }
  }
}

TEST_CASE("Variance reduction gives the same numbers at any thread or process count, with every design",
          "[precision]") {
  const Scenario s = test::scenario_from(SMALL);
  for (Sampling sampling : {Sampling::random, Sampling::lhs, Sampling::sobol}) {
    INFO(to_string(sampling));
    RunSettings o;
    o.trials = 1000;
    o.sampling = sampling;
    o.variance_reduction = true;
    o.threads = 1;
    const std::string one = summary_json(run(s, o).summary);
    o.threads = 2;
    CHECK(summary_json(run(s, o).summary) == one);
    const std::string spread = test::as_processes(3, [&](const Communicator& comm) {
      RunSettings mine = o;
      mine.communicator = &comm;
      const RunResult r = run(s, mine);
      return comm.rank() == 0 ? summary_json(r.summary) : std::string();
    });
    CHECK(spread == one);
  }
}
