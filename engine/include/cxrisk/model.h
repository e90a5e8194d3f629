// The compiled model: a scenario laid out for the per-trial loop, the keys of its random streams, and the
// draw of every parameter for one trial (epistemic uncertainty, MODEL.md section 2).
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cxrisk/design.h"
#include "cxrisk/registry.h"
#include "cxrisk/sampling.h"
#include "cxrisk/scenario.h"
#include "cxrisk/statistics.h"

namespace cxrisk {

class FastQuantile;

/// One handling tier, drawn for a trial (step 4 of the chain).
struct TierDraw {
  double resolved = 0;        ///< P(resolved) at this tier
  double mollified_rest = 0;  ///< P(mollified | not resolved)
  double escalate = 0;
  double cost = 0;
};

/// One problem, drawn for a trial: the probabilities of the chain's steps 2 to 6.
struct ProblemDraw {
  double incidence = 0;
  double complaint = 0;
  std::vector<TierDraw> tiers;
  std::array<double, N_OUTCOMES> defect{};         ///< P(lost to service) by outcome (loyalty ratio r <= 1)
  std::array<double, N_OUTCOMES> save{};           ///< P(saved) by outcome (recovery paradox, r > 1)
  std::array<double, N_OUTCOMES> told_negative{};  ///< mean people told badly, per customer
  std::array<double, N_OUTCOMES> told_positive{};  ///< mean people told well, per customer
};

/// One segment, drawn for a trial.
struct SegmentDraw {
  double customers = 0;  ///< a whole number in a Monte Carlo trial; the mean in `expect`
  double churn = 0;
  ValueDraw value;
  std::vector<double> factor;  ///< F(t) x margin for t = 1..T: what one unit of value lost in period t costs
};

/// Every parameter of one trial: each parameter's value (the trial's inputs, by the model's slots), and what
/// the chain's steps make of them.
struct TrialDraw {
  std::vector<double> inputs;  ///< by Model slot (Model::slot)
  std::vector<SegmentDraw> segments;
  std::vector<ProblemDraw> problems;
  double negative_conversion = 0;
  double positive_conversion = 0;
  double period_discount = 1;  ///< d = (1 + discount_rate)^(-1 / periods_per_year)
  double investment_upfront = 0;
  double investment_per_period = 0;
  std::vector<double> uniforms;  ///< scratch: the trial's uniforms of its uncertain parameters
};

/// The probabilities of the loyalty step (5) from the loyalties of an outcome and of no problem: lost with
/// 1 - r where r = l / l0 <= 1, saved with min(1, r - 1) where r > 1.
struct LoyaltyMove {
  double defect = 0, save = 0;
};
LoyaltyMove loyalty_move(double loyalty, double no_problem);

/// The probabilities of the handling step (4) at one tier from its resolution shares.
TierDraw tier_odds(const std::array<double, 3>& shares, double escalate, double cost);

/// How a run's trials draw the uniforms of the inputs: the sampling design, laid over the run's trials (a
/// Latin hypercube's strata and a Sobol net's points depend on how many trials there are).
struct InputDesign {
  Sampling sampling = Sampling::random;
  std::int64_t trials = 0;
};

/// A scenario compiled for simulation under one seed.
class Model {
 public:
  /// What a model is for: drawing trials, or only the means (`cxrisk expect`, which needs no quantile table).
  enum class Use { trials, means };

  /// Compiles `scenario` under `seed`, its trials drawing the inputs by `design`. The parameters' quantile
  /// tables (for trials only) are shared with the other models of the process, and each of their intervals is
  /// built when a draw first needs it.
  Model(const Scenario& scenario, std::uint64_t seed, Use use = Use::trials, InputDesign design = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const Scenario& scenario() const { return scenario_; }
  std::uint64_t seed() const { return seed_; }
  int n_segments() const { return static_cast<int>(scenario_.segments.size()); }
  int n_problems() const { return static_cast<int>(scenario_.problems.size()); }
  int n_periods() const { return scenario_.periods; }
  const Layout& layout() const { return layout_; }
  /// The problems that apply to a segment, in journey order.
  const std::vector<int>& problems_of(int segment) const { return problems_of_[segment]; }

  /// The slot of a parameter in TrialDraw::inputs (a resolution's first share: resolved, mollified and
  /// unresolved follow).
  std::size_t slot(Param p, const Place& place) const;
  /// The number of slots.
  std::size_t n_slots() const { return slots_.size(); }

  /// One uncertain input of the scenario: an active parameter with a distribution. Its uniforms lie at
  /// [first_uniform, first_uniform + uniforms) of a trial's uniforms: one, or one a share of a Dirichlet
  /// (whose shares are one input).
  struct Input {
    ParamRef ref;
    std::size_t first_uniform = 0, uniforms = 1;
  };
  /// The scenario's uncertain inputs, in the registry's order.
  const std::vector<Input>& inputs() const { return inputs_; }
  /// The number of uniforms a trial draws its parameters from.
  std::size_t n_uniforms() const { return uncertain_.size(); }

  /// Draws every parameter of `trial` (keyed by parameter) into `out` (a model for trials).
  void draw(std::uint64_t trial, TrialDraw& out) const;
  /// The uniforms of `trial`: what draw() draws from. Each input's is the design's point for the trial (keyed
  /// by the input's stream, the trial and, for a design, the run's trials), then correlated through the
  /// copula of the scenario's correlations.
  void uniforms(std::uint64_t trial, std::vector<double>& u) const;
  /// The uniforms of `trial` before the copula: independent across inputs.
  void independent_uniforms(std::uint64_t trial, std::vector<double>& u) const;
  /// Correlates independent uniforms (n_uniforms() of them) in place through the scenario's copula: each
  /// correlated group's normal scores are mixed by the group's factor. Every margin stays uniform.
  void correlate(std::span<double> u) const;
  const InputDesign& design() const { return design_; }
  /// The correlated groups, each by its inputs' indices in inputs().
  struct Copula {
    std::vector<std::size_t> members;  ///< indices into inputs()
    std::vector<double> factor;        ///< k x k, row-major
  };
  const std::vector<Copula>& copulas() const { return copulas_; }
  /// Every parameter at the given uniforms (n_uniforms() of them, in (0, 1)): the inputs of a design point,
  /// as a trial would have them (a model for trials).
  void draw_at(std::span<const double> u, TrialDraw& out) const;
  /// Every quantity at its mean (the closed-form "spreadsheet" answer).
  void draw_means(TrialDraw& out) const;

  /// Whether the aggregate engine draws the values of segment `s`'s customers lost or saved and prospects
  /// once for the whole horizon instead of once a period: exact (the values of a cell's customers over the
  /// periods are one sum of values) when every period has the same valuation factor (`annual` valuation, or
  /// one period), and the sum splits back into periods exactly where a comparison needs the cost of each
  /// period (gamma or fixed values: a gamma sum times independent Dirichlet shares is the periods'
  /// independent gamma sums). Up to POOLED_PERIODS_MAX periods: the split keeps every period's sums of a
  /// block of the chain, which a horizon of thousands of periods would make large.
  bool pools_horizon(int s) const;
  static constexpr int POOLED_PERIODS_MAX = 120;

  /// Stream keys of the aggregate engine: per segment (churn) and per (segment, problem) cell.
  std::uint64_t segment_key(int s) const { return segment_keys_[s]; }
  std::uint64_t cell_key(int s, int p) const { return cell_keys_[s * n_problems() + p]; }
  /// Stream key of the individual engine for a segment.
  std::uint64_t individual_key(int s) const { return individual_keys_[s]; }

  /// Adds the per-(segment, problem, outcome) cell table of a trial into a row of entries x metrics and
  /// completes total_cost. `cells` is laid out [segment][problem][outcome][metric].
  void marginalize(const double* cells, double* row) const;
  /// Size of a cell table.
  int n_cells() const { return n_segments() * n_problems() * N_OUTCOMES * N_METRICS; }

 private:
  /// One value of TrialDraw::inputs: a parameter (or one share of a tier's resolution), how to draw it, and
  /// its stream.
  struct Slot {
    Quantity quantity;  // a resolution's share is Gamma(concentration, 1) (Dirichlet), or the fixed share
    const FastQuantile* quantile = nullptr;  // set for uncertain quantities
    std::uint64_t key = 0;
    /// The parameter's bounds: a draw beyond them (at most NEGLIGIBLE_TAIL of the distribution) is the bound.
    double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
  };
  void add_slots(const ParamRef& ref);
  void set_up_inputs();                              // the design's directions and the copulas
  void fill(TrialDraw& out, const double* u) const;  // u null: every quantity at its mean
  void fill_segments(TrialDraw& out, double margin, bool means) const;
  void fill_problems(TrialDraw& out) const;
  void lay_out_breakdowns();
  double input(const TrialDraw& d, Param p, const Place& place = {}) const {
    return d.inputs[slot(p, place)];
  }

  Scenario scenario_;
  std::uint64_t seed_;
  Layout layout_;
  std::vector<std::vector<int>> problems_of_;
  std::vector<std::uint64_t> segment_keys_, cell_keys_, individual_keys_;
  std::vector<Slot> slots_;
  std::vector<std::size_t> uncertain_;  // the slots drawn from a table
  std::vector<Input> inputs_;
  std::vector<std::size_t> segment_first_, problem_first_;      // each object's first slot
  std::vector<std::vector<std::size_t>> tier_first_;            // [problem][tier]
  std::vector<std::shared_ptr<const FastQuantile>> quantiles_;  // one per distinct uncertain quantity
  std::vector<std::size_t> quantile_slot_;                      // the slot each was made for
  Use use_ = Use::trials;
  InputDesign design_;
  std::vector<Copula> copulas_;
  std::unique_ptr<SobolDirections> sobol_;
};

/// The valuation factors F(1) .. F(periods) of MODEL.md section 4 (F(t) for a customer lost at the end of
/// period t), in time linear in the number of periods.
std::vector<double> valuation_factors(ValuationMethod method, int periods, int per_year, double churn,
                                      double d);

}  // namespace cxrisk
