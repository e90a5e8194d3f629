#include "cxrisk/batch.h"

#include <fmt/format.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "cxrisk/loader.h"
#include "cxrisk/output.h"
#include "cxrisk/random.h"
#include "cxrisk/simulate.h"
#include "cxrisk/text.h"
#include "json_stats.h"

namespace cxrisk {

namespace fs = std::filesystem;

namespace {

constexpr int MAIN_METRICS[3] = {total_cost, revenue_lost, customers_lost};

/// The items this process computes: item i goes to process i mod size. `work(i)` returns an item's result as
/// bytes; process 0 gets every item's result, in item order; the others get an empty list.
std::vector<std::string> share_out(std::size_t items, const Communicator& comm,
                                   const std::function<std::string(std::size_t)>& work) {
  Json mine = Json::array();
  for (std::size_t i = static_cast<std::size_t>(comm.rank()); i < items;
       i += static_cast<std::size_t>(comm.size()))
    mine.push_back(Json::array({i, work(i)}));
  const std::vector<std::string> parts = comm.gather(json_text(mine));
  std::vector<std::string> out(comm.is_root() ? items : 0);
  for (const std::string& part : parts)
    for (const Json& item : Json::parse(part)) out[item[0].get<std::size_t>()] = item[1].get<std::string>();
  return out;
}

std::string slug(const std::string& name) {
  std::string s;
  for (unsigned char c : name) {
    if (std::isalnum(c))
      s += static_cast<char>(std::tolower(c));
    else if (!s.empty() && s.back() != '_')
      s += '_';
  }
  while (!s.empty() && s.back() == '_') s.pop_back();
  return s.empty() ? "scenario" : s;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void log_line(const std::function<void(const std::string&)>& log, const std::string& line) {
  if (log) log(line);
}

// A scenario's result folder: its summary, and the record --resume reads back.
void write_entry(const fs::path& out, const BatchEntry& e, const std::string& summary) {
  Json entry;
  entry["file"] = e.file;
  entry["name"] = e.name;
  entry["hash"] = e.hash;
  entry["trials"] = e.trials;
  entry["seed"] = e.seed;
  write_files_atomically(out / e.directory,
                         {{"summary.json", summary}, {"entry.json", json_text(entry, 2) + "\n"}});
}

}  // namespace

std::vector<std::string> collect_scenario_files(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  std::set<std::string> seen;
  auto add = [&](const std::string& f) {
    if (seen.insert(f).second) files.push_back(f);
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

BatchResult batch(const std::vector<std::string>& files, const BatchOptions& options) {
  const Communicator& comm = options.communicator ? *options.communicator : serial_communicator();
  BatchResult result;
  // 1. Load every file (cheap, and every process needs the names to agree on folders).
  std::vector<std::optional<Scenario>> scenarios(files.size());
  std::map<std::string, int> used;
  for (std::size_t i = 0; i < files.size(); ++i) {
    BatchEntry e;
    e.file = files[i];
    try {
      scenarios[i] = load_scenario(files[i]);
      const Scenario& s = *scenarios[i];
      e.name = s.name;
      e.hash = content_hash(s);
      e.trials = options.trials.value_or(s.simulation.trials);
      e.seed = options.seed.value_or(s.simulation.seed);
      const std::string base = slug(s.name);
      const int n = ++used[base];
      e.directory = n == 1 ? base : fmt::format("{}_{}", base, n);
    } catch (const ScenarioError& error) {
      e.error = error.what();
      e.error_line = error.loc().line;
    }
    result.entries.push_back(std::move(e));
  }
  // Every process has read every file: they must have read the same (agree_on_inputs), or one would run a
  // scenario that another would have read differently, or not at all.
  Arrival read;
  for (std::size_t i = 0; i < files.size(); ++i)
    read.digests.emplace_back(files[i], scenarios[i] ? result.entries[i].hash : result.entries[i].error);
  // Process 0 also checks where it will write each scenario's results, before anything runs: a file in the
  // way of one scenario's folder would otherwise end the batch after hours of runs, without its table.
  if (comm.is_root() && !options.out.empty()) {
    try {
      for (std::size_t i = 0; i < files.size(); ++i)
        if (scenarios[i]) check_output_folder(options.out / result.entries[i].directory);
    } catch (const RuntimeError& error) {
      read.status = 1;
      read.error = error.what();
    }
  }
  agree_on_inputs(comm, read);
  // The totals of the table, from a summary's JSON (throws when it lacks them).
  const auto take_totals = [](const Json& summary, BatchEntry& e) {
    const Json& metrics = summary.at("metrics");
    e.total_cost = stats_from_json(metrics.at("total_cost"));
    e.revenue_lost = stats_from_json(metrics.at("revenue_lost"));
    e.customers_lost = stats_from_json(metrics.at("customers_lost"));
  };
  // 2. With --resume, keep results whose scenario, trials and seed are unchanged and whose summary reads
  // back whole (process 0 decides; a damaged or partial record is run again).
  std::string reuse_flags(files.size(), '0');
  if (comm.is_root() && options.resume && !options.out.empty()) {
    for (std::size_t i = 0; i < files.size(); ++i) {
      BatchEntry& e = result.entries[i];
      if (!scenarios[i]) continue;
      const fs::path dir = options.out / e.directory;
      std::error_code ec;
      if (!fs::exists(dir / "entry.json", ec) || !fs::exists(dir / "summary.json", ec)) continue;
      try {
        const Json entry = Json::parse(read_file(dir / "entry.json"));
        if (entry.at("hash") != e.hash || entry.at("trials") != e.trials || entry.at("seed") != e.seed)
          continue;
        std::string summary = read_file(dir / "summary.json");
        take_totals(Json::parse(summary), e);
        e.summary_json = std::move(summary);
        reuse_flags[i] = '1';
      } catch (const std::exception&) {
        // An unreadable record: run again.
      }
    }
  }
  reuse_flags = comm.broadcast(reuse_flags);
  // 3. Run the rest, shared out over the processes; each run uses this process's threads. Process 0 writes
  // the result folder of each of its own scenarios as soon as it has run, so that a batch stopped part way
  // (Ctrl-C, SIGTERM at a time limit) keeps what it finished for --resume; the other processes' scenarios
  // are written when their results arrive, at the end.
  std::vector<char> written(files.size(), 0);
  const std::vector<std::string> outcomes = share_out(files.size(), comm, [&](std::size_t i) -> std::string {
    const BatchEntry& e = result.entries[i];
    const std::string counter = fmt::format("[{}/{}] {}", i + 1, files.size(), e.file);
    Json out;
    if (!scenarios[i]) {
      log_line(options.log, fmt::format("{}: error: {}", counter, e.error));
      return json_text(out);
    }
    if (reuse_flags[i] == '1') {
      log_line(options.log, fmt::format("{}: unchanged, results kept", counter));
      out["reused"] = true;
      return json_text(out);
    }
    const auto start = std::chrono::steady_clock::now();
    try {
      RunOptions r;
      r.trials = e.trials;
      r.seed = e.seed;
      r.threads = options.threads;
      r.cancel = options.cancel;
      const RunResult run_result = run(*scenarios[i], r);
      out["summary"] = summary_json(run_result.summary);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      log_line(options.log, fmt::format("{}: ok, {} trials in {:.2f} s", counter, e.trials, seconds));
    } catch (const Cancelled&) {
      throw;
    } catch (const std::exception& error) {
      out["error"] = fmt::format("{}: {}", e.file, error.what());
      log_line(options.log, fmt::format("{}: error: {}", counter, error.what()));
    }
    // Outside the try: results that cannot be written stop the batch (exit 1), rather than every run after.
    if (out.contains("summary") && comm.is_root() && !options.out.empty()) {
      write_entry(options.out, e, out["summary"].get<std::string>());
      written[i] = 1;
    }
    return json_text(out);
  });
  if (!comm.is_root()) return result;

  // 4. Process 0 completes the entries and writes.
  for (std::size_t i = 0; i < files.size(); ++i) {
    BatchEntry& e = result.entries[i];
    if (!scenarios[i]) continue;
    const Json out = Json::parse(outcomes[i]);
    if (out.contains("error")) {
      e.error = out["error"];
      continue;
    }
    e.reused = out.value("reused", false);
    if (!e.reused) {  // a kept result's summary and totals were read when it was chosen
      e.summary_json = out.at("summary").get<std::string>();
      take_totals(Json::parse(e.summary_json), e);
    }
    e.ok = true;
  }
  if (!options.out.empty()) {
    for (std::size_t i = 0; i < files.size(); ++i) {
      const BatchEntry& e = result.entries[i];
      if (e.ok && !e.reused && !written[i]) write_entry(options.out, e, e.summary_json);
    }
    write_files_atomically(options.out,
                           {{"batch.csv", batch_csv(result)}, {"batch.json", batch_json(result)}});
  }
  return result;
}

std::string batch_csv(const BatchResult& result) {
  std::string out = "file,name,status,hash,trials,seed,error_line,error";
  for (int m : MAIN_METRICS)
    for (const char* s : {"mean", "se", "p5", "p50", "p95", "cvar95"})
      out += fmt::format(",{}_{}", METRIC_NAMES[m], s);
  out += "\n";
  for (const BatchEntry& e : result.entries) {
    out += fmt::format("{},{},{},{},{},{},{},{}", csv_field(e.file), csv_field(e.name), e.ok ? "ok" : "error",
                       e.hash, e.ok ? std::to_string(e.trials) : "", e.ok ? std::to_string(e.seed) : "",
                       e.error_line > 0 ? std::to_string(e.error_line) : "", csv_field(e.error));
    for (const Stats* s : {&e.total_cost, &e.revenue_lost, &e.customers_lost}) {
      if (e.ok)
        out += fmt::format(",{},{},{},{},{},{}", s->mean, s->se, s->percentiles[0], s->percentiles[3],
                           s->percentiles[6], s->cvar95);
      else
        out += ",,,,,,";
    }
    out += "\n";
  }
  return out;
}

std::string batch_json(const BatchResult& result) {
  Json j;
  j["cxrisk"] = 1;
  j["failed"] = result.failed();
  Json list = Json::array();
  for (const BatchEntry& e : result.entries) {
    Json x;
    x["file"] = e.file;
    x["name"] = e.name;
    x["status"] = e.ok ? "ok" : "error";
    x["hash"] = e.hash;
    x["trials"] = e.trials;
    x["seed"] = e.seed;
    if (!e.ok) {
      x["error"] = e.error;
      x["error_line"] = e.error_line > 0 ? Json(e.error_line) : Json(nullptr);
    } else {
      x["directory"] = e.directory;
      x["metrics"]["total_cost"] = stats_to_json(e.total_cost);
      x["metrics"]["revenue_lost"] = stats_to_json(e.revenue_lost);
      x["metrics"]["customers_lost"] = stats_to_json(e.customers_lost);
    }
    list.push_back(std::move(x));
  }
  j["scenarios"] = std::move(list);
  return json_text(j, 2) + "\n";
}

SweepAxis parse_sweep_axis(const std::string& spec) {
  const auto eq = spec.find('=');
  CXRISK_REQUIRE(eq != std::string::npos && eq > 0 && eq + 1 < spec.size(),
                 "--vary takes PATH=FROM:TO:STEP or PATH=V1,V2,..., got '" << spec << "'");
  SweepAxis axis;
  axis.path = spec.substr(0, eq);
  const std::string values = spec.substr(eq + 1);
  auto number = [&](const std::string& text) {
    double x = 0;
    CXRISK_REQUIRE(parse_double(trim(text), x) && std::isfinite(x),
                   "--vary " << axis.path << ": '" << text << "' is not a number");
    return x;
  };
  if (values.find(':') != std::string::npos) {
    std::vector<std::string> parts;
    std::stringstream in(values);
    for (std::string part; std::getline(in, part, ':');) parts.push_back(part);
    CXRISK_REQUIRE(parts.size() == 3,
                   "--vary " << axis.path << ": a range is FROM:TO:STEP, got '" << values << "'");
    const double from = number(parts[0]), to = number(parts[1]), step = number(parts[2]);
    CXRISK_REQUIRE(step > 0, "--vary " << axis.path << ": STEP must be > 0");
    CXRISK_REQUIRE(to >= from, "--vary " << axis.path << ": TO must be >= FROM");
    // The number of steps is checked as a double: a span too large for a step (or for a double) is refused
    // before it becomes a count.
    const double steps = std::floor((to - from) / step + 1e-9);
    CXRISK_REQUIRE(std::isfinite(steps) && steps < 100000,
                   "--vary " << axis.path << ": more than 100000 values");
    const auto n = static_cast<std::int64_t>(steps);
    // Rounded to 12 significant digits, so 0.1 + 2 x 0.1 is 0.3 and not 0.30000000000000004.
    for (std::int64_t i = 0; i <= n; ++i) {
      double v = 0;
      parse_double(fmt::format("{:.12g}", from + static_cast<double>(i) * step), v);
      axis.values.push_back(v);
    }
  } else {
    std::stringstream in(values);
    for (std::string part; std::getline(in, part, ',');) axis.values.push_back(number(part));
  }
  return axis;  // a range holds FROM at least, and a list its one non-empty part at least
}

Sweep sweep(const Scenario& scenario, const std::vector<SweepAxis>& axes, const SweepOptions& options) {
  CXRISK_REQUIRE(!axes.empty(), "a sweep needs at least one --vary");
  const Communicator& comm = options.communicator ? *options.communicator : serial_communicator();
  Sweep out;
  out.scenario = scenario.name;
  out.trials = options.trials.value_or(scenario.simulation.trials);
  out.seed = options.seed.value_or(scenario.simulation.seed);
  constexpr std::size_t MOST_POINTS = 1000000;
  std::size_t points = 1;
  for (const SweepAxis& a : axes) {
    CXRISK_REQUIRE(is_plain_text(a.path), "--vary: a path must be UTF-8 text without control characters");
    CXRISK_REQUIRE(!a.values.empty(), "--vary " << a.path << ": no values");
    CXRISK_REQUIRE(std::count(out.paths.begin(), out.paths.end(), a.path) == 0,
                   "--vary " << a.path << ": the path is varied twice (give its values once)");
    out.paths.push_back(a.path);
    // Checked before the product is formed, so that a grid too large for a size_t is refused too.
    CXRISK_REQUIRE(a.values.size() <= MOST_POINTS / points,
                   "the sweep grid has more than " << MOST_POINTS << " points");
    points *= a.values.size();
  }
  // The grid, last axis fastest. Every point's scenario is built (and so checked) before anything runs, and
  // built again when its turn comes: only its changes are kept meanwhile, not a scenario per point.
  const auto changes_of = [&](const SweepPoint& point) {
    Json changes = Json::array();
    for (std::size_t k = 0; k < axes.size(); ++k)
      changes.push_back({{"set", axes[k].path}, {"to", point.values[k]}});
    return json_text(changes);
  };
  for (std::size_t p = 0; p < points; ++p) {
    SweepPoint point;
    std::size_t rest = p;
    point.values.resize(axes.size());
    for (std::size_t k = axes.size(); k-- > 0;) {
      point.values[k] = axes[k].values[rest % axes[k].values.size()];
      rest /= axes[k].values.size();
    }
    apply_changes(scenario, changes_of(point), "--vary");
    out.points.push_back(std::move(point));
  }
  const std::vector<std::string> results = share_out(points, comm, [&](std::size_t p) {
    const Scenario at_point = apply_changes(scenario, changes_of(out.points[p]), "--vary");
    RunOptions r;
    r.trials = out.trials;
    r.seed = out.seed;
    r.threads = options.threads;
    r.cancel = options.cancel;
    r.breakdowns = false;  // only the totals are reported
    const RunResult result = run(at_point, r);
    Json totals = Json::array();
    for (int m = 0; m < N_METRICS; ++m) totals.push_back(stats_to_json(result.summary.total(m)));
    std::string where;
    for (std::size_t k = 0; k < axes.size(); ++k)
      where += fmt::format("{}{}={}", k ? ", " : "", axes[k].path, out.points[p].values[k]);
    log_line(options.log, fmt::format("[{}/{}] {}: total_cost mean {}", p + 1, points, where,
                                      human_number(result.summary.total(total_cost).mean)));
    return json_text(totals);
  });
  if (!comm.is_root()) {
    out.points.clear();
    return out;
  }
  for (std::size_t p = 0; p < points; ++p)
    for (const Json& s : Json::parse(results[p])) out.points[p].totals.push_back(stats_from_json(s));
  return out;
}

std::string sweep_csv(const Sweep& s) {
  std::string out;
  for (const auto& path : s.paths) out += csv_field(path) + ",";
  out += "trials,seed";
  for (int m = 0; m < N_METRICS; ++m) out += fmt::format(",{}_mean", METRIC_NAMES[m]);
  for (int m : MAIN_METRICS)
    for (const char* st : {"se", "p5", "p50", "p95", "cvar95"})
      out += fmt::format(",{}_{}", METRIC_NAMES[m], st);
  out += "\n";
  for (const SweepPoint& p : s.points) {
    for (double v : p.values) out += fmt::format("{},", v);
    out += fmt::format("{},{}", s.trials, s.seed);
    for (int m = 0; m < N_METRICS; ++m) out += fmt::format(",{}", p.totals[m].mean);
    for (int m : MAIN_METRICS) {
      const Stats& st = p.totals[m];
      out += fmt::format(",{},{},{},{},{}", st.se, st.percentiles[0], st.percentiles[3], st.percentiles[6],
                         st.cvar95);
    }
    out += "\n";
  }
  return out;
}

std::string sweep_json(const Sweep& s) {
  Json j;
  j["cxrisk"] = 1;
  j["scenario"] = s.scenario;
  j["trials"] = s.trials;
  j["seed"] = s.seed;
  j["vary"] = s.paths;
  Json points = Json::array();
  for (const SweepPoint& p : s.points) {
    Json x;
    x["values"] = p.values;
    for (int m = 0; m < N_METRICS; ++m)
      x["metrics"][std::string(METRIC_NAMES[m])] = stats_to_json(p.totals[m]);
    points.push_back(std::move(x));
  }
  j["points"] = std::move(points);
  return json_text(j, 2) + "\n";
}

std::string sweep_table(const Sweep& s) {
  std::string out = fmt::format("{}  ({} trials, seed {}, common random numbers across the grid)\n\n",
                                s.scenario, s.trials, s.seed);
  std::vector<std::size_t> widths;
  for (const auto& path : s.paths) {
    widths.push_back(std::max<std::size_t>(12, path.size() + 2));
    out += fmt::format("{:>{}}", path, widths.back());
  }
  out +=
      fmt::format("{:>18}{:>16}{:>18}{:>18}{:>16}\n", "total_cost mean", "se", "p5", "p95", "customers_lost");
  for (const SweepPoint& p : s.points) {
    for (std::size_t k = 0; k < p.values.size(); ++k)
      out += fmt::format("{:>{}}", fmt::format("{}", p.values[k]), widths[k]);
    const Stats& t = p.totals[total_cost];
    out += fmt::format("{:>18}{:>16}{:>18}{:>18}{:>16}\n", human_number(t.mean), human_number(t.se),
                       human_number(t.percentiles[0]), human_number(t.percentiles[6]),
                       human_number(p.totals[customers_lost].mean));
  }
  return out;
}

}  // namespace cxrisk
