// Results as JSON (MODEL.md section 6), CSV and readable tables, for every command, and atomic file output.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "cxrisk/batch.h"
#include "cxrisk/compare.h"
#include "cxrisk/report.h"
#include "cxrisk/sensitivity.h"
#include "cxrisk/simulate.h"
#include "cxrisk/sweep.h"

namespace cxrisk {

/// The JSON of `cxrisk run --json` (or of `cxrisk expect --json` for an expect summary, which carries
/// means only); numbers with round-trip precision.
std::string summary_json(const Summary& summary, int indent = 2);

/// One row per (dimension, entry, metric) with every statistic; the total has dimension "total".
std::string breakdown_csv(const Summary& summary);

/// One row per trial, one column per total metric, written to a stream row by row (millions of trials need no
/// copy of the file in memory).
/// With `details`, each row goes on with the trial's TrialDetails columns.
void write_trials_csv(std::ostream& out, const RunResult& result, const std::atomic<bool>* cancel = nullptr,
                      const TrialDetails* details = nullptr);

/// The UTF-8 byte order mark that CSV files begin with under --csv-bom: how Excel tells UTF-8 (and so names
/// in any script) from the system's legacy code page.
inline const std::string UTF8_BOM = "\xEF\xBB\xBF";

/// What a command writes into its output folder besides its results.
struct FolderExtras {
  const Provenance* provenance = nullptr;       ///< provenance.json, when given
  bool report = false;                          ///< report.html and report.xlsx (cxrisk/report.h)
  bool csv_bom = false;                         ///< every CSV file begins with UTF8_BOM
  const TrialDetails* trial_details = nullptr;  ///< trials.csv's columns beyond the totals
};

/// Writes a run's files into `dir`, atomically: summary.json and breakdown.csv, with `samples` also
/// trials.csv (one row a trial), and the `extras`. A report or trials.csv of an earlier run that this one
/// does not write is removed (it would stand beside these results as if it were theirs).
void write_run(const std::filesystem::path& dir, const RunResult& result, bool samples,
               const std::atomic<bool>* cancel = nullptr, const FolderExtras& extras = {});
/// comparison.json, comparison.csv, voi.csv (with the value of information), convergence.csv (a comparison
/// to a precision) and the `extras`, atomically.
void write_comparison(const std::filesystem::path& dir, const Comparison& comparison,
                      const FolderExtras& extras = {});
/// sensitivity.json, sensitivity.csv and the `extras`, atomically.
void write_sensitivity(const std::filesystem::path& dir, const Sensitivity& sensitivity,
                       const FolderExtras& extras = {});

/// A readable summary for a terminal.
std::string summary_table(const Summary& summary);
/// convergence.csv of a run to a precision: a row for each round and target (and alternative of a
/// comparison): trials, of, metric, statistic, estimate, half_width, allowed, met.
std::string convergence_csv(const PrecisionReport& report);

/// The JSON of `cxrisk compare --json`.
std::string comparison_json(const Comparison& comparison, int indent = 2);
/// One row per alternative with the main figures.
std::string comparison_csv(const Comparison& comparison);
/// The ranking table of `cxrisk compare`: alternatives by mean net benefit, best first.
std::string comparison_table(const Comparison& comparison);
/// `compare --voi`: voi.csv (a row for every input, then every group, after EVPI's), and the table that
/// follows the comparison's (the `rows` inputs worth most).
std::string voi_csv(const ValueOfInformation& voi);
std::string voi_table(const ValueOfInformation& voi, const std::string& currency, std::size_t rows = 15);

std::string batch_csv(const BatchResult& result);
std::string batch_json(const BatchResult& result);
/// The table of `cxrisk batch`: a line a scenario; `out` is the output folder, if any.
std::string batch_table(const BatchResult& result, const std::string& out);

/// `cxrisk sensitivity`: the JSON, the CSV (a row per metric and input, then per group), and the table (the
/// `rows` inputs with the largest total indices of each metric).
std::string sensitivity_json(const Sensitivity& sensitivity);
std::string sensitivity_csv(const Sensitivity& sensitivity);
std::string sensitivity_table(const Sensitivity& sensitivity, std::size_t rows = 15);

std::string sweep_csv(const Sweep& sweep);
std::string sweep_json(const Sweep& sweep);
std::string sweep_table(const Sweep& sweep);

/// Checks, before any work, that write_files_atomically could create or write into `dir`: the folder, or
/// its nearest ancestor that exists, must be a folder this process may write into. Creates nothing; throws
/// RuntimeError naming the folder otherwise.
void check_output_folder(const std::filesystem::path& dir);

/// Writes a file's content to a stream.
using FileWriter = std::function<void(std::ostream&)>;

/// Writes files into `dir` (created if missing) so that the set appears whole or not at all: every file is
/// first written to a temporary beside its target (a new file of an unpredictable name, never a link) and
/// renamed only when all of them were written; then the `stale` files (of an earlier run, that this set
/// replaces without one of its own) are removed. The folder is locked meanwhile, so that two runs into it
/// write their sets one after the other, and temporaries a killed process left are removed. On failure
/// nothing is replaced, and a folder this call made is removed again.
void write_files_atomically(const std::filesystem::path& dir,
                            const std::vector<std::pair<std::string, FileWriter>>& files,
                            const std::vector<std::string>& stale = {});
/// The same with each file's content given whole.
void write_files_atomically(const std::filesystem::path& dir,
                            const std::vector<std::pair<std::string, std::string>>& files,
                            const std::vector<std::string>& stale = {});

}  // namespace cxrisk
