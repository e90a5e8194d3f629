// The cxrisk command line: parses arguments, calls the library's Session, turns errors into exit codes.
// Exit status: 0 success, 1 runtime failure (or a scenario of a batch that failed while running), 2 bad input
// or usage (or a file of a batch that failed to load), 130 and 143 a run stopped by SIGINT or SIGTERM.
//
// Under mpirun (a build with CXRISK_MPI), every process runs this same program: `run` and `compare` share
// out trials, `batch` and `sweep` share out scenarios and grid points, and process 0 alone prints and writes.
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstring>
#include <iostream>
#include <new>
#include <stdexcept>

#include "cxrisk/loader.h"
#include "cxrisk/registry.h"
#include "cxrisk/report.h"
#include "cxrisk/session.h"
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

/// A count as a person writes it: 20000, 2e4 or 2.5e5 (when whole) become the integer; a thousands separator
/// or a fraction is refused, saying how to write it.
CLI::Validator whole_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (text.find_first_of(",_'") != std::string::npos) {
          std::string plain;
          for (char c : text)
            if (c != ',' && c != '_' && c != '\'') plain += c;
          return "write " + text + " without separators: " + plain;
        }
        double value = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
          return "must be a whole number, got " + text;
        if (value != std::floor(value) || std::abs(value) > 9007199254740992.0)
          return "must be a whole number, got " + text;
        text = std::to_string(static_cast<std::int64_t>(value));
        return std::string();
      },
      "", "whole number");
}

/// The options every simulating command shares: --trials, --seed, --sampling, --threads.
void add_settings(CLI::App* app, cxrisk::RunSettings& s, const char* defaults_from) {
  app->add_option(
         "--trials", s.trials,
         fmt::format("Number of trials, e.g. 20000 or 2e4 (default: {}'s simulation.trials)", defaults_from))
      ->transform(whole_number())
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{4294967295}));
  // Checked as text: the conversion to an unsigned number would take -1 for 2^64 - 1.
  app->add_option("--seed", s.seed, fmt::format("Random seed (default: {}'s simulation.seed)", defaults_from))
      ->check(CLI::Validator(std::function<std::string(std::string&)>([](std::string& text) {
                               std::uint64_t value = 0;
                               return cxrisk::parse_uint64(text, value)
                                          ? std::string()
                                          : "must be a whole number from 0 to 18446744073709551615, got " +
                                                text;
                             }),
                             std::string()));
  app->add_option_function<std::string>(
         "--sampling", [&s](const std::string& name) { s.sampling = cxrisk::parse_sampling(name); },
         fmt::format(
             "Design of the uncertain inputs: random, lhs or sobol (default: {}'s simulation.sampling)",
             defaults_from))
      ->check(CLI::IsMember({"random", "lhs", "sobol"}));
  app->add_option(
         "--threads", s.threads,
         fmt::format("Worker threads per process, at most {} (default: every core)", cxrisk::MAX_THREADS))
      ->check(CLI::Range(0, cxrisk::MAX_THREADS));
}

/// --precision and --max-trials: run until the statistics asked for are known to their tolerances.
void add_precision(CLI::App* app, cxrisk::RunSettings& s, bool comparison) {
  app->add_option_function<std::vector<std::string>>(
         "--precision",
         [&s, comparison](const std::vector<std::string>& texts) {
           std::vector<cxrisk::PrecisionTarget> targets;
           try {
             for (const std::string& t : texts) targets.push_back(cxrisk::parse_precision(t, comparison));
           } catch (const cxrisk::UsageError& e) {
             throw CLI::ValidationError("--precision", e.what());
           }
           s.precision = std::move(targets);
         },
         comparison
             ? "Run until this is known to within TOL (repeatable): METRIC:STAT:TOL, METRIC one of savings, "
               "savings_revenue_lost, savings_customers_lost, investment_pv, net_benefit; STAT mean, p5..p99 "
               "or cvar95; TOL relative (1%) or absolute (2e6)"
             : "Run until this is known to within TOL (repeatable): METRIC:STAT:TOL, e.g. total_cost:p95:1% "
               "(STAT mean, p5..p99 or cvar95; TOL relative with %, or absolute)")
      ->type_name("METRIC:STAT:TOL");
  app->add_option_function<std::string>(
         "--variance-reduction", [&s](const std::string& value) { s.variance_reduction = value == "on"; },
         "The two-level estimators from the chain in expectation: on, or off for the plain ones (default: on "
         "for a run to a precision, off otherwise)")
      ->check(CLI::IsMember({"on", "off"}));
  app->add_option("--max-trials", s.max_trials,
                  "Where a run to a precision stops if not there (default: simulation.max_trials, 1e6)")
      ->transform(whole_number())
      ->check(CLI::Range(cxrisk::FIRST_ROUND, std::int64_t{4294967295}));
}

/// --json and --out: a folder's name, which cannot be empty (an empty name would silently write nothing).
void add_output(CLI::App* app, cxrisk::Output& o, const std::string& writes, const char* prints) {
  app->add_flag("--json", o.json, fmt::format("Print {} as JSON instead of a table", prints));
  app->add_option("--out", o.folder, writes)
      ->check(CLI::Validator(
          [](std::string& text) { return text.empty() ? std::string("must name a folder") : std::string(); },
          std::string()));
  app->add_flag("--csv-bom", o.csv_bom,
                "Begin every CSV file with a UTF-8 byte order mark, so that Excel shows names in any script "
                "right (programs that read CSV may not expect one)");
}

/// --report: the readable report beside the results.
void add_report(CLI::App* app, cxrisk::Output& o) {
  app->add_flag("--report", o.report,
                "With --out, also write report.html (one page, works offline, prints on A4) and report.xlsx "
                "(Excel, with charts)");
}

/// The command line as a shell would take it back: each argument quoted where it needs to be.
std::string command_line(int argc, char** argv) {
  std::string out = "cxrisk";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool plain = !arg.empty() && arg.find_first_not_of(
                                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789-_=.,/:%+@") == std::string::npos;
    if (plain) {
      out += " " + arg;
    } else {
      out += " '";
      for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      out += "'";
    }
  }
  return out;
}

/// Every command's arguments.
struct Arguments {
  cxrisk::RunSettings settings;
  cxrisk::LoadOptions load;
  cxrisk::Output output;
  std::string mode = "aggregate";
  std::string file;                                    // the scenario (the base, for compare)
  std::vector<std::string> files, alternatives, vary;  // batch and validate take several
  std::vector<std::string> metrics;                    // sensitivity
  std::vector<std::string> exclude;                    // batch
  std::string compare_with;                            // sweep --compare
  cxrisk::SensitivityOptions sensitivity;
  bool resume = false;
  bool voi = false;  // compare
};

/// The commands and their options; returns the subcommands in the order `dispatch` tries them.
std::vector<CLI::App*> describe(CLI::App& app, Arguments& a) {
  auto* run = app.add_subcommand(
      "run", "Simulate a scenario and summarise the distribution of what poor service costs");
  run->add_option("FILE", a.file, "Scenario file (YAML)")->required();
  add_settings(run, a.settings, "the scenario");
  add_precision(run, a.settings, false);
  run->add_option("--mode", a.mode,
                  "aggregate (default; cost independent of the customer count) or individual (every customer "
                  "followed literally)")
      ->check(CLI::IsMember({"aggregate", "individual"}));
  add_output(run, a.output, "Write summary.json and breakdown.csv (and trials.csv) to this folder",
             "the summary");
  run->add_option_function<std::string>(
         "--samples",
         [&a](const std::string& what) {
           a.output.samples = true;
           a.output.samples_breakdown = what == "breakdown";
         },
         "With --out, also write trials.csv: one row a trial, its totals and sampled inputs; "
         "`--samples breakdown` adds its metrics by problem, stage, segment, cause and outcome")
      ->expected(0, 1)
      ->check(CLI::IsMember({"", "inputs", "breakdown"}))
      ->type_name("[breakdown]");
  add_report(run, a.output);

  auto* expect = app.add_subcommand("expect", "The closed-form answer with every quantity at its mean");
  expect->add_option("FILE", a.file, "Scenario file (YAML)")->required();
  expect->add_flag("--json", a.output.json, "Print JSON instead of a table");

  auto* compare = app.add_subcommand(
      "compare",
      "Run improvement scenarios against a base on common random numbers: savings, net benefit, ROI");
  compare->add_option("BASE", a.file, "Base scenario file")->required();
  compare->add_option("ALT", a.alternatives, "Improvement scenario files")->required();
  add_settings(compare, a.settings, "the base");
  add_precision(compare, a.settings, true);
  add_output(compare, a.output, "Write comparison.json and comparison.csv (and voi.csv) to this folder",
             "the comparison");
  add_report(compare, a.output);
  compare->add_flag(
      "--voi", a.voi,
      "Add the value of information: EVPI, and EVPPI of every uncertain input and group of inputs");

  auto* batch = app.add_subcommand(
      "batch",
      "Run every scenario of files and folders (searched for *.yaml and *.yml) exactly as `run` would");
  batch->add_option("PATH", a.files, "Scenario files and folders")->required();
  add_settings(batch, a.settings, "each scenario");
  add_precision(batch, a.settings, false);
  add_output(batch, a.output,
             "Write DIR/<scenario>/summary.json for each, and DIR/batch.csv and DIR/batch.json for all",
             "batch.json");
  batch->add_flag("--resume", a.resume,
                  "Skip scenarios whose results in --out have the same content hash, trials and seed (marked "
                  "'kept')");
  batch->add_option("--exclude", a.exclude,
                    "Leave out files whose name or path matches this glob (repeatable): '*_draft.yaml', "
                    "'scenarios/old/*'");

  auto* sweep = app.add_subcommand("sweep", "Run a scenario over a grid of values, on common random numbers");
  sweep->add_option("FILE", a.file, "Scenario file (YAML)")->required();
  sweep
      ->add_option("--vary", a.vary,
                   "PATH=FROM:TO:STEP or PATH=V1,V2,...; PATH as in scenario changes "
                   "(problems.billing_error.complaint_rate); repeat for a grid")
      ->required();
  add_settings(sweep, a.settings, "the scenario");
  add_output(sweep, a.output, "Write sweep.csv and sweep.json to this folder (and points/, for --resume)",
             "the sweep");
  sweep->add_option("--compare", a.compare_with,
                    "An improvement scenario: vary its paths (effect size, investment) and report its net "
                    "benefit against FILE, the base, at every point");
  sweep->add_flag("--resume", a.resume,
                  "Keep the points whose results in --out are of the same point (marked "
                  "'kept'); run the rest");

  auto* expand =
      app.add_subcommand("expand", "Print a scenario fully resolved (extends and changes applied) as YAML");
  expand->add_option("FILE", a.file, "Scenario file (YAML)")->required();

  auto* validate = app.add_subcommand("validate", "Check scenario files; print every error; exit 0 or 2");
  validate->add_option("FILE", a.files, "Scenario files")->required();

  auto* sensitivity = app.add_subcommand(
      "sensitivity",
      "Which uncertain inputs drive the risk: tornado, rank correlations, Sobol indices by input and group");
  sensitivity->add_option("FILE", a.file, "Scenario file (YAML)")->required();
  add_settings(sensitivity, a.settings, "the scenario");
  sensitivity
      ->add_option("--metric", a.metrics,
                   "A metric to analyse (repeat; default total_cost, revenue_lost, customers_lost)")
      ->check(
          CLI::IsMember(std::vector<std::string>(cxrisk::METRIC_NAMES.begin(), cxrisk::METRIC_NAMES.end())));
  sensitivity
      ->add_option("--design", a.sensitivity.design_rows,
                   "Rows of the Saltelli design (default: from 1,024, doubled until the ten largest total "
                   "indices have intervals no wider than 0.05)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 24));
  add_output(sensitivity, a.output, "Write sensitivity.json and sensitivity.csv to this folder",
             "the analysis");
  add_report(sensitivity, a.output);

  auto* report = app.add_subcommand(
      "report", "Remake report.html and report.xlsx from an output folder of run, compare or sensitivity");
  report->add_option("DIR", a.file, "The output folder (--out of the command)")->required();

  auto* reference =
      app.add_subcommand("reference", "Print the scenario reference: every key, its default, unit and path");
  reference->add_flag("--json", a.output.json, "The parameter registry as JSON, for programs");
  for (CLI::App* command : {run, expect, validate, compare, batch, sweep, expand, sensitivity})
    command->add_option(
        "--confine", a.load.confine,
        "Read only files inside this folder (after links): for scenario files you did not write");
  return {run, expect, validate, compare, batch, sweep, expand, sensitivity, report, reference};
}

/// Runs the command that was given; returns its exit status.
int dispatch(const std::vector<CLI::App*>& commands, cxrisk::Session& session, const Arguments& a) {
  const std::string name = [&] {
    for (CLI::App* c : commands)
      if (*c) return c->get_name();
    return std::string();
  }();
  const cxrisk::Output& o = a.output;
  if (name == "run") session.run(a.file, o);
  if (name == "expect") session.expect(a.file, o.json);
  if (name == "validate") return session.validate(a.files, std::cerr) > 0 ? 2 : 0;
  if (name == "compare") session.compare(a.file, a.alternatives, o, a.voi);
  if (name == "batch") return session.batch(a.files, o, a.resume, a.exclude);
  if (name == "sweep") session.sweep(a.file, a.vary, o, a.compare_with, a.resume);
  if (name == "expand") session.expand(a.file);
  if (name == "sensitivity") {
    cxrisk::SensitivityOptions options = a.sensitivity;
    if (!a.metrics.empty()) {
      options.metrics.clear();
      for (const std::string& m : a.metrics) options.metrics.push_back(cxrisk::parse_metric(m));
    }
    session.sensitivity(a.file, options, o);
  }
  if (name == "report") {
    if (session.root()) cxrisk::rebuild_report(a.file);
    return 0;
  }
  if (name == "reference") std::cout << (o.json ? cxrisk::registry_json() : cxrisk::reference_markdown());
  return 0;
}

/// After a command line CLI11 refused: "did you mean" for a misspelled command or option.
void suggest(const CLI::App& app, int argc, char** argv) {
  if (argc < 2) return;
  std::vector<std::string> commands;
  for (const CLI::App* c : app.get_subcommands({})) commands.push_back(c->get_name());
  const std::string first = argv[1];
  if (first.empty() || first[0] == '-') return;
  if (std::find(commands.begin(), commands.end(), first) == commands.end()) {
    if (const std::string near = cxrisk::closest_name(first, commands); !near.empty())
      std::cerr << "did you mean 'cxrisk " << near << "'?\n";
    return;
  }
  const CLI::App* command = app.get_subcommand(first);
  std::vector<std::string> options;
  for (const CLI::Option* o : command->get_options({}))
    for (const std::string& name : o->get_lnames()) options.push_back("--" + name);
  for (int i = 2; i < argc; ++i) {
    const std::string word = std::string(argv[i]).substr(0, std::string(argv[i]).find('='));
    if (word.rfind("--", 0) != 0 || std::find(options.begin(), options.end(), word) != options.end())
      continue;
    if (const std::string near = cxrisk::closest_name(word, options); !near.empty())
      std::cerr << "did you mean '" << near << "' for '" << word << "'?\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  cxrisk::mpi::Session mpi(argc, argv);
  CLI::App app{"cxrisk: Monte Carlo revenue at risk from poor customer experience"};
  app.set_version_flag("--version", std::string("cxrisk ") + cxrisk::VERSION +
                                        (cxrisk::mpi::available() ? " (with MPI)" : ""));
  app.require_subcommand(1);
  Arguments args;
  args.output.command = command_line(argc, argv);
  const std::vector<CLI::App*> commands = describe(app, args);
  args.settings.communicator = mpi.communicator();
  args.settings.cancel = &interrupted;
  args.settings.log = [](const std::string& line) { std::cerr << line << "\n"; };
  try {
    app.parse(argc, argv);
    args.settings.mode = cxrisk::parse_mode(args.mode);
  } catch (const CLI::ParseError& e) {
    cxrisk::Session session(args.settings, std::cout, false);
    const int code = session.root() ? app.exit(e) : (e.get_exit_code() == 0 ? 0 : 1);
    if (session.root() && code != 0) suggest(app, argc, argv);
    // Under mpirun the processes still meet, so that one that parsed its command line differently (in
    // mpirun's form "-np 1 A : -np 1 B") does not leave the others waiting for it.
    try {
      session.meet({{"the command line", code == 0 ? "help" : "unusable"}});
    } catch (const cxrisk::JobError& job) {
      if (session.root()) std::cerr << "error: " << job.what() << "\n";
      return job.status();
    }
    return code == 0 ? 0 : 2;
  }
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  cxrisk::Session session(args.settings, std::cout, true, args.load);
  // Under mpirun, each process reads its inputs by itself, and the processes meet before their first
  // exchange. A process that fails before the meeting brings its error there, and every process ends with
  // the job's error, which process 0 prints. After it, bad input and usage are seen alike by every process,
  // so each can just stop; but a failure while running may hit one process only, and then the whole job must
  // end, or the others would wait for it forever.
  const bool distributed = mpi.communicator() && mpi.communicator()->size() > 1;
  auto report = [&](const std::exception& e, int status) {
    if (distributed && !session.met()) {
      try {
        session.meet_failed(status, e.what());
      } catch (const cxrisk::JobError& job) {
        if (session.root()) std::cerr << "error: " << job.what() << "\n";
        return job.status();
      }
    }
    // A failure while running (1, or a signal's 128 + n) may hit one process only: the whole job ends.
    const bool running = status != 2;
    if (session.root() || running) std::cerr << "error: " << e.what() << "\n";
    if (distributed && running) mpi.abort(status);
    return status;
  };
  try {
    const int status = dispatch(commands, session, args);
    // A full disk or a closed pipe shows only when the output is flushed: that is a failed command too.
    errno = 0;
    std::cout.flush();
    if (!std::cout)
      throw cxrisk::RuntimeError(std::string("cannot write the output to standard output") +
                                 (errno ? std::string(": ") + std::strerror(errno) : std::string()));
    return status;
  } catch (const cxrisk::JobError& e) {
    // Thrown alike on every process at the meeting: each ends by itself.
    if (session.root()) std::cerr << "error: " << e.what() << "\n";
    return e.status();
  } catch (const cxrisk::ScenarioError& e) {
    return report(e, 2);
  } catch (const cxrisk::UsageError& e) {
    return report(e, 2);
  } catch (const cxrisk::Cancelled&) {
    // The shell's convention for a process ended by a signal, so that a scheduler can tell a stop from a
    // failure: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM).
    const bool term = interrupting_signal == SIGTERM;
    return report(std::runtime_error(term ? "stopped by SIGTERM before the run finished"
                                          : "stopped by Ctrl-C (SIGINT) before the run finished"),
                  128 + (term ? SIGTERM : SIGINT));
  } catch (const std::bad_alloc&) {
    return report(std::runtime_error("out of memory (fewer trials, or a smaller grid or batch, need less)"),
                  1);
  } catch (const std::exception& e) {
    return report(e, 1);
  }
}
