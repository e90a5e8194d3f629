#include "cxrisk/expectation.h"

#include <algorithm>

#include "chain/runner.h"
#include "cxrisk/changes.h"

namespace cxrisk {

struct ConditionalExpectation::State {
  ChainState<double> chain;
};

ConditionalExpectation::ConditionalExpectation(const Model& model)
    : model_(model),
      cells_(static_cast<std::size_t>(model.n_cells())),
      state_(std::make_unique<State>()) {}

ConditionalExpectation::~ConditionalExpectation() = default;
ConditionalExpectation::ConditionalExpectation(ConditionalExpectation&&) noexcept = default;

void ConditionalExpectation::at(std::span<const double> uniforms, double* row) {
  model_.draw_at(uniforms, draw_);
  // The chain sets every cell of a problem that applies to its segment and leaves the others at zero.
  expected_cells(model_, draw_, cells_.data(), nullptr, state_->chain);
  model_.marginalize(cells_.data(), row);
}

void ConditionalExpectation::at_trial(std::uint64_t trial, double* row) {
  model_.uniforms(trial, uniforms_);
  at(uniforms_, row);
}

Scenario fixed_at(const Model& model, const TrialDraw& draw) {
  std::vector<Change> changes;
  for (const Model::Input& input : model.inputs()) {
    const ParamRef& r = input.ref;
    Change c;
    if (r.shares) {
      const double* x = &draw.inputs[model.slot(Param::resolution, r.place)];
      const double total = x[0] + x[1] + x[2];
      Shares fixed;
      for (std::size_t k = 0; k < 3; ++k) fixed.values[k] = total > 0 ? x[k] / total : 0.0;
      // Shares summing to 1 within rounding: the last takes what the others leave.
      fixed.values[2] = std::max(0.0, 1 - fixed.values[0] - fixed.values[1]);
      c = Change::set(r.path_text(), fixed);
    } else if (r.spec->id == Param::customers) {
      c = Change::set(r.path_text(), Quantity::fixed(draw.segments[static_cast<std::size_t>(r.place.segment)].customers));
    } else {
      c = Change::set(r.path_text(), Quantity::fixed(draw.inputs[model.slot(r.spec->id, r.place)]));
    }
    changes.push_back(std::move(c));
  }
  Scenario s = model.scenario();
  apply_changes(s, changes);
  return s;
}

}  // namespace cxrisk
