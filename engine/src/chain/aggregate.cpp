// The aggregate engine: counts move through the chain of MODEL.md section 2 by exact thinning. A binomial
// split of a binomial count is binomial, the first-problem rule makes the problems of a period a
// multinomial (sequential conditional binomials), a sum of Poisson counts is Poisson (and a thinned Poisson
// is Poisson), and a sum of gamma values is gamma. Its cost per trial is O(segments x problems x periods),
// whatever the number of customers.
//
// The chain is written once for two flows: RandomFlow draws the counts (the Monte Carlo engine) and
// ExpectedFlow moves their expectations (the closed form of `cxrisk expect`). It advances a bundle of trials
// in lockstep, and draws by steps: all the draws of a step that do not depend on each other (the complaints
// of every problem of a period, the loyalty of every problem and outcome, ...) are gathered and made in one
// batch (sampling/lanes.h). A trial only ever touches its own parameters, streams and results, and every draw
// has its own stream, so a trial's numbers do not depend on which trials share its bundle or how the draws
// are grouped (and equal those of the trial run alone).
#include <algorithm>
#include <cmath>

#include "chain/chain.h"

namespace cxrisk {

namespace {

template <class T>
bool all_zero(const Bundle<T>& x, int trials) {
  for (int l = 0; l < trials; ++l)
    if (x[l] != 0) return false;
  return true;
}

// The index of trial 0 of a slot's outcome in the chain's cell arrays.
constexpr std::size_t cell_index(std::size_t q, int o) {
  return (q * N_OUTCOMES + static_cast<std::size_t>(o)) * BUNDLE;
}

// A count or value of a cell's customers moved, as customers lost: as it is where the cell's loyalty (the
// chain's signed loyalty: the probability of defecting, or minus that of being saved) is positive, negated
// where it is negative (saved), 0 where no one moves. Negated from +0, so that no metric reads -0.
constexpr double as_lost(double loyalty, double x) {
  return loyalty < 0 ? 0.0 - x : loyalty > 0 ? x : 0.0;
}

// A pooled cell's sum of values over the horizon: kind 0 its customers moved, 1 its prospects lost, 2 won.
struct PooledSum {
  std::size_t q, qo, k, i0;  // slot, [slot][outcome], kind, and trial 0's index in [kind] cell arrays
  std::uint32_t step;
};

// The chain of one block of segments for one bundle of trials; each step of MODEL.md section 2 is a member
// function of its name, in the order the chain takes them.
template <class Flow>
class AggregateChain {
 public:
  using Count = typename Flow::Count;
  using Counts = Bundle<Count>;

  AggregateChain(const Model& model, const Bundle<const TrialDraw*>& draw, int trials, const Flow& flow,
                 ChainState<Count>& state, const Bundle<double*>& cells, const Bundle<double*>& period_cost)
      : model_(model),
        draw_(draw),
        trials_(trials),
        flow_(flow),
        x_(state),
        cells_(cells),
        period_cost_(period_cost),
        periods_(model.n_periods()) {}

  // The chain of segments [s0, s1), for all periods.
  void block(int s0, int s1) {
    s0_ = s0;
    s1_ = s1;
    lay_out();
    gather_parameters();
    for (int t = 1; t <= periods_; ++t) {
      if (!start_period()) break;
      const auto period = static_cast<std::uint32_t>(t);
      churn(period);
      incidence(period);
      voice(period);
      handling(period);
      loyalty(period);
      word_of_mouth(t);
      valuation(t);
      book(t);
    }
    if constexpr (Flow::POOLS) {
      if (x_.any_pooled) horizon();
    }
    finish();
  }

 private:
  void lay_out();
  void gather_parameters();
  void gather_word_of_mouth();
  bool start_period();
  void churn(std::uint32_t period);
  void incidence(std::uint32_t period);
  void voice(std::uint32_t period);
  void split(std::size_t k, bool last_tier_too, std::uint32_t step, const std::vector<Count>& count,
             const std::vector<double>& prob, std::vector<Count>& dest, std::uint32_t period);
  void handling(std::uint32_t period);
  void end_at_tier(std::size_t k);
  void loyalty(std::uint32_t period);
  void word_of_mouth(int t);
  void valuation(int t);
  void book(int t);
  void book_cell(std::size_t q, int o);
  void horizon();
  std::vector<PooledSum> horizon_counts();
  void split_prospects(const std::vector<PooledSum>& pooled_sums);
  void horizon_values(const std::vector<PooledSum>& pooled_sums);
  void split_horizon(const std::vector<PooledSum>& pooled_sums);
  double money_of(const PooledSum& p, int l, double f, double value) const;
  void finish();

  const ProblemDraw& problem_draw(std::size_t q, int l) const {
    return draw_[l]->problems[static_cast<std::size_t>(x_.problem_of[q])];
  }
  // The block's slots. The steps read it into a local once: their loops' stores could alias the vector, and
  // the bound would be reloaded every iteration.
  std::size_t n_slots() const { return x_.problem_of.size(); }

  const Model& model_;
  const Bundle<const TrialDraw*>& draw_;
  int trials_;
  const Flow& flow_;
  ChainState<Count>& x_;
  const Bundle<double*>& cells_;
  const Bundle<double*>& period_cost_;
  int periods_;
  int s0_ = 0, s1_ = 0;
};

// The segments' chains are independent, so the block's segments advance together, period by period: a slot
// is one problem of one segment, segment by segment in each one's journey order.
template <class Flow>
void AggregateChain<Flow>::lay_out() {
  const auto S = static_cast<std::size_t>(model_.n_segments());
  x_.segment_of.clear();
  x_.problem_of.clear();
  x_.key_of.clear();
  x_.first_slot.assign(S + 1, 0);
  x_.longest = 0;
  for (int s = s0_; s < s1_; ++s) {
    x_.first_slot[static_cast<std::size_t>(s)] = x_.problem_of.size();
    for (int p : model_.problems_of(s)) {
      x_.segment_of.push_back(s);
      x_.problem_of.push_back(p);
      x_.key_of.push_back(model_.cell_key(s, p));
    }
    x_.longest = std::max(x_.longest, model_.problems_of(s).size());
  }
  x_.first_slot[static_cast<std::size_t>(s1_)] = x_.problem_of.size();
  x_.slots = std::max<std::size_t>(x_.problem_of.size(), 1);
  const std::size_t QL = x_.slot_size = x_.slots * BUNDLE;
  const std::size_t QOL = x_.cell_size = QL * N_OUTCOMES;
  for (auto* v : {&x_.with_problem, &x_.complained, &x_.entering, &x_.resolved, &x_.rest, &x_.mollified,
                  &x_.unresolved, &x_.escalated})
    v->assign(QL, Count{});
  x_.n.assign(QOL, Count{});
  x_.moved.assign(QOL, Count{});
  x_.prospects.assign(2 * QOL, Count{});
  x_.cumulative_cost.assign(QL, 0.0);
  for (auto* v : {&x_.contacts_by, &x_.cost_by, &x_.escalated_by, &x_.loyalty}) v->assign(QOL, 0.0);
  x_.values.assign(3 * QOL, 0.0);
  x_.sums.assign(QOL * N_SUMS, 0.0);
  for (auto* v : {&x_.active, &x_.churned, &x_.remaining, &x_.lost_total}) v->assign(S, Counts{});
  x_.cost_this_period.assign(S, Bundle<double>{});
  x_.factor.assign(S, Bundle<double>{});
  x_.keep_period_cost = false;
  for (int l = 0; l < trials_; ++l) x_.keep_period_cost |= period_cost_[l] != nullptr;
  x_.live.assign(S, 0);
  x_.reached.assign(x_.slots * N_OUTCOMES, 0);
  x_.batch.reserve(3 * QOL);
  x_.most_tiers = 0;
  for (std::size_t q = 0; q < n_slots(); ++q)
    x_.most_tiers = std::max(x_.most_tiers, problem_draw(q, 0).tiers.size());
}

// The trials' parameters per slot, once for all periods.
template <class Flow>
void AggregateChain<Flow>::gather_parameters() {
  const std::size_t slots = n_slots();
  const std::size_t QL = x_.slot_size, QOL = x_.cell_size;
  x_.incidence.assign(QL, 0.0);
  x_.complaint.assign(QL, 0.0);
  x_.told_negative.assign(QOL, 0.0);
  x_.told_positive.assign(QOL, 0.0);
  for (auto* tiers : {&x_.tier_resolved, &x_.tier_mollified, &x_.tier_escalate, &x_.tier_cost})
    tiers->assign(x_.most_tiers, std::vector<double>(QL));
  for (std::size_t q = 0; q < slots; ++q)
    for (int l = 0; l < trials_; ++l) {
      const ProblemDraw& d = problem_draw(q, l);
      const std::size_t ql = q * BUNDLE + static_cast<std::size_t>(l);
      x_.incidence[ql] = d.incidence;
      x_.complaint[ql] = d.complaint;
      for (std::size_t k = 0; k < d.tiers.size(); ++k) {
        x_.tier_resolved[k][ql] = d.tiers[k].resolved;
        x_.tier_mollified[k][ql] = d.tiers[k].mollified_rest;
        x_.tier_escalate[k][ql] = d.tiers[k].escalate;
        x_.tier_cost[k][ql] = d.tiers[k].cost;
      }
      for (int o = 0; o < N_OUTCOMES; ++o) {
        const std::size_t i = cell_index(q, o) + static_cast<std::size_t>(l);
        x_.loyalty[i] = d.save[o] > 0 ? -d.save[o] : d.defect[o];
        x_.told_negative[i] = d.told_negative[o];
        x_.told_positive[i] = d.told_positive[o];
      }
    }
  x_.tiers_of.resize(slots);
  for (std::size_t q = 0; q < slots; ++q) x_.tiers_of[q] = problem_draw(q, 0).tiers.size();
  gather_word_of_mouth();
  for (int s = s0_; s < s1_; ++s)
    for (int l = 0; l < trials_; ++l)
      x_.active[static_cast<std::size_t>(s)][l] =
          static_cast<Count>(draw_[l]->segments[static_cast<std::size_t>(s)].customers);
}

// Which cells can tell of a loss (gain) that converts, and which slots value their customers and word of
// mouth once for the horizon (Model::pools_horizon) instead of once a period: the periods then only count
// the customers moved and the prospects' means; where the periods' costs are kept, the periods still draw
// their sums of values, as shares to split the horizon's sums back into the periods (see horizon()).
template <class Flow>
void AggregateChain<Flow>::gather_word_of_mouth() {
  const std::size_t slots = n_slots();
  const std::size_t QOL = x_.cell_size, T = static_cast<std::size_t>(periods_);
  x_.negative_conversion = {};
  x_.positive_conversion = {};
  for (int l = 0; l < trials_; ++l) {
    x_.negative_conversion[l] = draw_[l]->negative_conversion;
    x_.positive_conversion[l] = draw_[l]->positive_conversion;
  }
  // Most outcomes have word of mouth one way only: the steps skip the other way's draws and values.
  x_.tells_negative.assign(x_.slots * N_OUTCOMES, 0);
  x_.tells_positive.assign(x_.slots * N_OUTCOMES, 0);
  for (std::size_t qo = 0; qo < x_.slots * N_OUTCOMES; ++qo)
    for (int l = 0; l < trials_; ++l) {
      const std::size_t i = qo * BUNDLE + static_cast<std::size_t>(l);
      x_.tells_negative[qo] |= x_.told_negative[i] * x_.negative_conversion[l] > 0;
      x_.tells_positive[qo] |= x_.told_positive[i] * x_.positive_conversion[l] > 0;
    }
  x_.pooled.assign(x_.slots, 0);
  x_.any_pooled = false;
  if constexpr (Flow::POOLS)
    for (std::size_t q = 0; q < slots; ++q)
      x_.any_pooled |= (x_.pooled[q] = model_.pools_horizon(x_.segment_of[q])) != 0;
  x_.split_periods = x_.any_pooled && x_.keep_period_cost;
  if (x_.split_periods) x_.share.assign(3 * QOL * T, 0.0);
  x_.told_horizon.assign(x_.any_pooled ? 2 * QOL : 0, 0.0);
  if (x_.split_periods) x_.told_period.assign(2 * QOL * T, 0.0);
  x_.periods_run = 0;
}

// The segments with customers left; false when none has any.
template <class Flow>
bool AggregateChain<Flow>::start_period() {
  bool any_live = false;
  for (int s = s0_; s < s1_; ++s) {
    const auto si = static_cast<std::size_t>(s);
    any_live |= (x_.live[si] = !all_zero(x_.active[si], trials_)) != 0;
  }
  return any_live;
}

// Step 1: unrelated churn first, Binomial(active, churn).
template <class Flow>
void AggregateChain<Flow>::churn(std::uint32_t period) {
  DrawBatch<Count>& b = x_.batch;
  b.clear();
  for (int s = s0_; s < s1_; ++s) {
    const auto si = static_cast<std::size_t>(s);
    x_.cost_this_period[si] = {};
    x_.churned[si] = x_.remaining[si] = x_.lost_total[si] = Counts{};
    if (!x_.live[si]) continue;
    const Bundle<std::uint64_t> seeds = flow_.seeds(model_.segment_key(s), STEP_CHURN, period);
    for (int l = 0; l < trials_; ++l)
      b.add_if(x_.active[si][l] > 0, seeds[l], x_.active[si][l], draw_[l]->segments[si].churn,
               si * BUNDLE + l);
  }
  flow_.binomial(b);
  for (std::size_t i = 0; i < b.size(); ++i) x_.churned[b.at[i] / BUNDLE][b.at[i] % BUNDLE] = b.out[i];
  for (int s = s0_; s < s1_; ++s)
    for (int l = 0; l < trials_; ++l) {
      const auto si = static_cast<std::size_t>(s);
      x_.remaining[si][l] = x_.active[si][l] - x_.churned[si][l];
    }
}

// Step 2: the first problem of the journey that happens. The first-problem rule makes the problems of a
// period sequential conditional binomials; the j-th problems of all segments are drawn together.
template <class Flow>
void AggregateChain<Flow>::incidence(std::uint32_t period) {
  DrawBatch<Count>& b = x_.batch;
  std::fill(x_.with_problem.begin(), x_.with_problem.end(), Count{});
  for (std::size_t j = 0; j < x_.longest; ++j) {
    b.clear();
    for (int s = s0_; s < s1_; ++s) {
      const auto si = static_cast<std::size_t>(s);
      const std::size_t q = x_.first_slot[si] + j;
      if (!x_.live[si] || q >= x_.first_slot[si + 1] || all_zero(x_.remaining[si], trials_)) continue;
      const Bundle<std::uint64_t> seeds = flow_.seeds(x_.key_of[q], STEP_INCIDENCE, period);
      for (int l = 0; l < trials_; ++l)
        b.add_if(x_.remaining[si][l] > 0, seeds[l], x_.remaining[si][l], x_.incidence[q * BUNDLE + l],
                 q * BUNDLE + l);
    }
    if (b.size() == 0) continue;
    flow_.binomial(b);
    for (std::size_t i = 0; i < b.size(); ++i) {
      x_.with_problem[b.at[i]] = b.out[i];
      x_.remaining[static_cast<std::size_t>(x_.segment_of[b.at[i] / BUNDLE])][b.at[i] % BUNDLE] -= b.out[i];
    }
  }
}

// Step 3: voice, for every problem at once.
template <class Flow>
void AggregateChain<Flow>::voice(std::uint32_t period) {
  const std::size_t slots = n_slots();
  DrawBatch<Count>& b = x_.batch;
  std::fill(x_.complained.begin(), x_.complained.end(), Count{});
  b.clear();
  for (std::size_t q = 0; q < slots; ++q) {
    if (!x_.live[static_cast<std::size_t>(x_.segment_of[q])]) continue;
    const Bundle<std::uint64_t> seeds = flow_.seeds(x_.key_of[q], STEP_COMPLAINT, period);
    for (int l = 0; l < trials_; ++l) {
      const Count count = x_.with_problem[q * BUNDLE + l];
      b.add_if(count > 0, seeds[l], count, x_.complaint[q * BUNDLE + l], q * BUNDLE + l);
    }
  }
  flow_.binomial(b);
  b.scatter(x_.complained);
}

// One batch of binomial splits over the problems whose tier k takes the step (the escalation only where a
// tier follows): count(q, l) splits with probability prob(q, l); the results go to `dest`.
template <class Flow>
void AggregateChain<Flow>::split(std::size_t k, bool last_tier_too, std::uint32_t step,
                                 const std::vector<Count>& count, const std::vector<double>& prob,
                                 std::vector<Count>& dest, std::uint32_t period) {
  const std::size_t slots = n_slots();
  DrawBatch<Count>& b = x_.batch;
  std::fill(dest.begin(), dest.end(), Count{});
  b.clear();
  for (std::size_t q = 0; q < slots; ++q) {
    const std::size_t tiers = x_.tiers_of[q];
    if (!x_.live[static_cast<std::size_t>(x_.segment_of[q])] || k >= tiers ||
        (!last_tier_too && k + 1 == tiers))
      continue;
    const Bundle<std::uint64_t> seeds = flow_.seeds(x_.key_of[q], step, period);
    for (int l = 0; l < trials_; ++l) {
      const std::size_t ql = q * BUNDLE + static_cast<std::size_t>(l);
      b.add_if(count[ql] > 0, seeds[l], count[ql], prob[ql], ql);
    }
  }
  flow_.binomial(b);
  b.scatter(dest);
}

// Step 4: the handling tiers, tier by tier for every problem at once. Every tier a complaint reaches is one
// contact and costs that tier's cost.
template <class Flow>
void AggregateChain<Flow>::handling(std::uint32_t period) {
  const std::size_t slots = n_slots();
  std::fill(x_.n.begin(), x_.n.end(), Count{});
  std::fill(x_.contacts_by.begin(), x_.contacts_by.end(), 0.0);
  std::fill(x_.cost_by.begin(), x_.cost_by.end(), 0.0);
  std::fill(x_.escalated_by.begin(), x_.escalated_by.end(), 0.0);
  std::fill(x_.cumulative_cost.begin(), x_.cumulative_cost.end(), 0.0);
  for (std::size_t q = 0; q < slots; ++q)
    for (int l = 0; l < trials_; ++l) {
      const std::size_t ql = q * BUNDLE + static_cast<std::size_t>(l);
      x_.n[cell_index(q, 0) + static_cast<std::size_t>(l)] = x_.with_problem[ql] - x_.complained[ql];
      x_.entering[ql] = x_.complained[ql];
    }
  for (std::size_t k = 0; k < x_.most_tiers; ++k) {
    const auto base = static_cast<std::uint32_t>(STEP_TIER + 4 * k);
    split(k, true, base, x_.entering, x_.tier_resolved[k], x_.resolved, period);
    for (std::size_t i = 0; i < x_.slot_size; ++i) x_.rest[i] = x_.entering[i] - x_.resolved[i];
    split(k, true, base + 1, x_.rest, x_.tier_mollified[k], x_.mollified, period);
    for (std::size_t i = 0; i < x_.slot_size; ++i) x_.unresolved[i] = x_.rest[i] - x_.mollified[i];
    split(k, false, base + 2, x_.unresolved, x_.tier_escalate[k], x_.escalated, period);
    end_at_tier(k);
  }
}

// The complaints that end at tier k, by outcome (resolved there, mollified, or unresolved and not
// escalated), with their contacts and costs; the escalated ones enter the next tier.
template <class Flow>
void AggregateChain<Flow>::end_at_tier(std::size_t k) {
  const std::size_t slots = n_slots();
  const int resolved_as = k == 0 ? static_cast<int>(Outcome::quick) : static_cast<int>(Outcome::resolved);
  for (std::size_t q = 0; q < slots; ++q) {
    const std::size_t tiers = x_.tiers_of[q];
    if (k >= tiers) continue;
    const bool last_of_several = k + 1 == tiers && tiers > 1;
    for (int l = 0; l < trials_; ++l) {
      const std::size_t ql = q * BUNDLE + static_cast<std::size_t>(l);
      x_.cumulative_cost[ql] += x_.tier_cost[k][ql];
      const std::array<std::pair<int, Count>, 3> ends{
          {{resolved_as, x_.resolved[ql]},
           {static_cast<int>(Outcome::mollified), x_.mollified[ql]},
           {static_cast<int>(Outcome::unresolved), x_.unresolved[ql] - x_.escalated[ql]}}};
      for (auto [o, count] : ends) {
        const auto c = static_cast<double>(count);
        const std::size_t i = cell_index(q, o) + static_cast<std::size_t>(l);
        x_.n[i] += count;
        x_.contacts_by[i] += c * static_cast<double>(k + 1);
        x_.cost_by[i] += c * x_.cumulative_cost[ql];
        if (last_of_several) x_.escalated_by[i] += c;
      }
      x_.entering[ql] = x_.escalated[ql];
    }
  }
}

// Step 5: loyalty, for every problem and outcome at once: lost with probability 1 - r, or saved with
// probability min(1, r - 1); one stream serves either, as a trial's loyalty ratio decides which applies.
template <class Flow>
void AggregateChain<Flow>::loyalty(std::uint32_t period) {
  const std::size_t slots = n_slots();
  DrawBatch<Count>& b = x_.batch;
  // Per [slot][outcome]: whether any trial has customers there (the later steps skip the rest).
  for (std::size_t qo = 0; qo < slots * N_OUTCOMES; ++qo) {
    x_.reached[qo] = 0;
    for (int l = 0; l < trials_; ++l) x_.reached[qo] |= x_.n[qo * BUNDLE + static_cast<std::size_t>(l)] != 0;
  }
  std::fill(x_.moved.begin(), x_.moved.end(), Count{});
  std::fill(x_.prospects.begin(), x_.prospects.end(), Count{});
  std::fill(x_.values.begin(), x_.values.end(), 0.0);
  b.clear();
  for (std::size_t q = 0; q < slots; ++q)
    for (int o = 0; o < N_OUTCOMES; ++o) {
      if (!x_.reached[q * N_OUTCOMES + static_cast<std::size_t>(o)]) continue;
      const Bundle<std::uint64_t> seeds =
          flow_.seeds(x_.key_of[q], STEP_LOYALTY + static_cast<std::uint32_t>(o), period);
      for (int l = 0; l < trials_; ++l) {
        const std::size_t i = cell_index(q, o) + static_cast<std::size_t>(l);
        b.add_if(x_.n[i] > 0, seeds[l], x_.n[i], std::abs(x_.loyalty[i]), i);
      }
    }
  flow_.binomial(b);
  b.scatter(x_.moved);
}

// Step 6: word of mouth. Each customer tells Poisson(told) people, each converted with probability q: a sum
// of thinned Poisson counts is Poisson(n told q). A pooled slot keeps the mean for the horizon's draw.
template <class Flow>
void AggregateChain<Flow>::word_of_mouth(int t) {
  const std::size_t slots = n_slots();
  DrawBatch<Count>& b = x_.batch;
  const std::size_t QOL = x_.cell_size;
  b.clear();
  for (std::size_t q = 0; q < slots; ++q)
    for (int o = 0; o < N_OUTCOMES; ++o) {
      if (!x_.reached[q * N_OUTCOMES + static_cast<std::size_t>(o)]) continue;
      const auto ou = static_cast<std::uint32_t>(o);
      const std::size_t qo = q * N_OUTCOMES + static_cast<std::size_t>(o);
      // The prospects lost (won), where there can be any: Poisson(n told q), to prospects[to + i].
      const auto prospects = [&](std::uint32_t step, const std::vector<double>& told,
                                 const Bundle<double>& conversion, std::size_t to) {
        if (x_.pooled[q]) {
          double* now =
              x_.split_periods ? &x_.told_period[static_cast<std::size_t>(t - 1) * 2 * QOL] : nullptr;
          for (int l = 0; l < trials_; ++l) {
            const std::size_t i = cell_index(q, o) + static_cast<std::size_t>(l);
            const double mean = static_cast<double>(x_.n[i]) * told[i] * conversion[l];
            x_.told_horizon[to + i] += mean;
            if (now) now[to + i] = mean;
          }
          return;
        }
        const Bundle<std::uint64_t> seeds =
            flow_.seeds(x_.key_of[q], step + ou, static_cast<std::uint32_t>(t));
        for (int l = 0; l < trials_; ++l) {
          const std::size_t i = cell_index(q, o) + static_cast<std::size_t>(l);
          const double mean = static_cast<double>(x_.n[i]) * told[i] * conversion[l];
          b.add_if(mean > 0, seeds[l], Count{}, mean, to + i);
        }
      };
      if (x_.tells_negative[qo]) prospects(STEP_PROSPECTS_LOST, x_.told_negative, x_.negative_conversion, 0);
      if (x_.tells_positive[qo]) prospects(STEP_PROSPECTS_WON, x_.told_positive, x_.positive_conversion, QOL);
    }
  flow_.poisson(b);
  b.scatter(x_.prospects);
}

// Step 7: the values of the customers moved, and of the prospects lost and won where there can be any (a
// pooled slot's prospects, and their values, come at the end of the horizon).
template <class Flow>
void AggregateChain<Flow>::valuation(int t) {
  const std::size_t slots = n_slots();
  DrawBatch<Count>& b = x_.batch;
  const std::size_t QOL = x_.cell_size;
  b.clear();
  for (std::size_t q = 0; q < slots; ++q)
    for (int o = 0; o < N_OUTCOMES; ++o) {
      if ((x_.pooled[q] && !x_.split_periods) || !x_.reached[q * N_OUTCOMES + static_cast<std::size_t>(o)])
        continue;
      const auto ou = static_cast<std::uint32_t>(o);
      const std::size_t qo = q * N_OUTCOMES + static_cast<std::size_t>(o);
      const ValueDraw* value[BUNDLE];
      for (int l = 0; l < trials_; ++l)
        value[l] = &draw_[l]->segments[static_cast<std::size_t>(x_.segment_of[q])].value;
      // count[from + i] customers' values go to values[to + i].
      const auto sums = [&](std::uint32_t step, const std::vector<Count>& count, std::size_t from,
                            std::size_t to) {
        const Bundle<std::uint64_t> seeds =
            flow_.seeds(x_.key_of[q], step + ou, static_cast<std::uint32_t>(t));
        for (int l = 0; l < trials_; ++l) {
          const std::size_t i = cell_index(q, o) + static_cast<std::size_t>(l);
          b.add_if(count[from + i] > 0, seeds[l], count[from + i], 0, to + i, value[l]);
        }
      };
      sums(STEP_VALUE, x_.moved, 0, 0);
      if (x_.pooled[q]) continue;
      if (x_.tells_negative[qo]) sums(STEP_VALUE_PROSPECTS_LOST, x_.prospects, 0, QOL);
      if (x_.tells_positive[qo]) sums(STEP_VALUE_PROSPECTS_WON, x_.prospects, QOL, 2 * QOL);
    }
  flow_.value_sum(b);
  for (std::size_t i = 0; i < b.size(); ++i) x_.values[b.at[i]] = b.sum[i];
  if (!x_.split_periods) return;
  // The pooled slots' sums of values become this period's shares; their money comes at the end.
  double* share_now = &x_.share[static_cast<std::size_t>(t - 1) * 3 * QOL];
  for (std::size_t q = 0; q < slots; ++q) {
    if (!x_.pooled[q]) continue;
    for (std::size_t k = 0; k < 3; ++k)
      for (std::size_t j = k * QOL + cell_index(q, 0); j < k * QOL + cell_index(q + 1, 0); ++j) {
        share_now[j] = x_.values[j];
        x_.values[j] = 0.0;
      }
  }
  x_.periods_run = t;
}

// The period's results, into the sums in the chain's order (each sum receives its periods' values in turn),
// the trials side by side; and the customers lost and churned leave the base.
template <class Flow>
void AggregateChain<Flow>::book(int t) {
  const std::size_t slots = n_slots();
  for (int s = s0_; s < s1_; ++s)
    for (int l = 0; l < trials_; ++l) {
      const auto si = static_cast<std::size_t>(s);
      x_.factor[si][l] = draw_[l]->segments[si].factor[static_cast<std::size_t>(t - 1)];
    }
  for (std::size_t q = 0; q < slots; ++q)
    for (int o = 0; o < N_OUTCOMES; ++o)
      if (x_.reached[q * N_OUTCOMES + static_cast<std::size_t>(o)]) book_cell(q, o);
  for (int s = s0_; s < s1_; ++s) {
    const auto si = static_cast<std::size_t>(s);
    if (!x_.live[si]) continue;
    for (int l = 0; l < trials_; ++l) {
      if (period_cost_[l]) period_cost_[l][t - 1] += x_.cost_this_period[si][l];
      x_.active[si][l] -= x_.churned[si][l] + x_.lost_total[si][l];
    }
  }
}

// One cell's period into its sums. The complaints and customers lost are not summed: a trial's outcome and
// loyalty sign are the same every period, so they follow from the sums of the customers with problems and
// moved (see finish()). One short loop per sum, so that the compiler can vectorise each (one loop writing
// all of them through pointers that might alias each other stays scalar).
template <class Flow>
void AggregateChain<Flow>::book_cell(std::size_t q, int o) {
  const std::size_t QOL = x_.cell_size;
  const auto s = static_cast<std::size_t>(x_.segment_of[q]);
  double* acc = &x_.sums[(q * N_OUTCOMES + static_cast<std::size_t>(o)) * N_SUMS * BUNDLE];
  const auto at = [&](int sum) { return acc + static_cast<std::size_t>(sum) * BUNDLE; };
  double *with = at(SUM_WITH_PROBLEMS), *contact = at(SUM_CONTACTS), *escalation = at(SUM_ESCALATIONS),
         *handling = at(SUM_HANDLING_COST), *moved_sum = at(SUM_MOVED), *revenue_at = at(SUM_REVENUE),
         *lost = at(SUM_PROSPECTS_LOST), *won = at(SUM_PROSPECTS_WON), *wom_revenue = at(SUM_WOM_REVENUE);
  const Bundle<double>& f = x_.factor[s];
  Counts& gone_total = x_.lost_total[s];
  const std::size_t i0 = cell_index(q, o);
  const Count *count = &x_.n[i0], *moved_here = &x_.moved[i0], *lost_prospects = &x_.prospects[i0],
              *won_prospects = &x_.prospects[QOL + i0];
  const double *contacts_here = &x_.contacts_by[i0], *escalated_here = &x_.escalated_by[i0],
               *cost_here = &x_.cost_by[i0], *sign = &x_.loyalty[i0], *value = &x_.values[i0],
               *lost_value = &x_.values[QOL + i0], *won_value = &x_.values[2 * QOL + i0];
  Bundle<double> revenue, w;
  for (int l = 0; l < BUNDLE; ++l) {
    revenue[l] = as_lost(sign[l], f[l] * value[l]);
    w[l] = f[l] * lost_value[l] - f[l] * won_value[l];
  }
  for (int l = 0; l < BUNDLE; ++l) with[l] += static_cast<double>(count[l]);
  for (int l = 0; l < BUNDLE; ++l) contact[l] += contacts_here[l];
  for (int l = 0; l < BUNDLE; ++l) escalation[l] += escalated_here[l];
  for (int l = 0; l < BUNDLE; ++l) handling[l] += cost_here[l];
  for (int l = 0; l < BUNDLE; ++l) moved_sum[l] += static_cast<double>(moved_here[l]);
  for (int l = 0; l < BUNDLE; ++l) gone_total[l] += sign[l] > 0 ? moved_here[l] : Count{};
  for (int l = 0; l < BUNDLE; ++l) revenue_at[l] += revenue[l];
  for (int l = 0; l < BUNDLE; ++l) lost[l] += static_cast<double>(lost_prospects[l]);
  for (int l = 0; l < BUNDLE; ++l) won[l] += static_cast<double>(won_prospects[l]);
  for (int l = 0; l < BUNDLE; ++l) wom_revenue[l] += w[l];
  if (x_.keep_period_cost) {
    Bundle<double>& cost = x_.cost_this_period[s];
    for (int l = 0; l < BUNDLE; ++l) cost[l] += revenue[l] + w[l] + cost_here[l];
  }
}

// Values and word of mouth once for the horizon, for the pooled slots (every period has the same valuation
// factor there). Word of mouth does not change the base, so a cell's prospects lost (won) over the periods
// are one Poisson count of the periods' means summed (a sum of independent Poisson counts is Poisson), at its
// word-of-mouth step's stream of period 0 (the periods are 1..T). The values of a cell's customers moved and
// of its prospects lost and won over the periods are one sum of values each, at the value steps' streams of
// period 0. Where the periods' costs are kept, the sums split back into the periods by the periods' own sums
// of values (the chain's loop draws those of the customers moved, split_prospects those of the prospects).
template <class Flow>
void AggregateChain<Flow>::horizon() {
  const std::vector<PooledSum> pooled_sums = horizon_counts();
  if (x_.split_periods && x_.periods_run > 0) split_prospects(pooled_sums);
  horizon_values(pooled_sums);
  if (x_.split_periods) split_horizon(pooled_sums);
}

// The three counts of each pooled cell, [kind] cell arrays (customers moved, prospects lost, prospects won):
// the first from the sums over the periods, the prospects drawn here. Returns the cells' kinds with a count
// in some trial.
template <class Flow>
std::vector<PooledSum> AggregateChain<Flow>::horizon_counts() {
  const std::size_t slots = n_slots();
  const std::size_t QOL = x_.cell_size;
  const std::array<int, 3> count_sum{SUM_MOVED, SUM_PROSPECTS_LOST, SUM_PROSPECTS_WON};
  const std::array<std::uint32_t, 3> value_step{STEP_VALUE, STEP_VALUE_PROSPECTS_LOST,
                                                STEP_VALUE_PROSPECTS_WON};
  const std::array<std::uint32_t, 3> count_step{0, STEP_PROSPECTS_LOST,
                                                STEP_PROSPECTS_WON};  // the prospects'
  DrawBatch<Count>& b = x_.batch;
  std::vector<Count>& counts = x_.counts;
  counts.assign(3 * QOL, Count{});
  b.clear();
  for (std::size_t q = 0; q < slots; ++q) {
    if (!x_.pooled[q]) continue;
    for (int o = 0; o < N_OUTCOMES; ++o)
      for (std::size_t k = 1; k < 3; ++k) {
        const std::size_t m0 = (k - 1) * QOL + cell_index(q, o);
        bool any = false;
        for (int l = 0; l < trials_; ++l) any |= x_.told_horizon[m0 + static_cast<std::size_t>(l)] > 0;
        if (!any) continue;
        const Bundle<std::uint64_t> seeds =
            flow_.seeds(x_.key_of[q], count_step[k] + static_cast<std::uint32_t>(o), 0);
        for (int l = 0; l < trials_; ++l) {
          const std::size_t m = m0 + static_cast<std::size_t>(l);
          b.add_if(x_.told_horizon[m] > 0, seeds[l], Count{}, x_.told_horizon[m], QOL + m);
        }
      }
  }
  flow_.poisson(b);
  b.scatter(counts);
  std::vector<PooledSum> pooled_sums;
  for (std::size_t q = 0; q < slots; ++q) {
    if (!x_.pooled[q]) continue;
    for (int o = 0; o < N_OUTCOMES; ++o) {
      const std::size_t qo = q * N_OUTCOMES + static_cast<std::size_t>(o);
      for (std::size_t k = 0; k < 3; ++k) {
        const std::size_t i0 = k * QOL + cell_index(q, o);
        bool any = false;
        for (int l = 0; l < trials_; ++l) {
          double& sum = x_.sums[(qo * N_SUMS + static_cast<std::size_t>(count_sum[k])) * BUNDLE +
                                static_cast<std::size_t>(l)];
          Count& count = counts[i0 + static_cast<std::size_t>(l)];
          if (k == 0)
            count = static_cast<Count>(sum);
          else
            sum += static_cast<double>(count);
          any |= count != 0;
        }
        if (any) pooled_sums.push_back({q, qo, k, i0, value_step[k] + static_cast<std::uint32_t>(o)});
      }
    }
  }
  return pooled_sums;
}

// Where each period's cost is kept, the prospects' counts split into the periods, exactly: given their total,
// independent Poisson counts are multinomial with shares in proportion to their means, drawn as conditional
// binomials period by period at the word-of-mouth steps' streams of each period; then each period's sum of
// their values, the share of the horizon's sum (as the customers moved have theirs).
template <class Flow>
void AggregateChain<Flow>::split_prospects(const std::vector<PooledSum>& pooled_sums) {
  const std::size_t QOL = x_.cell_size, TR = static_cast<std::size_t>(x_.periods_run);
  const std::array<std::uint32_t, 3> count_step{0, STEP_PROSPECTS_LOST, STEP_PROSPECTS_WON};
  DrawBatch<Count>& b = x_.batch;
  x_.mean_after.assign(2 * QOL * TR, 0.0);  // [period][kind - 1] cell arrays: the means of periods t+1..
  x_.left.assign(2 * QOL, Count{});
  x_.now.assign(2 * QOL, Count{});
  for (const PooledSum& p : pooled_sums) {
    if (p.k == 0) continue;
    for (int l = 0; l < trials_; ++l) {
      const std::size_t m = p.i0 - QOL + static_cast<std::size_t>(l);
      x_.left[m] = x_.counts[p.i0 + static_cast<std::size_t>(l)];
      double after = 0;
      for (std::size_t t = TR; t-- > 0;) {
        x_.mean_after[t * 2 * QOL + m] = after;
        after += x_.told_period[t * 2 * QOL + m];
      }
    }
  }
  for (std::size_t t = 0; t < TR; ++t) {
    const auto period = static_cast<std::uint32_t>(t + 1);
    const double* mean_now = &x_.told_period[t * 2 * QOL];
    const double* mean_later = &x_.mean_after[t * 2 * QOL];
    // This period's prospects: a binomial share of those left, the last period all of them.
    b.clear();
    for (const PooledSum& p : pooled_sums) {
      if (p.k == 0) continue;
      const auto o = static_cast<std::uint32_t>(p.qo % N_OUTCOMES);
      const Bundle<std::uint64_t> seeds = flow_.seeds(x_.key_of[p.q], count_step[p.k] + o, period);
      for (int l = 0; l < trials_; ++l) {
        const std::size_t m = p.i0 - QOL + static_cast<std::size_t>(l);
        const double total = mean_now[m] + mean_later[m];
        x_.now[m] = t + 1 == TR ? x_.left[m] : 0;
        b.add_if(t + 1 < TR && x_.left[m] > 0 && mean_now[m] > 0, seeds[l], x_.left[m],
                 total > 0 ? mean_now[m] / total : 0.0, m);
      }
    }
    flow_.binomial(b);
    b.scatter(x_.now);
    // The sums of their values.
    b.clear();
    for (const PooledSum& p : pooled_sums) {
      if (p.k == 0) continue;
      const Bundle<std::uint64_t> seeds = flow_.seeds(x_.key_of[p.q], p.step, period);
      for (int l = 0; l < trials_; ++l) {
        const std::size_t m = p.i0 - QOL + static_cast<std::size_t>(l);
        x_.left[m] -= x_.now[m];
        b.add_if(x_.now[m] > 0, seeds[l], x_.now[m], 0, QOL + m,
                 &draw_[l]->segments[static_cast<std::size_t>(x_.segment_of[p.q])].value);
      }
    }
    flow_.value_sum(b);
    double* share_now = &x_.share[t * 3 * QOL];
    for (std::size_t i = 0; i < b.size(); ++i) share_now[b.at[i]] = b.sum[i];
  }
}

// The money of a pooled sum of values (trial l's) at the factor f: a customer moved is lost or saved by the
// sign of its loyalty, a prospect lost costs and a prospect won saves.
template <class Flow>
double AggregateChain<Flow>::money_of(const PooledSum& p, int l, double f, double value) const {
  return p.k == 0   ? as_lost(x_.loyalty[p.qo * BUNDLE + static_cast<std::size_t>(l)], f * value)
         : p.k == 1 ? f * value
                    : -(f * value);
}

// The horizon's sums of values, into the chain's sums as a period's values would be added.
template <class Flow>
void AggregateChain<Flow>::horizon_values(const std::vector<PooledSum>& pooled_sums) {
  DrawBatch<Count>& b = x_.batch;
  b.clear();
  for (const PooledSum& p : pooled_sums) {
    const Bundle<std::uint64_t> seeds = flow_.seeds(x_.key_of[p.q], p.step, 0);
    for (int l = 0; l < trials_; ++l) {
      const std::size_t j = p.i0 + static_cast<std::size_t>(l);
      x_.values[j] = 0.0;
      b.add_if(x_.counts[j] > 0, seeds[l], x_.counts[j], 0, j,
               &draw_[l]->segments[static_cast<std::size_t>(x_.segment_of[p.q])].value);
    }
  }
  flow_.value_sum(b);
  for (std::size_t m = 0; m < b.size(); ++m) x_.values[b.at[m]] = b.sum[m];
  for (const PooledSum& p : pooled_sums) {
    double* acc = &x_.sums[(p.qo * N_SUMS + (p.k == 0 ? SUM_REVENUE : SUM_WOM_REVENUE)) * BUNDLE];
    for (int l = 0; l < trials_; ++l)
      acc[l] += money_of(p, l, draw_[l]->segments[static_cast<std::size_t>(x_.segment_of[p.q])].factor[0],
                         x_.values[p.i0 + static_cast<std::size_t>(l)]);
  }
}

// Where each period's cost is kept, the horizon's sums split back into the periods, exactly: a gamma sum
// times independent Dirichlet shares is the periods' independent sums, and the shares are the periods' own
// sums of values (drawn each period at the value steps' streams of that period) over their total. Each
// period's part is valued like the whole; summed per trial and period, then into the costs.
template <class Flow>
void AggregateChain<Flow>::split_horizon(const std::vector<PooledSum>& pooled_sums) {
  const std::size_t QOL = x_.cell_size, T = static_cast<std::size_t>(periods_),
                    TR = static_cast<std::size_t>(x_.periods_run);
  x_.added.assign(static_cast<std::size_t>(BUNDLE) * T, 0.0);
  for (const PooledSum& p : pooled_sums)
    for (int l = 0; l < trials_; ++l) {
      const std::size_t j = p.i0 + static_cast<std::size_t>(l);
      if (x_.counts[j] == 0) continue;
      const double* y = &x_.share[j];  // y[t * 3 * QOL]: period t's
      double y_total = 0;
      for (std::size_t t = 0; t < TR; ++t) y_total += y[t * 3 * QOL];
      if (y_total == 0) continue;  // every value 0, and so is the horizon's sum
      const double per_share =
          money_of(p, l, draw_[l]->segments[static_cast<std::size_t>(x_.segment_of[p.q])].factor[0],
                   x_.values[j]) /
          y_total;
      double* to = &x_.added[static_cast<std::size_t>(l) * T];
      for (std::size_t t = 0; t < TR; ++t) to[t] += per_share * y[t * 3 * QOL];
    }
  for (int l = 0; l < trials_; ++l)
    if (period_cost_[l])
      for (std::size_t t = 0; t < TR; ++t)
        period_cost_[l][t] += x_.added[static_cast<std::size_t>(l) * T + t];
}

// The cells from the sums. A complaint is a customer with a problem whose outcome is not silent; a customer
// moved counts as lost, or as saved (negative), by the sign of its loyalty: the same values the per-period
// additions of these metrics would reach (sums of the same numbers, or their negations, from 0).
template <class Flow>
void AggregateChain<Flow>::finish() {
  const std::size_t slots = n_slots();
  const int P = model_.n_problems();
  for (std::size_t q = 0; q < slots; ++q)
    for (int o = 0; o < N_OUTCOMES; ++o) {
      const std::size_t qo = q * N_OUTCOMES + static_cast<std::size_t>(o);
      const double* acc = &x_.sums[qo * N_SUMS * BUNDLE];
      const auto sum = [&](int k, int l) {
        return acc[static_cast<std::size_t>(k) * BUNDLE + static_cast<std::size_t>(l)];
      };
      for (int l = 0; l < trials_; ++l) {
        const double with = sum(SUM_WITH_PROBLEMS, l), moved_sum = sum(SUM_MOVED, l);
        double* cell = cells_[l] + ((x_.segment_of[q] * P + x_.problem_of[q]) * N_OUTCOMES + o) * N_METRICS;
        cell[customers_with_problems] = with;
        cell[complaints] = o != static_cast<int>(Outcome::silent) ? with : 0.0;
        cell[contacts] = sum(SUM_CONTACTS, l);
        cell[escalations] = sum(SUM_ESCALATIONS, l);
        cell[customers_lost] = as_lost(x_.loyalty[qo * BUNDLE + static_cast<std::size_t>(l)], moved_sum);
        cell[revenue_lost] = sum(SUM_REVENUE, l);
        cell[wom_prospects_lost] = sum(SUM_PROSPECTS_LOST, l);
        cell[wom_prospects_won] = sum(SUM_PROSPECTS_WON, l);
        cell[wom_revenue_lost] = sum(SUM_WOM_REVENUE, l);
        cell[handling_cost] = sum(SUM_HANDLING_COST, l);
        cell[total_cost] = 0.0;
      }
    }
}

// The segments' chains are independent, and each draw has its own stream, so they may advance in blocks of
// segments, one block after another, with the same numbers (each period's cost still receives the segments'
// costs in segment order). A block holds whole segments, as many as fit in BLOCK_SLOTS slots (at least one):
// large enough for the samplers' batches, small enough that the chain's per-slot arrays stay in the cache
// when a scenario has thousands of slots.
constexpr std::size_t BLOCK_SLOTS = 128;

}  // namespace

template <class Flow>
void aggregate_chain(const Model& model, const Bundle<const TrialDraw*>& draw, int trials, const Flow& flow,
                     ChainState<typename Flow::Count>& state, const Bundle<double*>& cells,
                     const Bundle<double*>& period_cost) {
  AggregateChain<Flow> chain(model, draw, trials, flow, state, cells, period_cost);
  const int S = model.n_segments();
  for (int s0 = 0, s1; s0 < S; s0 = s1) {
    std::size_t slots = model.problems_of(s0).size();
    for (s1 = s0 + 1; s1 < S && slots + model.problems_of(s1).size() <= BLOCK_SLOTS; ++s1)
      slots += model.problems_of(s1).size();
    chain.block(s0, s1);
  }
}

template void aggregate_chain<RandomFlow>(const Model&, const Bundle<const TrialDraw*>&, int,
                                          const RandomFlow&, ChainState<std::int64_t>&,
                                          const Bundle<double*>&, const Bundle<double*>&);
template void aggregate_chain<ExpectedFlow>(const Model&, const Bundle<const TrialDraw*>&, int,
                                            const ExpectedFlow&, ChainState<double>&, const Bundle<double*>&,
                                            const Bundle<double*>&);

}  // namespace cxrisk
