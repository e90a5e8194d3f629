// The cxrisk command line: parses arguments, calls the library, turns errors into exit codes.
// Exit status: 0 success, 1 runtime failure, 2 bad input or usage.
#include <unistd.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

#include "cxrisk/compare.h"
#include "cxrisk/loader.h"
#include "cxrisk/output.h"
#include "cxrisk/simulate.h"
#include "cxrisk/version.h"

namespace {

std::atomic<bool> interrupted{false};
extern "C" void on_interrupt(int) {
  interrupted = true;
}

/// A progress bar on stderr, shown only when stderr is a terminal and the run lasts more than a moment.
class ProgressBar {
 public:
  ProgressBar() : enabled_(::isatty(STDERR_FILENO) != 0) {
    if (enabled_) painter_ = std::thread([this] { paint_loop(); });
  }
  ~ProgressBar() { finish(); }
  void update(std::int64_t done, std::int64_t total) {
    done_ = done;
    total_ = total;
  }
  void finish() {
    if (!painter_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    painter_.join();
    if (shown_) std::fprintf(stderr, "\r%*s\r", 78, "");
  }

 private:
  void paint_loop() {
    const auto start = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stop_; })) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const std::int64_t done = done_, total = total_;
      if (elapsed < 0.7 || total == 0) continue;
      const double f = static_cast<double>(done) / static_cast<double>(total);
      const int width = 30, filled = static_cast<int>(f * width);
      const double left = f > 0 ? elapsed * (1 - f) / f : 0;
      std::fprintf(stderr, "\r[%s%s] %3.0f%%  %lld/%lld trials  %.0f s left   ",
                   std::string(filled, '#').c_str(), std::string(width - filled, ' ').c_str(), 100 * f,
                   static_cast<long long>(done), static_cast<long long>(total), left);
      std::fflush(stderr);
      shown_ = true;
    }
  }

  bool enabled_;
  std::atomic<std::int64_t> done_{0}, total_{0};
  std::thread painter_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool shown_ = false;
};

struct RunArgs {
  std::string file;
  std::optional<std::int64_t> trials;
  std::optional<std::uint64_t> seed;
  int threads = 0;
  std::string mode = "aggregate";
  bool json = false;
  std::string out;
  bool samples = false;
};

int do_run(const RunArgs& a) {
  const cxrisk::Scenario scenario = cxrisk::load_scenario(a.file);
  cxrisk::RunOptions options;
  options.trials = a.trials;
  options.seed = a.seed;
  options.threads = a.threads;
  options.mode = cxrisk::parse_mode(a.mode);
  options.cancel = &interrupted;
  ProgressBar bar;
  options.progress = [&bar](std::int64_t done, std::int64_t total) { bar.update(done, total); };
  const cxrisk::RunResult result = cxrisk::run(scenario, options);
  bar.finish();
  if (!a.out.empty()) {
    std::vector<std::pair<std::string, std::string>> files{
        {"summary.json", cxrisk::summary_json(result.summary)},
        {"breakdown.csv", cxrisk::breakdown_csv(result.summary)}};
    if (a.samples) files.emplace_back("trials.csv", cxrisk::trials_csv(result));
    cxrisk::write_files_atomically(a.out, files);
  }
  std::cout << (a.json ? cxrisk::summary_json(result.summary) : cxrisk::summary_table(result.summary));
  return 0;
}

int do_expect(const std::string& file, bool json) {
  const cxrisk::Summary summary = cxrisk::expect(cxrisk::load_scenario(file));
  std::cout << (json ? cxrisk::summary_json(summary) : cxrisk::summary_table(summary));
  return 0;
}

struct CompareArgs {
  std::string base;
  std::vector<std::string> alternatives;
  std::optional<std::int64_t> trials;
  std::optional<std::uint64_t> seed;
  int threads = 0;
  bool json = false;
  std::string out;
};

int do_compare(const CompareArgs& a) {
  const cxrisk::Scenario base = cxrisk::load_scenario(a.base);
  std::vector<cxrisk::Scenario> alternatives;
  for (const auto& file : a.alternatives) alternatives.push_back(cxrisk::load_scenario(file));
  cxrisk::CompareOptions options;
  options.trials = a.trials;
  options.seed = a.seed;
  options.threads = a.threads;
  options.cancel = &interrupted;
  ProgressBar bar;
  options.progress = [&bar](int done, int total) { bar.update(done, total); };
  const cxrisk::Comparison c = cxrisk::compare(base, alternatives, options);
  bar.finish();
  if (!a.out.empty())
    cxrisk::write_files_atomically(a.out, {{"comparison.json", cxrisk::comparison_json(c)},
                                           {"comparison.csv", cxrisk::comparison_csv(c)}});
  std::cout << (a.json ? cxrisk::comparison_json(c) : cxrisk::comparison_table(c));
  return 0;
}

int do_expand(const std::string& file) {
  std::cout << cxrisk::dump_yaml(cxrisk::load_scenario(file), true);
  return 0;
}

int do_validate(const std::vector<std::string>& files) {
  int status = 0;
  for (const auto& file : files) {
    try {
      const cxrisk::Scenario s = cxrisk::load_scenario(file);
      std::cout << fmt::format("{}: ok ({} segments, {} problems, {} periods)\n", file, s.segments.size(),
                               s.problems.size(), s.horizon.periods);
    } catch (const cxrisk::ScenarioError& e) {
      std::cerr << "error: " << e.what() << "\n";
      status = 2;
    }
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cxrisk: Monte Carlo revenue at risk from poor customer experience"};
  app.set_version_flag("--version", std::string("cxrisk ") + cxrisk::VERSION);
  app.require_subcommand(1);

  RunArgs run_args;
  auto* run = app.add_subcommand(
      "run", "Simulate a scenario and summarise the distribution of what poor service costs");
  run->add_option("FILE", run_args.file, "Scenario file (YAML)")->required();
  run->add_option("--trials", run_args.trials, "Number of trials (default: the scenario's simulation.trials)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{4294967295}));
  run->add_option("--seed", run_args.seed, "Random seed (default: the scenario's simulation.seed)");
  run->add_option("--threads", run_args.threads, "Worker threads (default: every core)")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--mode", run_args.mode,
                  "aggregate (default; cost independent of the customer count) or "
                  "individual (every customer followed literally)")
      ->check(CLI::IsMember({"aggregate", "individual"}));
  run->add_flag("--json", run_args.json, "Print the summary as JSON instead of a table");
  run->add_option("--out", run_args.out,
                  "Write summary.json and breakdown.csv (and trials.csv) to this folder");
  run->add_flag("--samples", run_args.samples, "With --out, also write trials.csv: one row a trial");

  std::string expect_file;
  bool expect_json = false;
  auto* expect = app.add_subcommand("expect", "The closed-form answer with every quantity at its mean");
  expect->add_option("FILE", expect_file, "Scenario file (YAML)")->required();
  expect->add_flag("--json", expect_json, "Print JSON instead of a table");

  CompareArgs compare_args;
  auto* compare = app.add_subcommand(
      "compare",
      "Run improvement scenarios against a base on common random numbers: savings, net benefit, ROI");
  compare->add_option("BASE", compare_args.base, "Base scenario file")->required();
  compare->add_option("ALT", compare_args.alternatives, "Improvement scenario files")->required();
  compare
      ->add_option("--trials", compare_args.trials,
                   "Number of trials (default: the base's simulation.trials)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{4294967295}));
  compare->add_option("--seed", compare_args.seed, "Random seed (default: the base's simulation.seed)");
  compare->add_option("--threads", compare_args.threads, "Worker threads (default: every core)")
      ->check(CLI::NonNegativeNumber);
  compare->add_flag("--json", compare_args.json, "Print the comparison as JSON instead of a ranking table");
  compare->add_option("--out", compare_args.out, "Write comparison.json and comparison.csv to this folder");

  std::string expand_file;
  auto* expand =
      app.add_subcommand("expand", "Print a scenario fully resolved (extends and changes applied) as YAML");
  expand->add_option("FILE", expand_file, "Scenario file (YAML)")->required();

  std::vector<std::string> validate_files;
  auto* validate = app.add_subcommand("validate", "Check scenario files; print every error; exit 0 or 2");
  validate->add_option("FILE", validate_files, "Scenario files")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  std::signal(SIGINT, on_interrupt);
  try {
    if (*run) return do_run(run_args);
    if (*expect) return do_expect(expect_file, expect_json);
    if (*validate) return do_validate(validate_files);
    if (*compare) return do_compare(compare_args);
    if (*expand) return do_expand(expand_file);
  } catch (const cxrisk::ScenarioError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const cxrisk::UsageError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
