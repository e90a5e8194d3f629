// The two engines of MODEL.md section 2.
//
// `individual` follows every customer through every period, literally. `aggregate` moves counts through the
// same chain by exact thinning: a binomial split of a binomial count is binomial, the first-problem rule
// makes the problems of a period a multinomial (sequential conditional binomials), a sum of Poisson counts
// is Poisson (and a thinned Poisson is Poisson), and a sum of gamma values is gamma. Its cost per trial is
// O(segments x problems x periods), whatever the number of customers.
#include "kernel.h"

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
class RandomFlow {
 public:
  using Count = std::int64_t;
  RandomFlow(std::uint32_t trial) : trial_(trial) {}
  Count binomial(std::uint64_t key, std::uint32_t step, std::uint32_t period, Count n, double p) const {
    Stream s = stream(key, step, period);
    return draw_binomial(s, n, p);
  }
  Count poisson(std::uint64_t key, std::uint32_t step, std::uint32_t period, double mean) const {
    Stream s = stream(key, step, period);
    return draw_poisson(s, mean);
  }
  double value_sum(const ValueDraw& v, std::uint64_t key, std::uint32_t step, std::uint32_t period,
                   Count n) const {
    if (n == 0) return 0;
    Stream s = stream(key, step, period);
    return v.sum(s, n);
  }

 private:
  // The stream of one step of one cell in one period of this trial.
  Stream stream(std::uint64_t key, std::uint32_t step, std::uint32_t period) const {
    return Stream(key, (static_cast<std::uint64_t>(step) << 32) | period, trial_);
  }
  std::uint32_t trial_;
};

class ExpectedFlow {
 public:
  using Count = double;
  Count binomial(std::uint64_t, std::uint32_t, std::uint32_t, Count n, double p) const { return n * p; }
  Count poisson(std::uint64_t, std::uint32_t, std::uint32_t, double mean) const { return mean; }
  double value_sum(const ValueDraw& v, std::uint64_t, std::uint32_t, std::uint32_t, Count n) const {
    return n * v.mean;
  }
};

template <class Flow>
void aggregate_chain(const Model& model, const TrialDraw& draw, const Flow& flow, double* cells,
                     double* period_cost) {
  using Count = typename Flow::Count;
  const int T = model.n_periods(), P = model.n_problems();
  const double q_lost = draw.negative_conversion, q_won = draw.positive_conversion;
  for (int s = 0; s < model.n_segments(); ++s) {
    const SegmentDraw& seg = draw.segments[s];
    const ValueDraw& value = seg.value;
    auto active = static_cast<Count>(seg.customers);
    for (int t = 1; t <= T && active > 0; ++t) {
      const auto period = static_cast<std::uint32_t>(t);
      const Count churned = flow.binomial(model.segment_key(s), STEP_CHURN, period, active, seg.churn);
      Count remaining = active - churned, lost_total = 0;
      const double factor = seg.factor[t - 1];
      double cost_this_period = 0;
      for (int p : model.problems_of(s)) {
        if (remaining == 0) break;
        const ProblemDraw& pd = draw.problems[p];
        const std::uint64_t key = model.cell_key(s, p);
        const Count with_problem = flow.binomial(key, STEP_INCIDENCE, period, remaining, pd.incidence);
        if (with_problem == 0) continue;
        remaining -= with_problem;
        const Count complained = flow.binomial(key, STEP_COMPLAINT, period, with_problem, pd.complaint);

        // Handling tiers: every tier a complaint reaches is one contact and costs that tier's cost.
        std::array<Count, N_OUTCOMES> n{};
        std::array<double, N_OUTCOMES> contacts_by{}, cost_by{}, escalated_by{};
        n[0] = with_problem - complained;
        Count entering = complained;
        double cumulative_cost = 0;
        const int tiers = static_cast<int>(pd.tiers.size());
        for (int k = 0; k < tiers && entering > 0; ++k) {
          const TierDraw& tier = pd.tiers[k];
          cumulative_cost += tier.cost;
          const auto base = static_cast<std::uint32_t>(STEP_TIER + 4 * k);
          const Count resolved = flow.binomial(key, base, period, entering, tier.resolved);
          const Count mollified =
              flow.binomial(key, base + 1, period, entering - resolved, tier.mollified_rest);
          const Count unresolved = entering - resolved - mollified;
          const Count escalated =
              k + 1 < tiers ? flow.binomial(key, base + 2, period, unresolved, tier.escalate) : 0;
          const int resolved_as =
              k == 0 ? static_cast<int>(Outcome::quick) : static_cast<int>(Outcome::resolved);
          const std::array<std::pair<int, Count>, 3> ends{
              {{resolved_as, resolved},
               {static_cast<int>(Outcome::mollified), mollified},
               {static_cast<int>(Outcome::unresolved), unresolved - escalated}}};
          const bool last_of_several = k + 1 == tiers && tiers > 1;
          for (auto [o, count] : ends) {
            const auto c = static_cast<double>(count);
            n[o] += count;
            contacts_by[o] += c * (k + 1);
            cost_by[o] += c * cumulative_cost;
            if (last_of_several) escalated_by[o] += c;
          }
          entering = escalated;
        }

        for (int o = 0; o < N_OUTCOMES; ++o) {
          if (n[o] == 0) continue;
          const auto ou = static_cast<std::uint32_t>(o);
          const auto count = static_cast<double>(n[o]);
          double* c = cells + ((s * P + p) * N_OUTCOMES + o) * N_METRICS;
          c[customers_with_problems] += count;
          if (o != static_cast<int>(Outcome::silent)) c[complaints] += count;
          c[contacts] += contacts_by[o];
          c[escalations] += escalated_by[o];
          c[handling_cost] += cost_by[o];

          // Loyalty: lost with probability 1 - r, or saved with probability min(1, r - 1).
          double revenue = 0;
          if (pd.save[o] > 0) {
            const Count saved = flow.binomial(key, STEP_LOYALTY + ou, period, n[o], pd.save[o]);
            c[customers_lost] -= static_cast<double>(saved);
            revenue = -factor * flow.value_sum(value, key, STEP_VALUE + ou, period, saved);
          } else if (pd.defect[o] > 0) {
            const Count lost = flow.binomial(key, STEP_LOYALTY + ou, period, n[o], pd.defect[o]);
            lost_total += lost;
            c[customers_lost] += static_cast<double>(lost);
            revenue = factor * flow.value_sum(value, key, STEP_VALUE + ou, period, lost);
          }
          c[revenue_lost] += revenue;

          // Word of mouth: each customer tells Poisson(told) people, each converted with probability q; a
          // sum of thinned Poisson counts is Poisson(n told q).
          double wom = 0;
          if (const double mean = count * pd.told_bad[o] * q_lost; mean > 0) {
            const Count prospects = flow.poisson(key, STEP_WOM_LOST + ou, period, mean);
            c[wom_prospects_lost] += static_cast<double>(prospects);
            wom += factor * flow.value_sum(value, key, STEP_VALUE_WOM_LOST + ou, period, prospects);
          }
          if (const double mean = count * pd.told_good[o] * q_won; mean > 0) {
            const Count prospects = flow.poisson(key, STEP_WOM_WON + ou, period, mean);
            c[wom_prospects_won] += static_cast<double>(prospects);
            wom -= factor * flow.value_sum(value, key, STEP_VALUE_WOM_WON + ou, period, prospects);
          }
          c[wom_revenue_lost] += wom;
          cost_this_period += revenue + wom + cost_by[o];
        }
      }
      if (period_cost) period_cost[t - 1] += cost_this_period;
      active -= churned + lost_total;
    }
  }
}

}  // namespace

void expected_cells(const Model& model, const TrialDraw& draw, double* cells, double* period_cost) {
  aggregate_chain(model, draw, ExpectedFlow(), cells, period_cost);
}

TrialRunner::TrialRunner(const Model& model, Mode mode)
    : model_(model), mode_(mode), cells_(static_cast<std::size_t>(model.n_cells())) {}

void TrialRunner::run(std::uint64_t trial, double* row, double* period_cost) {
  model_.draw(trial, draw_);
  std::fill(cells_.begin(), cells_.end(), 0.0);
  if (period_cost) std::fill(period_cost, period_cost + model_.n_periods(), 0.0);
  const auto t32 = static_cast<std::uint32_t>(trial);
  if (mode_ == Mode::aggregate)
    aggregate_chain(model_, draw_, RandomFlow(t32), cells_.data(), period_cost);
  else
    individual(t32, period_cost);
  model_.marginalize(cells_.data(), row);
}

void TrialRunner::individual(std::uint32_t trial, double* period_cost) {
  const int T = model_.n_periods();
  const double q_lost = draw_.negative_conversion, q_won = draw_.positive_conversion;
  for (int s = 0; s < model_.n_segments(); ++s) {
    const SegmentDraw& seg = draw_.segments[s];
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
          if (st.uniform() < draw_.problems[candidate].incidence) {
            p = candidate;
            break;
          }
        if (p < 0) continue;
        const ProblemDraw& pd = draw_.problems[p];
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
        double* c = cell(s, p, o);
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
