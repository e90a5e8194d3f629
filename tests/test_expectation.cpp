// The chain in expectation at a trial's inputs is E[metric | inputs]: the Monte Carlo mean of many trials
// whose inputs are fixed at those values.
#include <catch2/catch.hpp>
#include <filesystem>

#include "cxrisk/expectation.h"
#include "cxrisk/loader.h"
#include "cxrisk/simulate.h"
#include "helpers.h"

using namespace cxrisk;
namespace fs = std::filesystem;

namespace {

// Every series of E[. | trial t's inputs] against the mean of `trials` trials of the scenario fixed at them.
void check_against_fixed_inputs(const Scenario& scenario, std::uint64_t trial, std::int64_t trials) {
  const Model model(scenario, scenario.seed);
  ConditionalExpectation e(model);
  std::vector<double> row(static_cast<std::size_t>(model.layout().n_series()));
  e.at_trial(trial, row.data());
  const Scenario fixed = fixed_at(model, e.draw());
  REQUIRE(uncertain_inputs(fixed).empty());
  RunSettings settings;
  settings.trials = trials;
  settings.seed = 99;
  const RunResult r = run(fixed, settings);
  const Layout& L = r.summary.layout;
  for (int s = 0; s < L.n_series(); ++s) {
    const Stats& x = r.summary.stats[static_cast<std::size_t>(s)];
    INFO(scenario.name << ", series " << s << " (entry " << s / N_METRICS << ", " << METRIC_NAMES[s % N_METRICS]
                       << "): run " << x.mean << " se " << x.se << ", E " << row[static_cast<std::size_t>(s)]);
    CHECK(test::within_se(x.mean, row[static_cast<std::size_t>(s)], x.se));
  }
}

}  // namespace

TEST_CASE("E[metric | a trial's inputs] is the mean of trials with those inputs fixed, on every shipped scenario",
          "[expectation][statistical]") {
  for (const auto& entry : fs::directory_iterator(CXRISK_SCENARIOS)) {
    if (entry.path().extension() != ".yaml") continue;
    const Scenario s = load_scenario(entry.path().string());
    check_against_fixed_inputs(s, 17, 3000);
  }
}

TEST_CASE("With fixed inputs, E[metric | inputs] is expect's answer, and at a trial's inputs it is not",
          "[expectation]") {
  const Scenario fixed = test::scenario_from(test::fixed_chain("lifetime"));
  const Model model(fixed, 1);
  ConditionalExpectation e(model);
  std::vector<double> row(static_cast<std::size_t>(model.layout().n_series()));
  e.at_trial(5, row.data());
  const Summary closed = expect(fixed);
  for (std::size_t s = 0; s < row.size(); ++s) CHECK(row[s] == Approx(closed.stats[s].mean).epsilon(1e-12).margin(1e-9));
  const Scenario uncertain = load_scenario(std::string(CXRISK_SCENARIOS) + "/telecom.yaml");
  const Model m(uncertain, 1);
  ConditionalExpectation u(m);
  std::vector<double> a(static_cast<std::size_t>(m.layout().n_series())), b(a.size());
  u.at_trial(1, a.data());
  u.at_trial(2, b.data());
  CHECK(a[total_cost] != b[total_cost]);
  // The same uniforms give the same numbers, however they are given.
  std::vector<double> uniforms;
  m.uniforms(1, uniforms);
  u.at(uniforms, b.data());
  CHECK(a == b);
}
