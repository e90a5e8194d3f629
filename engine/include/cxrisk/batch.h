// Unattended runs: many scenario files in one go (`cxrisk batch`).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "cxrisk/loader.h"
#include "cxrisk/simulate.h"
#include "cxrisk/statistics.h"

namespace cxrisk {

/// The scenario files named by `paths`: files as given, folders searched recursively for *.yaml (sorted).
/// Throws UsageError for a path that does not exist.
std::vector<std::string> collect_scenario_files(const std::vector<std::string>& paths,
                                                const std::vector<std::string>& exclude = {});

/// A hash of everything a scenario's numbers depend on: the resolved scenario and the values files it reads.
std::string content_hash(const Scenario& scenario);

/// Where a batch writes, and whether it keeps an earlier batch's results.
struct BatchOutput {
  std::filesystem::path out;  ///< where to write; empty: nowhere
  bool resume = false;  ///< skip scenarios whose results in `out` have the same content hash, trials and seed
  bool csv_bom = false;  ///< batch.csv begins with a UTF-8 byte order mark (for Excel)
};

/// One scenario of a batch.
struct BatchEntry {
  std::string file;
  std::string name;       ///< empty when the file did not load
  std::string directory;  ///< its folder under `out`
  std::string hash;
  std::int64_t trials = 0;      ///< asked for (a run to a precision's first round stands for its targets)
  std::int64_t trials_run = 0;  ///< run: `trials`, or where a run to a precision stopped
  std::uint64_t seed = 0;
  Sampling sampling = Sampling::random;
  std::string precision;  ///< the targets of a run to a precision, and its maximum ("" otherwise)
  bool ok = false;
  bool reused = false;   ///< results kept from an earlier batch (--resume)
  bool not_run = false;  ///< the batch was stopped (a signal) before it ran this scenario
  /// "ok", "kept" (by --resume), "error", or "not run".
  std::string_view status() const { return reused ? "kept" : ok ? "ok" : not_run ? "not run" : "error"; }
  std::string error;  ///< the error, as the command line prints it
  int error_line = 0;
  std::string summary_json;  ///< as `cxrisk run --json` prints it
  Stats total_cost, revenue_lost, customers_lost;
};

struct BatchResult {
  std::vector<BatchEntry> entries;  ///< in file order
  int failed() const;
};

/// Runs every file exactly as `cxrisk run` would (same numbers for the same seed); a file that fails to load
/// or run is recorded with its error and the others still run. The scenarios are shared out over the
/// settings' processes (each run uses this process's threads); the log gets a line per scenario. With an
/// output folder, writes `out/<name>/summary.json` for each scenario and `out/batch.csv`, `out/batch.json`
/// for all.
BatchResult batch(const std::vector<std::string>& files, const RunSettings& settings,
                  const BatchOutput& output = {}, const LoadOptions& load = {});

}  // namespace cxrisk
