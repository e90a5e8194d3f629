// A grid of what-ifs over one scenario (`cxrisk sweep`), on common random numbers.
#pragma once

#include <cstdint>
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

struct SweepPoint {
  std::vector<double> values;  ///< one per axis
  std::vector<Stats> totals;   ///< one per metric
};

struct Sweep {
  std::string scenario;
  std::vector<std::string> paths;
  std::int64_t trials = 0;
  std::uint64_t seed = 0;
  std::vector<SweepPoint> points;  ///< the grid, the last axis varying fastest
};

/// Runs the scenario at every point of the grid of `axes` (each point sets its values with typed `set`
/// changes), all on the same seed, so neighbouring points share their random draws (common random numbers)
/// and the curve is smooth. Every grid point is checked before any runs; a bad value is a ScenarioError. The
/// points are shared out over the settings' processes; only process 0 gets the sweep.
Sweep sweep(const Scenario& scenario, const std::vector<SweepAxis>& axes, const RunSettings& settings = {});

}  // namespace cxrisk
