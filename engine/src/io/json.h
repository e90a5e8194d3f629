// JSON in the library: the statistics object of MODEL.md section 6, the scenario document, and CSV quoting,
// shared by every output.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cxrisk/output.h"
#include "cxrisk/scenario.h"
#include "cxrisk/statistics.h"

namespace cxrisk {

using Json = nlohmann::ordered_json;

/// {"mean", "sd", "se", "min", "max", "p5" ... "p99", "cvar95"}, or {"mean"} alone.
Json stats_to_json(const Stats& s, bool means_only = false);
/// The reverse of stats_to_json (of a complete object).
Stats stats_from_json(const Json& j);
/// The JSON text of `j` (`indent` as nlohmann's dump: -1 for one line). Every output of the library goes
/// through here: a string that is not UTF-8 (a file name, an error message quoting a bad input) has its
/// invalid bytes replaced by U+FFFD instead of making the whole output fail.
std::string json_text(const Json& j, int indent = -1);
/// The scenario as a document with the schema of the scenario files (writer.cpp).
/// A run's design of the inputs, and which standard error it reports: {"design": "random", "se": "iid"}, or
/// {"design": "sobol", "replicates": 16, "se": "replicates"}.
Json sampling_json(Sampling sampling);
/// The pairs of correlated inputs: [{"between": [A, B], "asked": r, "used": r'}].
Json correlations_json(const std::vector<CorrelatedGroup>& groups);

/// A distribution for charts: {"histogram": {"edges", "counts"}, "quantiles": {"levels", "values"}}.
Json distribution_json(const Distribution& d);

/// A run to a precision: {"targets": [...], "met", "trials", "max_trials", "rounds"}.
Json precision_json(const PrecisionReport& report);

Json scenario_document(const Scenario& scenario, bool absolute_paths);
/// Adds what a command writes into its folder besides its results (cxrisk/output.h's FolderExtras) to the
/// folder's files, made from `main_file` among them; what it does not write goes to `stale`.
void add_extras(std::vector<std::pair<std::string, std::string>>& files, std::vector<std::string>& stale,
                const std::string& main_file, const FolderExtras& extras, const TrialRows& trials);

/// A CSV field, quoted when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& s);

}  // namespace cxrisk
