// The cxrisk command line: parses arguments, calls the library, turns errors into exit codes.
// Exit status: 0 success, 1 runtime failure (or a failed scenario in a batch), 2 bad input or usage.
//
// Under mpirun (a build with CXRISK_MPI), every process runs this same program: `run` and `compare` share
// out trials, `batch` and `sweep` share out scenarios and grid points, and process 0 alone prints and writes.
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
#include <new>
#include <stdexcept>
#include <thread>

#include "cxrisk/batch.h"
#include "cxrisk/compare.h"
#include "cxrisk/loader.h"
#include "cxrisk/output.h"
#include "cxrisk/simulate.h"
#include "cxrisk/text.h"
#include "cxrisk/version.h"
#include "session.h"

namespace {

// Ctrl-C (SIGINT), or SIGTERM (what `kill` and a cluster's scheduler send at a time limit), stops a run at
// the next chunk of trials; the command then writes nothing of it and says which signal stopped it.
std::atomic<bool> interrupted{false};
std::atomic<int> interrupting_signal{0};
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
              "a signal handler may only touch lock-free atomics");
extern "C" void on_interrupt(int signal) {
  interrupting_signal = signal;
  interrupted = true;
}

/// The processes this invocation runs on (one, unless under mpirun); only the root prints and writes.
struct Context {
  const cxrisk::Communicator* communicator = nullptr;
  /// Set once the processes have met at the start (start()): before, a process that fails must meet the
  /// others with its error, as they would wait for it forever; after, they have the same inputs.
  mutable bool started = false;

  bool root() const { return !communicator || communicator->is_root(); }
  bool distributed() const { return communicator && communicator->size() > 1; }

  /// The meeting of every process before the first exchange of a distributed command (agree_on_inputs):
  /// throws cxrisk::JobError on every process unless all read the same inputs. Nothing on its own.
  void start(cxrisk::InputDigests digests) const {
    // The program first: a machine with another version of cxrisk would draw other numbers.
    digests.insert(digests.begin(), {"the version of cxrisk", cxrisk::VERSION});
    if (distributed()) cxrisk::agree_on_inputs(*communicator, {std::move(digests), 0, {}});
    started = true;
  }
  /// The meeting, for a process that failed before it (it throws the job's error on every process).
  void start_failed(int status, const std::string& error) const {
    started = true;
    cxrisk::agree_on_inputs(*communicator, {{}, status, error});
  }
};

/// The digest of the settings a simulating command's numbers depend on, as this process resolved them.
std::string settings_digest(const std::string& command, std::int64_t trials, std::uint64_t seed) {
  return fmt::format("{} trials={} seed={}", command, trials, seed);
}

/// A progress bar on stderr, shown only when stderr is a terminal and the run lasts more than a moment.
class ProgressBar {
 public:
  ProgressBar(bool wanted, const char* unit) : unit_(unit) {
    if (wanted && ::isatty(STDERR_FILENO) != 0) painter_ = std::thread([this] { paint_loop(); });
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
      const std::int64_t done = std::min(done_.load(), total_.load()), total = total_;
      if (elapsed < 0.7 || total == 0) continue;
      const double f = static_cast<double>(done) / static_cast<double>(total);
      const int width = 30, filled = static_cast<int>(f * width);
      const double left = f > 0 ? elapsed * (1 - f) / f : 0;
      std::fprintf(stderr, "\r[%s%s] %3.0f%%  %lld/%lld %s  %.0f s left   ", std::string(filled, '#').c_str(),
                   std::string(width - filled, ' ').c_str(), 100 * f, static_cast<long long>(done),
                   static_cast<long long>(total), unit_, left);
      std::fflush(stderr);
      shown_ = true;
    }
  }

  const char* unit_;
  std::atomic<std::int64_t> done_{0}, total_{0};
  std::thread painter_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool shown_ = false;
};

/// Settings shared by the commands that simulate.
struct SimulationArgs {
  std::optional<std::int64_t> trials;
  std::optional<std::uint64_t> seed;
  int threads = 0;

  void add_to(CLI::App* app, const char* defaults_from) {
    app->add_option("--trials", trials,
                    fmt::format("Number of trials (default: {}'s simulation.trials)", defaults_from))
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{4294967295}));
    // Checked as text: the conversion to an unsigned number would take -1 for 2^64 - 1.
    app->add_option("--seed", seed, fmt::format("Random seed (default: {}'s simulation.seed)", defaults_from))
        ->check(CLI::Validator(std::function<std::string(std::string&)>([](std::string& text) {
                                 std::uint64_t value = 0;
                                 return cxrisk::parse_uint64(text, value)
                                            ? std::string()
                                            : "must be a whole number from 0 to 18446744073709551615, got " +
                                                  text;
                               }),
                               std::string()));
    app->add_option(
           "--threads", threads,
           fmt::format("Worker threads per process, at most {} (default: every core)", cxrisk::MAX_THREADS))
        ->check(CLI::Range(0, cxrisk::MAX_THREADS));
  }
};

/// An --out option: a folder's name, which cannot be empty (an empty name would silently write nothing).
void add_out_option(CLI::App* app, std::string& out, const std::string& description) {
  app->add_option("--out", out, description)
      ->check(CLI::Validator(
          [](std::string& text) { return text.empty() ? std::string("must name a folder") : std::string(); },
          std::string()));
}

/// Fills the settings every simulating command shares: --trials, --seed, --threads, Ctrl-C, the processes.
template <class Options>
void apply(const SimulationArgs& sim, const Context& ctx, Options& options) {
  options.trials = sim.trials;
  options.seed = sim.seed;
  options.threads = sim.threads;
  options.cancel = &interrupted;
  options.communicator = ctx.communicator;
}

struct RunArgs {
  std::string file;
  SimulationArgs sim;
  std::string mode = "aggregate";
  bool json = false;
  std::string out;
  bool samples = false;
};

int do_run(const RunArgs& a, const Context& ctx) {
  const cxrisk::Scenario scenario = cxrisk::load_scenario(a.file);
  cxrisk::RunOptions options;
  apply(a.sim, ctx, options);
  options.mode = cxrisk::parse_mode(a.mode);
  if (!a.out.empty() && ctx.root()) cxrisk::check_output_folder(a.out);
  ctx.start({{a.file, cxrisk::content_hash(scenario)},
             {"the command line",
              settings_digest("run " + a.mode, a.sim.trials.value_or(scenario.simulation.trials),
                              a.sim.seed.value_or(scenario.simulation.seed))}});
  ProgressBar bar(ctx.root(), "trials");
  options.progress = [&bar](std::int64_t done, std::int64_t total) { bar.update(done, total); };
  const cxrisk::RunResult result = cxrisk::run(scenario, options);
  bar.finish();
  if (!ctx.root()) return 0;
  if (!a.out.empty()) {
    const std::string summary = cxrisk::summary_json(result.summary),
                      breakdown = cxrisk::breakdown_csv(result.summary);
    std::vector<std::pair<std::string, cxrisk::FileWriter>> files{
        {"summary.json", [&](std::ostream& out) { out << summary; }},
        {"breakdown.csv", [&](std::ostream& out) { out << breakdown; }}};
    // trials.csv goes to its file row by row: at millions of trials it is gigabytes.
    if (a.samples)
      files.emplace_back("trials.csv", [&](std::ostream& out) { cxrisk::write_trials_csv(out, result); });
    cxrisk::write_files_atomically(a.out, files);
  }
  std::cout << (a.json ? cxrisk::summary_json(result.summary) : cxrisk::summary_table(result.summary));
  return 0;
}

int do_expect(const std::string& file, bool json, const Context& ctx) {
  const cxrisk::Scenario scenario = cxrisk::load_scenario(file);
  ctx.start({{file, cxrisk::content_hash(scenario)}, {"the command line", "expect"}});
  const cxrisk::Summary summary = cxrisk::expect(scenario);
  if (ctx.root()) std::cout << (json ? cxrisk::summary_json(summary) : cxrisk::summary_table(summary));
  return 0;
}

struct CompareArgs {
  std::string base;
  std::vector<std::string> alternatives;
  SimulationArgs sim;
  bool json = false;
  std::string out;
};

int do_compare(const CompareArgs& a, const Context& ctx) {
  const cxrisk::Scenario base = cxrisk::load_scenario(a.base);
  std::vector<cxrisk::Scenario> alternatives;
  for (const auto& file : a.alternatives) alternatives.push_back(cxrisk::load_scenario(file));
  cxrisk::CompareOptions options;
  apply(a.sim, ctx, options);
  if (!a.out.empty() && ctx.root()) cxrisk::check_output_folder(a.out);
  cxrisk::InputDigests digests{{a.base, cxrisk::content_hash(base)}};
  for (std::size_t i = 0; i < alternatives.size(); ++i)
    digests.emplace_back(a.alternatives[i], cxrisk::content_hash(alternatives[i]));
  digests.emplace_back("the command line",
                       settings_digest("compare", a.sim.trials.value_or(base.simulation.trials),
                                       a.sim.seed.value_or(base.simulation.seed)));
  ctx.start(std::move(digests));
  ProgressBar bar(ctx.root(), "scenarios");
  options.progress = [&bar](int done, int total) { bar.update(done, total); };
  const cxrisk::Comparison c = cxrisk::compare(base, alternatives, options);
  bar.finish();
  if (!ctx.root()) return 0;
  if (!a.out.empty())
    cxrisk::write_files_atomically(a.out, {{"comparison.json", cxrisk::comparison_json(c)},
                                           {"comparison.csv", cxrisk::comparison_csv(c)}});
  std::cout << (a.json ? cxrisk::comparison_json(c) : cxrisk::comparison_table(c));
  return 0;
}

struct BatchArgs {
  std::vector<std::string> paths;
  SimulationArgs sim;
  std::string out;
  bool resume = false;
  bool json = false;
};

int do_batch(const BatchArgs& a, const Context& ctx) {
  CXRISK_REQUIRE(!a.resume || !a.out.empty(), "--resume needs --out (the folder of the earlier batch)");
  const std::vector<std::string> files = cxrisk::collect_scenario_files(a.paths);
  CXRISK_REQUIRE(!files.empty(), "no scenario files (*.yaml) found");
  cxrisk::BatchOptions options;
  apply(a.sim, ctx, options);
  options.out = a.out;
  options.resume = a.resume;
  options.log = [](const std::string& line) { std::cerr << line << "\n"; };
  if (!a.out.empty() && ctx.root()) cxrisk::check_output_folder(a.out);
  // The files found, here; what each holds is compared by batch() once it has read them.
  cxrisk::InputDigests digests;
  for (const auto& file : files) digests.emplace_back(file, "found");
  digests.emplace_back("the command line",
                       fmt::format("batch trials={} seed={} resume={}", a.sim.trials.value_or(0),
                                   a.sim.seed.value_or(0), a.resume));
  ctx.start(std::move(digests));
  const cxrisk::BatchResult result = cxrisk::batch(files, options);
  if (!ctx.root()) return 0;
  if (a.json) {
    std::cout << cxrisk::batch_json(result);
  } else {
    std::cout << fmt::format("{:<48}{:>8}{:>20}{:>20}{:>16}\n", "scenario", "status", "total_cost mean",
                             "total_cost p95", "customers_lost");
    for (const auto& e : result.entries) {
      const std::string label = e.name.empty() ? e.file : e.name;
      if (e.ok)
        std::cout << fmt::format("{:<48}{:>8}{:>20}{:>20}{:>16}\n", label, e.reused ? "kept" : "ok",
                                 cxrisk::human_number(e.total_cost.mean),
                                 cxrisk::human_number(e.total_cost.percentiles[6]),
                                 cxrisk::human_number(e.customers_lost.mean));
      else
        std::cout << fmt::format("{:<48}{:>8}  {}\n", label, "error", e.error);
    }
    std::cout << fmt::format("\n{} scenarios, {} failed{}\n", result.entries.size(), result.failed(),
                             a.out.empty() ? "" : "; results in " + a.out);
  }
  return result.failed() > 0 ? 1 : 0;
}

struct SweepArgs {
  std::string file;
  std::vector<std::string> vary;
  SimulationArgs sim;
  std::string out;
  bool json = false;
};

int do_sweep(const SweepArgs& a, const Context& ctx) {
  const cxrisk::Scenario scenario = cxrisk::load_scenario(a.file);
  std::vector<cxrisk::SweepAxis> axes;
  for (const auto& spec : a.vary) axes.push_back(cxrisk::parse_sweep_axis(spec));
  cxrisk::SweepOptions options;
  apply(a.sim, ctx, options);
  options.log = [](const std::string& line) { std::cerr << line << "\n"; };
  if (!a.out.empty() && ctx.root()) cxrisk::check_output_folder(a.out);
  cxrisk::InputDigests digests{{a.file, cxrisk::content_hash(scenario)}};
  for (const auto& spec : a.vary) digests.emplace_back("--vary", spec);
  digests.emplace_back("the command line",
                       settings_digest("sweep", a.sim.trials.value_or(scenario.simulation.trials),
                                       a.sim.seed.value_or(scenario.simulation.seed)));
  ctx.start(std::move(digests));
  const cxrisk::Sweep s = cxrisk::sweep(scenario, axes, options);
  if (!ctx.root()) return 0;
  if (!a.out.empty())
    cxrisk::write_files_atomically(
        a.out, {{"sweep.csv", cxrisk::sweep_csv(s)}, {"sweep.json", cxrisk::sweep_json(s)}});
  std::cout << (a.json ? cxrisk::sweep_json(s) : cxrisk::sweep_table(s));
  return 0;
}

int do_expand(const std::string& file, const Context& ctx) {
  const cxrisk::Scenario scenario = cxrisk::load_scenario(file);
  ctx.start({{file, cxrisk::content_hash(scenario)}, {"the command line", "expand"}});
  const std::string yaml = cxrisk::dump_yaml(scenario, true);
  if (ctx.root()) std::cout << yaml;
  return 0;
}

int do_validate(const std::vector<std::string>& files, const Context& ctx) {
  int status = 0;
  cxrisk::InputDigests digests;
  std::vector<std::pair<bool, std::string>> lines;  // (an error, the line), in the files' order
  for (const auto& file : files) {
    try {
      const cxrisk::Scenario s = cxrisk::load_scenario(file);
      digests.emplace_back(file, cxrisk::content_hash(s));
      lines.emplace_back(false, fmt::format("{}: ok ({} segments, {} problems, {} periods)\n", file,
                                            s.segments.size(), s.problems.size(), s.horizon.periods));
    } catch (const cxrisk::ScenarioError& e) {
      digests.emplace_back(file, e.what());
      lines.emplace_back(true, fmt::format("error: {}\n", e.what()));
      status = 2;
    }
  }
  digests.emplace_back("the command line", "validate");
  ctx.start(std::move(digests));
  for (const auto& [error, line] : lines)
    if (ctx.root()) (error ? std::cerr : std::cout) << line;
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  cxrisk::mpi::Session session(argc, argv);
  const Context ctx{session.communicator()};

  CLI::App app{"cxrisk: Monte Carlo revenue at risk from poor customer experience"};
  app.set_version_flag("--version", std::string("cxrisk ") + cxrisk::VERSION +
                                        (cxrisk::mpi::available() ? " (with MPI)" : ""));
  app.require_subcommand(1);

  RunArgs run_args;
  auto* run = app.add_subcommand(
      "run", "Simulate a scenario and summarise the distribution of what poor service costs");
  run->add_option("FILE", run_args.file, "Scenario file (YAML)")->required();
  run_args.sim.add_to(run, "the scenario");
  run->add_option("--mode", run_args.mode,
                  "aggregate (default; cost independent of the customer count) or individual (every customer "
                  "followed literally)")
      ->check(CLI::IsMember({"aggregate", "individual"}));
  run->add_flag("--json", run_args.json, "Print the summary as JSON instead of a table");
  add_out_option(run, run_args.out, "Write summary.json and breakdown.csv (and trials.csv) to this folder");
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
  compare_args.sim.add_to(compare, "the base");
  compare->add_flag("--json", compare_args.json, "Print the comparison as JSON instead of a ranking table");
  add_out_option(compare, compare_args.out, "Write comparison.json and comparison.csv to this folder");

  BatchArgs batch_args;
  auto* batch = app.add_subcommand(
      "batch",
      "Run every scenario of files and folders (searched for *.yaml) exactly as `run` would; one table");
  batch->add_option("PATH", batch_args.paths, "Scenario files and folders")->required();
  batch_args.sim.add_to(batch, "each scenario");
  add_out_option(batch, batch_args.out,
                 "Write DIR/<scenario>/summary.json for each, and DIR/batch.csv and DIR/batch.json for all");
  batch->add_flag("--resume", batch_args.resume,
                  "Skip scenarios whose results in --out have the same content hash, trials and seed");
  batch->add_flag("--json", batch_args.json, "Print batch.json instead of a table");

  SweepArgs sweep_args;
  auto* sweep = app.add_subcommand("sweep", "Run a scenario over a grid of values, on common random numbers");
  sweep->add_option("FILE", sweep_args.file, "Scenario file (YAML)")->required();
  sweep
      ->add_option("--vary", sweep_args.vary,
                   "PATH=FROM:TO:STEP or PATH=V1,V2,...; PATH as in scenario changes "
                   "(problems.billing_error.complaint_rate); repeat for a grid")
      ->required();
  sweep_args.sim.add_to(sweep, "the scenario");
  add_out_option(sweep, sweep_args.out, "Write sweep.csv and sweep.json to this folder");
  sweep->add_flag("--json", sweep_args.json, "Print the sweep as JSON instead of a table");

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
    const int code = ctx.root() ? app.exit(e) : (e.get_exit_code() == 0 ? 0 : 1);
    // Under mpirun the processes still meet, so that one that parsed its command line differently (in
    // mpirun's form "-np 1 A : -np 1 B") does not leave the others waiting for it.
    try {
      ctx.start({{"the command line", code == 0 ? "help" : "unusable"}});
    } catch (const cxrisk::JobError& job) {
      if (ctx.root()) std::cerr << "error: " << job.what() << "\n";
      return job.status();
    }
    return code == 0 ? 0 : 2;
  }

  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  // Under mpirun, each process reads its inputs by itself, and the processes meet before their first
  // exchange (Context::start). A process that fails before the meeting brings its error there, and every
  // process ends with the job's error, which process 0 prints. After it, bad input and usage are seen alike
  // by every process, so each can just stop; but a failure while running may hit one process only, and
  // then the whole job must end, or the others would wait for it forever.
  const bool distributed = ctx.distributed();
  auto report = [&](const std::exception& e, int status) {
    if (distributed && !ctx.started) {
      try {
        ctx.start_failed(status, e.what());
      } catch (const cxrisk::JobError& job) {
        if (ctx.root()) std::cerr << "error: " << job.what() << "\n";
        return job.status();
      }
    }
    if (ctx.root() || status == 1) std::cerr << "error: " << e.what() << "\n";
    if (distributed && status == 1) session.abort(status);
    return status;
  };
  try {
    if (*run) return do_run(run_args, ctx);
    if (*expect) return do_expect(expect_file, expect_json, ctx);
    if (*validate) return do_validate(validate_files, ctx);
    if (*compare) return do_compare(compare_args, ctx);
    if (*batch) return do_batch(batch_args, ctx);
    if (*sweep) return do_sweep(sweep_args, ctx);
    if (*expand) return do_expand(expand_file, ctx);
  } catch (const cxrisk::JobError& e) {
    // Thrown alike on every process at the meeting: each ends by itself.
    if (ctx.root()) std::cerr << "error: " << e.what() << "\n";
    return e.status();
  } catch (const cxrisk::ScenarioError& e) {
    return report(e, 2);
  } catch (const cxrisk::UsageError& e) {
    return report(e, 2);
  } catch (const cxrisk::Cancelled&) {
    const bool term = interrupting_signal == SIGTERM;
    return report(std::runtime_error(term ? "stopped by SIGTERM before the run finished"
                                          : "stopped by Ctrl-C (SIGINT) before the run finished"),
                  1);
  } catch (const std::bad_alloc&) {
    return report(std::runtime_error("out of memory (fewer trials, or a smaller grid or batch, need less)"),
                  1);
  } catch (const std::exception& e) {
    return report(e, 1);
  }
  return 0;
}
