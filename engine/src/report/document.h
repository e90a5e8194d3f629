// What the HTML page and the workbook are made from: an output folder's files, parsed once.
#pragma once

#include <string>

#include "cxrisk/report.h"
#include "io/json.h"

namespace cxrisk::report {

struct Document {
  enum class Kind { run, comparison, sensitivity } kind = Kind::run;
  Json main;        ///< summary.json, comparison.json or sensitivity.json
  Json provenance;  ///< provenance.json, or null when the folder has none
  std::string currency;
  const TrialRows* trials = nullptr;  ///< each trial's totals, for the Trials sheet; null or empty: none
};

/// A sum of money for a headline or a label: "JPY 16.2 bn", "USD 1.14 m", "893,267 JPY" below a million.
std::string money(double x, const std::string& currency);
/// An amount in full with thousands separators, and its currency: "16,180,783,629 JPY".
std::string money_full(double x, const std::string& currency);
/// A count or plain number for people: thousands separated, a few significant digits below 1000.
std::string plain(double x);
/// A compact number for an axis: 16.2bn, 3.5m, 12k, 0.25.
std::string compact(double x);
/// A probability as a percentage: "99.9%".
std::string percent(double p);
/// A result's design of the inputs: "random sampling", "sobol sampling (16 replicates)" (without the word
/// "sampling" when `sampling_word` is false).
std::string sampling_text(const Json& main, bool sampling_word = true);
/// The shortest text that reads back as the same double (for data attributes a test compares).
std::string exact(double x);

std::string report_html(const Document& doc);
/// The workbook's bytes.
std::string report_xlsx(const Document& doc);

}  // namespace cxrisk::report
