#include "cxrisk/sweep.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <sstream>

#include "cxrisk/changes.h"
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

Sweep sweep(const Scenario& scenario, const std::vector<SweepAxis>& axes, const RunSettings& settings) {
  CXRISK_REQUIRE(!axes.empty(), "a sweep needs at least one --vary");
  const RunSettings::Resolved r = settings.resolve(scenario);
  Sweep out;
  out.scenario = scenario.name;
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
  for (std::size_t p = 0; p < points; ++p) {
    if (settings.cancel && settings.cancel->load(std::memory_order_relaxed)) throw Cancelled();
    SweepPoint point;
    std::size_t rest = p;
    point.values.resize(axes.size());
    for (std::size_t k = axes.size(); k-- > 0;) {
      point.values[k] = axes[k].values[rest % axes[k].values.size()];
      rest /= axes[k].values.size();
    }
    (void)with_changes(scenario, changes_of(axes, point));
    out.points.push_back(std::move(point));
  }
  // Each point runs in the process it was given to, on that process's threads.
  RunSettings each = settings;
  each.trials = r.trials;
  each.seed = r.seed;
  each.progress = nullptr;
  each.communicator = nullptr;
  const std::vector<std::string> results = share_out(points, settings.processes(), [&](std::size_t p) {
    const Scenario at_point = with_changes(scenario, changes_of(axes, out.points[p]));
    const RunResult result = run(at_point, each, Keep{.breakdowns = false});  // only the totals are reported
    std::string where;
    for (std::size_t k = 0; k < axes.size(); ++k)
      where += fmt::format("{}{}={}", k ? ", " : "", axes[k].path, out.points[p].values[k]);
    if (settings.log)
      settings.log(fmt::format("[{}/{}] {}: total_cost mean {}", p + 1, points, where,
                               human_number(result.summary.total(total_cost).mean)));
    ByteWriter totals;
    for (int m = 0; m < N_METRICS; ++m) totals.put(result.summary.total(m));
    return totals.take();
  });
  if (!settings.processes().is_root()) {
    out.points.clear();
    return out;
  }
  for (std::size_t p = 0; p < points; ++p) {
    ByteReader in(results[p]);
    for (int m = 0; m < N_METRICS; ++m) out.points[p].totals.push_back(in.get<Stats>());
  }
  return out;
}

}  // namespace cxrisk
