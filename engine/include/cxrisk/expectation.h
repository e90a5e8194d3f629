// The chain in expectation at given inputs: E[metric | inputs] for every metric, in total and broken down.
//
// Given a trial's parameters, every step of the chain (MODEL.md section 2) is a thinning, linear in its
// counts, so the expected counts and amounts follow in closed form: the chain of `cxrisk expect` run at those
// parameters instead of at their means. It costs arithmetic alone, no draws. It is what sensitivity analysis
// and variance reduction stand on: Var(E[metric | inputs]) is the part of a metric's variance that the
// inputs' uncertainty makes, the rest being the chain's own counting noise.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "cxrisk/model.h"

namespace cxrisk {

/// Evaluates E[metrics | inputs] for one model. Holds its working state: one per thread.
class ConditionalExpectation {
 public:
  /// `model` must be a model for trials (it has the inputs' quantile tables) and outlive this.
  explicit ConditionalExpectation(const Model& model);
  ~ConditionalExpectation();
  ConditionalExpectation(ConditionalExpectation&&) noexcept;

  /// How many points one call evaluates together, for about the cost of one: the chain works on that many
  /// trials side by side.
  static constexpr int BATCH = 8;

  /// E[every series | the inputs at these uniforms] (model.n_uniforms() of them, as Model::draw_at takes
  /// them) into `row`, model.layout().n_series() values (Layout::series).
  void at(std::span<const double> uniforms, double* row) { at(1, &uniforms, &row); }
  /// The same at `count` (1 to BATCH) points: uniforms[i] into rows[i].
  void at(int count, const std::span<const double>* uniforms, double* const* rows);
  /// E[every series | the inputs of trial `trial`], the trial's own uniforms.
  void at_trial(std::uint64_t trial, double* row) { at_trials(trial, 1, &row); }
  /// The same for trials first .. first + count - 1 (count 1 to BATCH) into rows[0 .. count - 1].
  void at_trials(std::uint64_t first, int count, double* const* rows);
  /// The inputs of point `i` of the last evaluation.
  const TrialDraw& draw(int i = 0) const { return draws_[static_cast<std::size_t>(i)]; }
  const Model& model() const { return model_; }

 private:
  struct State;
  const Model& model_;
  std::vector<TrialDraw> draws_;
  std::vector<std::vector<double>> uniforms_;
  std::vector<double> cells_;
  std::unique_ptr<State> state_;
};

/// The scenario with every uncertain input fixed at its value in `draw` (a draw of `model`'s): what a trial
/// with those inputs simulates; its Monte Carlo mean is E[metric | those inputs].
Scenario fixed_at(const Model& model, const TrialDraw& draw);

}  // namespace cxrisk
