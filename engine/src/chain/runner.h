// Running trials of a model: the engines of MODEL.md section 2 behind one interface. Private to the library:
// callers go through cxrisk/simulate.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "chain/chain.h"
#include "cxrisk/model.h"

namespace cxrisk {

/// Runs trials of one model; holds the working state of one worker (made once, reused for every bundle).
class TrialRunner {
 public:
  /// `cancel`, when set, is checked inside long trials too (the individual engine's, every 65,536 customers).
  TrialRunner(const Model& model, Mode mode, const std::atomic<bool>* cancel = nullptr);

  /// Runs trials first_trial .. first_trial + count - 1 (the aggregate engine takes a bundle at a time):
  /// fills `rows` (count rows of layout().n_series() values) and, when not null, `period_costs` (count rows
  /// `period_stride` apart, each starting with total_cost booked in each of the n_periods() periods). A
  /// trial's numbers do not depend on the other trials of the call.
  void run(std::uint64_t first_trial, int count, double* rows, double* period_costs = nullptr,
           std::size_t period_stride = 0);
  /// Called after each trial of run() with the trial and its parameters.
  void on_trial(std::function<void(std::uint64_t, const TrialDraw&)> f) { after_trial_ = std::move(f); }

 private:
  const Model& model_;
  Mode mode_;
  const std::atomic<bool>* cancel_;
  std::vector<TrialDraw> draws_;
  std::vector<double> cells_;
  ChainState<std::int64_t> chain_;
  BatchScratch scratch_;
  std::function<void(std::uint64_t, const TrialDraw&)> after_trial_;
};

/// The per-customer model, literally (`--mode individual`): adds one trial's results into its cell table
/// [segment][problem][outcome][metric] and, when not null, its total_cost by period into `period_cost`.
void individual_trial(const Model& model, std::uint32_t trial, const TrialDraw& draw, double* cells,
                      double* period_cost, const std::atomic<bool>* cancel = nullptr);

/// The expected flows of the aggregate chain with the parameters of `draw` (`cxrisk expect`): sets the cells
/// of the cell table [segment][problem][outcome][metric] whose problem applies to the segment (the others are
/// left as they are: zero in a new table) and adds to `period_cost`, when not null, total_cost per period.
void expected_cells(const Model& model, const TrialDraw& draw, double* cells, double* period_cost);
/// The same with the chain's working state given (made once for many evaluations).
void expected_cells(const Model& model, const TrialDraw& draw, double* cells, double* period_cost,
                    ChainState<double>& state);
/// The expected flows at `count` (up to BUNDLE) draws side by side, into their own cell tables, for about the
/// cost of one: the chain's arrays hold a bundle of trials whether it uses one lane or all.
void expected_cells(const Model& model, const Bundle<const TrialDraw*>& draws, int count,
                    const Bundle<double*>& cells, ChainState<double>& state);

}  // namespace cxrisk
