// Unattended runs: many scenario files in one go (batch), and a grid of what-ifs over one scenario (sweep).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cxrisk/communicator.h"
#include "cxrisk/scenario.h"
#include "cxrisk/statistics.h"

namespace cxrisk {

/// The scenario files named by `paths`: files as given, folders searched recursively for *.yaml (sorted).
/// Throws UsageError for a path that does not exist.
std::vector<std::string> collect_scenario_files(const std::vector<std::string>& paths);

/// A hash of everything a scenario's numbers depend on: the resolved scenario and the values files it reads.
std::string content_hash(const Scenario& scenario);

struct BatchOptions {
  std::optional<std::int64_t> trials;
  std::optional<std::uint64_t> seed;
  int threads = 0;
  std::filesystem::path out;  ///< where to write; empty: nowhere
  bool resume = false;  ///< skip scenarios whose results in `out` have the same content hash, trials and seed
  std::function<void(const std::string&)> log;  ///< a line per scenario
  const std::atomic<bool>* cancel = nullptr;
  /// Processes to share the scenarios among; null: this process alone. Process 0 writes the outputs.
  const Communicator* communicator = nullptr;
};

/// One scenario of a batch.
struct BatchEntry {
  std::string file;
  std::string name;       ///< empty when the file did not load
  std::string directory;  ///< its folder under `out`
  std::string hash;
  std::int64_t trials = 0;
  std::uint64_t seed = 0;
  bool ok = false;
  bool reused = false;  ///< results kept from an earlier batch (--resume)
  std::string error;    ///< the error, as the command line prints it
  int error_line = 0;
  std::string summary_json;  ///< as `cxrisk run --json` prints it
  Stats total_cost, revenue_lost, customers_lost;
};

struct BatchResult {
  std::vector<BatchEntry> entries;  ///< in file order
  int failed() const;
};

/// Runs every file exactly as `cxrisk run` would (same numbers for the same seed); a file that fails to load
/// or run is recorded with its error and the others still run. With `out`, writes `out/<name>/summary.json`
/// for each scenario and `out/batch.csv`, `out/batch.json` for all.
BatchResult batch(const std::vector<std::string>& files, const BatchOptions& options);

std::string batch_csv(const BatchResult& result);
std::string batch_json(const BatchResult& result);

/// One varied path of a sweep and its values.
struct SweepAxis {
  std::string path;
  std::vector<double> values;
};

/// Parses `PATH=FROM:TO:STEP` (TO included, within rounding) or `PATH=V1,V2,...`. Throws UsageError.
SweepAxis parse_sweep_axis(const std::string& spec);

struct SweepOptions {
  std::optional<std::int64_t> trials;
  std::optional<std::uint64_t> seed;
  int threads = 0;
  std::function<void(const std::string&)> log;  ///< a line per grid point
  const std::atomic<bool>* cancel = nullptr;
  /// Processes to share the grid points among; null: this process alone. Process 0 gets the sweep.
  const Communicator* communicator = nullptr;
};

struct SweepPoint {
  std::vector<double> values;  ///< one per axis
  std::vector<Stats> totals;   ///< one per metric
};

struct Sweep {
  std::string scenario;
  std::vector<std::string> paths;
  std::int64_t trials = 0;
  std::uint64_t seed = 0;
  std::vector<SweepPoint> points;  ///< the grid, the last axis varying fastest
};

/// Runs the scenario at every point of the grid of `axes` (each point sets its values with `set` changes),
/// all on the same seed, so neighbouring points share their random draws (common random numbers) and the
/// curve is smooth. Every grid point is checked before any runs; a bad value is a ScenarioError.
Sweep sweep(const Scenario& scenario, const std::vector<SweepAxis>& axes, const SweepOptions& options);

std::string sweep_csv(const Sweep& sweep);
std::string sweep_json(const Sweep& sweep);
std::string sweep_table(const Sweep& sweep);

}  // namespace cxrisk
