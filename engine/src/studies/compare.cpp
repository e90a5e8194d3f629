#include "cxrisk/compare.h"

#include <fmt/format.h>
#include <algorithm>
#include <array>

#include "cxrisk/error.h"
#include "studies/rounds.h"

namespace cxrisk {

namespace {

RunResult run_for_comparison(const Scenario& s, RunSettings settings) {
  settings.progress = nullptr;  // the comparison's progress counts scenarios
  return run(s, settings, Keep{.period_costs = true, .breakdowns = false});  // only the totals are used
}

// Period by period, over every trial: the running sums (memory for one period's values, whatever the
// horizon).
PaybackCurve payback_curve(const RunResult& base, const RunResult& alt, int periods) {
  const auto n = static_cast<std::size_t>(base.summary.trials);
  const auto T = static_cast<std::size_t>(periods);
  PaybackCurve c;
  std::vector<double> saved(n, 0), spent(n), discount(n, 1), sorted(n);
  std::vector<char> paid(n, 0);
  for (std::size_t t = 0; t < n; ++t) spent[t] = alt.investment[t].upfront;
  for (std::size_t u = 0; u < T; ++u) {
    std::size_t paid_back = 0;
    for (std::size_t t = 0; t < n; ++t) {
      const TrialInvestment& inv = alt.investment[t];
      saved[t] += base.period_costs[t * T + u] - alt.period_costs[t * T + u];
      discount[t] *= inv.period_discount;
      spent[t] += inv.per_period * discount[t];
      if (saved[t] >= spent[t]) paid[t] = 1;
      paid_back += static_cast<std::size_t>(paid[t]);
    }
    std::copy(saved.begin(), saved.end(), sorted.begin());
    std::sort(sorted.begin(), sorted.end());
    c.savings_mean.push_back(accurate_sum(saved) / static_cast<double>(n));
    c.savings_p10.push_back(sorted_quantile(sorted, 0.1));
    c.savings_p50.push_back(sorted_quantile(sorted, 0.5));
    c.savings_p90.push_back(sorted_quantile(sorted, 0.9));
    c.investment_mean.push_back(accurate_sum(spent) / static_cast<double>(n));
    c.p_paid_back.push_back(static_cast<double>(paid_back) / static_cast<double>(n));
  }
  return c;
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
  // A designed run's trials are not independent: its standard errors and intervals come from its replicates.
  const bool designed = base.summary.sampling != Sampling::random;
  const auto stats = [&](std::span<const double> values, Tail tail,
                         std::span<const std::int64_t> trial_of = {}) {
    return designed ? compute_designed_stats(values, tail, trial_of, static_cast<std::int64_t>(n))
                    : compute_stats(values, tail);
  };
  a.savings_samples = saving(total_cost);
  a.savings_total_cost = stats(a.savings_samples, Tail::lower);
  a.savings_revenue_lost = stats(saving(revenue_lost), Tail::lower);
  a.savings_customers_lost = stats(saving(customers_lost), Tail::lower);

  std::vector<double> investment(n), roi, payback, net_of_running(n);
  std::vector<std::int64_t> roi_trials, payback_trials;
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
    net_of_running[t] = a.savings_samples[t] - (pv - inv.upfront);
    const double net = a.savings_samples[t] - pv;
    a.net_benefit_samples[t] = net;
    if (net > 0) ++positive;
    if (pv > 0) {
      roi.push_back(net / pv);
      roi_trials.push_back(static_cast<std::int64_t>(t));
    }
    if (first) {
      payback.push_back(static_cast<double>(first));
      payback_trials.push_back(static_cast<std::int64_t>(t));
      ++paid_back;
    }
  }
  a.investment_pv = stats(investment, Tail::upper);
  a.net_benefit = stats(a.net_benefit_samples, Tail::lower);
  if (!roi.empty()) a.roi = stats(roi, Tail::lower, roi_trials);
  if (!payback.empty()) a.payback_period = stats(payback, Tail::upper, payback_trials);
  a.p_payback_within_horizon = static_cast<double>(paid_back) / static_cast<double>(n);
  std::sort(net_of_running.begin(), net_of_running.end());
  a.break_even_investment = {sorted_quantile(net_of_running, 0.5), sorted_quantile(net_of_running, 0.2),
                             sorted_quantile(net_of_running, 0.1)};
  a.p_net_benefit_positive = static_cast<double>(positive) / static_cast<double>(n);
  a.net_benefit_distribution = distribution_of(a.net_benefit_samples);
  a.payback_curve = payback_curve(base, alt, periods);
  return a;
}

// The same segments, stages, problems (with their stage and segments) and tiers, by name.
bool same_structure(const Scenario& a, const Scenario& b) {
  const auto names = [](const auto& items) {
    std::vector<std::string> out;
    for (const auto& x : items) out.push_back(x.name);
    return out;
  };
  if (names(a.segments) != names(b.segments) || a.stages != b.stages ||
      names(a.problems) != names(b.problems))
    return false;
  for (std::size_t i = 0; i < a.problems.size(); ++i) {
    const Problem &p = a.problems[i], &q = b.problems[i];
    if (p.stage != q.stage || p.segments != q.segments || names(p.handling) != names(q.handling))
      return false;
  }
  return true;
}

// A figure beyond double precision would be written as null: refused instead, as `run` refuses its own.
void require_finite(const Scenario& alternative, const AlternativeResult& a) {
  const std::array<std::pair<const char*, const Stats*>, 7> figures{
      {{"savings in total_cost", &a.savings_total_cost},
       {"savings in revenue_lost", &a.savings_revenue_lost},
       {"savings in customers_lost", &a.savings_customers_lost},
       {"investment_pv", &a.investment_pv},
       {"net_benefit", &a.net_benefit},
       {"roi", a.roi ? &*a.roi : nullptr},
       {"payback_period", a.payback_period ? &*a.payback_period : nullptr}}};
  for (const auto& [name, stats] : figures)
    if (stats && !stats->finite())
      throw ScenarioError(
          {alternative.source, 0, 0}, "",
          fmt::format("the {} of '{}' goes beyond what a double can hold: its investment is too "
                      "large, or too small to divide by (a value near 0 is written 0)",
                      name, alternative.name));
}

// A comparison of r.trials trials.
Comparison compare_trials(const Scenario& base, const std::vector<Scenario>& alternatives,
                          const RunSettings& settings, const RunSettings::Resolved& r) {
  // Every scenario runs on the base's trials, seed and design.
  RunSettings each = settings;
  each.trials = r.trials;
  each.seed = r.seed;
  each.sampling = r.sampling;
  each.precision = std::vector<PrecisionTarget>{};
  Comparison c;
  c.base = base.name;
  c.currency = base.currency;
  c.trials = r.trials;
  c.seed = r.seed;
  c.sampling = r.sampling;
  c.periods = base.periods;
  c.period = base.period;
  const int steps = static_cast<int>(alternatives.size()) + 1;
  const bool root = settings.processes().is_root();
  const RunResult base_run = run_for_comparison(base, each);
  if (root) c.base_total_cost = base_run.summary.total(total_cost);
  if (settings.progress) settings.progress(1, steps);
  for (std::size_t i = 0; i < alternatives.size(); ++i) {
    const RunResult alt_run = run_for_comparison(alternatives[i], each);
    if (root) {
      c.alternatives.push_back(against(base_run, alt_run, alternatives[i].name, c.periods));
      c.alternatives.back().same_structure = same_structure(base, alternatives[i]);
      require_finite(alternatives[i], c.alternatives.back());
    }
    if (settings.progress) settings.progress(static_cast<int>(i) + 2, steps);
  }
  return c;
}

// The statistics a comparison's precision target names, of one alternative.
const Stats& comparison_stats(const AlternativeResult& a, const std::string& metric) {
  if (metric == "savings") return a.savings_total_cost;
  if (metric == "savings_revenue_lost") return a.savings_revenue_lost;
  if (metric == "savings_customers_lost") return a.savings_customers_lost;
  if (metric == "investment_pv") return a.investment_pv;
  return a.net_benefit;
}

}  // namespace

Comparison compare(const Scenario& base, const std::vector<Scenario>& alternatives,
                   const RunSettings& settings) {
  CXRISK_REQUIRE(!alternatives.empty(), "compare needs at least one alternative to the base");
  for (const Scenario& alt : alternatives) {
    CXRISK_REQUIRE(alt.periods == base.periods && alt.period == base.period,
                   "alternative '" << alt.name << "' has another horizon than the base '" << base.name
                                   << "'; a comparison needs the same periods");
    CXRISK_REQUIRE(alt.currency == base.currency,
                   "alternative '" << alt.name << "' counts in "
                                   << (alt.currency.empty() ? "no currency" : alt.currency)
                                   << " and the base '" << base.name << "' in "
                                   << (base.currency.empty() ? "no currency" : base.currency)
                                   << "; costs in different currencies cannot be subtracted");
  }
  RunSettings::Resolved r = settings.resolve(base);
  // A comparison's targets are on its savings and net benefit: only those given for it, not a scenario's.
  r.precision = settings.precision.value_or(std::vector<PrecisionTarget>{});
  for (const PrecisionTarget& t : r.precision)
    CXRISK_REQUIRE(
        std::find(COMPARISON_METRICS.begin(), COMPARISON_METRICS.end(), t.metric) != COMPARISON_METRICS.end(),
        "a comparison's precision names savings, savings_revenue_lost, savings_customers_lost, "
        "investment_pv or net_benefit, got '"
            << t.metric << "'");
  if (r.precision.empty()) return compare_trials(base, alternatives, settings, r);
  PrecisionReport report{r.precision, r.max_trials, {}};
  Comparison c = grow_to_precision(r, settings.processes(), report, [&](std::int64_t trials) {
    RunSettings::Resolved round = r;
    round.trials = trials;
    Comparison x = compare_trials(base, alternatives, settings, round);
    std::vector<TargetStatus> status;
    for (const AlternativeResult& a : x.alternatives)
      for (const PrecisionTarget& t : r.precision)
        status.push_back(status_of(t, comparison_stats(a, t.metric), a.name));
    return std::pair{std::move(x), std::move(status)};
  });
  if (settings.processes().is_root()) c.precision = std::move(report);
  return c;
}

}  // namespace cxrisk
