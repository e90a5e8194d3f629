#include "cxrisk/output.h"

#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include "cxrisk/text.h"
#include "cxrisk/version.h"
#include "io/json.h"

namespace cxrisk {

Json stats_to_json(const Stats& s, bool means_only) {
  Json j;
  j["mean"] = s.mean;
  if (means_only) return j;
  j["sd"] = s.sd;
  j["se"] = s.se;
  j["min"] = s.min;
  j["max"] = s.max;
  for (std::size_t i = 0; i < PERCENTILES.size(); ++i) j[std::string(PERCENTILE_NAMES[i])] = s.percentiles[i];
  j["cvar95"] = s.cvar95;
  const auto interval = [](const Interval& x) {
    return std::isfinite(x.low) && std::isfinite(x.high) ? Json::array({x.low, x.high}) : Json(nullptr);
  };
  Json ci = Json::object();
  ci["mean"] = interval(s.mean_ci);
  for (std::size_t i = 0; i < PERCENTILES.size(); ++i)
    ci[std::string(PERCENTILE_NAMES[i])] = interval(s.percentile_ci[i]);
  ci["cvar95"] = interval(s.cvar95_ci);
  j["ci95"] = std::move(ci);
  return j;
}

std::string json_text(const Json& j, int indent) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

Stats stats_from_json(const Json& j) {
  Stats s;
  s.mean = j.at("mean");
  s.sd = j.at("sd");
  s.se = j.at("se");
  s.min = j.at("min");
  s.max = j.at("max");
  for (std::size_t i = 0; i < PERCENTILES.size(); ++i)
    s.percentiles[i] = j.at(std::string(PERCENTILE_NAMES[i]));
  s.cvar95 = j.at("cvar95");
  // A summary written before intervals were reported has none: NaN, as for an interval not known.
  const auto interval = [](const Json& ci, const std::string& key) {
    constexpr double NaN = std::numeric_limits<double>::quiet_NaN();
    if (!ci.is_object() || !ci.contains(key) || !ci[key].is_array()) return Interval{NaN, NaN};
    return Interval{ci[key].at(0).get<double>(), ci[key].at(1).get<double>()};
  };
  const Json ci = j.value("ci95", Json());
  s.mean_ci = interval(ci, "mean");
  for (std::size_t i = 0; i < PERCENTILES.size(); ++i)
    s.percentile_ci[i] = interval(ci, std::string(PERCENTILE_NAMES[i]));
  s.cvar95_ci = interval(ci, "cvar95");
  return s;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

namespace {

Json entry_json(const Summary& summary, int entry, bool means_only) {
  Json j = Json::object();
  for (int m = 0; m < N_METRICS; ++m)
    j[std::string(METRIC_NAMES[m])] = stats_to_json(summary.stats[Layout::series(entry, m)], means_only);
  return j;
}

std::string csv_number(double x) {
  return fmt::format("{}", x);
}

}  // namespace

Json sampling_json(Sampling sampling) {
  if (sampling == Sampling::random) return {{"design", "random"}, {"se", "iid"}};
  return {{"design", std::string(to_string(sampling))}, {"replicates", REPLICATES}, {"se", "replicates"}};
}

Json correlations_json(const std::vector<CorrelatedGroup>& groups) {
  Json out = Json::array();
  for (const CorrelatedGroup& g : groups) {
    const std::size_t k = g.size();
    for (std::size_t a = 0; a < k; ++a)
      for (std::size_t b = a + 1; b < k; ++b) {
        const double asked = g.asked[a * k + b], used = g.used[a * k + b];
        if (asked == 0 && used == asked) continue;
        out.push_back({{"between", {g.paths[a], g.paths[b]}}, {"asked", asked}, {"used", used}});
      }
  }
  return out;
}

Json distribution_json(const Distribution& d) {
  const std::span<const double> levels = distribution_levels();
  return {{"histogram", {{"edges", d.edges}, {"counts", d.counts}}},
          {"quantiles",
           {{"levels", std::vector<double>(levels.begin(), levels.end())}, {"values", d.quantiles}}}};
}

namespace {

Json inputs_json(const std::vector<InputSummary>& inputs) {
  Json out = Json::array();
  for (const InputSummary& x : inputs) {
    Json j = {
        {"path", x.path}, {"kind", x.kind}, {"distribution", x.distribution}, {"uncertain", x.uncertain}};
    // Shares have no single mean or quantile: their distribution says all.
    if (std::isfinite(x.mean)) {
      j["mean"] = x.mean;
      j["p10"] = x.p10;
      j["p50"] = x.p50;
      j["p90"] = x.p90;
    }
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

std::string summary_json(const Summary& summary, int indent) {
  const bool means_only = summary.closed_form;
  Json j;
  j["cxrisk"] = 1;
  j["scenario"] = summary.scenario;
  if (!summary.currency.empty()) j["currency"] = summary.currency;
  if (!means_only) {
    j["trials"] = summary.trials;
    j["seed"] = summary.seed;
  }
  j["mode"] = std::string(summary.mode_name());
  if (!means_only) {
    j["breakdown_percentiles"] = summary.breakdown_exact ? "exact" : "sketch";
    j["sampling"] = sampling_json(summary.sampling);
  }
  if (!summary.correlations.empty()) j["correlations"] = correlations_json(summary.correlations);
  if (summary.precision) j["precision"] = precision_json(*summary.precision);
  if (summary.variance_reduction_points > 0)
    j["variance_reduction"] = {{"estimator", "two-level"}, {"points", summary.variance_reduction_points}};
  j["metrics"] = entry_json(summary, 0, means_only);
  if (!summary.distributions.empty()) {
    Json d = Json::object();
    for (int m = 0; m < N_METRICS; ++m)
      d[std::string(METRIC_NAMES[m])] = distribution_json(summary.distributions[static_cast<std::size_t>(m)]);
    j["distributions"] = std::move(d);
  }
  if (!summary.inputs.empty()) j["inputs"] = inputs_json(summary.inputs);
  if (!summary.breakdowns) return json_text(j, indent) + "\n";
  Json breakdown = Json::object();
  const Layout& L = summary.layout;
  for (Dimension d : DIMENSIONS) {
    Json dim = Json::object();
    for (std::size_t e = 0; e < L.names(d).size(); ++e)
      dim[L.names(d)[e]] = entry_json(summary, L.entry(d, static_cast<int>(e)), means_only);
    breakdown[std::string(to_string(d))] = std::move(dim);
  }
  j["breakdown"] = std::move(breakdown);
  return json_text(j, indent) + "\n";
}

std::string breakdown_csv(const Summary& summary) {
  std::string out = "dimension,name,metric,mean,sd,se,min,max";
  for (auto p : PERCENTILE_NAMES) out += fmt::format(",{}", p);
  out += ",cvar95,mean_low,mean_high";
  for (auto p : PERCENTILE_NAMES) out += fmt::format(",{}_low,{}_high", p, p);
  out += ",cvar95_low,cvar95_high\n";
  const auto bounds = [](const Interval& x) {
    return std::isfinite(x.low) ? fmt::format(",{},{}", x.low, x.high) : std::string(",,");
  };
  const Layout& L = summary.layout;
  auto rows = [&](const std::string& dim, const std::string& name, int entry) {
    for (int m = 0; m < N_METRICS; ++m) {
      const Stats& s = summary.stats[Layout::series(entry, m)];
      out += fmt::format("{},{},{},{},{},{},{},{}", csv_field(dim), csv_field(name), METRIC_NAMES[m],
                         csv_number(s.mean), csv_number(s.sd), csv_number(s.se), csv_number(s.min),
                         csv_number(s.max));
      for (double p : s.percentiles) out += fmt::format(",{}", p);
      out += fmt::format(",{}", s.cvar95) + bounds(s.mean_ci);
      for (const Interval& ci : s.percentile_ci) out += bounds(ci);
      out += bounds(s.cvar95_ci) + "\n";
    }
  };
  rows("total", "total", 0);
  if (!summary.breakdowns) return out;
  for (Dimension d : DIMENSIONS)
    for (std::size_t e = 0; e < L.names(d).size(); ++e)
      rows(std::string(to_string(d)), L.names(d)[e], L.entry(d, static_cast<int>(e)));
  return out;
}

void write_trials_csv(std::ostream& out, const RunResult& result, const std::atomic<bool>* cancel,
                      const TrialDetails* details) {
  fmt::memory_buffer row;
  fmt::format_to(std::back_inserter(row), "trial");
  for (auto name : METRIC_NAMES) fmt::format_to(std::back_inserter(row), ",{}", name);
  if (details)
    for (const std::string& name : details->columns())
      fmt::format_to(std::back_inserter(row), ",{}", csv_field(name));
  row.push_back('\n');
  out.write(row.data(), static_cast<std::streamsize>(row.size()));
  // The details are recomputed a block of trials at a time.
  constexpr std::int64_t BLOCK = 1024;
  const std::size_t width = details ? details->columns().size() : 0;
  std::vector<double> block(width * BLOCK);
  for (std::int64_t t = 0; t < result.summary.trials; ++t) {
    // Millions of rows take seconds: a cancellation is seen while they are written.
    if ((t & 0xffff) == 0 && cancel && cancel->load(std::memory_order_relaxed)) throw Cancelled();
    if (details && t % BLOCK == 0)
      details->rows(static_cast<std::uint64_t>(t),
                    static_cast<int>(std::min(BLOCK, result.summary.trials - t)), block.data(), cancel);
    row.clear();
    fmt::format_to(std::back_inserter(row), "{}", t);
    for (int m = 0; m < N_METRICS; ++m)
      fmt::format_to(std::back_inserter(row), ",{}", result.metric_samples(m)[t]);
    for (std::size_t k = 0; k < width; ++k)
      fmt::format_to(std::back_inserter(row), ",{}", block[static_cast<std::size_t>(t % BLOCK) * width + k]);
    row.push_back('\n');
    out.write(row.data(), static_cast<std::streamsize>(row.size()));
  }
}

std::string summary_table(const Summary& summary) {
  const bool means_only = summary.closed_form;
  std::string out;
  if (means_only)
    out += fmt::format("{} (closed form, every quantity at its mean)", summary.scenario);
  else
    out += fmt::format("{}  ({} trials, seed {}, {} mode, {} sampling{})", summary.scenario, summary.trials,
                       summary.seed, summary.mode_name(), to_string(summary.sampling),
                       summary.correlations.empty() ? "" : ", correlated inputs");
  if (!summary.currency.empty()) out += fmt::format("  currency: {}", summary.currency);
  if (summary.variance_reduction_points > 0)
    out += fmt::format("\nvariance reduction: E[metric | inputs] at {} more input points",
                       summary.variance_reduction_points);
  if (summary.precision) out += "\nprecision " + summary.precision->describe();
  out += "\n\n";
  if (means_only) {
    out += fmt::format("{:<26}{:>18}\n", "metric", "mean");
    for (int m = 0; m < N_METRICS; ++m)
      out += fmt::format("{:<26}{:>18}\n", METRIC_NAMES[m], human_number(summary.total(m).mean));
  } else {
    // The mean and the P95 with the half-widths of their 95% intervals.
    out += fmt::format("{:<26}{:>16}{:>14}{:>16}{:>16}{:>16}{:>14}{:>16}\n", "metric", "mean", "+-95%", "p5",
                       "p50", "p95", "+-95%", "cvar95");
    for (int m = 0; m < N_METRICS; ++m) {
      const Stats& s = summary.total(m);
      out += fmt::format("{:<26}{:>16}{:>14}{:>16}{:>16}{:>16}{:>14}{:>16}\n", METRIC_NAMES[m],
                         human_number(s.mean), human_number(s.mean_ci.half_width()), human_number(s.p5()),
                         human_number(s.p50()), human_number(s.p95()),
                         human_number(s.percentile_ci[6].half_width()), human_number(s.cvar95));
    }
  }
  if (!summary.breakdowns) return out;
  const Layout& L = summary.layout;
  const double total = summary.total(total_cost).mean;
  for (Dimension d : DIMENSIONS) {
    if (L.names(d).empty()) continue;
    out += fmt::format("\ntotal_cost by {:<12}{:>16}{:>9}", to_string(d), "mean", "share");
    out += means_only ? "\n" : fmt::format("{:>16}{:>16}\n", "p95", "customers_lost");
    for (std::size_t e = 0; e < L.names(d).size(); ++e) {
      const int entry = L.entry(d, static_cast<int>(e));
      const Stats& s = summary.stats[Layout::series(entry, total_cost)];
      const std::string share = total != 0 ? fmt::format("{:.1f}%", 100 * s.mean / total) : "-";
      out += fmt::format("  {:<24}{:>16}{:>9}", L.names(d)[e], human_number(s.mean), share);
      out += means_only
                 ? "\n"
                 : fmt::format("{:>16}{:>16}\n", human_number(s.p95()),
                               human_number(summary.stats[Layout::series(entry, customers_lost)].mean));
    }
  }
  return out;
}

namespace {

// Each trial's row of trials.csv as the workbook's Trials sheet takes them (at most MAX_SHEET_TRIALS).
TrialRows trial_rows(const RunResult& result, const TrialDetails* details) {
  TrialRows t;
  t.columns.emplace_back("trial");
  for (auto name : METRIC_NAMES) t.columns.emplace_back(name);
  const std::size_t width = details ? details->columns().size() : 0;
  if (details) t.columns.insert(t.columns.end(), details->columns().begin(), details->columns().end());
  const auto n = std::min(static_cast<std::size_t>(result.summary.trials), MAX_SHEET_TRIALS);
  t.values.reserve(n * t.columns.size());
  constexpr std::size_t BLOCK = 1024;
  std::vector<double> block(width * BLOCK);
  for (std::size_t i = 0; i < n; ++i) {
    if (details && i % BLOCK == 0) details->rows(i, static_cast<int>(std::min(BLOCK, n - i)), block.data());
    t.values.push_back(static_cast<double>(i));
    for (int m = 0; m < N_METRICS; ++m) t.values.push_back(result.metric_samples(m)[i]);
    t.values.insert(t.values.end(), block.begin() + static_cast<std::ptrdiff_t>((i % BLOCK) * width),
                    block.begin() + static_cast<std::ptrdiff_t>((i % BLOCK + 1) * width));
  }
  return t;
}

}  // namespace

void add_extras(std::vector<std::pair<std::string, std::string>>& texts, std::vector<std::string>& stale,
                const std::string& main_file, const FolderExtras& extras, const TrialRows& trials) {
  if (extras.csv_bom)
    for (auto& [name, text] : texts)
      if (name.ends_with(".csv")) text.insert(0, UTF8_BOM);
  const std::string main = [&] {
    for (const auto& [name, text] : texts)
      if (name == main_file) return text;
    return std::string();
  }();
  if (extras.provenance)
    texts.emplace_back("provenance.json", provenance_json(*extras.provenance));
  else
    stale.emplace_back("provenance.json");
  if (extras.report) {
    ReportSources sources{{main_file, main}};
    if (extras.provenance) sources["provenance.json"] = texts.back().second;
    ReportFiles report = make_report(sources, trials);
    texts.emplace_back("report.html", std::move(report.html));
    texts.emplace_back("report.xlsx", std::move(report.xlsx));
  } else {
    stale.emplace_back("report.html");
    stale.emplace_back("report.xlsx");
  }
}

void write_run(const std::filesystem::path& dir, const RunResult& result, bool samples,
               const std::atomic<bool>* cancel, const FolderExtras& extras) {
  std::vector<std::pair<std::string, std::string>> texts{{"summary.json", summary_json(result.summary)},
                                                         {"breakdown.csv", breakdown_csv(result.summary)}};
  std::vector<std::string> stale;
  if (result.summary.precision)
    texts.emplace_back("convergence.csv", convergence_csv(*result.summary.precision));
  else
    stale.emplace_back("convergence.csv");
  add_extras(texts, stale, "summary.json", extras,
             extras.report && samples ? trial_rows(result, extras.trial_details) : TrialRows{});
  std::vector<std::pair<std::string, FileWriter>> files;
  for (const auto& [name, text] : texts)
    files.emplace_back(name, [&text](std::ostream& out) { out << text; });
  // trials.csv goes to its file row by row: at millions of trials it is gigabytes.
  if (samples)
    files.emplace_back("trials.csv", [&](std::ostream& out) {
      if (extras.csv_bom) out << UTF8_BOM;
      write_trials_csv(out, result, cancel, extras.trial_details);
    });
  else
    stale.emplace_back("trials.csv");
  write_files_atomically(dir, files, stale);
}

std::string convergence_csv(const PrecisionReport& report) {
  std::string out = "trials,of,metric,statistic,estimate,half_width,allowed,met\n";
  for (const PrecisionRound& round : report.rounds)
    for (const TargetStatus& t : round.targets)
      out += fmt::format("{},{},{},{},{},{},{},{}\n", round.trials, csv_field(t.of), t.target.metric,
                         t.target.statistic, t.estimate, t.half_width, t.allowed, t.met ? "true" : "false");
  return out;
}

Json precision_json(const PrecisionReport& report) {
  Json targets = Json::array();
  for (const TargetStatus& t : report.rounds.back().targets) {
    Json x;
    x["target"] = t.target.text();
    if (!t.of.empty()) x["of"] = t.of;
    x["metric"] = t.target.metric;
    x["statistic"] = t.target.statistic;
    x["tolerance"] = t.target.tolerance;
    x["relative"] = t.target.relative;
    x["estimate"] = t.estimate;
    x["half_width"] = t.half_width;
    x["allowed"] = t.allowed;
    x["met"] = t.met;
    targets.push_back(std::move(x));
  }
  Json rounds = Json::array();
  for (const PrecisionRound& r : report.rounds) rounds.push_back(r.trials);
  return {{"targets", std::move(targets)},
          {"met", report.met()},
          {"trials", report.rounds.back().trials},
          {"max_trials", report.max_trials},
          {"rounds", std::move(rounds)}};
}

}  // namespace cxrisk
