#include "cxrisk/expectation.h"

#include <algorithm>

#include "chain/runner.h"
#include "cxrisk/changes.h"

namespace cxrisk {

struct ConditionalExpectation::State {
  ChainState<double> chain;
};

static_assert(ConditionalExpectation::BATCH <= BUNDLE, "a batch is evaluated as one bundle of the chain");

ConditionalExpectation::ConditionalExpectation(const Model& model)
    : model_(model),
      draws_(BATCH),
      uniforms_(BATCH),
      cells_(static_cast<std::size_t>(model.n_cells()) * BATCH),
      state_(std::make_unique<State>()) {}

ConditionalExpectation::~ConditionalExpectation() = default;
ConditionalExpectation::ConditionalExpectation(ConditionalExpectation&&) noexcept = default;

void ConditionalExpectation::at(int count, const std::span<const double>* uniforms, double* const* rows) {
  CXRISK_REQUIRE(count >= 1 && count <= BATCH,
                 "a batch of conditional expectations holds 1 to " << BATCH << " points");
  const auto n_cells = static_cast<std::size_t>(model_.n_cells());
  Bundle<const TrialDraw*> draws{};
  Bundle<double*> cells{};
  for (int i = 0; i < count; ++i) {
    const auto l = static_cast<std::size_t>(i);
    model_.draw_at(uniforms[l], draws_[l]);
    draws[i] = &draws_[l];
    cells[i] = cells_.data() + l * n_cells;
  }
  // The chain sets every cell of a problem that applies to its segment and leaves the others at zero.
  expected_cells(model_, draws, count, cells, state_->chain);
  for (int i = 0; i < count; ++i) model_.marginalize(cells[i], rows[i]);
}

void ConditionalExpectation::at_trials(std::uint64_t first, int count, double* const* rows) {
  CXRISK_REQUIRE(count >= 1 && count <= BATCH,
                 "a batch of conditional expectations holds 1 to " << BATCH << " points");
  std::span<const double> points[BATCH];
  for (int i = 0; i < count; ++i) {
    const auto l = static_cast<std::size_t>(i);
    model_.uniforms(first + l, uniforms_[l]);
    points[l] = uniforms_[l];
  }
  at(count, points, rows);
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
      c = Change::set(r.path_text(),
                      Quantity::fixed(draw.segments[static_cast<std::size_t>(r.place.segment)].customers));
    } else {
      c = Change::set(r.path_text(), Quantity::fixed(draw.inputs[model.slot(r.spec->id, r.place)]));
    }
    changes.push_back(std::move(c));
  }
  Scenario s = model.scenario();
  s.correlations.clear();  // every input fixed: nothing left to correlate
  apply_changes(s, changes);
  return s;
}

}  // namespace cxrisk
