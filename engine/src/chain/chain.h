// The aggregate chain of MODEL.md section 2: its vocabulary, its random streams' steps, its two flows (drawn
// counts, or their expectations) and the working state it runs in. Private to the library.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "cxrisk/model.h"
#include "sampling/lanes.h"

namespace cxrisk {

/// The trials the aggregate chain advances together: a bundle. The samplers take their own SIMD lanes from
/// the flat batches the chain's steps make, whatever this is; the numbers do not depend on it. Eight rather
/// than sixteen keeps two workers' chains, each half the size, from competing for the cache.
inline constexpr int BUNDLE = 8;
template <class T>
using Bundle = std::array<T, BUNDLE>;

/// The steps of the chain, the last part of a random stream's address: each place in the chain draws from
/// its own streams. Tier k uses STEP_TIER + 4 k + {0 resolved, 1 mollified, 2 escalate}; the steps by
/// outcome use + outcome.
enum Step : std::uint32_t {
  STEP_CHURN = 0,
  STEP_INCIDENCE = 1,
  STEP_COMPLAINT = 2,
  STEP_TIER = 8,
  STEP_LOYALTY = 64,
  STEP_PROSPECTS_LOST = 72,
  STEP_PROSPECTS_WON = 80,
  STEP_VALUE = 88,
  STEP_VALUE_PROSPECTS_LOST = 96,
  STEP_VALUE_PROSPECTS_WON = 104,
};
static_assert(STEP_TIER + 4 * MAX_TIERS <= STEP_LOYALTY, "the tiers' steps would run into the loyalty steps");
static_assert(STEP_LOYALTY + N_OUTCOMES <= STEP_PROSPECTS_LOST &&
                  STEP_PROSPECTS_LOST + N_OUTCOMES <= STEP_PROSPECTS_WON &&
                  STEP_PROSPECTS_WON + N_OUTCOMES <= STEP_VALUE &&
                  STEP_VALUE + N_OUTCOMES <= STEP_VALUE_PROSPECTS_LOST &&
                  STEP_VALUE_PROSPECTS_LOST + N_OUTCOMES <= STEP_VALUE_PROSPECTS_WON,
              "the steps by outcome would overlap");

/// The draws of one step of the chain, gathered so that they are made together: draw i has the stream
/// seed[i] and its result goes to place at[i] of the step's destination. Only draws that can be non-zero are
/// gathered (a zero count or mean draws zero).
template <class Count>
struct DrawBatch {
  std::vector<std::uint64_t> seed;
  std::vector<Count> n;
  std::vector<double> x;  // probability or mean
  std::vector<const ValueDraw*> value;
  std::vector<Count> out;
  std::vector<double> sum;
  std::vector<std::uint32_t> at;
  std::size_t count = 0;

  // One more than the draws a batch can hold: add_if writes its entry before it knows whether it keeps it.
  void reserve(std::size_t capacity) {
    seed.resize(capacity + 1);
    n.resize(capacity + 1);
    x.resize(capacity + 1);
    value.resize(capacity + 1);
    out.resize(capacity + 1);
    sum.resize(capacity + 1);
    at.resize(capacity + 1);
  }
  void clear() { count = 0; }
  // Adds the draw when `keep` (a count or mean that can give a non-zero draw), without a branch: which draws
  // are kept follows the trials' numbers and is not predictable.
  void add_if(bool keep, std::uint64_t s, Count draws, double p, std::size_t place,
              const ValueDraw* v = nullptr) {
    seed[count] = s;
    n[count] = draws;
    x[count] = p;
    value[count] = v;
    at[count] = static_cast<std::uint32_t>(place);
    count += keep;
  }
  std::size_t size() const { return count; }
  // Writes the counts drawn to their places in `dest`.
  template <class T>
  void scatter(std::vector<T>& dest) const {
    for (std::size_t i = 0; i < count; ++i) dest[at[i]] = out[i];
  }
};

/// The flow that draws the counts: the Monte Carlo engine. A bundle's trials each have their own streams.
class RandomFlow {
 public:
  using Count = std::int64_t;
  /// Draws the values of a segment that Model::pools_horizon allows once for the horizon.
  static constexpr bool POOLS = true;
  RandomFlow(std::uint64_t first_trial, int trials, BatchScratch& scratch) : scratch_(&scratch) {
    for (int l = 0; l < trials; ++l)
      trial_[l] = static_cast<std::uint32_t>(first_trial + static_cast<std::uint64_t>(l));
  }
  /// The streams of one step of one cell in one period, one per trial of the bundle, as h + trial: a batch
  /// finishes the seeds of all its draws together (mix_seeds).
  Bundle<std::uint64_t> seeds(std::uint64_t key, std::uint32_t step, std::uint32_t period) const {
    const std::uint64_t h = mix64(key ^ ((static_cast<std::uint64_t>(step) << 32) | period));
    Bundle<std::uint64_t> pre;
    for (int l = 0; l < BUNDLE; ++l) pre[l] = h + trial_[l];
    return pre;
  }
  void binomial(DrawBatch<Count>& b) const {
    mix_seeds(b.seed.data(), b.size());
    binomial_batch(b.size(), b.seed.data(), b.n.data(), b.x.data(), b.out.data(), *scratch_);
  }
  void poisson(DrawBatch<Count>& b) const {
    mix_seeds(b.seed.data(), b.size());
    poisson_batch(b.size(), b.seed.data(), b.x.data(), b.out.data(), *scratch_);
  }
  void value_sum(DrawBatch<Count>& b) const {
    mix_seeds(b.seed.data(), b.size());
    value_sum_batch(b.size(), b.seed.data(), b.value.data(), b.n.data(), b.sum.data(), *scratch_);
  }

 private:
  Bundle<std::uint64_t> trial_{};
  BatchScratch* scratch_;
};

/// The flow that moves expectations: every draw replaced by its mean. Every step of the chain is linear in
/// the counts, so with a trial's parameters this is the exact expectation of the chain given them.
class ExpectedFlow {
 public:
  using Count = double;
  static constexpr bool POOLS = false;
  Bundle<std::uint64_t> seeds(std::uint64_t, std::uint32_t, std::uint32_t) const { return {}; }
  void binomial(DrawBatch<Count>& b) const {
    for (std::size_t i = 0; i < b.size(); ++i) b.out[i] = b.n[i] * b.x[i];
  }
  void poisson(DrawBatch<Count>& b) const { std::copy_n(b.x.begin(), b.size(), b.out.begin()); }
  void value_sum(DrawBatch<Count>& b) const {
    for (std::size_t i = 0; i < b.size(); ++i) b.sum[i] = b.n[i] * b.value[i]->mean;
  }
};

/// What the chain keeps over the periods for each [slot][outcome][trial], from which the cells' metrics
/// follow at the end.
enum Sum : int {
  SUM_WITH_PROBLEMS,
  SUM_CONTACTS,
  SUM_ESCALATIONS,
  SUM_HANDLING_COST,
  SUM_MOVED,
  SUM_REVENUE,
  SUM_PROSPECTS_LOST,
  SUM_PROSPECTS_WON,
  SUM_WOM_REVENUE,
  N_SUMS
};

/// The working arrays of the aggregate chain for one block of segments. A "slot" is one problem of one
/// segment; arrays are per [slot][trial] ("slot arrays", BUNDLE a slot) or per [slot][outcome][trial]
/// ("cell arrays"). Owned by a trial runner and reused block after block, so that a worker allocates nothing
/// once it has seen its largest block.
template <class Count>
struct ChainState {
  using Counts = Bundle<Count>;
  // The block's slots.
  std::vector<int> segment_of, problem_of;
  std::vector<std::size_t> first_slot;  // per segment, and one past the last
  std::vector<std::uint64_t> key_of;
  std::vector<std::size_t> tiers_of;
  std::size_t slots = 1, longest = 0, most_tiers = 0;
  std::size_t slot_size = 0, cell_size = 0;  // slots x BUNDLE, x N_OUTCOMES more
  // The trials' parameters per slot (per cell, per [tier][slot]), gathered once for all periods. The loyalty
  // probability is signed: negative where it is a probability of being saved (a loyalty ratio above 1).
  std::vector<double> incidence, complaint, told_negative, told_positive, loyalty;
  std::vector<std::vector<double>> tier_resolved, tier_mollified, tier_escalate, tier_cost;
  Bundle<double> negative_conversion{}, positive_conversion{};
  std::vector<char> tells_negative, tells_positive;  // per [slot][outcome]: a loss (gain) can convert
  std::vector<char> pooled;  // per slot: values and word of mouth once for the horizon
  bool any_pooled = false, split_periods = false, keep_period_cost = false;
  // Counts of a period.
  std::vector<Count> with_problem, complained, entering, resolved, rest, mollified, unresolved, escalated;
  std::vector<Count> n, moved, prospects;  // cells; prospects lost, then won
  std::vector<double> cumulative_cost, contacts_by, cost_by, escalated_by,
      values;                                                  // values: moved, lost, won
  std::vector<double> sums;                                    // per [slot][outcome][Sum][trial]
  std::vector<Counts> active, churned, remaining, lost_total;  // per segment
  std::vector<Bundle<double>> cost_this_period, factor;        // per segment
  std::vector<char> live, reached;
  DrawBatch<Count> batch;
  // Values and word of mouth once for the horizon: the pooled slots' word-of-mouth means over the periods
  // ([kind - 1] cell arrays, prospects lost then won) and, where the periods' costs are kept, each period's
  // ([period][kind - 1]) and each period's sums of values ([period][kind] cell arrays), as shares.
  std::vector<double> told_horizon, told_period, share;
  int periods_run = 0;
  // Scratch of the horizon's draws.
  std::vector<Count> counts, left, now;
  std::vector<double> mean_after, added;
};

/// Runs the aggregate chain for a bundle of `trials` trials (their parameters in `draw`): fills each trial's
/// cell table [segment][problem][outcome][metric] for the problems that apply to each segment, and adds to
/// `period_cost[l]`, when not null, trial l's total_cost by period.
template <class Flow>
void aggregate_chain(const Model& model, const Bundle<const TrialDraw*>& draw, int trials, const Flow& flow,
                     ChainState<typename Flow::Count>& state, const Bundle<double*>& cells,
                     const Bundle<double*>& period_cost);

}  // namespace cxrisk
