#include "chain/runner.h"

#include <algorithm>

namespace cxrisk {

TrialRunner::TrialRunner(const Model& model, Mode mode, const std::atomic<bool>* cancel)
    : model_(model),
      mode_(mode),
      cancel_(cancel),
      draws_(BUNDLE),
      cells_(static_cast<std::size_t>(model.n_cells()) * BUNDLE) {}

void TrialRunner::run(std::uint64_t first_trial, int count, double* rows, double* period_costs,
                      std::size_t period_stride) {
  const auto n_series = static_cast<std::size_t>(model_.layout().n_series());
  const auto T = static_cast<std::size_t>(model_.n_periods());
  const auto n_cells = static_cast<std::size_t>(model_.n_cells());
  for (int done = 0; done < count; done += BUNDLE) {
    const int trials = std::min(BUNDLE, count - done);
    // The aggregate chain sets every cell of a problem that applies to its segment, and never touches the
    // others (zero since the table was made); the individual engine adds into the cells.
    if (mode_ == Mode::individual)
      std::fill(cells_.begin(),
                cells_.begin() + static_cast<std::ptrdiff_t>(n_cells * static_cast<std::size_t>(trials)),
                0.0);
    Bundle<const TrialDraw*> draws{};
    Bundle<double*> cells{}, pcost{};
    for (int l = 0; l < trials; ++l) {
      const std::uint64_t trial = first_trial + static_cast<std::uint64_t>(done + l);
      model_.draw(trial, draws_[static_cast<std::size_t>(l)]);
      draws[l] = &draws_[static_cast<std::size_t>(l)];
      cells[l] = cells_.data() + static_cast<std::size_t>(l) * n_cells;
      pcost[l] = period_costs ? period_costs + static_cast<std::size_t>(done + l) * period_stride : nullptr;
      if (pcost[l]) std::fill(pcost[l], pcost[l] + T, 0.0);
    }
    if (mode_ == Mode::aggregate) {
      aggregate_chain(model_, draws, trials,
                      RandomFlow(first_trial + static_cast<std::uint64_t>(done), trials, scratch_), chain_,
                      cells, pcost);
    } else {
      for (int l = 0; l < trials; ++l)
        individual_trial(model_,
                         static_cast<std::uint32_t>(first_trial + static_cast<std::uint64_t>(done + l)),
                         *draws[l], cells[l], pcost[l], cancel_);
    }
    for (int l = 0; l < trials; ++l) {
      model_.marginalize(cells[l], rows + static_cast<std::size_t>(done + l) * n_series);
      if (after_trial_) after_trial_(first_trial + static_cast<std::uint64_t>(done + l), *draws[l]);
    }
  }
}

void expected_cells(const Model& model, const TrialDraw& draw, double* cells, double* period_cost) {
  ChainState<double> state;
  expected_cells(model, draw, cells, period_cost, state);
}

void expected_cells(const Model& model, const TrialDraw& draw, double* cells, double* period_cost,
                    ChainState<double>& state) {
  aggregate_chain(model, Bundle<const TrialDraw*>{&draw}, 1, ExpectedFlow(), state, Bundle<double*>{cells},
                  Bundle<double*>{period_cost});
}

void expected_cells(const Model& model, const Bundle<const TrialDraw*>& draws, int count,
                    const Bundle<double*>& cells, ChainState<double>& state) {
  aggregate_chain(model, draws, count, ExpectedFlow(), state, cells, Bundle<double*>{});
}

}  // namespace cxrisk
