// Confidence intervals on every statistic: they cover the true value at the nominal rate, with every design.
#include <catch2/catch.hpp>
#include <cmath>

#include "cxrisk/output.h"
#include "helpers.h"

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
  for (Sampling sampling : {Sampling::random, Sampling::lhs, Sampling::sobol}) {
    int mean = 0, p50 = 0, p95 = 0, cvar = 0;
    for (int rep = 0; rep < REPETITIONS; ++rep) {
      RunSettings o;
      o.trials = 2048;
      o.seed = 1000 + static_cast<std::uint64_t>(rep);
      o.threads = 1;
      o.sampling = sampling;
      const Stats x = run(s, o, Keep{.breakdowns = false}).summary.total(total_cost);
      const auto covers = [](const Interval& ci, double value) { return ci.low <= value && value <= ci.high; };
      mean += covers(x.mean_ci, truth.mean);
      p50 += covers(x.percentile_ci[3], truth.p50());
      p95 += covers(x.percentile_ci[6], truth.p95());
      cvar += covers(x.cvar95_ci, truth.cvar95);
    }
    INFO(to_string(sampling) << ": mean " << mean << ", p50 " << p50 << ", p95 " << p95 << ", cvar95 " << cvar
                             << " of " << REPETITIONS);
    for (int covered : {mean, p50, p95, cvar}) {
      CHECK(covered >= 0.93 * REPETITIONS);
      CHECK(covered <= 0.97 * REPETITIONS);
    }
  }
}
