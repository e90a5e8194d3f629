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
//  - the summaries' JSON and table writers, and the breakdown CSV, run on whatever names the file gave.
// The sanitizers the fuzz build adds (scripts/fuzz_loader.sh) report memory errors and undefined behaviour.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

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
  const double cells = static_cast<double>(s.horizon.periods) * static_cast<double>(s.problems.size() + 1) *
                       static_cast<double>(s.segments.size() + 1);
  return cells <= 200000;
}

void check_numbers(const cxrisk::Summary& summary, const char* what) {
  for (const cxrisk::Stats& st : summary.stats) {
    bool finite = std::isfinite(st.mean) && std::isfinite(st.sd) && std::isfinite(st.se) &&
                  std::isfinite(st.min) && std::isfinite(st.max) && std::isfinite(st.cvar95);
    for (double p : st.percentiles) finite = finite && std::isfinite(p);
    if (!finite) fail(std::string(what) + " gave a statistic that is not a number");
  }
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
      cxrisk::RunOptions options;
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
    }
  } catch (const cxrisk::ScenarioError& e) {
    check_error(e);
  }
  return 0;
}
