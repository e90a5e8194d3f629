// A grid of what-ifs over one scenario (`cxrisk sweep`), on common random numbers.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cxrisk/scenario.h"
#include "cxrisk/simulate.h"
#include "cxrisk/statistics.h"

namespace cxrisk {

/// One varied path of a sweep and its values.
struct SweepAxis {
  std::string path;
  std::vector<double> values;
};

/// Parses `PATH=FROM:TO:STEP` (TO included, within rounding) or `PATH=V1,V2,...`. Throws UsageError.
SweepAxis parse_sweep_axis(const std::string& spec);

/// A point of a sweep over an alternative (`sweep BASE --compare ALT`): the alternative at the point against
/// the base, as `compare` reports it.
struct SweepComparison {
  Stats savings;  ///< in total_cost
  Stats investment_pv;
  Stats net_benefit;
  double p_net_benefit_positive = 0;
  double p_payback_within_horizon = 0;
  std::array<double, 3> break_even_investment{};  ///< at 50%, 80%, 90%
};

struct SweepPoint {
  std::vector<double> values;                 ///< one per axis
  std::vector<Stats> totals;                  ///< one per metric (a sweep of a scenario)
  std::optional<SweepComparison> comparison;  ///< a sweep over an alternative
  bool kept = false;                          ///< results kept from an earlier sweep (--resume)
};

struct Sweep {
  std::string scenario;
  std::string alternative;  ///< the alternative varied against `scenario` (the base); empty: none
  std::vector<std::string> paths;
  std::int64_t trials = 0;
  std::uint64_t seed = 0;
  std::vector<SweepPoint> points;  ///< the grid, the last axis varying fastest
};

/// Runs the scenario at every point of the grid of `axes` (each point sets its values with typed `set`
/// changes), all on the same seed, so neighbouring points share their random draws (common random numbers)
/// and the curve is smooth. Every grid point is checked before any runs; a bad value is a ScenarioError. The
/// points are shared out over the settings' processes; only process 0 gets the sweep.
/// What a sweep varies and keeps, besides its grid.
struct SweepOptions {
  /// Vary this alternative and compare it with the scenario (its base) at each point: net benefit against
  /// effect size, or against the investment, in one sweep. The axes' paths are the alternative's.
  const Scenario* alternative = nullptr;
  /// --resume: a point's record kept from an earlier sweep of the same point (same scenario at the point,
  /// trials and seed), or empty to run it; asked on process 0 only, with the scenario at the point.
  std::function<std::string(std::size_t point, const Scenario& at_point)> kept;
  /// Called on process 0 with each point's record once its results are in (as each of its own points ends,
  /// the other processes' at the end), so that a stopped sweep keeps what it finished.
  std::function<void(std::size_t point, const Scenario& at_point, const std::string& record)> finished;
};

Sweep sweep(const Scenario& scenario, const std::vector<SweepAxis>& axes, const RunSettings& settings = {},
            const SweepOptions& options = {});

}  // namespace cxrisk
