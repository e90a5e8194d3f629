#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "cxrisk/batch.h"
#include "cxrisk/loader.h"
#include "cxrisk/output.h"
#include "helpers.h"

using namespace cxrisk;
namespace fs = std::filesystem;

TEST_CASE("Sweep axes parse ranges and lists", "[batch]") {
  const SweepAxis a = parse_sweep_axis("problems.x.complaint_rate=0.1:0.6:0.1");
  CHECK(a.path == "problems.x.complaint_rate");
  CHECK(a.values == std::vector<double>{0.1, 0.2, 0.3, 0.4, 0.5, 0.6});
  CHECK(parse_sweep_axis("segments.s.customers=1000,5000, 9000").values ==
        std::vector<double>{1000, 5000, 9000});
  CHECK(parse_sweep_axis("p=2:2:1").values == std::vector<double>{2});
  CHECK_THROWS_AS(parse_sweep_axis("p"), UsageError);
  CHECK_THROWS_AS(parse_sweep_axis("p=1:0:0.1"), UsageError);
  CHECK_THROWS_AS(parse_sweep_axis("p=0:1:0"), UsageError);
  CHECK_THROWS_AS(parse_sweep_axis("p=0:1"), UsageError);
  CHECK_THROWS_AS(parse_sweep_axis("p=a,b"), UsageError);
  // Ranges with more steps than an axis takes, or more than a double can count, are refused as such.
  CHECK(parse_sweep_axis("p=0:99999:1").values.size() == 100000);
  for (const char* spec : {"p=0:100000:1", "p=0:1:1e-300", "p=-1e308:1e308:1", "p=0:1e308:1e-308"}) {
    INFO(spec);
    CHECK_THROWS_WITH(parse_sweep_axis(spec), Catch::Contains("more than 100000 values"));
  }
}

TEST_CASE("A sweep refuses a path varied twice and a grid too large, before anything runs", "[batch]") {
  const Scenario base = load_scenario(std::string(CXRISK_TEST_DATA) + "/compare/base.yaml");
  RunSettings o;
  o.trials = 10;
  const SweepAxis rate = parse_sweep_axis("problems.late_parcel.complaint_rate=0.1,0.2");
  CHECK_THROWS_WITH(sweep(base, {rate, rate}, o), Catch::Contains("varied twice"));
  // 50000^4 points overflow a 64-bit count: refused as too many, not wrapped around to a small grid.
  const SweepAxis wide = parse_sweep_axis("segments.retail.baseline_churn=0:0.49999:0.00001");
  REQUIRE(wide.values.size() == 50000);
  const SweepAxis wide2 = parse_sweep_axis("problems.late_parcel.complaint_rate=0:0.49999:0.00001");
  CHECK_THROWS_WITH(sweep(base, {wide, wide2}, o), Catch::Contains("more than 1000000 points"));
  // 65536^4 is 2^64, which a 64-bit count would wrap to 0.
  std::vector<SweepAxis> axes;
  for (const char* path : {"a", "b", "c", "d"}) axes.push_back({path, std::vector<double>(65536, 0.01)});
  CHECK_THROWS_WITH(sweep(base, axes, o), Catch::Contains("more than 1000000 points"));
}

TEST_CASE("Each sweep point's mean equals expect for that point", "[batch][statistical]") {
  const Scenario base = load_scenario(std::string(CXRISK_TEST_DATA) + "/compare/base.yaml");
  const std::vector<SweepAxis> axes{parse_sweep_axis("problems.late_parcel.complaint_rate=0.1:0.6:0.25"),
                                    parse_sweep_axis("segments.retail.baseline_churn=0.01,0.05")};
  RunSettings o;
  o.trials = 8000;
  const Sweep s = sweep(base, axes, o);
  REQUIRE(s.points.size() == 6);
  for (const SweepPoint& p : s.points) {
    const std::string changes =
        "[{set: problems.late_parcel.complaint_rate, to: " + std::to_string(p.values[0]) +
        "}, {set: segments.retail.baseline_churn, to: " + std::to_string(p.values[1]) + "}]";
    const Summary e = expect(apply_changes(base, changes));
    for (int m = 0; m < N_METRICS; ++m) {
      INFO("point " << p.values[0] << ", " << p.values[1] << ": " << METRIC_NAMES[m] << " "
                    << p.totals[m].mean << " (se " << p.totals[m].se << ") vs expect " << e.total(m).mean);
      CHECK(test::within_se(p.totals[m].mean, e.total(m).mean, p.totals[m].se));
    }
  }
  // A bad value is found before anything runs.
  CHECK_THROWS_AS(sweep(base, {parse_sweep_axis("problems.late_parcel.complaint_rate=0.5,1.5")}, o),
                  ScenarioError);
  CHECK_THROWS_AS(sweep(base, {parse_sweep_axis("problems.nope.complaint_rate=0.5")}, o), ScenarioError);
}

TEST_CASE("A batch runs each file as run does, reports bad files, and resumes", "[batch]") {
  const fs::path dir = fs::temp_directory_path() / "cxrisk_batch_test";
  fs::remove_all(dir);
  fs::create_directories(dir / "in" / "nested");
  fs::copy_file(std::string(CXRISK_SCENARIOS) + "/tarp_major.yaml", dir / "in" / "a.yaml");
  fs::copy_file(std::string(CXRISK_SCENARIOS) + "/tarp_minor.yaml", dir / "in" / "nested" / "b.yaml");
  fs::copy_file(std::string(CXRISK_TEST_DATA) + "/bad/unknown_stage.yaml", dir / "in" / "c.yaml");
  const auto files = collect_scenario_files({(dir / "in").string()});
  REQUIRE(files.size() == 3);
  RunSettings o;
  o.trials = 500;
  BatchOutput out{dir / "out"};
  const BatchResult first = batch(files, o, out);
  CHECK(first.failed() == 1);
  RunSettings r;
  r.trials = 500;
  for (const BatchEntry& e : first.entries) {
    INFO(e.file);
    if (e.file.find("c.yaml") != std::string::npos) {
      CHECK_FALSE(e.ok);
      CHECK(e.error_line == 13);
      CHECK(e.error.find("unknown stage 'delivry'") != std::string::npos);
      continue;
    }
    CHECK(e.ok);
    CHECK(e.summary_json == summary_json(run(load_scenario(e.file), r).summary));
    CHECK(fs::exists(out.out / e.directory / "summary.json"));
  }
  CHECK(fs::exists(out.out / "batch.csv"));
  CHECK(fs::exists(out.out / "batch.json"));

  // Unchanged: nothing runs again.
  out.resume = true;
  const BatchResult second = batch(files, o, out);
  for (const BatchEntry& e : second.entries)
    if (e.ok) CHECK(e.reused);
  CHECK(second.entries[0].summary_json == first.entries[0].summary_json);

  // One file changed: only it runs again; another seed: everything runs again.
  {
    std::ofstream edit(dir / "in" / "nested" / "b.yaml", std::ios::app);
    edit << "\n# an edit that changes nothing but the comment\n";
  }
  std::string text;
  {
    std::ifstream in(dir / "in" / "a.yaml");
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  text.replace(text.find("customers: 1000"), 15, "customers: 1200");
  std::ofstream(dir / "in" / "a.yaml") << text;
  const BatchResult third = batch(files, o, out);
  auto entry = [&](const BatchResult& result, const std::string& name) {
    for (const BatchEntry& e : result.entries)
      if (fs::path(e.file).filename() == name) return e;
    FAIL("no entry for " << name);
    return BatchEntry{};
  };
  CHECK_FALSE(entry(third, "a.yaml").reused);  // a different scenario
  CHECK(entry(third, "b.yaml").reused);        // a comment does not change the scenario
  o.seed = 77;
  for (const BatchEntry& e : batch(files, o, out).entries)
    if (e.ok) CHECK_FALSE(e.reused);
  fs::remove_all(dir);
}
