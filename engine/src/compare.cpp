#include "cxrisk/compare.h"

#include <fmt/format.h>
#include <algorithm>

#include "cxrisk/output.h"
#include "cxrisk/simulate.h"
#include "json_stats.h"

namespace cxrisk {

namespace {

RunResult run_for_comparison(const Scenario& s, std::int64_t trials, std::uint64_t seed,
                             const CompareOptions& o) {
  RunOptions r;
  r.trials = trials;
  r.seed = seed;
  r.threads = o.threads;
  r.keep_period_costs = true;
  r.cancel = o.cancel;
  r.breakdowns = false;  // only the totals are used
  r.communicator = o.communicator;
  return run(s, r);
}

AlternativeResult against(const RunResult& base, const RunResult& alt, const std::string& name, int periods) {
  const auto n = static_cast<std::size_t>(base.summary.trials);
  const auto T = static_cast<std::size_t>(periods);
  AlternativeResult a;
  a.name = name;
  auto saving = [&](int metric) {
    std::vector<double> d(n);
    const auto b = base.metric_samples(metric), x = alt.metric_samples(metric);
    for (std::size_t t = 0; t < n; ++t) d[t] = b[t] - x[t];
    return d;
  };
  a.savings_samples = saving(total_cost);
  a.savings_total_cost = compute_stats(a.savings_samples, Tail::lower);
  a.savings_revenue_lost = compute_stats(saving(revenue_lost), Tail::lower);
  a.savings_customers_lost = compute_stats(saving(customers_lost), Tail::lower);

  std::vector<double> investment(n), roi, payback;
  a.net_benefit_samples.resize(n);
  std::size_t positive = 0, paid_back = 0;
  for (std::size_t t = 0; t < n; ++t) {
    const TrialInvestment& inv = alt.investment[t];
    const double* cost_base = base.period_costs.data() + t * T;
    const double* cost_alt = alt.period_costs.data() + t * T;
    // One pass: the cumulative (discounted) investment, which ends as its present value, and payback, the
    // first period whose cumulative savings cover it.
    double saved = 0, spent = inv.upfront;
    int first = 0;
    inv.for_each_period(periods, [&](int u, double amount) {
      saved += cost_base[u - 1] - cost_alt[u - 1];
      spent += amount;
      if (!first && saved >= spent) first = u;
    });
    const double pv = spent;
    investment[t] = pv;
    const double net = a.savings_samples[t] - pv;
    a.net_benefit_samples[t] = net;
    if (net > 0) ++positive;
    if (pv > 0) roi.push_back(net / pv);
    if (first) {
      payback.push_back(static_cast<double>(first));
      ++paid_back;
    }
  }
  a.investment_pv = compute_stats(investment, Tail::upper);
  a.net_benefit = compute_stats(a.net_benefit_samples, Tail::lower);
  if (!roi.empty()) a.roi = compute_stats(roi, Tail::lower);
  if (!payback.empty()) a.payback_period = compute_stats(payback, Tail::upper);
  a.p_payback_within_horizon = static_cast<double>(paid_back) / static_cast<double>(n);
  a.p_net_benefit_positive = static_cast<double>(positive) / static_cast<double>(n);
  return a;
}

Json optional_stats_json(const std::optional<Stats>& s) {
  return s ? stats_to_json(*s) : Json(nullptr);
}

}  // namespace

Comparison compare(const Scenario& base, const std::vector<Scenario>& alternatives,
                   const CompareOptions& options) {
  CXRISK_REQUIRE(!alternatives.empty(), "compare needs at least one alternative to the base");
  for (const Scenario& alt : alternatives) {
    CXRISK_REQUIRE(alt.horizon.periods == base.horizon.periods && alt.horizon.period == base.horizon.period,
                   "alternative '" << alt.name << "' has another horizon than the base '" << base.name
                                   << "'; a comparison needs the same periods");
  }
  Comparison c;
  c.base = base.name;
  c.currency = base.currency;
  c.trials = options.trials.value_or(base.simulation.trials);
  c.seed = options.seed.value_or(base.simulation.seed);
  c.periods = base.horizon.periods;
  const int steps = static_cast<int>(alternatives.size()) + 1;
  const bool root = !options.communicator || options.communicator->is_root();
  const RunResult base_run = run_for_comparison(base, c.trials, c.seed, options);
  if (options.progress) options.progress(1, steps);
  for (std::size_t i = 0; i < alternatives.size(); ++i) {
    const RunResult alt_run = run_for_comparison(alternatives[i], c.trials, c.seed, options);
    if (root) c.alternatives.push_back(against(base_run, alt_run, alternatives[i].name, c.periods));
    if (options.progress) options.progress(static_cast<int>(i) + 2, steps);
  }
  return c;
}

std::string comparison_json(const Comparison& c, int indent) {
  Json j;
  j["cxrisk"] = 1;
  j["base"] = c.base;
  if (!c.currency.empty()) j["currency"] = c.currency;
  j["trials"] = c.trials;
  j["seed"] = c.seed;
  Json alts = Json::array();
  for (const AlternativeResult& a : c.alternatives) {
    Json x;
    x["name"] = a.name;
    x["savings"]["total_cost"] = stats_to_json(a.savings_total_cost);
    x["savings"]["revenue_lost"] = stats_to_json(a.savings_revenue_lost);
    x["savings"]["customers_lost"] = stats_to_json(a.savings_customers_lost);
    x["investment_pv"] = stats_to_json(a.investment_pv);
    x["net_benefit"] = stats_to_json(a.net_benefit);
    x["roi"] = optional_stats_json(a.roi);
    x["payback_period"] = optional_stats_json(a.payback_period);
    x["p_payback_within_horizon"] = a.p_payback_within_horizon;
    x["p_net_benefit_positive"] = a.p_net_benefit_positive;
    alts.push_back(std::move(x));
  }
  j["alternatives"] = std::move(alts);
  return json_text(j, indent) + "\n";
}

std::string comparison_csv(const Comparison& c) {
  std::string out =
      "alternative,savings_mean,savings_se,savings_p5,savings_p50,savings_p95,revenue_lost_savings_mean,"
      "customers_lost_savings_mean,investment_pv_mean,net_benefit_mean,net_benefit_p5,net_benefit_p50,"
      "net_benefit_p95,roi_mean,roi_p50,payback_period_p50,p_payback_within_horizon,p_net_benefit_positive\n";
  auto opt = [](const std::optional<Stats>& s, bool median) {
    return s ? fmt::format("{}", median ? s->percentiles[3] : s->mean) : std::string();
  };
  for (const AlternativeResult& a : c.alternatives) {
    const std::string name = csv_field(a.name);
    out += fmt::format(
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", name, a.savings_total_cost.mean,
        a.savings_total_cost.se, a.savings_total_cost.percentiles[0], a.savings_total_cost.percentiles[3],
        a.savings_total_cost.percentiles[6], a.savings_revenue_lost.mean, a.savings_customers_lost.mean,
        a.investment_pv.mean, a.net_benefit.mean, a.net_benefit.percentiles[0], a.net_benefit.percentiles[3],
        a.net_benefit.percentiles[6], opt(a.roi, false), opt(a.roi, true), opt(a.payback_period, true),
        a.p_payback_within_horizon, a.p_net_benefit_positive);
  }
  return out;
}

std::string comparison_table(const Comparison& c) {
  std::vector<const AlternativeResult*> ranked;
  for (const auto& a : c.alternatives) ranked.push_back(&a);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto* x, const auto* y) { return x->net_benefit.mean > y->net_benefit.mean; });
  std::string out = fmt::format("Against '{}'  ({} trials, seed {}, common random numbers){}\n\n", c.base,
                                c.trials, c.seed, c.currency.empty() ? "" : "  currency: " + c.currency);
  std::size_t width = 12;
  for (const auto& a : c.alternatives) width = std::max(width, a.name.size() + 2);
  out += fmt::format("{:<6}{:<{}}{:>16}{:>16}{:>16}{:>16}{:>16}{:>10}{:>8}{:>9}\n", "rank", "alternative",
                     width, "saving (mean)", "investment (PV)", "net benefit", "net p5", "net p95",
                     "P(net>0)", "ROI", "payback");
  int rank = 1;
  for (const AlternativeResult* a : ranked) {
    const std::string roi = a->roi ? fmt::format("{:.0f}%", 100 * a->roi->percentiles[3]) : "-";
    const std::string payback =
        a->payback_period ? fmt::format("{:.0f}", a->payback_period->percentiles[3]) : "never";
    out += fmt::format("{:<6}{:<{}}{:>16}{:>16}{:>16}{:>16}{:>16}{:>9.0f}%{:>8}{:>9}\n", rank++, a->name,
                       width, human_number(a->savings_total_cost.mean), human_number(a->investment_pv.mean),
                       human_number(a->net_benefit.mean), human_number(a->net_benefit.percentiles[0]),
                       human_number(a->net_benefit.percentiles[6]), 100 * a->p_net_benefit_positive, roi,
                       payback);
  }
  out +=
      "\nsaving: fall in total_cost (lost revenue, word of mouth, handling) against the base; ROI: median "
      "of\n"
      "net benefit / investment; payback: median period in which cumulative savings cover the investment,\n"
      "over the trials that pay back within the horizon.\n";
  return out;
}

}  // namespace cxrisk
