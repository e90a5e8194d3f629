// The commands of the command line as library calls. Each loads its files, checks where it will write, meets
// the other processes of a distributed job, runs, writes its files and prints its table or JSON (process 0
// only). The command line parses its arguments into these calls and turns what they throw into exit codes;
// the Python module calls the same runs and writes through the same outputs.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "cxrisk/communicator.h"
#include "cxrisk/loader.h"
#include "cxrisk/report.h"
#include "cxrisk/sensitivity.h"
#include "cxrisk/simulate.h"

namespace cxrisk {

class ProgressBar;

/// What a command prints and writes.
struct Output {
  bool json = false;               ///< print JSON instead of a table
  std::string folder;              ///< --out: write the command's files into this folder; empty: nowhere
  bool samples = false;            ///< `run`: also write trials.csv (each trial's totals and sampled inputs)
  bool samples_breakdown = false;  ///< `run --samples breakdown`: and each trial's breakdowns
  bool report = false;  ///< with a folder: also report.html and report.xlsx (`run`, `compare`, `sensitivity`)
  std::string command;  ///< the command line, for the folder's provenance.json
  bool csv_bom = false;  ///< CSV files begin with a UTF-8 byte order mark (for Excel)
};

class Session {
 public:
  /// `settings` as the command line gave them (trials, seed, threads, mode, the job's processes, the
  /// cancellation flag, where batch and sweep log); `out` receives what a command prints. With
  /// `progress_bar`, long runs show one on standard error when it is a terminal. `load` says how scenario
  /// files are read (--confine).
  Session(RunSettings settings, std::ostream& out, bool progress_bar, LoadOptions load = {});

  void run(const std::string& file, const Output& output);
  void expect(const std::string& file, bool json);
  /// With `voi`, the comparison adds the value of information (cxrisk/voi.h).
  void compare(const std::string& base, const std::vector<std::string>& alternatives, const Output& output,
               bool voi = false);
  /// Returns the number of scenarios that failed.
  /// `exclude`: glob patterns of files to leave out (--exclude). Returns the exit status: 0 when every
  /// scenario ran, 2 when a file failed to load (bad input), else 1 when a scenario failed while running.
  int batch(const std::vector<std::string>& paths, const Output& output, bool resume,
            const std::vector<std::string>& exclude = {});
  /// With `compare_with`, the axes vary that alternative and each point is compared with `file` (its base);
  /// with `resume`, points whose records in the output folder are of the same point are kept.
  void sweep(const std::string& file, const std::vector<std::string>& vary, const Output& output,
             const std::string& compare_with = {}, bool resume = false);
  void expand(const std::string& file);
  void sensitivity(const std::string& file, const SensitivityOptions& options, const Output& output);
  /// Prints a line for each valid file to `out` and the error of each other file to `err`; returns the
  /// number of files with errors.
  int validate(const std::vector<std::string>& files, std::ostream& err);

  /// The meeting of every process before the first exchange of a distributed command (agree_on_inputs),
  /// with what this process read: throws JobError on every process unless all read the same. A process on
  /// its own just goes on.
  void meet(InputDigests digests);
  /// The meeting, for a process that failed before it: throws the job's JobError on every process.
  void meet_failed(int status, const std::string& error);
  /// Whether this process has met the others: before, a process that fails must meet them with its error,
  /// as they would wait for it forever.
  bool met() const { return met_; }
  /// Whether this process prints and writes (process 0).
  bool root() const { return settings_.processes().is_root(); }
  /// Loads a scenario file; its warnings (a correlation matrix repaired) go to standard error.
  Scenario load(const std::string& file) const;
  /// A warning on standard error when a run to a precision did not reach it.
  void warn_unmet(const std::optional<PrecisionReport>& report) const;

 private:
  /// The extras of an output folder: its provenance (the command, the scenario files and their hashes), and
  /// the report when asked for.
  Provenance provenance(const Output& output,
                        const std::vector<std::pair<std::string, std::string>>& scenarios) const;
  /// The settings, with progress reported to `bar`.
  RunSettings reporting_to(ProgressBar& bar) const;

  RunSettings settings_;
  LoadOptions load_;
  std::ostream& out_;
  bool progress_bar_;
  bool met_ = false;
};

}  // namespace cxrisk
