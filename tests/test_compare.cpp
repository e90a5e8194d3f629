#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "cxrisk/compare.h"
#include "cxrisk/loader.h"
#include "cxrisk/output.h"
#include "helpers.h"

using namespace cxrisk;
namespace fs = std::filesystem;

namespace {
const std::string DIR = std::string(CXRISK_TEST_DATA) + "/compare";
Scenario load(const std::string& name) {
  return load_scenario(DIR + "/" + name);
}

Comparison compare_with(const Scenario& base, const std::vector<Scenario>& alts, std::int64_t trials,
                        std::uint64_t seed) {
  RunSettings o;
  o.trials = trials;
  o.seed = seed;
  return compare(base, alts, o);
}
}  // namespace

TEST_CASE("set changes replace quantities and shares by name", "[compare]") {
  const Scenario base = load("base.yaml"), s = load("set.yaml");
  CHECK(s.name == "Set");
  CHECK(s.problems[0][Param::complaint_rate] == Quantity::fixed(0.6));
  CHECK(s.problems[1].handling[0].resolution.values == std::array<double, 3>{0.7, 0.2, 0.1});
  CHECK(s.segments[1][Param::value_mean] == Quantity::fixed(800));
  // Everything else is the base's.
  CHECK(s.problems[1][Param::complaint_rate] == base.problems[1][Param::complaint_rate]);
  CHECK(s.segments[0][Param::value_mean] == base.segments[0][Param::value_mean]);
  REQUIRE(s.has_investment);
  CHECK(s[Param::upfront] == Quantity::fixed(20000));
  CHECK(s[Param::per_period] == Quantity::fixed(3000));
}

TEST_CASE("scale changes multiply quantities, globs match every name at a level", "[compare]") {
  const Scenario base = load("base.yaml"), s = load("scale.yaml"), g = load("glob.yaml");
  CHECK(s.problems[0][Param::incidence] == Quantity::fixed(0.025));
  CHECK(s.problems[1][Param::incidence] == Quantity::fixed(0.01));
  CHECK(s.segments[0][Param::customers] == Quantity::fixed(20020));  // a count stays whole
  for (const Problem& p : g.problems) CHECK(p.handling[1][Param::cost] == Quantity::fixed(20));
  CHECK(g.problems[1][Param::loyalty_no_problem] == Quantity::fixed(0.9));
  for (Outcome o :
       {Outcome::silent, Outcome::quick, Outcome::resolved, Outcome::mollified, Outcome::unresolved})
    CHECK(g.problems[1][loyalty_of(o)] == Quantity::fixed(0.9));
  CHECK(g.problems[0][loyalty_of(Outcome::silent)] == base.problems[0][loyalty_of(Outcome::silent)]);
  CHECK(g.segments[0][Param::baseline_churn] == Quantity::fixed(0.01));
  CHECK(g.segments[1][Param::baseline_churn] == Quantity::fixed(0.005));
  // Scaling a distribution multiplies every draw.
  const Scenario t = load_scenario(std::string(CXRISK_SCENARIOS) + "/telecom_prevention.yaml");
  const Scenario b = load_scenario(std::string(CXRISK_SCENARIOS) + "/telecom.yaml");
  CHECK(t.problems[1][Param::incidence].quantile(0.3) ==
        Approx(0.7 * b.problems[1][Param::incidence].quantile(0.3)));
}

TEST_CASE("Chains of extends apply every file's changes in order", "[compare]") {
  const Scenario c = load("chain.yaml");
  CHECK(c.name == "Chain");
  CHECK(c.problems[0][Param::complaint_rate] == Quantity::fixed(0.3));  // set to 0.6 by set.yaml, then halved
  CHECK(c.segments[1][Param::value_mean] == Quantity::fixed(800));      // from set.yaml
  REQUIRE(c.has_investment);                                            // inherited
  CHECK(c[Param::upfront] == Quantity::fixed(20000));
}

TEST_CASE("A chain of extends is at most 64 scenarios long (deeper ones are refused, not a stack overflow)",
          "[compare]") {
  const fs::path dir = fs::temp_directory_path() / "cxrisk_extends_depth";
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(std::string(CXRISK_SCENARIOS) + "/tarp_major.yaml", dir / "e0.yaml");
  const auto file = [&](int i) { return dir / fs::path("e").concat(std::to_string(i)).concat(".yaml"); };
  for (int i = 1; i <= 5000; ++i)
    std::ofstream(file(i)) << "cxrisk: 1\nname: level " << i
                           << "\nextends: " << file(i - 1).filename().string()
                           << "\nchanges:\n  - {scale: problems.*.incidence, by: 0.99}\n";
  const Scenario deepest = load_scenario((dir / "e63.yaml").string());  // e63 ... e0: 64 scenarios
  CHECK(deepest.problems[0][Param::incidence].mean() == Approx(std::pow(0.99, 63)));
  CHECK_THROWS_WITH(load_scenario((dir / "e64.yaml").string()),
                    Catch::Contains("e1.yaml:3:10: extends: more than 64 scenarios extend one another "
                                    "(e64.yaml -> ... -> e0.yaml)"));
  CHECK_THROWS_AS(load_scenario((dir / "e5000.yaml").string()), ScenarioError);
  fs::remove_all(dir);
}

TEST_CASE("Bad improvement scenarios give their exact errors", "[compare]") {
  for (const char* name :
       {"cycle_a.yaml", "unmatched.yaml", "unmatched_key.yaml", "scale_above_one.yaml", "unknown_key.yaml",
        "missing_base.yaml", "scale_shares.yaml", "scale_overflow.yaml"}) {
    const std::string file = DIR + "/" + name;
    std::ifstream in(file);
    std::string first;
    std::getline(in, first);
    std::string expected = first.substr(9);
    if (auto at = expected.find("{file}"); at != std::string::npos) expected.replace(at, 6, file);
    if (auto at = expected.find("{dir}"); at != std::string::npos) expected.replace(at, 5, DIR);
    INFO(file);
    try {
      load_scenario(file);
      FAIL("no error");
    } catch (const ScenarioError& e) {
      CHECK(std::string(e.what()) == expected);
    }
  }
}

TEST_CASE("Changes can be applied to a loaded scenario", "[compare]") {
  const Scenario base = load("base.yaml");
  const Scenario a = apply_changes(base, R"([{"set": "problems.late_parcel.complaint_rate", "to": 0.6},
    {"set": "problems.wrong_invoice.handling.chat.resolution", "to": {"resolved": 0.7, "mollified": 0.2, "unresolved": 0.1}},
    {"set": "segments.trade.value.mean", "to": 800}])");
  const Scenario b = load("set.yaml");
  Scenario same = a;  // the file also renames and adds an investment
  same.name = b.name;
  same.has_investment = b.has_investment;
  same[Param::upfront] = b[Param::upfront];
  same[Param::per_period] = b[Param::per_period];
  CHECK(dump_yaml(same) == dump_yaml(b));
  CHECK_THROWS_AS(apply_changes(base, "[{set: problems.nope.incidence, to: 0.1}]"), ScenarioError);
}

TEST_CASE("An alternative identical to the base saves exactly zero in every trial", "[compare]") {
  const Comparison c = compare_with(load("base.yaml"), {load("same.yaml")}, 2000, 17);
  const AlternativeResult& a = c.alternatives[0];
  for (double x : a.savings_samples) REQUIRE(x == 0.0);
  CHECK(a.savings_total_cost.sd == 0);
  CHECK(a.savings_customers_lost.max == 0);
  CHECK(a.savings_revenue_lost.min == 0);
}

TEST_CASE("With fixed parameters the mean saving equals the difference of the expect answers",
          "[compare][statistical]") {
  const Scenario base = load("base.yaml");
  const std::vector<Scenario> alts{load("set.yaml"), load("scale.yaml"), load("glob.yaml"),
                                   load("chain.yaml")};
  const Comparison c = compare_with(base, alts, 20000, 20261123);
  const Summary eb = expect(base);
  for (std::size_t i = 0; i < alts.size(); ++i) {
    const Summary ea = expect(alts[i]);
    const AlternativeResult& a = c.alternatives[i];
    INFO(a.name);
    const std::pair<const Stats*, int> checks[] = {{&a.savings_total_cost, total_cost},
                                                   {&a.savings_revenue_lost, revenue_lost},
                                                   {&a.savings_customers_lost, customers_lost}};
    for (auto [stats, metric] : checks) {
      const double expected = eb.total(metric).mean - ea.total(metric).mean;
      INFO(METRIC_NAMES[metric] << ": mean saving " << stats->mean << " (se " << stats->se << "), expect "
                                << expected);
      CHECK(test::within_se(stats->mean, expected, stats->se));
    }
  }
  // Investment with fixed parameters: upfront + per_period discounted over the horizon.
  const double d = std::pow(1.1, -1.0 / 12);
  double pv = 20000;
  for (int t = 1; t <= 6; ++t) pv += 3000 * std::pow(d, t);
  CHECK(c.alternatives[0].investment_pv.mean == Approx(pv));
  CHECK(c.alternatives[0].net_benefit.mean == Approx(c.alternatives[0].savings_total_cost.mean - pv));
  CHECK_FALSE(c.alternatives[2].roi.has_value());  // no investment, no ROI
}

TEST_CASE("Common random numbers cut the standard error of a saving at least five-fold",
          "[compare][statistical]") {
  // A shipped business case with uncertain inputs: telecom against first-contact resolution.
  const Scenario base = load_scenario(std::string(CXRISK_SCENARIOS) + "/telecom.yaml");
  const Scenario alt =
      load_scenario(std::string(CXRISK_SCENARIOS) + "/telecom_first_contact_resolution.yaml");
  const std::int64_t trials = 3000;
  const Comparison c = compare_with(base, {alt}, trials, 11);
  // Two independent runs: the standard error of the difference of their means.
  RunSettings o;
  o.trials = trials;
  o.seed = 11;
  const Stats b = run(base, o).summary.total(total_cost);
  o.seed = 12;
  const Stats a = run(alt, o).summary.total(total_cost);
  const double independent = std::hypot(a.se, b.se), paired = c.alternatives[0].savings_total_cost.se;
  INFO("se of the mean saving: paired " << paired << ", independent runs " << independent << ", ratio "
                                        << independent / paired);
  CHECK(paired * 5 <= independent);
}

TEST_CASE("An expanded scenario runs to the same numbers as the original", "[compare]") {
  const fs::path dir = fs::temp_directory_path() / "cxrisk_expand_test";
  fs::create_directories(dir);
  for (const char* name :
       {"telecom_prevention.yaml", "saas_b2b.yaml", "ecommerce_first_contact_resolution.yaml"}) {
    const Scenario s = load_scenario(std::string(CXRISK_SCENARIOS) + "/" + name);
    const fs::path file = dir / name;
    std::ofstream(file) << dump_yaml(s, true);
    const Scenario again = load_scenario(file.string());
    RunSettings o;
    o.trials = 300;
    INFO(name);
    CHECK(summary_json(run(again, o).summary) == summary_json(run(s, o).summary));
    CHECK(dump_yaml(again, true) == dump_yaml(s, true));
  }
  fs::remove_all(dir);
}
