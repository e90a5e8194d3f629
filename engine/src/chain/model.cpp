#include "cxrisk/model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "cxrisk/error.h"
#include "sampling/quantile_table.h"

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

LoyaltyMove loyalty_move(double loyalty, double no_problem) {
  const double r = loyalty / no_problem;
  return {r <= 1 ? 1 - r : 0.0, r > 1 ? std::min(1.0, r - 1) : 0.0};
}

TierDraw tier_odds(const std::array<double, 3>& share, double escalate, double cost) {
  TierDraw t;
  t.resolved = share[0];
  const double rest = share[1] + share[2];
  t.mollified_rest = rest > 0 ? std::min(1.0, share[1] / rest) : 0.0;
  t.escalate = escalate;
  t.cost = cost;
  return t;
}

Model::Model(const Scenario& scenario, std::uint64_t seed, Use use, InputDesign design)
    : scenario_(scenario), seed_(seed), use_(use), design_(design) {
  const Scenario& s = scenario_;
  const int S = n_segments(), P = n_problems();
  lay_out_breakdowns();
  // Journey order per segment.
  const std::vector<int> order = s.journey_order();
  problems_of_.resize(static_cast<std::size_t>(S));
  for (int seg = 0; seg < S; ++seg)
    for (int p : order)
      if (s.applies(p, seg)) problems_of_[static_cast<std::size_t>(seg)].push_back(p);
  // Stream keys of the chain: by name, so that scenarios sharing structure share draws.
  const std::uint64_t flow = key_combine(seed, "flow");
  const std::uint64_t individual = key_combine(seed, "individual");
  for (int seg = 0; seg < S; ++seg) {
    const std::uint64_t k = key_combine(flow, s.segments[static_cast<std::size_t>(seg)].name);
    segment_keys_.push_back(key_combine(k, "#churn"));
    for (int p = 0; p < P; ++p)
      cell_keys_.push_back(key_combine(k, s.problems[static_cast<std::size_t>(p)].name));
    individual_keys_.push_back(key_combine(individual, s.segments[static_cast<std::size_t>(seg)].name));
  }
  // The parameters' slots, in the registry's order, each keyed by its stream's name.
  segment_first_.resize(static_cast<std::size_t>(S));
  problem_first_.resize(static_cast<std::size_t>(P));
  tier_first_.resize(static_cast<std::size_t>(P));
  for (int p = 0; p < P; ++p)
    tier_first_[static_cast<std::size_t>(p)].resize(s.problems[static_cast<std::size_t>(p)].handling.size());
  for_each_param(s, [&](const ParamRef& ref) { add_slots(ref); });
  set_up_inputs();
}

void Model::set_up_inputs() {
  if (design_.sampling != Sampling::random) {
    if (design_.trials < MIN_DESIGN_TRIALS)
      throw UsageError(fmt::format("{} sampling needs at least {} trials ({} replicates of two), got {}",
                                   to_string(design_.sampling), MIN_DESIGN_TRIALS, REPLICATES,
                                   design_.trials));
    if (design_.sampling == Sampling::sobol) sobol_ = std::make_unique<SobolDirections>(uncertain_.size());
  }
  if (use_ != Use::trials) return;  // the means alone: nothing is drawn, nothing correlated
  for (const CorrelatedGroup& g : resolve_correlations(scenario_).groups) {
    Copula c;
    for (const std::string& path : g.paths)
      for (std::size_t i = 0; i < inputs_.size(); ++i)
        if (inputs_[i].ref.path_text() == path) c.members.push_back(i);
    if (c.members.size() != g.size()) throw std::logic_error("Model: a correlated input is not an input");
    c.factor = g.factor;
    copulas_.push_back(std::move(c));
  }
}

void Model::lay_out_breakdowns() {
  const Scenario& s = scenario_;
  auto& names = layout_.entry_names;
  const auto at = [](Dimension d) { return static_cast<std::size_t>(d); };
  // Problems in file order, stages in journey order, segments, the causes used, outcomes.
  for (const Problem& p : s.problems) names[at(Dimension::problem)].push_back(p.name);
  std::vector<std::string>& stages = names[at(Dimension::stage)];
  if (!s.stages.empty()) {
    stages = s.stages;
  } else {
    for (const Problem& p : s.problems) {
      const std::string stage = p.stage.empty() ? "unspecified" : p.stage;
      if (std::find(stages.begin(), stages.end(), stage) == stages.end()) stages.push_back(stage);
    }
  }
  for (const Segment& seg : s.segments) names[at(Dimension::segment)].push_back(seg.name);
  for (int c = 0; c < N_CAUSES; ++c)
    if (std::any_of(s.problems.begin(), s.problems.end(),
                    [&](const Problem& p) { return static_cast<int>(p.cause) == c; }))
      names[at(Dimension::cause)].emplace_back(CAUSE_NAMES[static_cast<std::size_t>(c)]);
  for (auto o : OUTCOME_NAMES) names[at(Dimension::outcome)].emplace_back(o);
  int next = 1;
  for (std::size_t d = 0; d < N_DIMENSIONS; ++d) {
    layout_.first_entry[d] = next;
    next += static_cast<int>(names[d].size());
  }
  layout_.n_entries = next;
  const auto index_in = [](const std::vector<std::string>& list, std::string_view name) {
    return static_cast<int>(std::find(list.begin(), list.end(), name) - list.begin());
  };
  for (const Problem& p : s.problems) {
    layout_.problem_stage.push_back(index_in(stages, p.stage.empty() ? "unspecified" : p.stage));
    layout_.problem_cause.push_back(index_in(names[at(Dimension::cause)], to_string(p.cause)));
  }
}

Model::~Model() = default;

void Model::add_slots(const ParamRef& ref) {
  const Place& at = ref.place;
  switch (ref.spec->scope) {
    case Scope::scenario:
      break;
    case Scope::segment:
      if (ref.spec->id == FIRST_PARAM[static_cast<int>(Scope::segment)])
        segment_first_[static_cast<std::size_t>(at.segment)] = slots_.size();
      break;
    case Scope::problem:
      if (ref.spec->id == FIRST_PARAM[static_cast<int>(Scope::problem)])
        problem_first_[static_cast<std::size_t>(at.problem)] = slots_.size();
      break;
    case Scope::tier:
      if (ref.spec->id == FIRST_PARAM[static_cast<int>(Scope::tier)])
        tier_first_[static_cast<std::size_t>(at.problem)][static_cast<std::size_t>(at.tier)] = slots_.size();
      break;
  }
  const std::uint64_t root = key_combine(seed_, "param");
  std::vector<std::pair<Quantity, std::string>> values;
  if (ref.shares) {
    // A Dirichlet's shares are normalised gammas, each drawn by inverse CDF from its own keyed uniform.
    static constexpr std::array<std::string_view, 3> SHARE{".resolved", ".mollified", ".unresolved"};
    for (std::size_t c = 0; c < 3; ++c) {
      const double a = ref.shares->values[c];
      values.emplace_back(ref.shares->dirichlet && a > 0
                              ? Quantity::make(QuantityForm::gamma_shape_scale, {a, 1.0})
                              : Quantity::fixed(ref.shares->dirichlet ? 0.0 : a),
                          ref.stream + std::string(SHARE[c]));
    }
  } else {
    values.emplace_back(*ref.quantity, ref.stream);
  }
  const std::size_t first_uniform = uncertain_.size();
  // The bounds of the parameter's kind (scenario.h's NEGLIGIBLE_TAIL: a distribution may reach past them
  // with a negligible tail, drawn as the bound).
  double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
  if (ref.spec->kind == Kind::probability) lo = 0, hi = 1;
  if (ref.spec->kind == Kind::count || ref.spec->kind == Kind::money || ref.spec->kind == Kind::people ||
      ref.spec->kind == Kind::ratio)
    lo = 0;
  for (auto& [q, stream] : values) {
    Slot slot{q, nullptr, key_combine(root, stream), lo, hi};
    if (!q.is_fixed() && use_ == Use::trials) {
      // One table per distinct quantity: scenarios repeat distributions (the same loyalty prior for every
      // problem, the same survey shares for every tier).
      for (std::size_t i = 0; i < quantiles_.size() && !slot.quantile; ++i)
        if (slots_[quantile_slot_[i]].quantity == q) slot.quantile = quantiles_[i].get();
      if (!slot.quantile) {
        quantiles_.push_back(share_quantile(q));
        quantile_slot_.push_back(slots_.size());
        slot.quantile = quantiles_.back().get();
      }
      uncertain_.push_back(slots_.size());
    }
    slots_.push_back(std::move(slot));
  }
  if (uncertain_.size() > first_uniform && ref.active)
    inputs_.push_back({ref, first_uniform, uncertain_.size() - first_uniform});
}

std::size_t Model::slot(Param p, const Place& place) const {
  const auto local = static_cast<std::size_t>(local_index(p));
  switch (scope_of(p)) {
    case Scope::scenario:
      return local;
    case Scope::segment:
      return segment_first_[static_cast<std::size_t>(place.segment)] + local;
    case Scope::problem:
      return problem_first_[static_cast<std::size_t>(place.problem)] + local;
    case Scope::tier:
      break;
  }
  // A resolution takes three slots, one a share.
  return tier_first_[static_cast<std::size_t>(place.problem)][static_cast<std::size_t>(place.tier)] +
         (p == Param::resolution ? 0 : local + 2);
}

bool Model::pools_horizon(int s) const {
  const ValueShape shape = scenario_.segments[static_cast<std::size_t>(s)].value.shape;
  const bool same_factor = scenario_.valuation == ValuationMethod::annual || n_periods() == 1;
  return same_factor && n_periods() <= POOLED_PERIODS_MAX &&
         (shape == ValueShape::gamma || shape == ValueShape::fixed);
}

void Model::draw(std::uint64_t trial, TrialDraw& out) const {
  uniforms(trial, out.uniforms);
  draw_at(out.uniforms, out);
}

void Model::uniforms(std::uint64_t trial, std::vector<double>& u) const {
  if (use_ != Use::trials)
    throw std::logic_error("Model: a model built for the means alone has no quantile tables to draw with");
  independent_uniforms(trial, u);
  correlate(u);
  // The tables' look-ups are usually cache misses: asking for all of them here lets the misses overlap, and
  // the draws find them in the cache.
  for (std::size_t i = 0; i < uncertain_.size(); ++i) slots_[uncertain_[i]].quantile->prefetch(u[i]);
}

namespace {

// Strictly inside (0, 1), where every quantile is finite.
double open_unit(double x) {
  return std::clamp(x, 0x1.0p-53, 1 - 0x1.0p-53);
}

}  // namespace

void Model::independent_uniforms(std::uint64_t trial, std::vector<double>& u) const {
  u.resize(uncertain_.size());
  if (design_.sampling == Sampling::random) {
    for (std::size_t i = 0; i < uncertain_.size(); ++i)
      u[i] = keyed_uniform(slots_[uncertain_[i]].key, trial);
    return;
  }
  if (trial >= static_cast<std::uint64_t>(design_.trials))
    throw std::logic_error("Model: a trial past the design's trials");
  // Replicate r of the design holds this trial as its point j of m; each replicate is randomised on its own.
  const Replicate rep = replicate_of(static_cast<std::int64_t>(trial), design_.trials);
  const auto j = static_cast<std::uint64_t>(static_cast<std::int64_t>(trial) - rep.first);
  const auto m = static_cast<std::uint64_t>(rep.size);
  for (std::size_t i = 0; i < uncertain_.size(); ++i) {
    const std::uint64_t key = key_combine(slots_[uncertain_[i]].key, static_cast<std::uint64_t>(rep.index));
    if (design_.sampling == Sampling::lhs) {
      // Point j falls in stratum pi(j) of m, at a uniform place inside it.
      const std::uint64_t stratum = keyed_permutation(j, m, key);
      u[i] =
          open_unit((static_cast<double>(stratum) + keyed_uniform(key, trial, 1)) / static_cast<double>(m));
    } else {
      // Point j of the Sobol sequence in the input's dimension, Owen-scrambled under the replicate's key; the
      // bits past the sequence's 32 are uniform.
      const std::uint32_t x = owen_scramble(sobol_->point(i, j), static_cast<std::uint32_t>(key));
      u[i] = open_unit(uniform_from_bits(x, mix64(key ^ (trial + 1))));
    }
  }
}

void Model::correlate(std::span<double> u) const {
  std::vector<double> z;
  for (const Copula& c : copulas_) {
    const std::size_t k = c.members.size();
    z.resize(k);
    for (std::size_t a = 0; a < k; ++a)
      z[a] = standard_normal_quantile(u[inputs_[c.members[a]].first_uniform]);
    for (std::size_t a = 0; a < k; ++a) {
      double y = 0;
      for (std::size_t b = 0; b < k; ++b) y += c.factor[a * k + b] * z[b];
      u[inputs_[c.members[a]].first_uniform] = open_unit(standard_normal_cdf(y));
    }
  }
}

void Model::draw_at(std::span<const double> u, TrialDraw& out) const {
  if (u.size() != uncertain_.size()) throw std::logic_error("Model::draw_at: one uniform an uncertain slot");
  fill(out, u.data());
}

void Model::draw_means(TrialDraw& out) const {
  fill(out, nullptr);
}

void Model::fill(TrialDraw& out, const double* u) const {
  const bool means = u == nullptr;
  out.inputs.resize(slots_.size());
  for (std::size_t i = 0, next = 0; i < slots_.size(); ++i) {
    const Quantity& q = slots_[i].quantity;
    if (q.is_fixed())
      out.inputs[i] = q.value();
    else
      out.inputs[i] =
          std::clamp(means ? q.mean() : (*slots_[i].quantile)(u[next++]), slots_[i].lo, slots_[i].hi);
  }
  const Scenario& s = scenario_;
  const int per_year = periods_per_year(s.period);
  out.period_discount = std::pow(1 + input(out, Param::discount_rate), -1.0 / per_year);
  out.negative_conversion = input(out, Param::negative_conversion);
  out.positive_conversion = input(out, Param::positive_conversion);
  out.investment_upfront = s.has_investment ? input(out, Param::upfront) : 0.0;
  out.investment_per_period = s.has_investment ? input(out, Param::per_period) : 0.0;
  fill_segments(out, input(out, Param::margin), means);
  fill_problems(out);
}

void Model::fill_segments(TrialDraw& out, double margin, bool means) const {
  const Scenario& s = scenario_;
  const int T = n_periods(), per_year = periods_per_year(s.period);
  out.segments.resize(s.segments.size());
  for (std::size_t i = 0; i < s.segments.size(); ++i) {
    const Segment& seg = s.segments[i];
    const Place at{static_cast<int>(i), -1, -1};
    SegmentDraw& d = out.segments[i];
    const double n = input(out, Param::customers, at);
    d.customers = means ? n : std::max(0.0, std::nearbyint(n));
    d.churn = input(out, Param::baseline_churn, at);
    d.value.shape = seg.value.shape;
    d.value.empirical = &seg.value.empirical;
    d.value.mean = input(out, Param::value_mean, at);
    d.value.cv = seg.value.shape == ValueShape::empirical ? 0.0 : input(out, Param::value_cv, at);
    d.value.prepare();
    d.factor = valuation_factors(s.valuation, T, per_year, d.churn, out.period_discount);
    for (double& f : d.factor) f *= margin;
  }
}

void Model::fill_problems(TrialDraw& out) const {
  const Scenario& s = scenario_;
  out.problems.resize(s.problems.size());
  for (std::size_t j = 0; j < s.problems.size(); ++j) {
    const Problem& p = s.problems[j];
    const Place at{-1, static_cast<int>(j), -1};
    ProblemDraw& d = out.problems[j];
    d.incidence = input(out, Param::incidence, at);
    d.complaint = input(out, Param::complaint_rate, at);
    d.tiers.resize(p.handling.size());
    for (std::size_t k = 0; k < p.handling.size(); ++k) {
      const Place tier{-1, static_cast<int>(j), static_cast<int>(k)};
      const double* drawn = &out.inputs[slot(Param::resolution, tier)];
      std::array<double, 3> share{drawn[0], drawn[1], drawn[2]};
      if (p.handling[k].resolution.dirichlet) {
        double total = 0;
        for (double x : share) total += x;
        for (double& x : share) x = total > 0 ? x / total : 0.0;
      }
      d.tiers[k] = tier_odds(share, input(out, Param::escalate, tier), input(out, Param::cost, tier));
    }
    const double l0 = input(out, Param::loyalty_no_problem, at);
    for (int o = 0; o < N_OUTCOMES; ++o) {
      const auto outcome = static_cast<Outcome>(o);
      const LoyaltyMove move = loyalty_move(input(out, loyalty_of(outcome), at), l0);
      d.defect[o] = move.defect;
      d.save[o] = move.save;
      d.told_negative[o] = input(out, told_negative(outcome), at);
      d.told_positive[o] = input(out, told_positive(outcome), at);
    }
  }
}

void Model::marginalize(const double* cells, double* row) const {
  const Layout& L = layout_;
  std::fill(row, row + L.n_series(), 0.0);
  const int P = n_problems();
  for (int s = 0; s < n_segments(); ++s) {
    for (int p : problems_of_[static_cast<std::size_t>(s)]) {
      const int entries[4] = {L.entry(Dimension::problem, p),
                              L.entry(Dimension::stage, L.problem_stage[static_cast<std::size_t>(p)]),
                              L.entry(Dimension::segment, s),
                              L.entry(Dimension::cause, L.problem_cause[static_cast<std::size_t>(p)])};
      for (int o = 0; o < N_OUTCOMES; ++o) {
        const double* c = cells + ((s * P + p) * N_OUTCOMES + o) * N_METRICS;
        auto add = [&](int entry) {
          double* r = row + entry * N_METRICS;
          for (int m = 0; m < N_METRICS - 1; ++m) r[m] += c[m];
        };
        add(0);
        for (int e : entries) add(e);
        add(L.entry(Dimension::outcome, o));
      }
    }
  }
  for (int e = 0; e < L.n_entries; ++e) {
    double* r = row + e * N_METRICS;
    r[total_cost] = r[revenue_lost] + r[wom_revenue_lost] + r[handling_cost];
  }
}

}  // namespace cxrisk
