#include "cxrisk/report.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <charconv>
#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

#include "cxrisk/error.h"
#include "cxrisk/output.h"
#include "cxrisk/text.h"
#include "cxrisk/version.h"
#include "report/document.h"

namespace cxrisk {

namespace report {

std::string plain(double x) {
  if (!std::isfinite(x)) return "-";
  return human_number(x);
}

std::string compact(double x) {
  if (!std::isfinite(x)) return "-";
  const double a = std::abs(x);
  const auto scaled = [&](double unit, const char* suffix) {
    const double v = x / unit;
    return fmt::format("{}{}", std::abs(v) >= 100 ? fmt::format("{:.0f}", v) : fmt::format("{:.3g}", v),
                       suffix);
  };
  if (a >= 1e12) return scaled(1e12, "tn");
  if (a >= 1e9) return scaled(1e9, "bn");
  if (a >= 1e6) return scaled(1e6, "m");
  if (a >= 1e4) return scaled(1e3, "k");
  return fmt::format("{:.4g}", x);
}

std::string money(double x, const std::string& currency) {
  if (!std::isfinite(x)) return "-";
  const double a = std::abs(x);
  const auto scaled = [&](double unit, const char* suffix) {
    return fmt::format("{:.{}f} {}", x / unit,
                       std::abs(x / unit) >= 100  ? 0
                       : std::abs(x / unit) >= 10 ? 1
                                                  : 2,
                       suffix);
  };
  const std::string shown = a >= 1e12  ? scaled(1e12, "tn")
                            : a >= 1e9 ? scaled(1e9, "bn")
                            : a >= 1e6 ? scaled(1e6, "m")
                                       : plain(x);
  return currency.empty() ? shown : currency + " " + shown;
}

std::string money_full(double x, const std::string& currency) {
  if (!std::isfinite(x)) return "-";
  return currency.empty() ? plain(x) : plain(x) + " " + currency;
}

std::string percent(double p) {
  if (!std::isfinite(p)) return "-";
  if (p > 0.999 && p < 1) return fmt::format("{:.2f}%", 100 * p);
  return fmt::format("{:.1f}%", 100 * p);
}

std::string sampling_text(const Json& main, bool sampling_word) {
  const Json s = main.value("sampling", Json::object());
  const std::string design = s.value("design", "random");
  const std::string word = sampling_word ? " sampling" : "";
  return design == "random" ? "random" + word
                            : fmt::format("{}{} ({} replicates)", design, word, s.value("replicates", 0));
}

std::string exact(double x) {
  return std::isfinite(x) ? fmt::format("{}", x) : "null";
}

}  // namespace report

namespace {

Json parse(const ReportSources& sources, const std::string& name) {
  try {
    return Json::parse(sources.at(name));
  } catch (const Json::exception& e) {
    throw UsageError(fmt::format("{} cannot be read as cxrisk's JSON: {}", name, e.what()));
  }
}

}  // namespace

ReportFiles make_report(const ReportSources& sources, const TrialRows& trials) {
  using report::Document;
  Document doc;
  std::string main_file;
  for (const auto& [name, kind] : {std::pair{"summary.json", Document::Kind::run},
                                   std::pair{"comparison.json", Document::Kind::comparison},
                                   std::pair{"sensitivity.json", Document::Kind::sensitivity}})
    if (sources.count(name)) {
      doc.kind = kind;
      main_file = name;
      break;
    }
  CXRISK_REQUIRE(!main_file.empty(),
                 "no results to report: the folder holds none of summary.json (run), comparison.json "
                 "(compare) or sensitivity.json (sensitivity)");
  doc.main = parse(sources, main_file);
  try {
    if (doc.kind == Document::Kind::run) {
      CXRISK_REQUIRE(doc.main.contains("metrics") && doc.main.contains("trials"),
                     "summary.json holds no simulated metrics (a closed-form `expect` has no distribution "
                     "to report)");
      doc.main["metrics"]["total_cost"].at("mean");
    }
    if (doc.kind == Document::Kind::comparison) doc.main.at("alternatives");
    if (doc.kind == Document::Kind::sensitivity) doc.main.at("metrics");
    doc.currency = doc.main.value("currency", std::string());
    if (sources.count("provenance.json")) doc.provenance = parse(sources, "provenance.json");
    doc.trials = &trials;
    return {report::report_html(doc), report::report_xlsx(doc)};
  } catch (const Json::exception& e) {
    throw UsageError(fmt::format("{} lacks what a report needs (written by another version of cxrisk?): {}",
                                 main_file, e.what()));
  }
}

ReportSources read_report_sources(const std::filesystem::path& dir, TrialRows* trials) {
  CXRISK_REQUIRE(std::filesystem::is_directory(dir), "no such output folder: " << dir.string());
  ReportSources sources;
  for (const char* name : {"summary.json", "comparison.json", "sensitivity.json", "provenance.json"}) {
    const std::filesystem::path p = dir / name;
    if (!std::filesystem::exists(p)) continue;
    std::ifstream in(p, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    CXRISK_REQUIRE(in.good() || in.eof(), "cannot read " << p.string());
    sources[name] = text.str();
  }
  if (trials && std::filesystem::exists(dir / "trials.csv")) {
    std::ifstream in(dir / "trials.csv");
    std::string line;
    std::getline(in, line);
    std::istringstream head(line);
    for (std::string column; std::getline(head, column, ',');) trials->columns.push_back(column);
    while (trials->rows() < MAX_SHEET_TRIALS && std::getline(in, line)) {
      std::size_t start = 0;
      for (std::size_t k = 0; k < trials->columns.size(); ++k) {
        const std::size_t end = std::min(line.find(',', start), line.size());
        double v = std::nan("");
        std::from_chars(line.data() + start, line.data() + end, v);
        trials->values.push_back(v);
        start = end + 1;
      }
    }
  }
  return sources;
}

void rebuild_report(const std::filesystem::path& dir) {
  TrialRows trials;
  const ReportSources sources = read_report_sources(dir, &trials);
  const ReportFiles files = make_report(sources, trials);
  write_files_atomically(dir, {{"report.html", files.html}, {"report.xlsx", files.xlsx}});
}

void write_with_report(const std::filesystem::path& dir, const ReportSources& files,
                       const Provenance* provenance) {
  ReportSources sources = files;
  if (provenance) sources["provenance.json"] = provenance_json(*provenance);
  ReportFiles report = make_report(sources);
  std::vector<std::pair<std::string, std::string>> out(sources.begin(), sources.end());
  out.emplace_back("report.html", std::move(report.html));
  out.emplace_back("report.xlsx", std::move(report.xlsx));
  write_files_atomically(dir, out);
}

std::string provenance_json(const Provenance& p) {
  Json j;
  j["cxrisk_version"] = VERSION;
  j["command"] = p.command;
  j["date"] =
      fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                  fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
  Json scenarios = Json::array();
  for (const auto& [file, hash] : p.scenarios) scenarios.push_back({{"file", file}, {"hash", hash}});
  j["scenarios"] = std::move(scenarios);
  j["threads"] = p.threads;
  j["processes"] = p.processes;
  return json_text(j, 2) + "\n";
}

}  // namespace cxrisk
