#include "cxrisk/session.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "cxrisk/batch.h"
#include "cxrisk/compare.h"
#include "cxrisk/loader.h"
#include "cxrisk/output.h"
#include "cxrisk/progress.h"
#include "cxrisk/sweep.h"
#include "cxrisk/version.h"
#include "io/json.h"

namespace cxrisk {

namespace fs = std::filesystem;

namespace {

// The digest of the settings a simulating command's numbers depend on, as this process resolved them.
std::string settings_digest(const std::string& command, const RunSettings::Resolved& r) {
  std::vector<std::string> targets;
  for (const PrecisionTarget& t : r.precision) targets.push_back(t.text());
  const std::string precision = fmt::format("{}", fmt::join(targets, " "));
  return fmt::format("{} trials={} seed={} sampling={} max_trials={} precision={} variance_reduction={}",
                     command, r.trials, r.seed, to_string(r.sampling), r.max_trials, precision,
                     r.variance_reduction);
}

std::string to_hex(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

std::string from_hex(const std::string& text) {
  CXRISK_REQUIRE_AS(RuntimeError, text.size() % 2 == 0, "a sweep record is not hexadecimal");
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 2)
    out += static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16));
  return out;
}

void require_folder_for_report(const Output& output) {
  CXRISK_REQUIRE(!output.report || !output.folder.empty(),
                 "--report needs --out (the folder to write report.html and report.xlsx to)");
}

}  // namespace

Session::Session(RunSettings settings, std::ostream& out, bool progress_bar, LoadOptions load)
    : settings_(std::move(settings)), load_(std::move(load)), out_(out), progress_bar_(progress_bar) {}

void Session::warn_unmet(const std::optional<PrecisionReport>& report) const {
  if (report && !report->met())
    std::cerr << "warning: precision " << report->describe()
              << "\n(raise --max-trials, or loosen the targets)\n";
}

Scenario Session::load(const std::string& file) const {
  Scenario s = load_scenario(file, load_);
  if (root())
    for (const Warning& w : s.warnings) std::cerr << "warning: " << w.to_string() << "\n";
  return s;
}

void Session::meet(InputDigests digests) {
  // The program first: a machine with another version of cxrisk would draw other numbers.
  digests.insert(digests.begin(), {"the version of cxrisk", VERSION});
  const Communicator& comm = settings_.processes();
  met_ = true;
  if (comm.size() > 1) agree_on_inputs(comm, {std::move(digests), 0, {}});
}

void Session::meet_failed(int status, const std::string& error) {
  met_ = true;
  agree_on_inputs(settings_.processes(), {{}, status, error});
}

Provenance Session::provenance(const Output& output,
                               const std::vector<std::pair<std::string, std::string>>& scenarios) const {
  return {output.command, scenarios, resolve_threads(settings_.threads), settings_.processes().size()};
}

RunSettings Session::reporting_to(ProgressBar& bar) const {
  RunSettings settings = settings_;
  settings.progress = [&bar](std::int64_t done, std::int64_t total) { bar.update(done, total); };
  return settings;
}

void Session::run(const std::string& file, const Output& output) {
  CXRISK_REQUIRE(!output.samples || !output.folder.empty(),
                 "--samples needs --out (the folder to write trials.csv to)");
  require_folder_for_report(output);
  const Scenario scenario = load(file);
  const RunSettings::Resolved r = settings_.resolve(scenario);
  if (!output.folder.empty() && root()) check_output_folder(output.folder);
  meet({{file, content_hash(scenario)},
        {"the command line", settings_digest(fmt::format("run {}", to_string(settings_.mode)), r)}});
  ProgressBar bar(progress_bar_ && root(), "trials");
  const RunResult result = cxrisk::run(scenario, reporting_to(bar));
  bar.finish();
  if (!root()) return;
  warn_unmet(result.summary.precision);
  if (!output.folder.empty()) {
    const Provenance p = provenance(output, {{file, content_hash(scenario)}});
    std::optional<TrialDetails> details;
    if (output.samples) details.emplace(scenario, result.summary, settings_.mode, output.samples_breakdown);
    write_run(output.folder, result, output.samples, settings_.cancel,
              {&p, output.report, output.csv_bom, details ? &*details : nullptr});
  }
  out_ << (output.json ? summary_json(result.summary) : summary_table(result.summary));
}

void Session::expect(const std::string& file, bool json) {
  const Scenario scenario = load(file);
  meet({{file, content_hash(scenario)}, {"the command line", "expect"}});
  const Summary summary = cxrisk::expect(scenario);
  if (root()) out_ << (json ? summary_json(summary) : summary_table(summary));
}

void Session::compare(const std::string& base_file, const std::vector<std::string>& alternative_files,
                      const Output& output, bool voi) {
  require_folder_for_report(output);
  const Scenario base = load(base_file);
  std::vector<Scenario> alternatives;
  for (const auto& file : alternative_files) alternatives.push_back(load(file));
  const RunSettings::Resolved r = settings_.resolve(base);
  if (!output.folder.empty() && root()) check_output_folder(output.folder);
  InputDigests digests{{base_file, content_hash(base)}};
  for (std::size_t i = 0; i < alternatives.size(); ++i)
    digests.emplace_back(alternative_files[i], content_hash(alternatives[i]));
  digests.emplace_back("the command line", settings_digest(voi ? "compare --voi" : "compare", r));
  meet(std::move(digests));
  ProgressBar bar(progress_bar_ && root(), "scenarios");
  Comparison c = cxrisk::compare(base, alternatives, reporting_to(bar));
  if (voi) {
    // On the comparison's trials: those a run to a precision stopped at.
    RunSettings at = settings_;
    at.trials = c.trials;
    at.precision = std::vector<PrecisionTarget>{};
    c.voi = value_of_information(base, alternatives, at);
  }
  bar.finish();
  if (!root()) return;
  warn_unmet(c.precision);
  if (!output.folder.empty()) {
    std::vector<std::pair<std::string, std::string>> scenarios{{base_file, content_hash(base)}};
    for (std::size_t i = 0; i < alternatives.size(); ++i)
      scenarios.emplace_back(alternative_files[i], content_hash(alternatives[i]));
    const Provenance p = provenance(output, scenarios);
    write_comparison(output.folder, c, {&p, output.report, output.csv_bom});
  }
  out_ << (output.json ? comparison_json(c) : comparison_table(c));
}

int Session::batch(const std::vector<std::string>& paths, const Output& output, bool resume,
                   const std::vector<std::string>& exclude) {
  CXRISK_REQUIRE(!resume || !output.folder.empty(), "--resume needs --out (the folder of the earlier batch)");
  const std::vector<std::string> files = collect_scenario_files(paths, exclude);
  CXRISK_REQUIRE(!files.empty(), "no scenario files (*.yaml, *.yml) found"
                                     << (exclude.empty() ? "" : " that --exclude leaves"));
  if (!output.folder.empty() && root()) check_output_folder(output.folder);
  // The files found, here; what each holds is compared by batch() once it has read them.
  InputDigests digests;
  for (const auto& file : files) digests.emplace_back(file, "found");
  digests.emplace_back("the command line",
                       fmt::format("batch trials={} seed={} resume={}", settings_.trials.value_or(0),
                                   settings_.seed.value_or(0), resume));
  meet(std::move(digests));
  const BatchResult result = cxrisk::batch(files, settings_, {output.folder, resume, output.csv_bom}, load_);
  if (!root()) return 0;
  out_ << (output.json ? batch_json(result) : batch_table(result, output.folder));
  const auto not_loaded = [](const BatchEntry& e) { return !e.ok && !e.not_run && e.name.empty(); };
  if (std::any_of(result.entries.begin(), result.entries.end(), not_loaded)) return 2;
  return result.failed() > 0 ? 1 : 0;
}

void Session::sweep(const std::string& file, const std::vector<std::string>& vary, const Output& output,
                    const std::string& compare_with, bool resume) {
  CXRISK_REQUIRE(!resume || !output.folder.empty(), "--resume needs --out (the folder of the earlier sweep)");
  const Scenario scenario = load(file);
  std::optional<Scenario> alternative;
  if (!compare_with.empty()) alternative = load(compare_with);
  std::vector<SweepAxis> axes;
  for (const auto& spec : vary) axes.push_back(parse_sweep_axis(spec));
  const RunSettings::Resolved r = settings_.resolve(scenario);
  if (!output.folder.empty() && root()) check_output_folder(output.folder);
  InputDigests digests{{file, content_hash(scenario)}};
  if (alternative) digests.emplace_back(compare_with, content_hash(*alternative));
  for (const auto& spec : vary) digests.emplace_back("--vary", spec);
  digests.emplace_back("the command line", settings_digest(alternative ? "sweep --compare" : "sweep", r));
  meet(std::move(digests));
  // Each point's record is kept in DIR/points as it ends, under a key of what its numbers depend on, so
  // that --resume reruns only the points that changed or did not finish.
  const fs::path points = fs::path(output.folder) / "points";
  const std::string base_hash = alternative ? content_hash(scenario) : std::string();
  const auto key = [&](const Scenario& at_point) {
    return fmt::format("{} {} trials={} seed={} sampling={} mode={}", content_hash(at_point), base_hash,
                       r.trials, r.seed, to_string(r.sampling), to_string(settings_.mode));
  };
  SweepOptions options;
  if (alternative) options.alternative = &*alternative;
  if (!output.folder.empty())
    options.finished = [&](std::size_t p, const Scenario& at_point, const std::string& record) {
      const Json j = {{"key", key(at_point)}, {"record", to_hex(record)}};
      write_files_atomically(points, {{fmt::format("{:06}.json", p), json_text(j) + "\n"}});
    };
  if (resume)
    options.kept = [&](std::size_t p, const Scenario& at_point) -> std::string {
      try {
        std::ifstream in(points / fmt::format("{:06}.json", p));
        if (!in) return {};
        const Json j = Json::parse(in);
        return j.at("key") == key(at_point) ? from_hex(j.at("record").get<std::string>()) : std::string();
      } catch (const std::exception&) {
        return {};  // a damaged record: run the point again
      }
    };
  const Sweep s = cxrisk::sweep(scenario, axes, settings_, options);
  if (!root()) return;
  if (!output.folder.empty())
    write_files_atomically(output.folder, {{"sweep.csv", (output.csv_bom ? UTF8_BOM : "") + sweep_csv(s)},
                                           {"sweep.json", sweep_json(s)}});
  out_ << (output.json ? sweep_json(s) : sweep_table(s));
}

void Session::sensitivity(const std::string& file, const SensitivityOptions& options, const Output& output) {
  require_folder_for_report(output);
  const Scenario scenario = load(file);
  const RunSettings::Resolved r = settings_.resolve(scenario);
  if (!output.folder.empty() && root()) check_output_folder(output.folder);
  meet({{file, content_hash(scenario)},
        {"the command line", fmt::format("{} design={} bootstrap={}", settings_digest("sensitivity", r),
                                         options.design_rows, options.bootstrap)}});
  const Sensitivity s = cxrisk::sensitivity(scenario, settings_, options);
  if (!root()) return;
  if (!output.folder.empty()) {
    const Provenance p = provenance(output, {{file, content_hash(scenario)}});
    write_sensitivity(output.folder, s, {&p, output.report, output.csv_bom});
  }
  out_ << (output.json ? sensitivity_json(s) : sensitivity_table(s));
}

void Session::expand(const std::string& file) {
  const Scenario scenario = load(file);
  meet({{file, content_hash(scenario)}, {"the command line", "expand"}});
  const std::string yaml = dump_yaml(scenario, true);
  if (root()) out_ << yaml;
}

int Session::validate(const std::vector<std::string>& files, std::ostream& err) {
  int failed = 0;
  InputDigests digests;
  std::vector<std::pair<bool, std::string>> lines;  // (an error, the line), in the files' order
  for (const auto& file : files) {
    try {
      const Scenario s = load(file);
      digests.emplace_back(file, content_hash(s));
      lines.emplace_back(false, fmt::format("{}: ok ({} segments, {} problems, {} periods)\n", file,
                                            s.segments.size(), s.problems.size(), s.periods));
    } catch (const ScenarioError& e) {
      digests.emplace_back(file, e.what());
      lines.emplace_back(true, fmt::format("error: {}\n", e.what()));
      ++failed;
    }
  }
  digests.emplace_back("the command line", "validate");
  meet(std::move(digests));
  if (root())
    for (const auto& [error, line] : lines) (error ? err : out_) << line;
  return failed;
}

}  // namespace cxrisk
