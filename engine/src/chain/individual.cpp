// The individual engine: the per-customer model of MODEL.md section 2, literally. Every active customer is
// followed through every period with its own stream; the reference the aggregate engine is held to.
#include <cstdint>

#include "chain/runner.h"
#include "cxrisk/error.h"

namespace cxrisk {

void individual_trial(const Model& model, std::uint32_t trial, const TrialDraw& draw, double* cells,
                      double* period_cost, const std::atomic<bool>* cancel) {
  const int T = model.n_periods(), P = model.n_problems();
  const double q_lost = draw.negative_conversion, q_won = draw.positive_conversion;
  for (int s = 0; s < model.n_segments(); ++s) {
    const SegmentDraw& seg = draw.segments[s];
    const ValueDraw& value = seg.value;
    const auto customers = static_cast<std::int64_t>(seg.customers);
    const std::vector<int>& problems = model.problems_of(s);
    for (std::int64_t i = 0; i < customers; ++i) {
      // A trial of millions of customers takes seconds: a cancellation is seen within it.
      if ((i & 0xffff) == 0 && cancel && cancel->load(std::memory_order_relaxed)) throw Cancelled();
      for (int t = 1; t <= T; ++t) {
        // One stream per customer and period.
        Stream st(model.individual_key(s),
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
        const std::int64_t lost_prospects = draw_binomial(st, draw_poisson(st, pd.told_negative[o]), q_lost);
        for (std::int64_t k = 0; k < lost_prospects; ++k) wom += factor * value.one(st);
        const std::int64_t won_prospects = draw_binomial(st, draw_poisson(st, pd.told_positive[o]), q_won);
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
