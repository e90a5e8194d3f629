#include "cxrisk/batch.h"

#include <fnmatch.h>

#include <fmt/format.h>
#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "cxrisk/loader.h"
#include "cxrisk/output.h"
#include "cxrisk/random.h"
#include "cxrisk/text.h"
#include "io/json.h"
#include "stats/bytes.h"
#include "studies/parallel.h"

namespace cxrisk {

namespace fs = std::filesystem;

namespace {

// A scenario's folder name from its name: letters and digits of any script kept (ASCII lowercased, as file
// systems that fold case would), everything else a single '_', at most 120 bytes (cut between characters).
std::string slug(const std::string& name) {
  std::string s;
  for (unsigned char c : name) {
    if (c >= 0x80 || std::isalnum(c))
      s += static_cast<char>(c < 0x80 ? std::tolower(c) : c);
    else if (!s.empty() && s.back() != '_')
      s += '_';
  }
  while (!s.empty() && s.back() == '_') s.pop_back();
  constexpr std::size_t MOST = 120;
  if (s.size() > MOST) {
    std::size_t cut = MOST;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    s.resize(cut);
  }
  return s.empty() ? "scenario" : s;
}

// Unique folder names, stable from run to run: a name that an earlier file of the batch already took (or the
// same but for case) gets the hash of its own file's path after it.
std::string folder_for(const std::string& name, const std::string& file, std::set<std::string>& used) {
  const auto lower = [](std::string x) {
    for (char& c : x) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return x;
  };
  std::string folder = slug(name);
  if (used.count(lower(folder))) folder += fmt::format("_{:08x}", hash_name(file) & 0xffffffffULL);
  for (int n = 2; used.count(lower(folder)); ++n) folder = fmt::format("{}_{}", folder, n);
  used.insert(lower(folder));
  return folder;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void log_line(const RunSettings& settings, const std::string& line) {
  if (settings.log) settings.log(line);
}

// A scenario's result folder: its summary, and the record --resume reads back.
void write_entry(const fs::path& out, const BatchEntry& e) {
  Json entry;
  entry["file"] = e.file;
  entry["name"] = e.name;
  entry["hash"] = e.hash;
  entry["trials"] = e.trials;
  entry["seed"] = e.seed;
  entry["sampling"] = std::string(to_string(e.sampling));
  if (!e.precision.empty()) entry["precision"] = e.precision;
  write_files_atomically(out / e.directory,
                         {{"summary.json", e.summary_json}, {"entry.json", json_text(entry, 2) + "\n"}});
}

// A run's totals from its summary JSON (what travels from the process that ran it to process 0, and what
// --resume reads back).
void take_totals(const std::string& summary, BatchEntry& e) {
  const Json parsed = Json::parse(summary);
  const Json& metrics = parsed.at("metrics");
  e.total_cost = stats_from_json(metrics.at("total_cost"));
  e.revenue_lost = stats_from_json(metrics.at("revenue_lost"));
  e.customers_lost = stats_from_json(metrics.at("customers_lost"));
  e.trials_run = parsed.at("trials");  // a run to a precision's own count
}

// 1. Every file loaded (cheap, and every process needs the names to agree on folders), with its folder name.
std::vector<std::optional<Scenario>> load_all(const std::vector<std::string>& files,
                                              const RunSettings& settings, const LoadOptions& load,
                                              BatchResult& result) {
  std::vector<std::optional<Scenario>> scenarios(files.size());
  std::set<std::string> used;
  for (std::size_t i = 0; i < files.size(); ++i) {
    BatchEntry e;
    e.file = files[i];
    try {
      scenarios[i] = load_scenario(files[i], load);
      const Scenario& s = *scenarios[i];
      if (settings.log && settings.processes().is_root())
        for (const Warning& w : s.warnings) settings.log("warning: " + w.to_string());
      const RunSettings::Resolved r = settings.resolve(s);
      e.name = s.name;
      e.hash = content_hash(s);
      e.trials = r.trials;
      e.seed = r.seed;
      e.sampling = r.sampling;
      for (const PrecisionTarget& t : r.precision) e.precision += t.text() + " ";
      if (!r.precision.empty()) e.precision += fmt::format("max_trials={}", r.max_trials);
      if (r.variance_reduction) e.precision += " variance_reduction";  // other estimators, other numbers
      e.directory = folder_for(s.name, files[i], used);
    } catch (const ScenarioError& error) {
      scenarios[i].reset();
      e.error = error.what();
      e.error_line = error.loc().line;
    }
    result.entries.push_back(std::move(e));
  }
  return scenarios;
}

// 2. With --resume, the results to keep: those whose scenario, trials and seed are unchanged and whose
// summary reads back whole (a damaged or partial record is run again). Decided by process 0.
std::string kept_results(const std::vector<std::optional<Scenario>>& scenarios, const BatchOutput& output,
                         BatchResult& result) {
  std::string keep(scenarios.size(), '0');
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    BatchEntry& e = result.entries[i];
    if (!scenarios[i]) continue;
    const fs::path dir = output.out / e.directory;
    std::error_code ec;
    if (!fs::exists(dir / "entry.json", ec) || !fs::exists(dir / "summary.json", ec)) continue;
    try {
      const Json entry = Json::parse(read_file(dir / "entry.json"));
      // An entry from before sampling designs ran plain random sampling.
      if (entry.at("hash") != e.hash || entry.at("trials") != e.trials || entry.at("seed") != e.seed ||
          entry.value("sampling", std::string("random")) != to_string(e.sampling) ||
          entry.value("precision", std::string()) != e.precision)
        continue;
      std::string summary = read_file(dir / "summary.json");
      const Json parsed = Json::parse(summary);
      const Json& metrics = parsed.at("metrics");
      e.total_cost = stats_from_json(metrics.at("total_cost"));
      e.revenue_lost = stats_from_json(metrics.at("revenue_lost"));
      e.customers_lost = stats_from_json(metrics.at("customers_lost"));
      e.trials_run = parsed.at("trials");
      e.summary_json = std::move(summary);
      keep[i] = '1';
    } catch (const std::exception&) {
      // An unreadable record: run again.
    }
  }
  return keep;
}

// 3. One scenario run, as bytes for process 0: 's' and its summary, or 'e' and its error. With `out`, its
// folder is written at once (a failure to write stops the batch, rather than every run after it).
std::string run_entry(const Scenario& scenario, BatchEntry& e, RunSettings each, const std::string& counter,
                      const fs::path& out) {
  const auto start = std::chrono::steady_clock::now();
  std::optional<RunResult> result;
  try {
    each.trials = e.trials;
    each.seed = e.seed;
    result = run(scenario, each);
  } catch (const Cancelled&) {
    throw;
  } catch (const std::exception& error) {
    log_line(each, fmt::format("{}: error: {}", counter, error.what()));
    ByteWriter failed;
    failed.put<char>('e');
    const std::string message = fmt::format("{}: {}", e.file, error.what());
    failed.put_array(message.data(), message.size());
    return failed.take();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  log_line(each, fmt::format("{}: ok, {} trials in {:.2f} s", counter, result->summary.trials, seconds));
  e.summary_json = summary_json(result->summary);
  if (!out.empty()) write_entry(out, e);
  ByteWriter done;
  done.put<char>('s');
  done.put_array(e.summary_json.data(), e.summary_json.size());
  return done.take();
}

}  // namespace

std::vector<std::string> collect_scenario_files(const std::vector<std::string>& paths,
                                                const std::vector<std::string>& exclude) {
  std::vector<std::string> files;
  std::set<std::string> seen;
  // A pattern matches a file's name ("*_draft.yaml") or its path as found ("scenarios/old/*"; a * there
  // also crosses a /).
  const auto excluded = [&](const std::string& f) {
    const std::string name = fs::path(f).filename().string();
    return std::any_of(exclude.begin(), exclude.end(), [&](const std::string& glob) {
      return ::fnmatch(glob.c_str(), name.c_str(), 0) == 0 || ::fnmatch(glob.c_str(), f.c_str(), 0) == 0;
    });
  };
  auto add = [&](const std::string& f) {
    if (!excluded(f) && seen.insert(f).second) files.push_back(f);
  };
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      // Every file named *.yaml or *.yml that is not a folder: a link that leads nowhere is kept, and fails
      // to load in the table, rather than leaving the batch without a word. A folder that cannot be read
      // stops the search (skipping it would silently leave its scenarios out).
      std::vector<std::string> found;
      std::string folder = p;  // the folder being entered, to name it when it cannot be read
      fs::recursive_directory_iterator it(p, ec);
      for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const fs::directory_entry& e = *it;
        std::error_code kind;
        if (e.is_directory(kind)) {
          folder = e.path().string();
        } else if (e.path().extension() == ".yaml" || e.path().extension() == ".yml") {
          found.push_back(e.path().string());
        }
      }
      if (ec) throw UsageError(fmt::format("cannot read the folder '{}': {}", folder, ec.message()));
      std::sort(found.begin(), found.end());
      for (const auto& f : found) add(f);
    } else if (fs::is_regular_file(p, ec)) {
      add(p);
    } else {
      throw UsageError(fmt::format("no such scenario file or folder: {}", p));
    }
  }
  return files;
}

std::string content_hash(const Scenario& scenario) {
  std::string text = dump_yaml(scenario, true);
  for (const Segment& s : scenario.segments)
    for (double v : s.value.empirical) text += fmt::format("\n{}", v);
  // Two independent 64-bit hashes of the text: FNV-1a, and SplitMix64 over its 8-byte words.
  std::uint64_t a = hash_name(text), b = 0x6a09e667f3bcc909ULL;
  for (std::size_t i = 0; i < text.size(); i += 8) {
    std::uint64_t word = 0;
    for (std::size_t k = 0; k < 8 && i + k < text.size(); ++k)
      word |= static_cast<std::uint64_t>(static_cast<unsigned char>(text[i + k])) << (8 * k);
    b = mix64(b ^ word);
  }
  return fmt::format("{:016x}{:016x}", a, mix64(b ^ text.size()));
}

int BatchResult::failed() const {
  return static_cast<int>(
      std::count_if(entries.begin(), entries.end(), [](const BatchEntry& e) { return !e.ok; }));
}

BatchResult batch(const std::vector<std::string>& files, const RunSettings& settings,
                  const BatchOutput& output, const LoadOptions& load) {
  const Communicator& comm = settings.processes();
  BatchResult result;
  const std::vector<std::optional<Scenario>> scenarios = load_all(files, settings, load, result);
  // Every process has read every file: they must have read the same (agree_on_inputs), or one would run a
  // scenario that another would have read differently, or not at all.
  Arrival read;
  for (std::size_t i = 0; i < files.size(); ++i)
    read.digests.emplace_back(files[i], scenarios[i] ? result.entries[i].hash : result.entries[i].error);
  // Process 0 also checks where it will write each scenario's results, before anything runs: a file in the
  // way of one scenario's folder would otherwise end the batch after hours of runs, without its table.
  if (comm.is_root() && !output.out.empty()) {
    try {
      for (std::size_t i = 0; i < files.size(); ++i)
        if (scenarios[i]) check_output_folder(output.out / result.entries[i].directory);
    } catch (const RuntimeError& error) {
      read.status = 1;
      read.error = error.what();
    }
  }
  agree_on_inputs(comm, read);
  std::string keep(files.size(), '0');
  if (comm.is_root() && output.resume && !output.out.empty()) keep = kept_results(scenarios, output, result);
  keep = comm.broadcast(keep);
  // 3. Run the rest, shared out over the processes; each run uses this process's threads. Process 0 writes
  // the result folder of each of its own scenarios as soon as it has run, so that a batch stopped part way
  // (Ctrl-C, SIGTERM at a time limit) keeps what it finished for --resume; the other processes' scenarios
  // are written when their results arrive, at the end.
  RunSettings each = settings;
  each.communicator = nullptr;
  each.progress = nullptr;
  std::vector<char> written(files.size(), 0);
  // A process on its own keeps each outcome here as it finishes (share_out then carries nothing), so that a
  // batch stopped by a signal still writes its table, with what it did not run marked so; across processes
  // the outcomes travel through share_out, and a stop just ends the job.
  const bool alone = comm.size() == 1;
  std::vector<std::string> outcomes(files.size());
  std::vector<char> done(files.size(), 0);
  bool stopped = false;
  try {
    std::vector<std::string> shared = share_out(files.size(), comm, [&](std::size_t i) {
      BatchEntry& e = result.entries[i];
      const std::string counter = fmt::format("[{}/{}] {}", i + 1, files.size(), e.file);
      std::string outcome;
      if (!scenarios[i]) {
        log_line(settings, fmt::format("{}: error: {}", counter, e.error));
      } else if (keep[i] == '1') {
        log_line(settings, fmt::format("{}: unchanged, results kept", counter));
      } else {
        // Process 0 writes its own scenarios' folders as they finish.
        const bool write_now = comm.is_root() && !output.out.empty();
        written[i] = write_now;
        outcome = run_entry(*scenarios[i], e, each, counter, write_now ? output.out : fs::path());
      }
      done[i] = 1;
      if (!alone) return outcome;
      outcomes[i] = std::move(outcome);
      return std::string();
    });
    if (!alone) outcomes = std::move(shared);
  } catch (const Cancelled&) {
    if (!alone) throw;
    stopped = true;
  }
  if (!comm.is_root()) return result;

  // 4. Process 0 completes the entries and writes.
  for (std::size_t i = 0; i < files.size(); ++i) {
    BatchEntry& e = result.entries[i];
    if (!scenarios[i]) continue;
    if (keep[i] == '1') {
      e.reused = e.ok = true;
      continue;
    }
    if (stopped && !done[i]) {
      e.not_run = true;
      continue;
    }
    ByteReader in(outcomes[i]);
    const char kind = in.get<char>();
    const std::vector<char> bytes = in.get_array<char>();
    const std::string payload(bytes.begin(), bytes.end());
    if (kind == 'e') {
      e.error = payload;
      continue;
    }
    e.summary_json = payload;
    take_totals(payload, e);
    e.ok = true;
  }
  if (!output.out.empty()) {
    for (std::size_t i = 0; i < files.size(); ++i) {
      const BatchEntry& e = result.entries[i];
      if (e.ok && !e.reused && !written[i]) write_entry(output.out, e);
    }
    write_files_atomically(output.out, {{"batch.csv", (output.csv_bom ? UTF8_BOM : "") + batch_csv(result)},
                                        {"batch.json", batch_json(result)}});
  }
  if (stopped) throw Cancelled();
  return result;
}

}  // namespace cxrisk
