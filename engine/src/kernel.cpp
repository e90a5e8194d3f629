// The two engines of MODEL.md section 2.
//
// `individual` follows every customer through every period, literally. `aggregate` moves counts through the
// same chain by exact thinning: a binomial split of a binomial count is binomial, the first-problem rule
// makes the problems of a period a multinomial (sequential conditional binomials), a sum of Poisson counts
// is Poisson (and a thinned Poisson is Poisson), and a sum of gamma values is gamma. Its cost per trial is
// O(segments x problems x periods), whatever the number of customers.
#include "kernel.h"

#include "lanes.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace cxrisk {

namespace {
// The trials the aggregate chain advances together (the samplers' kernels take LANES draws at a time from
// the flat batches the chain's stages make, whatever this is). 8 rather than 16: the same speed on one
// thread, and 5-6% more on two (2-core AMD EPYC, 20,000 trials of the benchmark), where the two threads'
// chains, each half the size, compete less for the cache. The numbers do not depend on it.
constexpr int CHAIN_LANES = 8;
template <class T>
using ChainLanes = std::array<T, CHAIN_LANES>;
// Step identifiers: the last part of a stream's address in the aggregate engine.
enum Step : std::uint32_t {
  STEP_CHURN = 0,
  STEP_INCIDENCE = 1,
  STEP_COMPLAINT = 2,
  STEP_TIER = 8,  // + 4 k + {0 resolved, 1 mollified, 2 escalate}
  STEP_LOYALTY = 64,
  STEP_WOM_LOST = 72,
  STEP_WOM_WON = 80,
  STEP_VALUE = 88,
  STEP_VALUE_WOM_LOST = 96,
  STEP_VALUE_WOM_WON = 104,
};

template <class T>
bool all_zero(const ChainLanes<T>& x, int lanes) {
  for (int l = 0; l < lanes; ++l)
    if (x[l] != 0) return false;
  return true;
}

// The sums the chain keeps for each [slot][outcome][lane] over the periods, from which the cells' metrics
// follow at the end.
enum Sum : int {
  SUM_WITH,
  SUM_CONTACTS,
  SUM_ESCALATIONS,
  SUM_HANDLING,
  SUM_MOVED,
  SUM_REVENUE,
  SUM_WOM_LOST,
  SUM_WOM_WON,
  SUM_WOM_REVENUE,
  N_SUMS
};

// The index of lane 0 of a slot's outcome in the chain's [slot][outcome][lane] arrays.
constexpr std::size_t cell_index(std::size_t q, int o) {
  return (q * N_OUTCOMES + static_cast<std::size_t>(o)) * CHAIN_LANES;
}

// A count or value of a cell's customers moved, as customers lost: as it is where the cell's loyalty (the
// chain's signed `loyalty`: the probability of defecting, or minus that of being saved) is positive, negated
// where it is negative (saved), 0 where no one moves. Negated from +0, so that no metric reads -0.
constexpr double as_lost(double loyalty, double x) {
  return loyalty < 0 ? 0.0 - x : loyalty > 0 ? x : 0.0;
}

// The draws of one stage of the chain, gathered so that they are made together: draw i has the stream seed[i]
// and its result goes to slot at[i] of the stage's destination ([problem][lane], or [kind][problem][outcome]
// [lane]). Only draws that can be non-zero are gathered (a zero count or mean draws zero).
template <class Count>
struct Stage {
  std::vector<std::uint64_t> seed;
  std::vector<Count> n;
  std::vector<double> x;  // probability or mean
  std::vector<const ValueDraw*> value;
  std::vector<Count> out;
  std::vector<double> sum;
  std::vector<std::uint32_t> at;
  std::size_t count = 0;

  // One more than the draws a stage can hold: add_if writes its entry before it knows whether it keeps it.
  explicit Stage(std::size_t capacity)
      : seed(capacity + 1),
        n(capacity + 1),
        x(capacity + 1),
        value(capacity + 1),
        out(capacity + 1),
        sum(capacity + 1),
        at(capacity + 1) {}
  void clear() { count = 0; }
  // Adds the draw when `keep` (a count or mean that can give a non-zero draw), without a branch: which
  // draws are kept follows the trials' numbers and is not predictable.
  void add_if(bool keep, std::uint64_t s, Count draws, double p, std::size_t slot,
              const ValueDraw* v = nullptr) {
    seed[count] = s;
    n[count] = draws;
    x[count] = p;
    value[count] = v;
    at[count] = static_cast<std::uint32_t>(slot);
    count += keep;
  }
  std::size_t size() const { return count; }
  // Writes the counts drawn to their slots of `dest`.
  template <class T>
  void scatter(std::vector<T>& dest) const {
    for (std::size_t i = 0; i < count; ++i) dest[at[i]] = out[i];
  }
};

// The aggregate chain, written once for two kinds of flow: RandomFlow draws the counts (the Monte Carlo
// engine) and ExpectedFlow moves their expectations (the closed form of `cxrisk expect`). Every step of the
// chain is linear in the counts, so the expected flows with parameters at their means are the exact
// expectation for fixed parameters.
//
// The chain advances up to CHAIN_LANES trials in lockstep, and it draws by stages: all the draws of a step
// that do not depend on each other (the complaints of every problem of a period, the loyalty of every problem
// and outcome, all word of mouth and all values) are gathered and made in one batch (lanes.h). A lane only
// ever touches its own trial's parameters, streams and results, and every draw has its own stream, so a
// trial's numbers do not depend on which trials share its batch or how the draws are grouped (and equal those
// of the trial run alone).
class RandomFlow {
 public:
  using Count = std::int64_t;
  // Draws the values of a segment that Model::pools_horizon allows once for the horizon.
  static constexpr bool POOLS = true;
  RandomFlow(std::uint64_t first_trial, int lanes) {
    for (int l = 0; l < lanes; ++l)
      trial_[l] = static_cast<std::uint32_t>(first_trial + static_cast<std::uint64_t>(l));
  }
  // The streams of one step of one cell in one period, one per lane's trial, as h + trial: a stage finishes
  // the seeds of all its draws together (mix_seeds).
  ChainLanes<std::uint64_t> seeds(std::uint64_t key, std::uint32_t step, std::uint32_t period) const {
    const std::uint64_t h = mix64(key ^ ((static_cast<std::uint64_t>(step) << 32) | period));
    ChainLanes<std::uint64_t> pre;
    for (int l = 0; l < CHAIN_LANES; ++l) pre[l] = h + trial_[l];
    return pre;
  }
  void binomial(Stage<Count>& st) const {
    mix_seeds(st.seed.data(), st.size());
    binomial_batch(st.size(), st.seed.data(), st.n.data(), st.x.data(), st.out.data());
  }
  void poisson(Stage<Count>& st) const {
    mix_seeds(st.seed.data(), st.size());
    poisson_batch(st.size(), st.seed.data(), st.x.data(), st.out.data());
  }
  void value_sum(Stage<Count>& st) const {
    mix_seeds(st.seed.data(), st.size());
    value_sum_batch(st.size(), st.seed.data(), st.value.data(), st.n.data(), st.sum.data());
  }

 private:
  ChainLanes<std::uint64_t> trial_{};
};

class ExpectedFlow {
 public:
  using Count = double;
  static constexpr bool POOLS = false;
  ChainLanes<std::uint64_t> seeds(std::uint64_t, std::uint32_t, std::uint32_t) const { return {}; }
  void binomial(Stage<Count>& st) const {
    for (std::size_t i = 0; i < st.size(); ++i) st.out[i] = st.n[i] * st.x[i];
  }
  void poisson(Stage<Count>& st) const { std::copy_n(st.x.begin(), st.size(), st.out.begin()); }
  void value_sum(Stage<Count>& st) const {
    for (std::size_t i = 0; i < st.size(); ++i) st.sum[i] = st.n[i] * st.value[i]->mean;
  }
};

// The pooled slots' word of mouth and values, once for the horizon (every period has the same valuation
// factor there). Word of mouth does not change the base, so a cell's prospects lost (won) over the periods
// are one Poisson count, of the periods' means summed (a sum of independent Poisson counts is Poisson), at
// its word-of-mouth step's stream of period 0 (the periods are 1..T). The values of a cell's customers moved
// and of its prospects lost and won over the periods are one sum of values each, at the value steps' streams
// of period 0. Into the chain's sums, and, where the periods' costs are kept, split back into the periods by
// the periods' own sums of values ([period][kind][slot][outcome][lane] in `share` for `periods_run`
// periods): the chain's loop draws those of the customers moved, and this function those of the prospects,
// once it has split their counts into the periods. In a function of its own, out of the chain's loop.
struct PooledSlots {
  const std::vector<int>& problem_of;
  const std::vector<int>& segment_of;
  const std::vector<std::uint64_t>& key_of;
  const std::vector<char>& pooled;
  const std::vector<double>& loyalty;  // signed, per [slot][outcome][lane]
  std::size_t QOL;
};
// The pooled slots' word-of-mouth means, per [kind - 1][slot][outcome][lane] (prospects lost, then won):
// summed over the periods, and, where the periods' costs are kept, each period's ([period] first).
struct PooledMeans {
  const std::vector<double>& horizon;
  const double* period;
};

[[gnu::noinline]] void pool_horizon(const PooledSlots& slots, const PooledMeans& told,
                                    const ChainLanes<const TrialDraw*>& draw, int lanes,
                                    const RandomFlow& flow, std::vector<double>& sums,
                                    std::vector<double>& values, Stage<std::int64_t>& st, double* share,
                                    std::size_t periods_run, int T, const ChainLanes<double*>& period_cost) {
  using Count = std::int64_t;
  const std::vector<int>& problem_of = slots.problem_of;
  const std::vector<int>& segment_of = slots.segment_of;
  const std::vector<std::uint64_t>& key_of = slots.key_of;
  const std::vector<char>& pooled = slots.pooled;
  const std::vector<double>& loyalty = slots.loyalty;
  const std::size_t QOL = slots.QOL;
  const bool split_periods = share != nullptr;
  const auto TQ = static_cast<std::size_t>(T), TR = periods_run;
  // The three counts of a cell, [kind][slot][outcome][lane] (customers moved, prospects lost, prospects
  // won): the first from the sums over the periods, the prospects drawn here; and the cells' kinds with a
  // count in some lane.
  const std::array<int, 3> count_sum{SUM_MOVED, SUM_WOM_LOST, SUM_WOM_WON};
  const std::array<std::uint32_t, 3> value_step{STEP_VALUE, STEP_VALUE_WOM_LOST, STEP_VALUE_WOM_WON};
  const std::array<std::uint32_t, 3> count_step{0, STEP_WOM_LOST, STEP_WOM_WON};  // the prospects' only
  struct PooledSum {
    std::size_t q, qo, k,
        i0;  // slot, [slot][outcome], kind, and lane 0's index in [kind][slot][outcome][lane]
    std::uint32_t step;
  };
  std::vector<Count> counts(3 * QOL);
  st.clear();
  for (std::size_t q = 0; q < problem_of.size(); ++q) {
    if (!pooled[q]) continue;
    for (int o = 0; o < N_OUTCOMES; ++o)
      for (std::size_t k = 1; k < 3; ++k) {
        const std::size_t m0 = (k - 1) * QOL + cell_index(q, o);
        bool any = false;
        for (int l = 0; l < lanes; ++l) any |= told.horizon[m0 + static_cast<std::size_t>(l)] > 0;
        if (!any) continue;
        const ChainLanes<std::uint64_t> seeds =
            flow.seeds(key_of[q], count_step[k] + static_cast<std::uint32_t>(o), 0);
        for (int l = 0; l < lanes; ++l) {
          const std::size_t m = m0 + static_cast<std::size_t>(l);
          st.add_if(told.horizon[m] > 0, seeds[l], Count{}, told.horizon[m], QOL + m);
        }
      }
  }
  flow.poisson(st);
  st.scatter(counts);
  std::vector<PooledSum> pooled_sums;
  for (std::size_t q = 0; q < problem_of.size(); ++q) {
    if (!pooled[q]) continue;
    for (int o = 0; o < N_OUTCOMES; ++o) {
      const std::size_t qo = q * N_OUTCOMES + static_cast<std::size_t>(o);
      for (std::size_t k = 0; k < 3; ++k) {
        const std::size_t i0 = k * QOL + cell_index(q, o);
        bool any = false;
        for (int l = 0; l < lanes; ++l) {
          double& sum = sums[(qo * N_SUMS + static_cast<std::size_t>(count_sum[k])) * CHAIN_LANES +
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
  // Where each period's cost is kept, the prospects' counts split into the periods, exactly: given their
  // total, independent Poisson counts are multinomial with shares in proportion to their means, drawn as
  // conditional binomials period by period at the word-of-mouth steps' streams of each period; then each
  // period's sum of their values, the share of the horizon's sum (as the customers moved have theirs).
  if (split_periods && TR > 0) {
    thread_local std::vector<double> mean_after;  // [period][kind - 1][slot][outcome][lane]: periods t+1..
    thread_local std::vector<Count> left, now;    // [kind - 1][slot][outcome][lane]
    mean_after.assign(2 * QOL * TR, 0.0);
    left.assign(2 * QOL, 0);
    now.assign(2 * QOL, 0);
    for (const PooledSum& p : pooled_sums) {
      if (p.k == 0) continue;
      for (int l = 0; l < lanes; ++l) {
        const std::size_t m = p.i0 - QOL + static_cast<std::size_t>(l);
        left[m] = counts[p.i0 + static_cast<std::size_t>(l)];
        double after = 0;
        for (std::size_t t = TR; t-- > 0;) {
          mean_after[t * 2 * QOL + m] = after;
          after += told.period[t * 2 * QOL + m];
        }
      }
    }
    for (std::size_t t = 0; t < TR; ++t) {
      const auto period = static_cast<std::uint32_t>(t + 1);
      const double* mean_now = &told.period[t * 2 * QOL];
      const double* mean_later = &mean_after[t * 2 * QOL];
      // This period's prospects: a binomial share of those left, the last period all of them.
      st.clear();
      for (const PooledSum& p : pooled_sums) {
        if (p.k == 0) continue;
        const auto o = static_cast<std::uint32_t>(p.qo % N_OUTCOMES);
        const ChainLanes<std::uint64_t> seeds = flow.seeds(key_of[p.q], count_step[p.k] + o, period);
        for (int l = 0; l < lanes; ++l) {
          const std::size_t m = p.i0 - QOL + static_cast<std::size_t>(l);
          const double total = mean_now[m] + mean_later[m];
          now[m] = t + 1 == TR ? left[m] : 0;
          st.add_if(t + 1 < TR && left[m] > 0 && mean_now[m] > 0, seeds[l], left[m],
                    total > 0 ? mean_now[m] / total : 0.0, m);
        }
      }
      flow.binomial(st);
      st.scatter(now);
      // The sums of their values.
      st.clear();
      for (const PooledSum& p : pooled_sums) {
        if (p.k == 0) continue;
        const ChainLanes<std::uint64_t> seeds = flow.seeds(key_of[p.q], p.step, period);
        for (int l = 0; l < lanes; ++l) {
          const std::size_t m = p.i0 - QOL + static_cast<std::size_t>(l);
          left[m] -= now[m];
          st.add_if(now[m] > 0, seeds[l], now[m], 0, QOL + m, &draw[l]->segments[segment_of[p.q]].value);
        }
      }
      flow.value_sum(st);
      double* share_now = &share[t * 3 * QOL];
      for (std::size_t i = 0; i < st.size(); ++i) share_now[st.at[i]] = st.sum[i];
    }
  }
  st.clear();
  for (const PooledSum& p : pooled_sums) {
    const ChainLanes<std::uint64_t> seeds = flow.seeds(key_of[p.q], p.step, 0);
    for (int l = 0; l < lanes; ++l) {
      const std::size_t j = p.i0 + static_cast<std::size_t>(l);
      values[j] = 0.0;
      st.add_if(counts[j] > 0, seeds[l], counts[j], 0, j, &draw[l]->segments[segment_of[p.q]].value);
    }
  }
  flow.value_sum(st);
  for (std::size_t m = 0; m < st.size(); ++m) values[st.at[m]] = st.sum[m];
  // The money of a sum of values j (lane l's) at the factor f: a customer moved is lost or saved by the
  // sign of its loyalty, a prospect lost costs and a prospect won saves.
  const auto money_of = [&](const PooledSum& p, int l, double f, double value) {
    return p.k == 0   ? as_lost(loyalty[p.qo * CHAIN_LANES + static_cast<std::size_t>(l)], f * value)
           : p.k == 1 ? f * value
                      : -(f * value);
  };
  // Into the sums, as a period's values would be added.
  for (const PooledSum& p : pooled_sums) {
    double* acc = &sums[(p.qo * N_SUMS + (p.k == 0 ? SUM_REVENUE : SUM_WOM_REVENUE)) * CHAIN_LANES];
    for (int l = 0; l < lanes; ++l)
      acc[l] += money_of(p, l, draw[l]->segments[segment_of[p.q]].factor[0],
                         values[p.i0 + static_cast<std::size_t>(l)]);
  }
  // Where each period's cost is kept, the sums split back into the periods, exactly: a gamma sum times
  // independent Dirichlet shares is the periods' independent sums, and the shares are the periods' own
  // sums of values (drawn each period at the value steps' streams of that period) over their total.
  if (split_periods) {
    // Each period's part, valued like the whole; summed per lane and period, then into the costs.
    thread_local std::vector<double> added;
    added.assign(static_cast<std::size_t>(CHAIN_LANES) * TQ, 0.0);
    for (const PooledSum& p : pooled_sums)
      for (int l = 0; l < lanes; ++l) {
        const std::size_t j = p.i0 + static_cast<std::size_t>(l);
        if (counts[j] == 0) continue;
        const double* y = &share[j];  // y[t * 3 * QOL]: period t's
        double y_total = 0;
        for (std::size_t t = 0; t < TR; ++t) y_total += y[t * 3 * QOL];
        if (y_total == 0) continue;  // every value 0, and so is the horizon's sum
        const double per_share =
            money_of(p, l, draw[l]->segments[segment_of[p.q]].factor[0], values[j]) / y_total;
        double* to = &added[static_cast<std::size_t>(l) * TQ];
        for (std::size_t t = 0; t < TR; ++t) to[t] += per_share * y[t * 3 * QOL];
      }
    for (int l = 0; l < lanes; ++l)
      if (period_cost[l])
        for (std::size_t t = 0; t < TR; ++t) period_cost[l][t] += added[static_cast<std::size_t>(l) * TQ + t];
  }
}

// The chain of segments [s0, s1), for all periods.
template <class Flow>
void chain_block(const Model& model, const ChainLanes<const TrialDraw*>& draw, int lanes, const Flow& flow,
                 const ChainLanes<double*>& cells, const ChainLanes<double*>& period_cost, int s0, int s1) {
  using Count = typename Flow::Count;
  using C = ChainLanes<Count>;
  const int T = model.n_periods(), P = model.n_problems(), S = model.n_segments();
  // The segments' chains are independent, so the block's segments advance together, period by period: a
  // "slot" q is one problem of one segment, segment by segment in each one's journey order.
  std::vector<int> segment_of, problem_of;
  std::vector<std::size_t> first_slot(static_cast<std::size_t>(S) + 1);
  std::vector<std::uint64_t> key_of;
  std::size_t longest = 0;
  for (int s = s0; s < s1; ++s) {
    first_slot[static_cast<std::size_t>(s)] = problem_of.size();
    for (int p : model.problems_of(s)) {
      segment_of.push_back(s);
      problem_of.push_back(p);
      key_of.push_back(model.cell_key(s, p));
    }
    longest = std::max(longest, model.problems_of(s).size());
  }
  first_slot[static_cast<std::size_t>(s1)] = problem_of.size();
  const std::size_t Q = std::max<std::size_t>(problem_of.size(), 1);
  // Per [slot][lane] and per [slot][outcome][lane].
  const std::size_t QL = Q * CHAIN_LANES, QOL = QL * N_OUTCOMES;
  const auto pd_of = [&](std::size_t q, int l) { return &draw[l]->problems[problem_of[q]]; };
  std::vector<Count> with_problem(QL), complained(QL), entering(QL), resolved(QL), rest(QL), mollified(QL),
      unresolved(QL), escalated(QL), n(QOL), moved(QOL), prospects(2 * QOL);
  std::vector<double> cumulative_cost(QL), contacts_by(QOL), cost_by(QOL), escalated_by(QOL), values(3 * QOL),
      loyalty(QOL), sums(QOL * N_SUMS);
  std::vector<C> active(static_cast<std::size_t>(S)), churned(active), remaining(active), lost_total(active);
  std::vector<ChainLanes<double>> cost_this_period(static_cast<std::size_t>(S)), factor(cost_this_period);
  bool keep_period_cost = false;
  for (int l = 0; l < lanes; ++l) keep_period_cost |= period_cost[l] != nullptr;
  std::vector<char> live(static_cast<std::size_t>(S)), reached(Q * N_OUTCOMES);
  Stage<Count> st(3 * QOL);
  std::size_t most_tiers = 0;
  for (std::size_t q = 0; q < problem_of.size(); ++q)
    most_tiers = std::max(most_tiers, pd_of(q, 0)->tiers.size());

  // The trials' parameters per [slot][lane] (per [slot][outcome][lane], per [tier][slot][lane]), gathered
  // once for all periods. The loyalty probability is signed: negative where it is a probability of being
  // saved (a loyalty ratio above 1), positive where it is one of being lost.
  std::vector<double> incidence(QL), complaint(QL), told_bad(QOL), told_good(QOL);
  std::vector<std::vector<double>> tier_resolved(most_tiers, std::vector<double>(QL)),
      tier_mollified(tier_resolved), tier_escalate(tier_resolved), tier_cost(tier_resolved);
  for (std::size_t q = 0; q < problem_of.size(); ++q)
    for (int l = 0; l < lanes; ++l) {
      const ProblemDraw& d = *pd_of(q, l);
      const std::size_t ql = q * CHAIN_LANES + static_cast<std::size_t>(l);
      incidence[ql] = d.incidence;
      complaint[ql] = d.complaint;
      for (std::size_t k = 0; k < d.tiers.size(); ++k) {
        tier_resolved[k][ql] = d.tiers[k].resolved;
        tier_mollified[k][ql] = d.tiers[k].mollified_rest;
        tier_escalate[k][ql] = d.tiers[k].escalate;
        tier_cost[k][ql] = d.tiers[k].cost;
      }
      for (int o = 0; o < N_OUTCOMES; ++o) {
        const std::size_t i = cell_index(q, o) + static_cast<std::size_t>(l);
        loyalty[i] = d.save[o] > 0 ? -d.save[o] : d.defect[o];
        told_bad[i] = d.told_bad[o];
        told_good[i] = d.told_good[o];
      }
    }
  ChainLanes<double> negative_conversion{}, positive_conversion{};
  for (int l = 0; l < lanes; ++l) {
    negative_conversion[l] = draw[l]->negative_conversion;
    positive_conversion[l] = draw[l]->positive_conversion;
  }
  // Per [slot][outcome]: whether any lane's customers there can tell of a loss (gain) that converts; most
  // outcomes have word of mouth one way only, and the stages skip the other way's draws and values.
  std::vector<char> tells_bad(Q * N_OUTCOMES), tells_good(Q * N_OUTCOMES);
  for (std::size_t qo = 0; qo < Q * N_OUTCOMES; ++qo)
    for (int l = 0; l < lanes; ++l) {
      const std::size_t i = qo * CHAIN_LANES + static_cast<std::size_t>(l);
      tells_bad[qo] |= told_bad[i] * negative_conversion[l] > 0;
      tells_good[qo] |= told_good[i] * positive_conversion[l] > 0;
    }
  std::vector<std::size_t> tiers_of(problem_of.size());
  for (std::size_t q = 0; q < problem_of.size(); ++q) tiers_of[q] = pd_of(q, 0)->tiers.size();
  // Per [slot]: whether its segment's values are drawn once for the whole horizon (Model::pools_horizon)
  // instead of once a period; the periods then only count the customers moved and the prospects. Where the
  // periods' costs are kept, the periods still draw their sums of values, as shares to split the horizon's
  // sums back into the periods (see the end).
  std::vector<char> pooled(Q);
  bool any_pooled = false;
  if constexpr (Flow::POOLS)
    for (std::size_t q = 0; q < problem_of.size(); ++q)
      any_pooled |= (pooled[q] = model.pools_horizon(segment_of[q])) != 0;
  const bool split_periods = any_pooled && keep_period_cost;
  // The pooled slots' sums of values of each period, [period][kind][slot][outcome][lane], for the periods
  // run (kept from call to call, as fresh pages would cost more than the work: a comparison makes them for
  // every eight trials).
  thread_local std::vector<double> share;
  if (split_periods) share.resize(3 * QOL * static_cast<std::size_t>(T));
  // The pooled slots' word-of-mouth means summed over the periods, [kind - 1][slot][outcome][lane] (prospects
  // lost, then won), and where the periods' costs are kept each period's, [period][kind - 1][slot][outcome]
  // [lane]: their counts are drawn once for the horizon (pool_horizon).
  std::vector<double> told_horizon(any_pooled ? 2 * QOL : 0);
  thread_local std::vector<double> told_period;
  if (split_periods) told_period.assign(2 * QOL * static_cast<std::size_t>(T), 0.0);
  int periods_run = 0;

  for (int s = s0; s < s1; ++s)
    for (int l = 0; l < lanes; ++l) active[s][l] = static_cast<Count>(draw[l]->segments[s].customers);
  for (int t = 1; t <= T; ++t) {
    const auto period = static_cast<std::uint32_t>(t);
    bool any_live = false;
    for (int s = s0; s < s1; ++s) any_live |= (live[s] = !all_zero(active[s], lanes)) != 0;
    if (!any_live) break;
    st.clear();
    for (int s = s0; s < s1; ++s) {
      cost_this_period[s] = {};
      churned[s] = remaining[s] = lost_total[s] = C{};
      if (!live[s]) continue;
      const ChainLanes<std::uint64_t> seeds = flow.seeds(model.segment_key(s), STEP_CHURN, period);
      for (int l = 0; l < lanes; ++l)
        st.add_if(active[s][l] > 0, seeds[l], active[s][l], draw[l]->segments[s].churn,
                  static_cast<std::size_t>(s) * CHAIN_LANES + l);
    }
    flow.binomial(st);
    for (std::size_t i = 0; i < st.size(); ++i)
      churned[st.at[i] / CHAIN_LANES][st.at[i] % CHAIN_LANES] = st.out[i];
    for (int s = s0; s < s1; ++s)
      for (int l = 0; l < lanes; ++l) remaining[s][l] = active[s][l] - churned[s][l];

    // Incidence: the first-problem rule makes the problems of a period sequential conditional binomials; the
    // j-th problems of all segments are drawn together.
    std::fill(with_problem.begin(), with_problem.end(), Count{});
    for (std::size_t j = 0; j < longest; ++j) {
      st.clear();
      for (int s = s0; s < s1; ++s) {
        const std::size_t q = first_slot[static_cast<std::size_t>(s)] + j;
        if (!live[s] || q >= first_slot[static_cast<std::size_t>(s) + 1] || all_zero(remaining[s], lanes))
          continue;
        const ChainLanes<std::uint64_t> seeds = flow.seeds(key_of[q], STEP_INCIDENCE, period);
        for (int l = 0; l < lanes; ++l)
          st.add_if(remaining[s][l] > 0, seeds[l], remaining[s][l], incidence[q * CHAIN_LANES + l],
                    q * CHAIN_LANES + l);
      }
      if (st.size() == 0) continue;
      flow.binomial(st);
      for (std::size_t i = 0; i < st.size(); ++i) {
        with_problem[st.at[i]] = st.out[i];
        remaining[segment_of[st.at[i] / CHAIN_LANES]][st.at[i] % CHAIN_LANES] -= st.out[i];
      }
    }

    // Voice, for every problem at once.
    std::fill(complained.begin(), complained.end(), Count{});
    st.clear();
    for (std::size_t q = 0; q < problem_of.size(); ++q) {
      if (!live[segment_of[q]]) continue;
      const ChainLanes<std::uint64_t> seeds = flow.seeds(key_of[q], STEP_COMPLAINT, period);
      for (int l = 0; l < lanes; ++l) {
        const Count count = with_problem[q * CHAIN_LANES + l];
        st.add_if(count > 0, seeds[l], count, complaint[q * CHAIN_LANES + l], q * CHAIN_LANES + l);
      }
    }
    flow.binomial(st);
    st.scatter(complained);

    // Handling tiers, tier by tier for every problem at once: every tier a complaint reaches is one contact
    // and costs that tier's cost.
    std::fill(n.begin(), n.end(), Count{});
    std::fill(contacts_by.begin(), contacts_by.end(), 0.0);
    std::fill(cost_by.begin(), cost_by.end(), 0.0);
    std::fill(escalated_by.begin(), escalated_by.end(), 0.0);
    std::fill(cumulative_cost.begin(), cumulative_cost.end(), 0.0);
    for (std::size_t q = 0; q < problem_of.size(); ++q)
      for (int l = 0; l < lanes; ++l) {
        const std::size_t ql = q * CHAIN_LANES + static_cast<std::size_t>(l);
        n[cell_index(q, 0) + static_cast<std::size_t>(l)] = with_problem[ql] - complained[ql];
        entering[ql] = complained[ql];
      }
    // One stage of binomial splits over the problems whose tier k takes the step (the escalation only
    // where a tier follows): count(q, l) splits with probability prob(q, l); the results go to `dest`.
    const auto split = [&](std::size_t k, bool last_tier_too, std::uint32_t step,
                           const std::vector<Count>& count, const std::vector<double>& prob,
                           std::vector<Count>& dest) {
      std::fill(dest.begin(), dest.end(), Count{});
      st.clear();
      for (std::size_t q = 0; q < problem_of.size(); ++q) {
        const std::size_t tiers = tiers_of[q];
        if (!live[segment_of[q]] || k >= tiers || (!last_tier_too && k + 1 == tiers)) continue;
        const ChainLanes<std::uint64_t> seeds = flow.seeds(key_of[q], step, period);
        for (int l = 0; l < lanes; ++l) {
          const std::size_t ql = q * CHAIN_LANES + static_cast<std::size_t>(l);
          st.add_if(count[ql] > 0, seeds[l], count[ql], prob[ql], ql);
        }
      }
      flow.binomial(st);
      st.scatter(dest);
    };
    for (std::size_t k = 0; k < most_tiers; ++k) {
      const auto base = static_cast<std::uint32_t>(STEP_TIER + 4 * k);
      split(k, true, base, entering, tier_resolved[k], resolved);
      for (std::size_t i = 0; i < QL; ++i) rest[i] = entering[i] - resolved[i];
      split(k, true, base + 1, rest, tier_mollified[k], mollified);
      for (std::size_t i = 0; i < QL; ++i) unresolved[i] = rest[i] - mollified[i];
      split(k, false, base + 2, unresolved, tier_escalate[k], escalated);
      const int resolved_as = k == 0 ? static_cast<int>(Outcome::quick) : static_cast<int>(Outcome::resolved);
      for (std::size_t q = 0; q < problem_of.size(); ++q) {
        const std::size_t tiers = tiers_of[q];
        if (k >= tiers) continue;
        const bool last_of_several = k + 1 == tiers && tiers > 1;
        for (int l = 0; l < lanes; ++l) {
          const std::size_t ql = q * CHAIN_LANES + static_cast<std::size_t>(l);
          cumulative_cost[ql] += tier_cost[k][ql];
          const std::array<std::pair<int, Count>, 3> ends{
              {{resolved_as, resolved[ql]},
               {static_cast<int>(Outcome::mollified), mollified[ql]},
               {static_cast<int>(Outcome::unresolved), unresolved[ql] - escalated[ql]}}};
          for (auto [o, count] : ends) {
            const auto c = static_cast<double>(count);
            const std::size_t i = cell_index(q, o) + static_cast<std::size_t>(l);
            n[i] += count;
            contacts_by[i] += c * static_cast<double>(k + 1);
            cost_by[i] += c * cumulative_cost[ql];
            if (last_of_several) escalated_by[i] += c;
          }
          entering[ql] = escalated[ql];
        }
      }
    }

    // Loyalty, word of mouth and values, for every problem and outcome at once. Loyalty: lost with
    // probability 1 - r, or saved with probability min(1, r - 1); one stream serves either, as a trial's
    // loyalty ratio decides which applies. Word of mouth: each customer tells Poisson(told) people, each
    // converted with probability q; a sum of thinned Poisson counts is Poisson(n told q).
    // Per [slot][outcome]: whether any lane has customers there (the stages and the results skip the rest).
    for (std::size_t qo = 0; qo < problem_of.size() * N_OUTCOMES; ++qo) {
      reached[qo] = 0;
      for (int l = 0; l < lanes; ++l) reached[qo] |= n[qo * CHAIN_LANES + static_cast<std::size_t>(l)] != 0;
    }
    std::fill(moved.begin(), moved.end(), Count{});
    std::fill(prospects.begin(), prospects.end(), Count{});
    std::fill(values.begin(), values.end(), 0.0);
    st.clear();
    for (std::size_t q = 0; q < problem_of.size(); ++q)
      for (int o = 0; o < N_OUTCOMES; ++o) {
        if (!reached[q * N_OUTCOMES + static_cast<std::size_t>(o)]) continue;
        const ChainLanes<std::uint64_t> seeds =
            flow.seeds(key_of[q], STEP_LOYALTY + static_cast<std::uint32_t>(o), period);
        for (int l = 0; l < lanes; ++l) {
          const std::size_t i = cell_index(q, o) + static_cast<std::size_t>(l);
          st.add_if(n[i] > 0, seeds[l], n[i], std::abs(loyalty[i]), i);
        }
      }
    flow.binomial(st);
    st.scatter(moved);
    st.clear();
    for (std::size_t q = 0; q < problem_of.size(); ++q)
      for (int o = 0; o < N_OUTCOMES; ++o) {
        if (!reached[q * N_OUTCOMES + static_cast<std::size_t>(o)]) continue;
        const auto ou = static_cast<std::uint32_t>(o);
        const std::size_t qo = q * N_OUTCOMES + static_cast<std::size_t>(o);
        // The prospects lost (won), where there can be any: Poisson(n told q), to prospects[to + i]; in a
        // pooled slot the mean is kept for the horizon's draw instead.
        const auto stage = [&](std::uint32_t step, const std::vector<double>& told,
                               const ChainLanes<double>& conversion, std::size_t to) {
          if (pooled[q]) {
            double* now = split_periods ? &told_period[static_cast<std::size_t>(t - 1) * 2 * QOL] : nullptr;
            for (int l = 0; l < lanes; ++l) {
              const std::size_t i = cell_index(q, o) + static_cast<std::size_t>(l);
              const double mean = static_cast<double>(n[i]) * told[i] * conversion[l];
              told_horizon[to + i] += mean;
              if (now) now[to + i] = mean;
            }
            return;
          }
          const ChainLanes<std::uint64_t> seeds = flow.seeds(key_of[q], step + ou, period);
          for (int l = 0; l < lanes; ++l) {
            const std::size_t i = cell_index(q, o) + static_cast<std::size_t>(l);
            const double mean = static_cast<double>(n[i]) * told[i] * conversion[l];
            st.add_if(mean > 0, seeds[l], Count{}, mean, to + i);
          }
        };
        if (tells_bad[qo]) stage(STEP_WOM_LOST, told_bad, negative_conversion, 0);
        if (tells_good[qo]) stage(STEP_WOM_WON, told_good, positive_conversion, QOL);
      }
    flow.poisson(st);
    st.scatter(prospects);
    st.clear();
    for (std::size_t q = 0; q < problem_of.size(); ++q)
      for (int o = 0; o < N_OUTCOMES; ++o) {
        if ((pooled[q] && !split_periods) || !reached[q * N_OUTCOMES + static_cast<std::size_t>(o)]) continue;
        const auto ou = static_cast<std::uint32_t>(o);
        const std::size_t qo = q * N_OUTCOMES + static_cast<std::size_t>(o);
        // The values of the customers moved, and of the prospects lost and won where there can be any.
        // count[from + i] customers' values go to values[to + i].
        const auto stage = [&](std::uint32_t step, const std::vector<Count>& count, std::size_t from,
                               std::size_t to) {
          const ChainLanes<std::uint64_t> seeds = flow.seeds(key_of[q], step + ou, period);
          for (int l = 0; l < lanes; ++l) {
            const std::size_t i = cell_index(q, o) + static_cast<std::size_t>(l);
            st.add_if(count[from + i] > 0, seeds[l], count[from + i], 0, to + i,
                      &draw[l]->segments[segment_of[q]].value);
          }
        };
        stage(STEP_VALUE, moved, 0, 0);
        if (pooled[q]) continue;  // the prospects of the horizon, and their values, come at the end
        if (tells_bad[qo]) stage(STEP_VALUE_WOM_LOST, prospects, 0, QOL);
        if (tells_good[qo]) stage(STEP_VALUE_WOM_WON, prospects, QOL, 2 * QOL);
      }
    flow.value_sum(st);
    for (std::size_t i = 0; i < st.size(); ++i) values[st.at[i]] = st.sum[i];
    if (split_periods) {
      // The pooled slots' sums of values become this period's shares; their money comes at the end.
      double* share_now = &share[static_cast<std::size_t>(t - 1) * 3 * QOL];
      for (std::size_t q = 0; q < problem_of.size(); ++q) {
        if (!pooled[q]) continue;
        for (std::size_t k = 0; k < 3; ++k)
          for (std::size_t j = k * QOL + cell_index(q, 0); j < k * QOL + cell_index(q + 1, 0); ++j) {
            share_now[j] = values[j];
            values[j] = 0.0;
          }
      }
      periods_run = t;
    }

    // The results, into the accumulators in the chain's order (each accumulator receives its periods' values
    // in turn, as the cells would), the lanes side by side. The complaints and customers lost are not summed:
    // a trial's outcome and loyalty sign are the same every period, so they follow from the sums of the
    // customers with problems and moved (see the end).
    for (int s = s0; s < s1; ++s)
      for (int l = 0; l < lanes; ++l) factor[s][l] = draw[l]->segments[s].factor[t - 1];
    for (std::size_t q = 0; q < problem_of.size(); ++q) {
      const int s = segment_of[q];
      for (int o = 0; o < N_OUTCOMES; ++o) {
        if (!reached[q * N_OUTCOMES + static_cast<std::size_t>(o)]) continue;
        double* acc = &sums[(q * N_OUTCOMES + static_cast<std::size_t>(o)) * N_SUMS * CHAIN_LANES];
        const auto at = [&](int sum) { return acc + static_cast<std::size_t>(sum) * CHAIN_LANES; };
        double *with = at(SUM_WITH), *contact = at(SUM_CONTACTS), *escalation = at(SUM_ESCALATIONS),
               *handling = at(SUM_HANDLING), *moved_sum = at(SUM_MOVED), *revenue_at = at(SUM_REVENUE),
               *wom_lost = at(SUM_WOM_LOST), *wom_won = at(SUM_WOM_WON), *wom_revenue = at(SUM_WOM_REVENUE);
        const ChainLanes<double>& f = factor[s];
        C& gone_total = lost_total[s];
        // One short loop per accumulator, so that the compiler can vectorise each (one loop writing all of
        // them through pointers that might alias each other stays scalar); each accumulator still receives
        // one addition a period, of the same value.
        const std::size_t i0 = cell_index(q, o);
        const Count *count = &n[i0], *moved_here = &moved[i0], *lost_prospects = &prospects[i0],
                    *won_prospects = &prospects[QOL + i0];
        const double *contacts_here = &contacts_by[i0], *escalated_here = &escalated_by[i0],
                     *cost_here = &cost_by[i0], *sign = &loyalty[i0], *value = &values[i0],
                     *lost_value = &values[QOL + i0], *won_value = &values[2 * QOL + i0];
        ChainLanes<double> revenue, w;
        for (int l = 0; l < CHAIN_LANES; ++l) {
          revenue[l] = as_lost(sign[l], f[l] * value[l]);
          w[l] = f[l] * lost_value[l] - f[l] * won_value[l];
        }
        for (int l = 0; l < CHAIN_LANES; ++l) with[l] += static_cast<double>(count[l]);
        for (int l = 0; l < CHAIN_LANES; ++l) contact[l] += contacts_here[l];
        for (int l = 0; l < CHAIN_LANES; ++l) escalation[l] += escalated_here[l];
        for (int l = 0; l < CHAIN_LANES; ++l) handling[l] += cost_here[l];
        for (int l = 0; l < CHAIN_LANES; ++l) moved_sum[l] += static_cast<double>(moved_here[l]);
        for (int l = 0; l < CHAIN_LANES; ++l) gone_total[l] += sign[l] > 0 ? moved_here[l] : Count{};
        for (int l = 0; l < CHAIN_LANES; ++l) revenue_at[l] += revenue[l];
        for (int l = 0; l < CHAIN_LANES; ++l) wom_lost[l] += static_cast<double>(lost_prospects[l]);
        for (int l = 0; l < CHAIN_LANES; ++l) wom_won[l] += static_cast<double>(won_prospects[l]);
        for (int l = 0; l < CHAIN_LANES; ++l) wom_revenue[l] += w[l];
        if (keep_period_cost) {
          ChainLanes<double>& cost = cost_this_period[s];
          for (int l = 0; l < CHAIN_LANES; ++l) cost[l] += revenue[l] + w[l] + cost_here[l];
        }
      }
    }
    for (int s = s0; s < s1; ++s) {
      if (!live[s]) continue;
      for (int l = 0; l < lanes; ++l) {
        if (period_cost[l]) period_cost[l][t - 1] += cost_this_period[s][l];
        active[s][l] -= churned[s][l] + lost_total[s][l];
      }
    }
  }
  if constexpr (Flow::POOLS) {
    if (any_pooled)
      pool_horizon({problem_of, segment_of, key_of, pooled, loyalty, QOL},
                   {told_horizon, split_periods ? told_period.data() : nullptr}, draw, lanes, flow, sums,
                   values, st, split_periods ? share.data() : nullptr, static_cast<std::size_t>(periods_run),
                   T, period_cost);
  }
  // The cells from the sums. A complaint is a customer with a problem whose outcome is not silent; a
  // customer moved counts as lost, or as saved (negative), by the sign of its loyalty: the same values the
  // per-period additions of these metrics would reach (sums of the same numbers, or their negations, from 0).
  for (std::size_t q = 0; q < problem_of.size(); ++q)
    for (int o = 0; o < N_OUTCOMES; ++o) {
      const std::size_t qo = q * N_OUTCOMES + static_cast<std::size_t>(o);
      const double* acc = &sums[qo * N_SUMS * CHAIN_LANES];
      const auto sum = [&](int k, int l) { return acc[static_cast<std::size_t>(k) * CHAIN_LANES + l]; };
      for (int l = 0; l < lanes; ++l) {
        const double with = sum(SUM_WITH, l), moved_sum = sum(SUM_MOVED, l);
        double* cell = cells[l] + ((segment_of[q] * P + problem_of[q]) * N_OUTCOMES + o) * N_METRICS;
        cell[customers_with_problems] = with;
        cell[complaints] = o != static_cast<int>(Outcome::silent) ? with : 0.0;
        cell[contacts] = sum(SUM_CONTACTS, l);
        cell[escalations] = sum(SUM_ESCALATIONS, l);
        cell[customers_lost] = as_lost(loyalty[qo * CHAIN_LANES + static_cast<std::size_t>(l)], moved_sum);
        cell[revenue_lost] = sum(SUM_REVENUE, l);
        cell[wom_prospects_lost] = sum(SUM_WOM_LOST, l);
        cell[wom_prospects_won] = sum(SUM_WOM_WON, l);
        cell[wom_revenue_lost] = sum(SUM_WOM_REVENUE, l);
        cell[handling_cost] = sum(SUM_HANDLING, l);
        cell[total_cost] = 0.0;
      }
    }
}

// The aggregate chain of every segment. The segments' chains are independent, and each draw has its own
// stream, so they may advance in blocks of segments, one block after another, with the same numbers (each
// period's cost still receives the segments' costs in segment order). A block holds whole segments, as many
// as fit in BLOCK_SLOTS slots (at least one): large enough for the samplers' batches, small enough that the
// chain's per-slot arrays stay in the cache when a scenario has thousands of slots.
constexpr std::size_t BLOCK_SLOTS = 128;

template <class Flow>
void aggregate_chain(const Model& model, const ChainLanes<const TrialDraw*>& draw, int lanes,
                     const Flow& flow, const ChainLanes<double*>& cells,
                     const ChainLanes<double*>& period_cost) {
  const int S = model.n_segments();
  for (int s0 = 0, s1; s0 < S; s0 = s1) {
    std::size_t slots = model.problems_of(s0).size();
    for (s1 = s0 + 1; s1 < S && slots + model.problems_of(s1).size() <= BLOCK_SLOTS; ++s1)
      slots += model.problems_of(s1).size();
    chain_block(model, draw, lanes, flow, cells, period_cost, s0, s1);
  }
}

}  // namespace

void expected_cells(const Model& model, const TrialDraw& draw, double* cells, double* period_cost) {
  aggregate_chain(model, ChainLanes<const TrialDraw*>{&draw}, 1, ExpectedFlow(), ChainLanes<double*>{cells},
                  ChainLanes<double*>{period_cost});
}

TrialRunner::TrialRunner(const Model& model, Mode mode)
    : model_(model),
      mode_(mode),
      draws_(CHAIN_LANES),
      cells_(static_cast<std::size_t>(model.n_cells()) * CHAIN_LANES) {}

void TrialRunner::run(std::uint64_t first_trial, int count, double* rows, double* period_costs,
                      std::size_t period_stride) {
  const auto n_series = static_cast<std::size_t>(model_.layout().n_series());
  const auto T = static_cast<std::size_t>(model_.n_periods());
  const auto n_cells = static_cast<std::size_t>(model_.n_cells());
  for (int done = 0; done < count; done += CHAIN_LANES) {
    const int lanes = std::min(CHAIN_LANES, count - done);
    // The aggregate chain sets every cell of a problem that applies to its segment, and never touches the
    // others (zero since the table was made); the individual engine adds into the cells.
    if (mode_ == Mode::individual)
      std::fill(cells_.begin(),
                cells_.begin() + static_cast<std::ptrdiff_t>(n_cells * static_cast<std::size_t>(lanes)), 0.0);
    ChainLanes<const TrialDraw*> draws{};
    ChainLanes<double*> cells{}, pcost{};
    for (int l = 0; l < lanes; ++l) {
      const std::uint64_t trial = first_trial + static_cast<std::uint64_t>(done + l);
      model_.draw(trial, draws_[l]);
      draws[l] = &draws_[l];
      cells[l] = cells_.data() + static_cast<std::size_t>(l) * n_cells;
      pcost[l] = period_costs ? period_costs + static_cast<std::size_t>(done + l) * period_stride : nullptr;
      if (pcost[l]) std::fill(pcost[l], pcost[l] + T, 0.0);
    }
    if (mode_ == Mode::aggregate) {
      aggregate_chain(model_, draws, lanes, RandomFlow(first_trial + static_cast<std::uint64_t>(done), lanes),
                      cells, pcost);
    } else {
      for (int l = 0; l < lanes; ++l)
        individual(static_cast<std::uint32_t>(first_trial + static_cast<std::uint64_t>(done + l)), draws_[l],
                   cells[l], pcost[l]);
    }
    for (int l = 0; l < lanes; ++l) {
      model_.marginalize(cells[l], rows + static_cast<std::size_t>(done + l) * n_series);
      if (after_trial_) after_trial_(first_trial + static_cast<std::uint64_t>(done + l), draws_[l]);
    }
  }
}

void TrialRunner::individual(std::uint32_t trial, const TrialDraw& draw, double* cells,
                             double* period_cost) const {
  const int T = model_.n_periods(), P = model_.n_problems();
  const double q_lost = draw.negative_conversion, q_won = draw.positive_conversion;
  for (int s = 0; s < model_.n_segments(); ++s) {
    const SegmentDraw& seg = draw.segments[s];
    const ValueDraw& value = seg.value;
    const auto customers = static_cast<std::int64_t>(seg.customers);
    const std::vector<int>& problems = model_.problems_of(s);
    for (std::int64_t i = 0; i < customers; ++i) {
      for (int t = 1; t <= T; ++t) {
        // One stream per customer and period.
        Stream st(model_.individual_key(s),
                  (static_cast<std::uint64_t>(t) << 32) | static_cast<std::uint64_t>(i), trial);
        // 1. Unrelated churn first.
        if (st.uniform() < seg.churn) break;
        // 2. The first problem of the journey that happens.
        int p = -1;
        for (int candidate : problems)
          if (st.uniform() < draw.problems[candidate].incidence) {
            p = candidate;
            break;
          }
        if (p < 0) continue;
        const ProblemDraw& pd = draw.problems[p];
        // 3-4. Voice and handling tiers.
        Outcome outcome = Outcome::silent;
        double contacts_here = 0, cost_here = 0, escalated = 0;
        if (st.uniform() < pd.complaint) {
          const int tiers = static_cast<int>(pd.tiers.size());
          for (int k = 0; k < tiers; ++k) {
            const TierDraw& tier = pd.tiers[k];
            contacts_here += 1;
            cost_here += tier.cost;
            if (k + 1 == tiers && tiers > 1) escalated = 1;
            const double u = st.uniform();
            if (u < tier.resolved) {
              outcome = k == 0 ? Outcome::quick : Outcome::resolved;
              break;
            }
            if (u < tier.resolved + (1 - tier.resolved) * tier.mollified_rest) {
              outcome = Outcome::mollified;
              break;
            }
            outcome = Outcome::unresolved;
            if (k + 1 == tiers || !(st.uniform() < tier.escalate)) break;
          }
        }
        const int o = static_cast<int>(outcome);
        const double factor = seg.factor[t - 1];
        double* c = cells + ((s * P + p) * N_OUTCOMES + o) * N_METRICS;
        c[customers_with_problems] += 1;
        if (outcome != Outcome::silent) c[complaints] += 1;
        c[contacts] += contacts_here;
        c[escalations] += escalated;
        c[handling_cost] += cost_here;
        // 5. Loyalty.
        bool gone = false;
        double revenue = 0;
        const double u = st.uniform();
        if (pd.save[o] > 0) {
          if (u < pd.save[o]) {
            c[customers_lost] -= 1;
            revenue = -factor * value.one(st);
          }
        } else if (u < pd.defect[o]) {
          gone = true;
          c[customers_lost] += 1;
          revenue = factor * value.one(st);
        }
        c[revenue_lost] += revenue;
        // 6. Word of mouth: each person told is a prospect lost (won) with the conversion probability.
        double wom = 0;
        const std::int64_t lost_prospects = draw_binomial(st, draw_poisson(st, pd.told_bad[o]), q_lost);
        for (std::int64_t k = 0; k < lost_prospects; ++k) wom += factor * value.one(st);
        const std::int64_t won_prospects = draw_binomial(st, draw_poisson(st, pd.told_good[o]), q_won);
        for (std::int64_t k = 0; k < won_prospects; ++k) wom -= factor * value.one(st);
        c[wom_prospects_lost] += static_cast<double>(lost_prospects);
        c[wom_prospects_won] += static_cast<double>(won_prospects);
        c[wom_revenue_lost] += wom;
        if (period_cost) period_cost[t - 1] += revenue + wom + cost_here;
        if (gone) break;
      }
    }
  }
}

}  // namespace cxrisk
