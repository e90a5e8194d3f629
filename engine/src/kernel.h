// The per-trial engines. Private to the library: callers go through simulate.h.
#pragma once

#include <cstdint>
#include <vector>

#include "cxrisk/model.h"

namespace cxrisk {

/// Runs trials of one model; holds the scratch space of one worker thread.
class TrialRunner {
 public:
  TrialRunner(const Model& model, Mode mode);

  /// Runs one trial: fills `row` (layout().n_series() values) and, when not null, `period_cost` (total_cost
  /// booked in each period, n_periods() values).
  void run(std::uint64_t trial, double* row, double* period_cost);
  /// The parameters drawn for the trial last run.
  const TrialDraw& last_draw() const { return draw_; }

 private:
  void individual(std::uint32_t trial, double* period_cost);
  double* cell(int s, int p, int o) {
    return cells_.data() + ((s * model_.n_problems() + p) * N_OUTCOMES + o) * N_METRICS;
  }

  const Model& model_;
  Mode mode_;
  TrialDraw draw_;
  std::vector<double> cells_;
};

/// The expected flows of the aggregate chain with the parameters of `draw` (`cxrisk expect`): fills the cell
/// table [segment][problem][outcome][metric] and, when not null, total_cost per period.
void expected_cells(const Model& model, const TrialDraw& draw, double* cells, double* period_cost);

}  // namespace cxrisk
