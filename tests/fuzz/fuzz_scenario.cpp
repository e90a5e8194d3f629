// Coverage-guided fuzzing (libFuzzer) of the scenario loader and what follows it, in process. An input is the
// text of a scenario file; `extends` and empirical value files resolve against CXRISK_FUZZ_BASE (the shipped
// scenarios folder, so that the improvement scenarios of the seed corpus find their bases).
//
// What must hold for every input, else the fuzzer stops with the input that broke it:
//  - loading either succeeds or throws ScenarioError, whose message begins with a file name and carries the
//    line and column when the error names this file (anything else escaping is a crash);
//  - a loaded scenario written out (dump_yaml) loads back to a scenario that is written out the same;
//  - `expect` and a 16-trial aggregate run succeed or throw ScenarioError, and every statistic they give is
//    a number (the JSON writer turns a NaN or an infinity into null);
//  - a trial of the run recomputed alone (run_trial) equals the same trial in the run;
//  - the summaries' JSON and table writers, and the breakdown CSV, run on whatever names the file gave;
//  - the scenario compared with itself saves exactly nothing in every trial (common random numbers);
//  - a sweep over the axes of the input's `#vary PATH=VALUES` comment lines (YAML comments, so the loader
//    ignores them) runs or throws ScenarioError or UsageError, gives numbers only, and its first grid
//    point equals a run of that point's scenario written out and loaded back.
// The sanitizers the fuzz build adds (scripts/fuzz_loader.sh) report memory errors and undefined behaviour.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "cxrisk/batch.h"
#include "cxrisk/compare.h"
#include "cxrisk/error.h"
#include "cxrisk/loader.h"
#include "cxrisk/output.h"
#include "cxrisk/simulate.h"

namespace {

const char* const DISPLAY_NAME = "fuzz.yaml";
constexpr std::uint64_t REPLAYED_TRIAL = 11;  // of the 16 a run draws

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_scenario: %s\n", what.c_str());
  std::abort();
}

// The work of one input large enough to make a 16-trial run slow (periods x problems x segments); the
// loader and `expect` still run on it.
bool small_enough(const cxrisk::Scenario& s) {
  const double cells = static_cast<double>(s.periods) * static_cast<double>(s.problems.size() + 1) *
                       static_cast<double>(s.segments.size() + 1);
  return cells <= 200000;
}

bool all_finite(const cxrisk::Stats& st) {
  bool finite = std::isfinite(st.mean) && std::isfinite(st.sd) && std::isfinite(st.se) &&
                std::isfinite(st.min) && std::isfinite(st.max) && std::isfinite(st.cvar95);
  for (double p : st.percentiles) finite = finite && std::isfinite(p);
  return finite;
}

void check_numbers(const cxrisk::Summary& summary, const char* what) {
  for (const cxrisk::Stats& st : summary.stats)
    if (!all_finite(st)) fail(std::string(what) + " gave a statistic that is not a number");
  (void)cxrisk::summary_json(summary);
  (void)cxrisk::summary_table(summary);
  (void)cxrisk::breakdown_csv(summary);
}

void check_error(const cxrisk::ScenarioError& e) {
  const std::string message = e.what();
  if (message.empty() || e.loc().file.empty()) fail("an input error without a file: " + message);
  if (message.rfind(e.loc().file, 0) != 0)
    fail("an input error that does not begin with its file: " + message);
  if (e.loc().file == DISPLAY_NAME && (e.loc().line <= 0 || e.loc().column <= 0))
    fail("an input error in the scenario without a line and column: " + message);
}

// The sweep axes the input's comment lines `#vary SPEC` give (at most two, as `--vary SPEC` would).
std::vector<std::string> vary_specs(const std::string& text) {
  std::vector<std::string> specs;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line) && specs.size() < 2;)
    if (line.rfind("#vary ", 0) == 0) specs.push_back(line.substr(6));
  return specs;
}

bool same_numbers(const cxrisk::Stats& a, const cxrisk::Stats& b) {
  return a.mean == b.mean && a.sd == b.sd && a.min == b.min && a.max == b.max && a.cvar95 == b.cvar95 &&
         a.percentiles == b.percentiles;
}

// The scenario against itself: every paired difference is zero, and so is every statistic of the savings.
void check_self_comparison(const cxrisk::Scenario& scenario) {
  cxrisk::RunSettings options;
  options.trials = 16;
  options.threads = 1;
  const cxrisk::Comparison c = cxrisk::compare(scenario, {scenario}, options);
  for (double x : c.alternatives.at(0).savings_samples)
    if (x != 0) fail("a scenario compared with itself saves something in a trial");
  const cxrisk::Stats& savings = c.alternatives[0].savings_total_cost;
  if (savings.mean != 0 || savings.max != 0 || savings.min != 0)
    fail("a scenario compared with itself has savings statistics that are not zero");
  (void)cxrisk::comparison_json(c);
  (void)cxrisk::comparison_table(c);
  (void)cxrisk::comparison_csv(c);
}

// A sweep over the input's axes (a grid of at most 8 points, 8 trials each).
void check_sweep(const cxrisk::Scenario& scenario, const std::vector<std::string>& specs) {
  std::vector<cxrisk::SweepAxis> axes;
  std::size_t points = 1;
  try {
    for (const std::string& spec : specs) {
      axes.push_back(cxrisk::parse_sweep_axis(spec));
      points *= axes.back().values.size();
      if (points > 8) return;
    }
  } catch (const cxrisk::UsageError& e) {
    if (std::string(e.what()).empty()) fail("a bad --vary without a message");
    return;
  }
  cxrisk::RunSettings options;
  options.trials = 8;
  options.threads = 1;
  cxrisk::Sweep sweep;
  try {
    sweep = cxrisk::sweep(scenario, axes, options);
  } catch (const cxrisk::ScenarioError& e) {
    check_error(e);
    return;
  } catch (const cxrisk::UsageError& e) {
    if (std::string(e.what()).empty()) fail("a bad sweep without a message");
    return;
  }
  if (sweep.points.size() != points) fail("a sweep with another number of points than its grid");
  for (const cxrisk::SweepPoint& point : sweep.points)
    for (const cxrisk::Stats& st : point.totals)
      if (!all_finite(st)) fail("a sweep point with a statistic that is not a number");
  (void)cxrisk::sweep_csv(sweep);
  (void)cxrisk::sweep_json(sweep);
  (void)cxrisk::sweep_table(sweep);
  // The first point, as a scenario file: the same numbers as the sweep gave it (for paths of printable
  // characters, which go into the changes' text as they are).
  for (const cxrisk::SweepAxis& axis : axes)
    for (char c : axis.path)
      if (c < ' ' || c > '~' || c == '"' || c == '\\') return;
  std::string changes = "[";
  for (std::size_t k = 0; k < axes.size(); ++k) {
    char value[64];
    std::snprintf(value, sizeof value, "%.17g", sweep.points[0].values[k]);
    changes += (k ? ", {set: \"" : "{set: \"") + axes[k].path + "\", to: " + value + "}";
  }
  changes += "]";
  const std::string dumped = cxrisk::dump_yaml(cxrisk::apply_changes(scenario, changes, "--vary"), true);
  cxrisk::RunSettings run_options;
  run_options.trials = 8;
  run_options.seed = sweep.seed;
  run_options.threads = 1;
  const cxrisk::RunResult result =
      cxrisk::run(cxrisk::load_scenario_text(dumped, "point.yaml", "/"), run_options);
  for (int m = 0; m < cxrisk::N_METRICS; ++m)
    if (!same_numbers(result.summary.total(m), sweep.points[0].totals[static_cast<std::size_t>(m)]))
      fail("a sweep's first point differs from its scenario written out and run:\n" + dumped);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const char* base = std::getenv("CXRISK_FUZZ_BASE");
  const std::string text(reinterpret_cast<const char*>(data), size);
  cxrisk::Scenario scenario;
  try {
    scenario = cxrisk::load_scenario_text(text, DISPLAY_NAME, base ? base : ".");
  } catch (const cxrisk::ScenarioError& e) {
    check_error(e);
    return 0;
  }

  // Written out and loaded back, the scenario is written out the same (absolute paths: the text no longer
  // sits in the folder its relative paths were written for).
  const std::string dumped = cxrisk::dump_yaml(scenario, true);
  try {
    const cxrisk::Scenario again = cxrisk::load_scenario_text(dumped, "dumped.yaml", "/");
    if (cxrisk::dump_yaml(again, true) != dumped)
      fail("a scenario written out loads back to another:\n" + dumped);
  } catch (const cxrisk::ScenarioError& e) {
    fail(std::string("a scenario written out does not load back: ") + e.what() + "\n" + dumped);
  }

  try {
    check_numbers(cxrisk::expect(scenario), "expect");
    if (small_enough(scenario)) {
      cxrisk::RunSettings options;
      options.trials = 16;
      options.threads = 1;
      const cxrisk::RunResult result = cxrisk::run(scenario, options);
      check_numbers(result.summary, "a run");
      // One trial recomputed alone equals the same trial inside the run, bit for bit.
      const cxrisk::Model model(scenario, result.summary.seed);
      const std::vector<double> row = cxrisk::run_trial(model, cxrisk::Mode::aggregate, REPLAYED_TRIAL);
      for (int m = 0; m < cxrisk::N_METRICS; ++m)
        if (row[static_cast<std::size_t>(cxrisk::Layout::series(0, m))] !=
            result.metric_samples(m)[REPLAYED_TRIAL])
          fail("a trial recomputed alone differs from the same trial in the run");
      check_self_comparison(scenario);
      const std::vector<std::string> specs = vary_specs(text);
      if (!specs.empty()) check_sweep(scenario, specs);
    }
  } catch (const cxrisk::ScenarioError& e) {
    check_error(e);
  }
  return 0;
}
