#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cxrisk/changes.h"
#include "cxrisk/loader.h"
#include "cxrisk/output.h"
#include "cxrisk/registry.h"
#include "cxrisk/text.h"
#include "helpers.h"

using namespace cxrisk;
namespace fs = std::filesystem;

TEST_CASE("Defaults are filled in as MODEL.md section 5 says", "[loader]") {
  const Scenario s = test::scenario_from(R"(
cxrisk: 1
name: Minimal
horizon: {periods: 2}
segments:
  - {name: a, customers: 10, value: {mean: 5}}
  - {name: b, customers: 20, value: {mean: 5, cv: 0.5}}
problems:
  - name: p
    incidence: 0.1
    complaint_rate: 0.5
    handling: [{resolution: {resolved: 1}}]
    loyalty: {no_problem: 0.9, silent: 0.5, quick: 0.9, resolved: 0.8, mollified: 0.7, unresolved: 0.4}
)");
  CHECK(s.period == PeriodUnit::month);
  CHECK(s[Param::discount_rate] == Quantity::fixed(0));
  CHECK(s.valuation == ValuationMethod::annual);
  CHECK(s[Param::margin] == Quantity::fixed(1));
  CHECK(s.trials == 10000);
  CHECK(s.seed == 1);
  CHECK(s[Param::negative_conversion] == Quantity::fixed(0));
  CHECK(s[Param::positive_conversion] == Quantity::fixed(0));
  CHECK(s.segments[0][Param::baseline_churn] == Quantity::fixed(0));
  CHECK(s.segments[0].value.shape == ValueShape::fixed);  // cv 0
  CHECK(s.segments[1].value.shape == ValueShape::gamma);  // cv > 0
  const Problem& p = s.problems[0];
  CHECK(p.cause == Cause::unspecified);
  CHECK(p.segments.empty());
  CHECK(s.applies(0, 0));
  CHECK(s.applies(0, 1));
  CHECK(p.handling[0].name == "tier1");
  CHECK(p.handling[0][Param::escalate] == Quantity::fixed(0));
  CHECK(p.handling[0][Param::cost] == Quantity::fixed(0));
  CHECK(p.handling[0].resolution.values == std::array<double, 3>{1, 0, 0});
  for (Outcome o :
       {Outcome::silent, Outcome::quick, Outcome::resolved, Outcome::mollified, Outcome::unresolved}) {
    CHECK(p[told_negative(o)] == Quantity::fixed(0));
    CHECK(p[told_positive(o)] == Quantity::fixed(0));
  }
}

TEST_CASE("Every quantity form loads", "[loader]") {
  const Scenario s = test::scenario_from(R"(
cxrisk: 1
name: Forms
horizon: {periods: 1, discount_rate: {dist: normal, mean: 0.05, sd: 0.01, min: 0, max: 0.2}}
valuation: {method: horizon, margin: {dist: triangular, min: 0.2, mode: 0.3, max: 0.5}}
word_of_mouth: {negative_conversion: {dist: uniform, min: 0.01, max: 0.03}, positive_conversion: {dist: beta, alpha: 2, beta: 98}}
segments:
  - {name: a, customers: {dist: normal, mean: 1000, sd: 50, min: 0}, value: {mean: {dist: lognormal, median: 50, sigma: 0.2}, cv: {dist: gamma, mean: 0.8, sd: 0.1}}}
  - {name: b, customers: 100, value: {mean: {dist: lognormal, mean: 50, sd: 5}, cv: {dist: gamma, shape: 20, scale: 0.05}, shape: lognormal}}
problems:
  - name: p
    incidence: {observed: 37, of: 1200}
    complaint_rate: {dist: pert, min: 0.4, mode: 0.5, max: 0.7}
    handling: [{resolution: {dist: dirichlet, resolved: 50, mollified: 30, unresolved: 20}}]
    loyalty: {no_problem: {dist: beta, mean: 0.9, sd: 0.02}, silent: 0.5, quick: 0.9, resolved: 0.8, mollified: 0.7, unresolved: 0.4}
)");
  CHECK(s.problems[0][Param::incidence].form() == QuantityForm::observed);
  CHECK(s.problems[0][Param::complaint_rate].form() == QuantityForm::pert);
  CHECK(s.problems[0].handling[0].resolution.dirichlet);
  CHECK(s.problems[0][Param::loyalty_no_problem].form() == QuantityForm::beta_mean_sd);
  CHECK(s[Param::positive_conversion].form() == QuantityForm::beta_alpha_beta);
  CHECK(s.segments[0][Param::customers].form() == QuantityForm::normal);
  CHECK(s.segments[0][Param::value_mean].form() == QuantityForm::lognormal_median_sigma);
  CHECK(s.segments[1][Param::value_mean].form() == QuantityForm::lognormal_mean_sd);
  CHECK(s.segments[0][Param::value_cv].form() == QuantityForm::gamma_mean_sd);
  CHECK(s.segments[1][Param::value_cv].form() == QuantityForm::gamma_shape_scale);
  CHECK(s[Param::discount_rate].form() == QuantityForm::normal);
  CHECK(s[Param::margin].form() == QuantityForm::triangular);
  CHECK(s[Param::negative_conversion].form() == QuantityForm::uniform);
  // The round trip keeps every form.
  const Scenario again = load_scenario_text(dump_yaml(s), "<dump>", CXRISK_TEST_DATA);
  CHECK(dump_yaml(again) == dump_yaml(s));
  RunSettings options;
  options.trials = 300;
  CHECK(summary_json(run(again, options).summary) == summary_json(run(s, options).summary));
}

TEST_CASE("Shipped scenarios survive load, dump, load unchanged", "[loader]") {
  for (const auto& entry : fs::directory_iterator(CXRISK_SCENARIOS)) {
    if (entry.path().extension() != ".yaml") continue;
    INFO(entry.path());
    const Scenario s = load_scenario(entry.path().string());
    const std::string yaml = dump_yaml(s);
    const Scenario again = load_scenario_text(yaml, "<dump>", entry.path().parent_path().string());
    CHECK(dump_yaml(again) == yaml);
    CHECK(again == s);
    RunSettings options;
    options.trials = 200;
    CHECK(summary_json(run(again, options).summary) == summary_json(run(s, options).summary));
  }
}

TEST_CASE("Each malformed scenario gives its exact error", "[loader]") {
  const fs::path dir = fs::path(CXRISK_TEST_DATA) / "bad";
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    std::ifstream in(entry.path());
    std::string first;
    std::getline(in, first);
    REQUIRE(first.rfind("# error: ", 0) == 0);
    std::string expected = first.substr(9);
    const std::string file = entry.path().string();
    expected.replace(expected.find("{file}"), 6, file);
    if (const auto at = expected.find("{dir}"); at != std::string::npos)
      expected.replace(at, 5, dir.string());
    INFO(file);
    try {
      load_scenario(file);
      FAIL("no error for " << file);
    } catch (const ScenarioError& e) {
      CHECK(std::string(e.what()) == expected);
      CHECK(e.loc().file == file);
      CHECK(e.loc().line > 0);
    }
  }
  CHECK(files >= 20);
}

TEST_CASE("Names are UTF-8 text without control characters", "[loader]") {
  CHECK(is_plain_text("late_parcel"));
  CHECK(is_plain_text("Make complaining easy"));
  CHECK(is_plain_text("\u914d\u9001\u9045\u5ef6"));  // Japanese
  CHECK(is_plain_text("\u00e9t\u00e9 \U0001F600"));  // two-byte and four-byte sequences
  CHECK_FALSE(is_plain_text(std::string("late\0parcel", 11)));
  CHECK_FALSE(is_plain_text("late\tparcel"));
  CHECK_FALSE(is_plain_text("late\x7fparcel"));
  CHECK_FALSE(is_plain_text("\xc2\x85"));          // U+0085, a C1 control
  CHECK_FALSE(is_plain_text("\xff"));              // not a lead byte
  CHECK_FALSE(is_plain_text("\xe9t\xe9"));         // Latin-1, not UTF-8
  CHECK_FALSE(is_plain_text("\xe3\x81"));          // truncated
  CHECK_FALSE(is_plain_text("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(is_plain_text("\xed\xa0\x80"));      // a surrogate
  CHECK_FALSE(is_plain_text("\xf4\x90\x80\x80"));  // above U+10FFFF
}

TEST_CASE("A missing file is an error naming it", "[loader]") {
  CHECK_THROWS_AS(load_scenario("/nonexistent/x.yaml"), ScenarioError);
}

TEST_CASE("Problems are visited in journey order, then file order", "[loader]") {
  const Scenario s = test::scenario_from(R"(
cxrisk: 1
name: Order
horizon: {periods: 1}
segments: [{name: a, customers: 10, value: {mean: 5}}]
stages: [awareness, purchase, use]
problems:
  - {name: u1, stage: use, incidence: 0.1, complaint_rate: 0, loyalty: {no_problem: 1, silent: 1, quick: 1, resolved: 1, mollified: 1, unresolved: 1}}
  - {name: a1, stage: awareness, incidence: 0.1, complaint_rate: 0, loyalty: {no_problem: 1, silent: 1, quick: 1, resolved: 1, mollified: 1, unresolved: 1}}
  - {name: u2, stage: use, incidence: 0.1, complaint_rate: 0, loyalty: {no_problem: 1, silent: 1, quick: 1, resolved: 1, mollified: 1, unresolved: 1}}
  - {name: p1, stage: purchase, incidence: 0.1, complaint_rate: 0, loyalty: {no_problem: 1, silent: 1, quick: 1, resolved: 1, mollified: 1, unresolved: 1}}
)");
  CHECK(s.journey_order() == std::vector<int>{1, 3, 0, 2});
}

TEST_CASE("Empirical values are read relative to the scenario file", "[loader]") {
  const Scenario s = test::scenario_from(test::fixed_chain("annual"));
  const Value& v = s.segments[3].value;
  CHECK(v.shape == ValueShape::empirical);
  CHECK(v.empirical.size() == 50);
  CHECK(v.empirical_file == "values.csv");
}

TEST_CASE("The schema version has one rule in every file: a number equal to 1", "[loader]") {
  const fs::path dir = fs::temp_directory_path() / "cxrisk_schema_version";
  fs::create_directories(dir);
  std::string base = test::TARP_WORKED_EXAMPLE;
  base.replace(base.find("cxrisk: 1"), 9, "cxrisk: 1.0");
  std::ofstream(dir / "base.yaml") << base;
  for (const char* version : {"1", "1.0", "1e0"}) {
    INFO(version);
    std::ofstream(dir / "alt.yaml") << "cxrisk: " << version << "\nname: Alt\nextends: base.yaml\n";
    CHECK(load_scenario((dir / "base.yaml").string()).name == "TARP worked example");
    CHECK(load_scenario((dir / "alt.yaml").string()).name == "Alt");
    std::string again = test::TARP_WORKED_EXAMPLE;
    again.replace(again.find("cxrisk: 1"), 9, std::string("cxrisk: ") + version);
    CHECK(test::scenario_from(again).name == "TARP worked example");
  }
  for (const char* version : {"2", "1.5", "one", "[1]"}) {
    INFO(version);
    std::ofstream(dir / "alt.yaml") << "cxrisk: " << version << "\nname: Alt\nextends: base.yaml\n";
    CHECK_THROWS_WITH(load_scenario((dir / "alt.yaml").string()),
                      Catch::Contains("cxrisk: unsupported schema version"));
    std::string again = test::TARP_WORKED_EXAMPLE;
    again.replace(again.find("cxrisk: 1"), 9, std::string("cxrisk: ") + version);
    CHECK_THROWS_WITH(test::scenario_from(again), Catch::Contains("cxrisk: unsupported schema version"));
  }
  fs::remove_all(dir);
}

TEST_CASE("The registry lists a scenario's uncertain inputs by path, with their distributions", "[loader][registry]") {
  const Scenario s = load_scenario(std::string(CXRISK_SCENARIOS) + "/telecom.yaml");
  const std::vector<ParamRef> inputs = uncertain_inputs(s);
  std::vector<std::string> paths;
  for (const ParamRef& r : inputs) {
    INFO(r.path_text());
    CHECK(r.active);
    CHECK(r.uncertain());
    CHECK_FALSE(r.describe().empty());
    paths.push_back(r.path_text());
  }
  const auto has = [&](const std::string& p) { return std::find(paths.begin(), paths.end(), p) != paths.end(); };
  CHECK(has("problems.billing_error.complaint_rate"));
  CHECK(has("problems.billing_error.incidence"));
  CHECK(has("word_of_mouth.negative_conversion"));
  // A Dirichlet's shares are one input.
  CHECK(std::count(paths.begin(), paths.end(), "problems.device_setup.handling.front_line.resolution") == 1);
  // Fixed numbers are not inputs.
  CHECK_FALSE(has("problems.billing_error.handling.front_line.cost"));
  // Every path resolves back to its own parameter, one for one.
  for (const ParamRef& r : inputs) {
    const std::vector<ParamRef> back = resolve_path(s, r.path_text(), {}, "");
    REQUIRE(back.size() == 1);
    CHECK(back[0].index_path == r.index_path);
  }
}

TEST_CASE("A name that holds a dot is addressed in quotes", "[loader][registry]") {
  std::string yaml = test::TARP_WORKED_EXAMPLE;
  yaml.replace(yaml.find("name: major"), 11, "name: \"claims.delay\"");
  const Scenario s = test::scenario_from(yaml);
  const Scenario changed = apply_changes(s, "[{set: 'problems.\"claims.delay\".complaint_rate', to: 0.25}]");
  CHECK(changed.problems[0][Param::complaint_rate] == Quantity::fixed(0.25));
  CHECK_THROWS_WITH(apply_changes(s, "[{set: problems.claims.delay.complaint_rate, to: 0.25}]"),
                    Catch::Contains("no problem 'claims'") && Catch::Contains("claims.delay"));
  CHECK_THROWS_WITH(apply_changes(s, "[{set: 'problems.\"claims.delay.complaint_rate', to: 0.25}]"),
                    Catch::Contains("a quoted name is not closed"));
}
