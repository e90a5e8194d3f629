#include "cxrisk/sweep.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <sstream>

#include "cxrisk/changes.h"
#include "cxrisk/compare.h"
#include "cxrisk/error.h"
#include "cxrisk/text.h"
#include "stats/bytes.h"
#include "studies/parallel.h"

namespace cxrisk {

namespace {

// A grid larger than this is refused: its checks alone would take minutes.
constexpr std::size_t MOST_POINTS = 1000000;

// Each point's changes: `set` every axis's path to the point's value, made in code (errors name `--vary`).
std::vector<Change> changes_of(const std::vector<SweepAxis>& axes, const SweepPoint& point) {
  std::vector<Change> changes;
  for (std::size_t k = 0; k < axes.size(); ++k) {
    Change c = Change::set(axes[k].path, Quantity::fixed(point.values[k]));
    c.where = {"--vary", 0, 0};
    changes.push_back(std::move(c));
  }
  return changes;
}

}  // namespace

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
  if (values.find(':') == std::string::npos) {
    std::stringstream in(values);
    for (std::string part; std::getline(in, part, ',');) axis.values.push_back(number(part));
    return axis;  // a list holds its one non-empty part at least
  }
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
  // Rounded to 15 significant digits (what a double holds of any decimal), so 0.1 + 2 x 0.1 is 0.3 and not
  // 0.30000000000000004, and 1000000000001 + 2 is 1000000000003.
  for (std::int64_t i = 0; i <= n; ++i) {
    double v = 0;
    parse_double(fmt::format("{:.15g}", from + static_cast<double>(i) * step), v);
    axis.values.push_back(v);
  }
  return axis;
}

namespace {

// A point's results as bytes: what travels from the process that ran it to process 0, and what --resume
// keeps. 't' and the totals of every metric, or 'c' and the comparison.
std::string point_record(const RunResult& result) {
  ByteWriter out;
  out.put<char>('t');
  for (int m = 0; m < N_METRICS; ++m) out.put(result.summary.total(m));
  return out.take();
}

std::string point_record(const AlternativeResult& a) {
  ByteWriter out;
  out.put<char>('c');
  out.put(a.savings_total_cost);
  out.put(a.investment_pv);
  out.put(a.net_benefit);
  out.put(a.p_net_benefit_positive);
  out.put(a.p_payback_within_horizon);
  for (double x : a.break_even_investment) out.put(x);
  return out.take();
}

// Reads a record into the point; false when it is not one (a damaged record is run again).
bool read_record(const std::string& record, bool comparison, SweepPoint& point) {
  try {
    ByteReader in(record);
    const char kind = in.get<char>();
    if (kind != (comparison ? 'c' : 't')) return false;
    if (comparison) {
      SweepComparison c;
      c.savings = in.get<Stats>();
      c.investment_pv = in.get<Stats>();
      c.net_benefit = in.get<Stats>();
      c.p_net_benefit_positive = in.get<double>();
      c.p_payback_within_horizon = in.get<double>();
      for (double& x : c.break_even_investment) x = in.get<double>();
      point.comparison = c;
    } else {
      point.totals.clear();
      for (int m = 0; m < N_METRICS; ++m) point.totals.push_back(in.get<Stats>());
    }
    return in.done();
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

Sweep sweep(const Scenario& scenario, const std::vector<SweepAxis>& axes, const RunSettings& settings,
            const SweepOptions& options) {
  CXRISK_REQUIRE(!axes.empty(), "a sweep needs at least one --vary");
  const RunSettings::Resolved r = settings.resolve(scenario);
  // What the axes change: the scenario, or the alternative compared with it.
  const bool comparing = options.alternative != nullptr;
  const Scenario& varied = comparing ? *options.alternative : scenario;
  Sweep out;
  out.scenario = scenario.name;
  if (comparing) out.alternative = varied.name;
  out.trials = r.trials;
  out.seed = r.seed;
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
  // built again when its turn comes: only its values are kept meanwhile, not a scenario per point.
  const Communicator& comm = settings.processes();
  std::string keep(points, '0');
  std::vector<std::string> kept_records(comm.is_root() && options.kept ? points : 0);
  for (std::size_t p = 0; p < points; ++p) {
    if (settings.cancel && settings.cancel->load(std::memory_order_relaxed)) throw Cancelled();
    SweepPoint point;
    std::size_t rest = p;
    point.values.resize(axes.size());
    for (std::size_t k = axes.size(); k-- > 0;) {
      point.values[k] = axes[k].values[rest % axes[k].values.size()];
      rest /= axes[k].values.size();
    }
    const Scenario at_point = with_changes(varied, changes_of(axes, point));
    if (!kept_records.empty()) {
      kept_records[p] = options.kept(p, at_point);
      SweepPoint check;
      if (!kept_records[p].empty() && read_record(kept_records[p], comparing, check)) keep[p] = '1';
    }
    out.points.push_back(std::move(point));
  }
  keep = comm.broadcast(keep);
  // Each point runs in the process it was given to, on that process's threads.
  RunSettings each = settings;
  each.trials = r.trials;
  each.seed = r.seed;
  each.sampling = r.sampling;
  each.progress = nullptr;
  each.communicator = nullptr;
  std::vector<char> reported(points, 0);
  const std::vector<std::string> results = share_out(points, comm, [&](std::size_t p) {
    std::string where;
    for (std::size_t k = 0; k < axes.size(); ++k)
      where += fmt::format("{}{}={}", k ? ", " : "", axes[k].path, out.points[p].values[k]);
    if (keep[p] == '1') {
      if (settings.log)
        settings.log(fmt::format("[{}/{}] {}: unchanged, results kept", p + 1, points, where));
      return std::string();
    }
    const Scenario at_point = with_changes(varied, changes_of(axes, out.points[p]));
    std::string record, line;
    if (comparing) {
      RunSettings plain = each;
      plain.precision = std::vector<PrecisionTarget>{};
      const Comparison c = compare(scenario, {at_point}, plain);
      record = point_record(c.alternatives.front());
      line = fmt::format("net benefit mean {}", human_number(c.alternatives.front().net_benefit.mean));
    } else {
      const RunResult result =
          run(at_point, each, Keep{.breakdowns = false});  // only the totals are reported
      record = point_record(result);
      line = fmt::format("total_cost mean {}", human_number(result.summary.total(total_cost).mean));
    }
    if (settings.log) settings.log(fmt::format("[{}/{}] {}: {}", p + 1, points, where, line));
    if (comm.is_root() && options.finished) {
      options.finished(p, at_point, record);
      reported[p] = 1;
    }
    return record;
  });
  if (!comm.is_root()) {
    out.points.clear();
    return out;
  }
  for (std::size_t p = 0; p < points; ++p) {
    SweepPoint& point = out.points[p];
    point.kept = keep[p] == '1';
    const std::string& record = point.kept ? kept_records[p] : results[p];
    if (!read_record(record, comparing, point))
      throw std::logic_error("sweep: a point's record does not read back");
    if (!point.kept && !reported[p] && options.finished)
      options.finished(p, with_changes(varied, changes_of(axes, point)), record);
  }
  return out;
}

}  // namespace cxrisk
