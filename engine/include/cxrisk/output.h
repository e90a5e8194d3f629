// Results as JSON (MODEL.md section 6), CSV and a readable table, and atomic file output.
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "cxrisk/simulate.h"

namespace cxrisk {

/// The JSON of `cxrisk run --json` (or of `cxrisk expect --json` for an expect summary, which carries
/// means only); numbers with round-trip precision.
std::string summary_json(const Summary& summary, int indent = 2);

/// One row per (dimension, entry, metric) with every statistic; the total has dimension "total".
std::string breakdown_csv(const Summary& summary);

/// One row per trial, one column per total metric, written to a stream row by row (millions of trials need no
/// copy of the file in memory).
void write_trials_csv(std::ostream& out, const RunResult& result);

/// A readable summary for a terminal.
std::string summary_table(const Summary& summary);

/// A number for people: thousands separated, a few significant digits below 1000.
std::string human_number(double x);

/// Checks, before any work, that write_files_atomically could create or write into `dir`: the folder, or
/// its nearest ancestor that exists, must be a folder this process may write into. Creates nothing; throws
/// RuntimeError naming the folder otherwise.
void check_output_folder(const std::filesystem::path& dir);

/// Writes a file's content to a stream.
using FileWriter = std::function<void(std::ostream&)>;

/// Writes files into `dir` (created if missing) so that each appears whole or not at all: every file is first
/// written to a temporary beside its target and renamed only when all of them were written.
void write_files_atomically(const std::filesystem::path& dir,
                            const std::vector<std::pair<std::string, FileWriter>>& files);
/// The same with each file's content given whole.
void write_files_atomically(const std::filesystem::path& dir,
                            const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace cxrisk
