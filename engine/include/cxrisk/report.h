// Reports people read: one self-contained HTML page (no script, no network request, A4 when printed) and an
// Excel workbook with native charts, made from the files of an output folder, so that `cxrisk report DIR`
// remakes them without running anything again.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace cxrisk {

/// An output folder's files by name, as text: summary.json (a run), comparison.json (a comparison) or
/// sensitivity.json (a sensitivity analysis), and provenance.json where there is one.
using ReportSources = std::map<std::string, std::string>;

/// Each trial's totals (a run's trials.csv), for the workbook's Trials sheet: `columns` names, `values` row
/// by row.
struct TrialRows {
  std::vector<std::string> columns;
  std::vector<double> values;
  std::size_t rows() const { return columns.empty() ? 0 : values.size() / columns.size(); }
};

/// The most trials the Trials sheet holds: an Excel sheet's rows, less its header.
inline constexpr std::size_t MAX_SHEET_TRIALS = 1048575;

struct ReportFiles {
  std::string html;  ///< report.html
  std::string xlsx;  ///< report.xlsx, its bytes
};

/// The report of an output folder's files. Throws UsageError when none of the three results is there or
/// one cannot be read.
ReportFiles make_report(const ReportSources& sources, const TrialRows& trials = {});

/// Reads the files a report is made from out of `dir` (those there), and with `trials` the folder's
/// trials.csv (up to MAX_SHEET_TRIALS rows). Throws UsageError for a folder that is not there.
ReportSources read_report_sources(const std::filesystem::path& dir, TrialRows* trials = nullptr);

/// `cxrisk report DIR`: (re)writes DIR/report.html and DIR/report.xlsx from the folder's files, atomically.
void rebuild_report(const std::filesystem::path& dir);

struct Provenance;
/// Writes `files` (an output folder's results, as text), the `provenance` when given, and the report made
/// from them into `dir`, atomically: for a program that holds the results as JSON (the Python module's
/// Sensitivity).
void write_with_report(const std::filesystem::path& dir, const ReportSources& files,
                       const Provenance* provenance);

/// What made an output folder, for provenance.json: the command, and each scenario file with its content
/// hash (content_hash()).
struct Provenance {
  std::string command;
  std::vector<std::pair<std::string, std::string>> scenarios;  ///< (file, hash)
  int threads = 0;
  int processes = 1;
};
/// provenance.json: {"cxrisk_version", "command", "date" (UTC, ISO 8601), "scenarios": [{"file", "hash"}],
/// "threads", "processes"}.
std::string provenance_json(const Provenance& p);

}  // namespace cxrisk
