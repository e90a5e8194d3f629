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
#include <cmath>

namespace cxrisk {

namespace {
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

// The aggregate chain, written once for two kinds of flow: RandomFlow draws the counts (the Monte Carlo
// engine) and ExpectedFlow moves their expectations (the closed form of `cxrisk expect`). Every step of the
// chain is linear in the counts, so the expected flows with parameters at their means are the exact
// expectation for fixed parameters.
//
// The chain advances up to LANES trials in lockstep. A lane only ever touches its own trial's parameters,
// streams and results, so a trial's numbers do not depend on which trials share its batch (and equal those of
// the trial run alone); sharing the steps lets the draws of all lanes be made together (lanes.h).
template <class T>
bool all_zero(const Lanes<T>& x, int lanes) {
  for (int l = 0; l < lanes; ++l)
    if (x[l] != 0) return false;
  return true;
}

class RandomFlow {
 public:
  using Count = std::int64_t;
  RandomFlow(std::uint64_t first_trial, int lanes) {
    for (int l = 0; l < lanes; ++l)
      trial_[l] = static_cast<std::uint32_t>(first_trial + static_cast<std::uint64_t>(l));
  }
  void binomial(std::uint64_t key, std::uint32_t step, std::uint32_t period, const Lanes<Count>& n,
                const Lanes<double>& p, Lanes<Count>& out, int lanes) const {
    binomial_lanes(streams(key, step, period), n, p, out, lanes);
  }
  void poisson(std::uint64_t key, std::uint32_t step, std::uint32_t period, const Lanes<double>& mean,
               Lanes<Count>& out, int lanes) const {
    poisson_lanes(streams(key, step, period), mean, out, lanes);
  }
  void value_sum(const Lanes<const ValueDraw*>& value, std::uint64_t key, std::uint32_t step,
                 std::uint32_t period, const Lanes<Count>& n, Lanes<double>& out, int lanes) const {
    value_sum_lanes(streams(key, step, period), value, n, out, lanes);
  }

 private:
  // The streams of one step of one cell in one period, one per lane's trial.
  LaneStreams streams(std::uint64_t key, std::uint32_t step, std::uint32_t period) const {
    return {key, (static_cast<std::uint64_t>(step) << 32) | period, trial_};
  }
  Lanes<std::uint64_t> trial_{};
};

class ExpectedFlow {
 public:
  using Count = double;
  void binomial(std::uint64_t, std::uint32_t, std::uint32_t, const Lanes<Count>& n, const Lanes<double>& p,
                Lanes<Count>& out, int lanes) const {
    for (int l = 0; l < lanes; ++l) out[l] = n[l] * p[l];
  }
  void poisson(std::uint64_t, std::uint32_t, std::uint32_t, const Lanes<double>& mean, Lanes<Count>& out,
               int lanes) const {
    for (int l = 0; l < lanes; ++l) out[l] = mean[l];
  }
  void value_sum(const Lanes<const ValueDraw*>& value, std::uint64_t, std::uint32_t, std::uint32_t,
                 const Lanes<Count>& n, Lanes<double>& out, int lanes) const {
    for (int l = 0; l < lanes; ++l) out[l] = n[l] * value[l]->mean;
  }
};

template <class Flow>
void aggregate_chain(const Model& model, const Lanes<const TrialDraw*>& draw, int lanes, const Flow& flow,
                     const Lanes<double*>& cells, const Lanes<double*>& period_cost) {
  using Count = typename Flow::Count;
  using C = Lanes<Count>;
  using D = Lanes<double>;
  const int T = model.n_periods(), P = model.n_problems();
  Lanes<const SegmentDraw*> seg{};
  Lanes<const ProblemDraw*> pd{};
  Lanes<const ValueDraw*> value{};
  for (int s = 0; s < model.n_segments(); ++s) {
    C active{};
    for (int l = 0; l < lanes; ++l) {
      seg[l] = &draw[l]->segments[s];
      value[l] = &seg[l]->value;
      active[l] = static_cast<Count>(seg[l]->customers);
    }
    for (int t = 1; t <= T && !all_zero(active, lanes); ++t) {
      const auto period = static_cast<std::uint32_t>(t);
      D churn{}, factor{}, cost_this_period{};
      for (int l = 0; l < lanes; ++l) {
        churn[l] = seg[l]->churn;
        factor[l] = seg[l]->factor[t - 1];
      }
      C churned{}, remaining{}, lost_total{};
      flow.binomial(model.segment_key(s), STEP_CHURN, period, active, churn, churned, lanes);
      for (int l = 0; l < lanes; ++l) remaining[l] = active[l] - churned[l];
      for (int p : model.problems_of(s)) {
        if (all_zero(remaining, lanes)) break;
        const std::uint64_t key = model.cell_key(s, p);
        D prob{};
        for (int l = 0; l < lanes; ++l) {
          pd[l] = &draw[l]->problems[p];
          prob[l] = pd[l]->incidence;
        }
        C with_problem{}, complained{};
        flow.binomial(key, STEP_INCIDENCE, period, remaining, prob, with_problem, lanes);
        if (all_zero(with_problem, lanes)) continue;
        for (int l = 0; l < lanes; ++l) {
          remaining[l] -= with_problem[l];
          prob[l] = pd[l]->complaint;
        }
        flow.binomial(key, STEP_COMPLAINT, period, with_problem, prob, complained, lanes);

        // Handling tiers: every tier a complaint reaches is one contact and costs that tier's cost.
        std::array<C, N_OUTCOMES> n{};  // [outcome][lane]
        std::array<D, N_OUTCOMES> contacts_by{}, cost_by{}, escalated_by{};
        C entering{};
        D cumulative_cost{};
        for (int l = 0; l < lanes; ++l) {
          n[0][l] = with_problem[l] - complained[l];
          entering[l] = complained[l];
        }
        const int tiers = static_cast<int>(pd[0]->tiers.size());
        for (int k = 0; k < tiers && !all_zero(entering, lanes); ++k) {
          const auto base = static_cast<std::uint32_t>(STEP_TIER + 4 * k);
          C resolved{}, rest{}, mollified{}, unresolved{}, escalated{};
          for (int l = 0; l < lanes; ++l) {
            cumulative_cost[l] += pd[l]->tiers[k].cost;
            prob[l] = pd[l]->tiers[k].resolved;
          }
          flow.binomial(key, base, period, entering, prob, resolved, lanes);
          for (int l = 0; l < lanes; ++l) {
            rest[l] = entering[l] - resolved[l];
            prob[l] = pd[l]->tiers[k].mollified_rest;
          }
          flow.binomial(key, base + 1, period, rest, prob, mollified, lanes);
          for (int l = 0; l < lanes; ++l) {
            unresolved[l] = rest[l] - mollified[l];
            prob[l] = pd[l]->tiers[k].escalate;
          }
          if (k + 1 < tiers) flow.binomial(key, base + 2, period, unresolved, prob, escalated, lanes);
          const int resolved_as =
              k == 0 ? static_cast<int>(Outcome::quick) : static_cast<int>(Outcome::resolved);
          const bool last_of_several = k + 1 == tiers && tiers > 1;
          for (int l = 0; l < lanes; ++l) {
            const std::array<std::pair<int, Count>, 3> ends{
                {{resolved_as, resolved[l]},
                 {static_cast<int>(Outcome::mollified), mollified[l]},
                 {static_cast<int>(Outcome::unresolved), unresolved[l] - escalated[l]}}};
            for (auto [o, count] : ends) {
              const auto c = static_cast<double>(count);
              n[o][l] += count;
              contacts_by[o][l] += c * (k + 1);
              cost_by[o][l] += c * cumulative_cost[l];
              if (last_of_several) escalated_by[o][l] += c;
            }
            entering[l] = escalated[l];
          }
        }

        for (int o = 0; o < N_OUTCOMES; ++o) {
          if (all_zero(n[o], lanes)) continue;
          const auto ou = static_cast<std::uint32_t>(o);
          // Loyalty: lost with probability 1 - r, or saved with probability min(1, r - 1); one stream serves
          // either, as a trial's loyalty ratio decides which applies.
          D moved_value{}, mean_lost{}, mean_won{}, value_lost{}, value_won{};
          C moved{}, prospects_lost{}, prospects_won{};
          Lanes<bool> saves{};
          for (int l = 0; l < lanes; ++l) {
            saves[l] = pd[l]->save[o] > 0;
            prob[l] = saves[l] ? pd[l]->save[o] : pd[l]->defect[o];
            const auto count = static_cast<double>(n[o][l]);
            mean_lost[l] = count * pd[l]->told_bad[o] * draw[l]->negative_conversion;
            mean_won[l] = count * pd[l]->told_good[o] * draw[l]->positive_conversion;
          }
          flow.binomial(key, STEP_LOYALTY + ou, period, n[o], prob, moved, lanes);
          if (!all_zero(moved, lanes))
            flow.value_sum(value, key, STEP_VALUE + ou, period, moved, moved_value, lanes);
          // Word of mouth: each customer tells Poisson(told) people, each converted with probability q; a
          // sum of thinned Poisson counts is Poisson(n told q).
          if (!all_zero(mean_lost, lanes)) {
            flow.poisson(key, STEP_WOM_LOST + ou, period, mean_lost, prospects_lost, lanes);
            flow.value_sum(value, key, STEP_VALUE_WOM_LOST + ou, period, prospects_lost, value_lost, lanes);
          }
          if (!all_zero(mean_won, lanes)) {
            flow.poisson(key, STEP_WOM_WON + ou, period, mean_won, prospects_won, lanes);
            flow.value_sum(value, key, STEP_VALUE_WOM_WON + ou, period, prospects_won, value_won, lanes);
          }
          for (int l = 0; l < lanes; ++l) {
            double* c = cells[l] + ((s * P + p) * N_OUTCOMES + o) * N_METRICS;
            const auto count = static_cast<double>(n[o][l]);
            c[customers_with_problems] += count;
            if (o != static_cast<int>(Outcome::silent)) c[complaints] += count;
            c[contacts] += contacts_by[o][l];
            c[escalations] += escalated_by[o][l];
            c[handling_cost] += cost_by[o][l];
            const auto m = static_cast<double>(moved[l]);
            double revenue = 0;
            if (saves[l]) {
              c[customers_lost] -= m;
              revenue = -factor[l] * moved_value[l];
            } else if (prob[l] > 0) {
              lost_total[l] += moved[l];
              c[customers_lost] += m;
              revenue = factor[l] * moved_value[l];
            }
            c[revenue_lost] += revenue;
            c[wom_prospects_lost] += static_cast<double>(prospects_lost[l]);
            c[wom_prospects_won] += static_cast<double>(prospects_won[l]);
            const double w = factor[l] * value_lost[l] - factor[l] * value_won[l];
            c[wom_revenue_lost] += w;
            cost_this_period[l] += revenue + w + cost_by[o][l];
          }
        }
      }
      for (int l = 0; l < lanes; ++l) {
        if (period_cost[l]) period_cost[l][t - 1] += cost_this_period[l];
        active[l] -= churned[l] + lost_total[l];
      }
    }
  }
}

}  // namespace

void expected_cells(const Model& model, const TrialDraw& draw, double* cells, double* period_cost) {
  aggregate_chain(model, Lanes<const TrialDraw*>{&draw}, 1, ExpectedFlow(), Lanes<double*>{cells},
                  Lanes<double*>{period_cost});
}

TrialRunner::TrialRunner(const Model& model, Mode mode)
    : model_(model), mode_(mode), draws_(LANES), cells_(static_cast<std::size_t>(model.n_cells()) * LANES) {}

void TrialRunner::run(std::uint64_t first_trial, int count, double* rows, double* period_costs,
                      std::size_t period_stride) {
  const auto n_series = static_cast<std::size_t>(model_.layout().n_series());
  const auto T = static_cast<std::size_t>(model_.n_periods());
  const auto n_cells = static_cast<std::size_t>(model_.n_cells());
  for (int done = 0; done < count; done += LANES) {
    const int lanes = std::min(LANES, count - done);
    std::fill(cells_.begin(),
              cells_.begin() + static_cast<std::ptrdiff_t>(n_cells * static_cast<std::size_t>(lanes)), 0.0);
    Lanes<const TrialDraw*> draws{};
    Lanes<double*> cells{}, pcost{};
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
