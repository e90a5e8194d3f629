#include "cxrisk/model.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "quantile_table.h"

namespace cxrisk {

std::vector<double> valuation_factors(ValuationMethod method, int periods, int per_year, double churn,
                                      double d) {
  std::vector<double> f(static_cast<std::size_t>(std::max(periods, 0)));
  switch (method) {
    case ValuationMethod::annual:
      std::fill(f.begin(), f.end(), static_cast<double>(per_year));
      break;
    case ValuationMethod::horizon: {
      // F(t) = sum_{u=t+1..T} (1-c)^(u-t-1) d^u, backwards: F(T) = 0, F(t) = d^(t+1) + (1-c) F(t+1); linear
      // in T (the sum for each t on its own was quadratic: minutes for a long horizon).
      double next = 0;
      for (int t = periods; t >= 1; --t) {
        const double here = t < periods ? std::pow(d, t + 1) + (1 - churn) * next : 0.0;
        f[static_cast<std::size_t>(t - 1)] = here;
        next = here;
      }
      break;
    }
    case ValuationMethod::lifetime:
      for (int t = 1; t <= periods; ++t)
        f[static_cast<std::size_t>(t - 1)] = std::pow(d, t + 1) / (1 - (1 - churn) * d);
      break;
  }
  return f;
}

bool Model::pools_horizon(int s) const {
  const ValueShape shape = scenario_.segments[static_cast<std::size_t>(s)].value.shape;
  const bool same_factor = scenario_.valuation.method == ValuationMethod::annual || n_periods() == 1;
  return same_factor && n_periods() <= POOLED_PERIODS_MAX &&
         (shape == ValueShape::gamma || shape == ValueShape::fixed);
}

namespace {
constexpr std::array<std::string_view, 5> CAUSE_ORDER{"company", "customer", "process", "partner",
                                                      "unspecified"};
}

Model::Model(const Scenario& scenario, std::uint64_t seed, Use use)
    : scenario_(scenario), seed_(seed), use_(use) {
  const Scenario& s = scenario_;
  const int S = n_segments(), P = n_problems();

  // Breakdown layout: problems in file order, stages in journey order, segments, causes, outcomes.
  for (const Problem& p : s.problems) layout_.names[0].push_back(p.name);
  if (!s.stages.empty()) {
    layout_.names[1] = s.stages;
  } else {
    for (const Problem& p : s.problems) {
      const std::string stage = p.stage.empty() ? "unspecified" : p.stage;
      if (std::find(layout_.names[1].begin(), layout_.names[1].end(), stage) == layout_.names[1].end())
        layout_.names[1].push_back(stage);
    }
  }
  for (const Segment& seg : s.segments) layout_.names[2].push_back(seg.name);
  for (auto cause : CAUSE_ORDER)
    for (const Problem& p : s.problems)
      if (p.cause == cause) {
        layout_.names[3].emplace_back(cause);
        break;
      }
  for (auto o : OUTCOME_NAMES) layout_.names[4].emplace_back(o);
  int next = 1;
  for (int d = 0; d < 5; ++d) {
    layout_.offset[d] = next;
    next += static_cast<int>(layout_.names[d].size());
  }
  layout_.n_entries = next;
  auto index_in = [](const std::vector<std::string>& names, const std::string& name) {
    return static_cast<int>(std::find(names.begin(), names.end(), name) - names.begin());
  };
  for (const Problem& p : s.problems) {
    layout_.problem_stage.push_back(index_in(layout_.names[1], p.stage.empty() ? "unspecified" : p.stage));
    layout_.problem_cause.push_back(index_in(layout_.names[3], p.cause));
  }

  // Journey order per segment.
  const std::vector<int> order = s.journey_order();
  problems_of_.resize(S);
  for (int seg = 0; seg < S; ++seg)
    for (int p : order)
      if (s.applies(p, seg)) problems_of_[seg].push_back(p);

  // Stream keys: by name, so that scenarios sharing structure share draws.
  const std::uint64_t flow = key_combine(seed, "flow");
  const std::uint64_t individual = key_combine(seed, "individual");
  for (int seg = 0; seg < S; ++seg) {
    const std::uint64_t k = key_combine(flow, s.segments[seg].name);
    segment_keys_.push_back(key_combine(k, "#churn"));
    for (int p = 0; p < P; ++p) cell_keys_.push_back(key_combine(k, s.problems[p].name));
    individual_keys_.push_back(key_combine(individual, s.segments[seg].name));
  }

  // Parameter keys: by the parameter's path of names.
  margin_ = param(s.valuation.margin, "valuation.margin");
  discount_ = param(s.horizon.discount_rate, "horizon.discount_rate");
  negative_conversion_ = param(s.word_of_mouth.negative_conversion, "word_of_mouth.negative_conversion");
  positive_conversion_ = param(s.word_of_mouth.positive_conversion, "word_of_mouth.positive_conversion");
  if (s.investment) {
    upfront_ = param(s.investment->upfront, "investment.upfront");
    per_period_ = param(s.investment->per_period, "investment.per_period");
  }
  for (const Segment& seg : s.segments) {
    const std::string base = "segments." + seg.name;
    segment_params_.push_back(
        {param(seg.customers, base + ".customers"), param(seg.baseline_churn, base + ".baseline_churn"),
         param(seg.value.mean, base + ".value.mean"), param(seg.value.cv, base + ".value.cv")});
  }
  for (const Problem& p : s.problems) {
    const std::string base = "problems." + p.name;
    ProblemParams pp;
    pp.incidence = param(p.incidence, base + ".incidence");
    pp.complaint = param(p.complaint_rate, base + ".complaint_rate");
    pp.no_problem = param(p.loyalty.no_problem, base + ".loyalty.no_problem");
    pp.tiers.resize(p.handling.size());
    for (std::size_t k = 0; k < p.handling.size(); ++k) {
      const Tier& t = p.handling[k];
      TierParams& tp = pp.tiers[k];
      const std::string tb = base + ".handling." + t.name;
      static const char* SHARE[3] = {".resolution.resolved", ".resolution.mollified",
                                     ".resolution.unresolved"};
      for (int i = 0; i < 3; ++i) {
        const double a = t.resolution.values[i];
        if (t.resolution.dirichlet && a > 0)
          tp.gamma[i] = Quantity::make(QuantityForm::gamma_shape_scale, {a, 1.0});
        tp.share[i] = param(tp.gamma[i], tb + SHARE[i]);
      }
      tp.escalate = param(t.escalate, tb + ".escalate");
      tp.cost = param(t.cost, tb + ".cost");
    }
    for (int o = 0; o < N_OUTCOMES; ++o) {
      const std::string on(OUTCOME_NAMES[o]);
      pp.loyalty[o] = param(p.loyalty.outcome[o], base + ".loyalty." + on);
      pp.told_bad[o] = param(p.wom_negative[o], base + ".wom.negative." + on);
      pp.told_good[o] = param(p.wom_positive[o], base + ".wom.positive." + on);
    }
    problem_params_.push_back(std::move(pp));
  }
}

Model::~Model() = default;

Model::Param Model::param(const Quantity& q, const std::string& path) {
  Param p{&q, nullptr, key_combine(key_combine(seed_, "param"), path)};
  if (q.is_fixed() || use_ == Use::means) return p;  // no table for the means alone
  // One table per distinct quantity: scenarios repeat distributions (the same loyalty prior for every
  // problem, the same survey shares for every tier).
  for (std::size_t i = 0; i < quantile_of_.size() && !p.quantile; ++i)
    if (*quantile_of_[i] == q) p.quantile = quantiles_[i].get();
  if (!p.quantile) {
    std::shared_ptr<const FastQuantile> table = share_quantile(q);
    quantiles_.push_back(table);
    quantile_of_.push_back(&q);
    p.quantile = table.get();
  }
  p.slot = uncertain_.size();
  uncertain_.push_back(p);
  return p;
}

void Model::draw(std::uint64_t trial, TrialDraw& out) const {
  if (use_ != Use::trials)
    throw std::logic_error(
        "Model::draw: a model built for the means alone has no quantile tables to draw with");
  fill(out, trial, false);
}
void Model::draw_means(TrialDraw& out) const {
  fill(out, 0, true);
}

void Model::fill(TrialDraw& out, std::uint64_t trial, bool means) const {
  const Scenario& s = scenario_;
  // The uniforms of the trial's uncertain parameters first. Their tables' look-ups are usually cache
  // misses: asking for all of them here lets the misses overlap, and the reads below find them in the cache.
  thread_local std::vector<double> u;
  if (!means) {
    u.resize(uncertain_.size());
    for (std::size_t i = 0; i < uncertain_.size(); ++i) {
      u[i] = keyed_uniform(uncertain_[i].key, trial);
      uncertain_[i].quantile->prefetch(u[i]);
    }
  }
  auto value = [&](const Param& p) {
    if (p.q->is_fixed()) return p.q->value();
    return means ? p.q->mean() : (*p.quantile)(u[p.slot]);
  };
  const int T = n_periods(), per_year = periods_per_year(s.horizon.period);
  const double margin = value(margin_);
  out.period_discount = std::pow(1 + value(discount_), -1.0 / per_year);
  out.negative_conversion = value(negative_conversion_);
  out.positive_conversion = value(positive_conversion_);
  if (s.investment) {
    out.investment_upfront = value(upfront_);
    out.investment_per_period = value(per_period_);
  }

  out.segments.resize(s.segments.size());
  for (std::size_t i = 0; i < s.segments.size(); ++i) {
    const Segment& seg = s.segments[i];
    const SegmentParams& sp = segment_params_[i];
    SegmentDraw& d = out.segments[i];
    const double n = value(sp.customers);
    d.customers = means ? n : std::max(0.0, std::nearbyint(n));
    d.churn = value(sp.churn);
    d.value.shape = seg.value.shape;
    d.value.empirical = &seg.value.empirical;
    d.value.mean = value(sp.value_mean);
    d.value.cv = seg.value.shape == ValueShape::empirical ? 0.0 : value(sp.value_cv);
    d.value.prepare();
    d.factor = valuation_factors(s.valuation.method, T, per_year, d.churn, out.period_discount);
    for (double& f : d.factor) f *= margin;
  }

  out.problems.resize(s.problems.size());
  for (std::size_t j = 0; j < s.problems.size(); ++j) {
    const Problem& p = s.problems[j];
    const ProblemParams& pp = problem_params_[j];
    ProblemDraw& d = out.problems[j];
    d.incidence = value(pp.incidence);
    d.complaint = value(pp.complaint);
    d.tiers.resize(p.handling.size());
    for (std::size_t k = 0; k < p.handling.size(); ++k) {
      const Tier& tier = p.handling[k];
      const TierParams& tp = pp.tiers[k];
      std::array<double, 3> share = tier.resolution.values;
      if (tier.resolution.dirichlet) {
        if (means) {
          share = tier.resolution.mean();
        } else {
          // Dirichlet by normalised gammas, each drawn by inverse CDF from its own keyed uniform.
          double total = 0;
          for (int c = 0; c < 3; ++c) {
            share[c] = tier.resolution.values[c] > 0 ? value(tp.share[c]) : 0.0;
            total += share[c];
          }
          for (double& x : share) x = total > 0 ? x / total : 0.0;
        }
      }
      TierDraw& td = d.tiers[k];
      td.resolved = share[0];
      const double rest = share[1] + share[2];
      td.mollified_rest = rest > 0 ? std::min(1.0, share[1] / rest) : 0.0;
      td.escalate = value(tp.escalate);
      td.cost = value(tp.cost);
    }
    const double l0 = value(pp.no_problem);
    for (int o = 0; o < N_OUTCOMES; ++o) {
      const double r = value(pp.loyalty[o]) / l0;
      d.defect[o] = r <= 1 ? 1 - r : 0.0;
      d.save[o] = r > 1 ? std::min(1.0, r - 1) : 0.0;
      d.told_bad[o] = value(pp.told_bad[o]);
      d.told_good[o] = value(pp.told_good[o]);
    }
  }
}

void Model::marginalize(const double* cells, double* row) const {
  const Layout& L = layout_;
  std::fill(row, row + L.n_series(), 0.0);
  const int S = n_segments(), P = n_problems();
  for (int s = 0; s < S; ++s) {
    for (int p : problems_of_[s]) {
      const int entries[4] = {L.offset[0] + p, L.offset[1] + L.problem_stage[p], L.offset[2] + s,
                              L.offset[3] + L.problem_cause[p]};
      for (int o = 0; o < N_OUTCOMES; ++o) {
        const double* c = cells + ((s * P + p) * N_OUTCOMES + o) * N_METRICS;
        auto add = [&](int entry) {
          double* r = row + entry * N_METRICS;
          for (int m = 0; m < N_METRICS - 1; ++m) r[m] += c[m];
        };
        add(0);
        for (int e : entries) add(e);
        add(L.offset[4] + o);
      }
    }
  }
  for (int e = 0; e < L.n_entries; ++e) {
    double* r = row + e * N_METRICS;
    r[total_cost] = r[revenue_lost] + r[wom_revenue_lost] + r[handling_cost];
  }
}

}  // namespace cxrisk
