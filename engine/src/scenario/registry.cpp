#include "cxrisk/registry.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <stdexcept>

#include "cxrisk/limits.h"
#include "cxrisk/sampling.h"

namespace cxrisk {

namespace {

constexpr double INF = std::numeric_limits<double>::infinity();

// The stream names of the lists' members: part of every stream's name, so as stable as the streams.
constexpr std::string_view SEGMENT_STREAMS = "segments", PROBLEM_STREAMS = "problems",
                           TIER_STREAMS = "handling";

std::vector<ParamSpec> make_param_specs() {
  std::vector<ParamSpec> v{
      {Param::discount_rate, Scope::scenario, Kind::rate, Group::valuation, "horizon.discount_rate",
       "horizon.discount_rate", false, 0, false, INF, "", "per year",
       "Discounts `horizon` and `lifetime` values and an investment's per-period amounts to time 0: "
       "d = (1 + rate)^(-1 / periods per year)."},
      {Param::margin, Scope::scenario, Kind::ratio, Group::valuation, "valuation.margin", "valuation.margin",
       false, 1, false, INF, "", "share of value",
       "Multiplies every value: revenue by default, profit when a margin is given."},
      {Param::negative_conversion, Scope::scenario, Kind::probability, Group::word_of_mouth,
       "word_of_mouth.negative_conversion", "word_of_mouth.negative_conversion", false, 0, false, INF, "",
       "per person told badly", "The probability that a person told badly is a prospect lost."},
      {Param::positive_conversion, Scope::scenario, Kind::probability, Group::word_of_mouth,
       "word_of_mouth.positive_conversion", "word_of_mouth.positive_conversion", false, 0, false, INF, "",
       "per person told well", "The probability that a person told well is a prospect won."},
      {Param::upfront, Scope::scenario, Kind::money, Group::investment, "investment.upfront",
       "investment.upfront", false, 0, false, MAX_MONEY, "larger amounts want thousands or millions",
       "currency, at time 0", "What an improvement costs up front (comparisons)."},
      {Param::per_period, Scope::scenario, Kind::money, Group::investment, "investment.per_period",
       "investment.per_period", false, 0, false, MAX_MONEY, "larger amounts want thousands or millions",
       "currency per period",
       "What an improvement costs in each period of the horizon, discounted like the horizon."},
      {Param::customers, Scope::segment, Kind::count, Group::customers, "customers", "customers", true, 0,
       false, MAX_COUNT, "a count above that cannot be held exactly", "customers",
       "Active customers at the start of the horizon; an uncertain count is rounded per trial."},
      {Param::baseline_churn, Scope::segment, Kind::probability, Group::customers, "baseline_churn",
       "baseline_churn", false, 0, false, INF, "", "per customer and period",
       "Leaving for reasons unrelated to service (not counted as lost to service)."},
      {Param::value_mean, Scope::segment, Kind::money, Group::value, "value.mean", "value.mean", true, 0,
       false, MAX_MONEY, "larger amounts want thousands or millions", "currency per customer and period",
       "The mean value of a customer per period."},
      {Param::value_cv, Scope::segment, Kind::ratio, Group::value, "value.cv", "value.cv", false, 0, false,
       VALUE_CV_MAX, "a gamma shape 1 / cv^2 below 1e-12 cannot be computed",
       "ratio (sd / mean between customers)",
       "How much customers' values differ (coefficient of variation); 0: every customer has the mean."},
      {Param::incidence, Scope::problem, Kind::probability, Group::incidence, "incidence", "incidence", true,
       0, false, INF, "", "per customer and period",
       "The probability that an active customer has this problem in a period (if no earlier problem of the "
       "journey happened)."},
      {Param::complaint_rate, Scope::problem, Kind::probability, Group::complaint, "complaint_rate",
       "complaint_rate", true, 0, false, INF, "", "per customer with the problem",
       "The probability that a customer with the problem complains."},
      {Param::loyalty_no_problem, Scope::problem, Kind::probability, Group::loyalty, "loyalty.no_problem",
       "loyalty.no_problem", true, 0, false, INF, "", "repurchase probability",
       "Loyalty of a customer without a problem; only each outcome's ratio to it matters."},
  };
  constexpr std::array<std::string_view, N_OUTCOMES> LOYALTY{
      "Loyalty after a problem never complained about.",
      "Loyalty after a complaint resolved at the first tier.",
      "Loyalty after a complaint resolved at a later tier.",
      "Loyalty after a complaint that was only mollified.", "Loyalty after a complaint left unresolved."};
  // The keys of the outcomes live as long as the program: they are views into this table.
  static const std::array<std::array<std::string, N_OUTCOMES>, 3> keys = [] {
    std::array<std::array<std::string, N_OUTCOMES>, 3> k;
    for (int o = 0; o < N_OUTCOMES; ++o) {
      k[0][o] = fmt::format("loyalty.{}", OUTCOME_NAMES[o]);
      k[1][o] = fmt::format("wom.negative.{}", OUTCOME_NAMES[o]);
      k[2][o] = fmt::format("wom.positive.{}", OUTCOME_NAMES[o]);
    }
    return k;
  }();
  for (int o = 0; o < N_OUTCOMES; ++o)
    v.push_back({loyalty_of(static_cast<Outcome>(o)), Scope::problem, Kind::probability, Group::loyalty,
                 keys[0][o], keys[0][o], true, 0, false, INF, "", "repurchase probability", LOYALTY[o]});
  for (int o = 0; o < N_OUTCOMES; ++o)
    v.push_back({told_negative(static_cast<Outcome>(o)), Scope::problem, Kind::people, Group::word_of_mouth,
                 keys[1][o], keys[1][o], false, 0, true, MAX_PEOPLE_TOLD,
                 "a customer tells at most a million people", "people per customer with this outcome",
                 "People told badly (Poisson), each a prospect lost with negative_conversion."});
  for (int o = 0; o < N_OUTCOMES; ++o)
    v.push_back({told_positive(static_cast<Outcome>(o)), Scope::problem, Kind::people, Group::word_of_mouth,
                 keys[2][o], keys[2][o], false, 0, true, MAX_PEOPLE_TOLD,
                 "a customer tells at most a million people", "people per customer with this outcome",
                 "People told well (Poisson), each a prospect won with positive_conversion."});
  v.push_back({Param::resolution, Scope::tier, Kind::shares, Group::handling, "resolution", "resolution",
               true, 0, false, INF, "", "shares of the complaints handled at the tier",
               "How the tier's complaints end: {resolved, mollified, unresolved} summing to 1, or "
               "{dist: dirichlet, ...} with concentrations."});
  v.push_back({Param::escalate, Scope::tier, Kind::probability, Group::handling, "escalate", "escalate",
               false, 0, false, INF, "", "per complaint unresolved at the tier",
               "The probability that an unresolved complaint goes on to the next tier (0 at the last)."});
  v.push_back({Param::cost, Scope::tier, Kind::money, Group::handling, "cost", "cost", false, 0, false,
               MAX_MONEY, "larger amounts want thousands or millions", "currency per contact",
               "What handling one complaint at this tier costs."});
  for (std::size_t i = 0; i < v.size(); ++i)
    if (static_cast<std::size_t>(v[i].id) != i || scope_of(v[i].id) != v[i].scope)
      throw std::logic_error("the parameter registry is not in Param order");
  return v;
}

std::vector<SettingSpec> make_setting_specs() {
  return {
      {Scope::scenario, "cxrisk", "1", true, "", "The schema version."},
      {Scope::scenario, "name", "text", true, "", "The scenario's name, shown in every output."},
      {Scope::scenario, "currency", "text", false, "", "A label for the amounts (JPY, USD, ...)."},
      {Scope::scenario, "horizon.periods", "whole number, 1 to 100,000", true, "", "Periods simulated."},
      {Scope::scenario, "horizon.period", "month, quarter or year", false, "month",
       "The length of a period."},
      {Scope::scenario, "valuation.method", "annual, horizon or lifetime", false, "annual",
       "What a lost customer costs (MODEL.md section 4)."},
      {Scope::scenario, "simulation.trials", "whole number, 1 to 4,294,967,295", false, "10000",
       "Trials of a run (`--trials` overrides)."},
      {Scope::scenario, "simulation.seed", "whole number, 0 to 2^64 - 1", false, "1",
       "The seed of every random stream (`--seed` overrides); never the clock."},
      {Scope::scenario, "simulation.sampling", "random, lhs or sobol", false, "random",
       "The design of the uncertain inputs' draws (`--sampling` overrides): plain random, Latin hypercube, "
       "or "
       "scrambled Sobol points; docs/scenario.md, \"Correlations and sampling designs\"."},
      {Scope::scenario, "simulation.precision", "list of METRIC:STATISTIC:TOLERANCE", false, "",
       "Run until each 95% interval is this narrow instead of a fixed number of trials (`--precision` "
       "overrides): e.g. [total_cost:p95:1%, total_cost:mean:0.1%]; docs/precision.md."},
      {Scope::scenario, "simulation.max_trials", "whole number, 2048 to 4294967295", false, "1000000",
       "Where a run to a precision stops if its targets are not met (`--max-trials` overrides)."},
      {Scope::scenario, "simulation.correlations", "repair or strict", false, "repair",
       "What an invalid correlation matrix gets: repaired to the nearest valid one with a warning, or an "
       "error."},
      {Scope::scenario, "correlations", "list of pairs or matrices", false, "",
       "Spearman rank correlations between uncertain inputs, by registry path: {between: [PATH, PATH], rank: "
       "R} (`*` as in changes) or {inputs: [PATH, ...], matrix: [[...]]}."},
      {Scope::scenario, "segments", "list of segments", true, "", "The customer segments (at least one)."},
      {Scope::scenario, "stages", "list of names", false, "",
       "The journey's stages in order; when given, every problem names one."},
      {Scope::scenario, "problems", "list of problems", true, "", "The problems, in file order."},
      {Scope::segment, "name", "text", true, "", "A unique name."},
      {Scope::segment, "value.shape", "gamma, lognormal or fixed", false,
       "gamma when cv can be above 0, else fixed", "The distribution of values between customers."},
      {Scope::segment, "value.empirical", "file name", false, "",
       "Instead of mean, cv and shape: a file of per-customer values, one a line, relative to the scenario."},
      {Scope::problem, "name", "text", true, "", "A unique name."},
      {Scope::problem, "stage", "a name from stages", false, "",
       "The journey stage where the problem happens."},
      {Scope::problem, "cause", "company, customer, process, partner or unspecified", false, "unspecified",
       "A label for breakdowns."},
      {Scope::problem, "segments", "list of segment names", false, "every segment",
       "The segments the problem applies to."},
      {Scope::problem, "handling", "list of tiers", false, "",
       "The handling tiers in order (needed when complaint_rate can be above 0)."},
      {Scope::tier, "tier", "text", false, "tier1, tier2, ...",
       "The tier's name, unique within the problem."},
  };
}

void add_key(std::vector<std::string_view>& keys, std::string_view key, std::string_view prefix) {
  if (!prefix.empty()) {
    if (key.size() <= prefix.size() || key.substr(0, prefix.size()) != prefix || key[prefix.size()] != '.')
      return;
    key.remove_prefix(prefix.size() + 1);
  }
  const std::string_view next = key.substr(0, key.find('.'));
  if (std::find(keys.begin(), keys.end(), next) == keys.end()) keys.push_back(next);
}

std::vector<std::string> key_parts(std::string_view key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto dot = key.find('.', start);
    parts.emplace_back(
        key.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) return parts;
    start = dot + 1;
  }
}

bool needs_quotes(std::string_view part) {
  return part.empty() || part.find_first_of(".\"") != std::string_view::npos || part == "*";
}

}  // namespace

std::string_view to_string(Kind kind) {
  constexpr std::array<std::string_view, 7> NAMES{"probability", "shares", "count", "money",
                                                  "people",      "rate",   "ratio"};
  return NAMES[static_cast<std::size_t>(kind)];
}

std::string_view to_string(Group group) {
  constexpr std::array<std::string_view, 9> NAMES{"customers", "value",         "valuation",
                                                  "incidence", "complaint",     "handling",
                                                  "loyalty",   "word_of_mouth", "investment"};
  return NAMES[static_cast<std::size_t>(group)];
}

const std::vector<ParamSpec>& param_specs() {
  static const std::vector<ParamSpec> specs = make_param_specs();
  return specs;
}

const ParamSpec& spec(Param p) {
  return param_specs()[static_cast<std::size_t>(p)];
}

const std::vector<SettingSpec>& setting_specs() {
  static const std::vector<SettingSpec> specs = make_setting_specs();
  return specs;
}

std::vector<std::string_view> keys_under(Scope scope, std::string_view prefix) {
  std::vector<std::string_view> keys;
  for (const SettingSpec& s : setting_specs())
    if (s.scope == scope) add_key(keys, s.key, prefix);
  for (const ParamSpec& p : param_specs())
    if (p.scope == scope) add_key(keys, p.key, prefix);
  return keys;
}

bool is_mapping(Scope scope, std::string_view prefix) {
  const auto under = [&](std::string_view key) {
    return key.size() > prefix.size() && key.substr(0, prefix.size()) == prefix && key[prefix.size()] == '.';
  };
  return std::any_of(param_specs().begin(), param_specs().end(),
                     [&](const ParamSpec& p) { return p.scope == scope && under(p.key); }) ||
         std::any_of(setting_specs().begin(), setting_specs().end(),
                     [&](const SettingSpec& s) { return s.scope == scope && under(s.key); });
}

std::optional<std::vector<std::string>> split_path(std::string_view path) {
  std::vector<std::string> parts(1);
  bool quoted = false, was_quoted = false;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '"' && (quoted || parts.back().empty())) {
      quoted = !quoted;
      was_quoted = true;
    } else if (c == '.' && !quoted) {
      parts.emplace_back();
      was_quoted = false;
    } else if (!quoted && was_quoted) {
      return std::nullopt;  // text after a closing quote
    } else {
      parts.back() += c;
    }
  }
  if (quoted) return std::nullopt;
  return parts;
}

std::string join_path(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += '.';
    out += needs_quotes(parts[i]) && parts[i] != "*" ? "\"" + parts[i] + "\"" : parts[i];
  }
  return out;
}

std::string ParamRef::path_text() const {
  return join_path(path);
}

bool ParamRef::uncertain() const {
  return shares ? shares->dirichlet : !quantity->is_fixed();
}

std::string ParamRef::describe() const {
  if (!shares) return quantity->describe();
  const auto& v = shares->values;
  return shares->dirichlet
             ? fmt::format("dirichlet(resolved={}, mollified={}, unresolved={})", v[0], v[1], v[2])
             : fmt::format("resolved={}, mollified={}, unresolved={}", v[0], v[1], v[2]);
}

std::vector<InputSummary> summarize_inputs(const Scenario& scenario) {
  std::vector<InputSummary> out;
  for_each_param(scenario, [&](const ParamRef& r) {
    if (!r.active) return;
    InputSummary x;
    x.path = r.path_text();
    x.kind = std::string(to_string(r.spec->group));
    x.distribution = r.describe();
    x.uncertain = r.uncertain();
    if (r.quantity) {
      x.mean = r.quantity->mean();
      x.p10 = r.quantity->quantile(0.1);
      x.p50 = r.quantity->quantile(0.5);
      x.p90 = r.quantity->quantile(0.9);
    } else {
      x.mean = x.p10 = x.p50 = x.p90 = std::numeric_limits<double>::quiet_NaN();
    }
    out.push_back(std::move(x));
  });
  return out;
}

Quantity& quantity_at(Scenario& s, Param p, const Place& place) {
  switch (scope_of(p)) {
    case Scope::scenario:
      return s[p];
    case Scope::segment:
      return s.segments[static_cast<std::size_t>(place.segment)][p];
    case Scope::problem:
      return s.problems[static_cast<std::size_t>(place.problem)][p];
    case Scope::tier:
      break;
  }
  return s.problems[static_cast<std::size_t>(place.problem)]
      .handling[static_cast<std::size_t>(place.tier)][p];
}

Shares& shares_at(Scenario& s, const Place& place) {
  return s.problems[static_cast<std::size_t>(place.problem)]
      .handling[static_cast<std::size_t>(place.tier)]
      .resolution;
}

void for_each_param(const Scenario& s, const std::function<void(const ParamRef&)>& f) {
  auto& mutable_s = const_cast<Scenario&>(s);  // quantity_at is written once, for both constnesses
  const auto emit = [&](const ParamSpec& spec, const Place& place, std::vector<std::string> prefix,
                        const std::string& index_prefix, const std::string& stream_prefix) {
    ParamRef r;
    r.spec = &spec;
    r.place = place;
    if (spec.kind == Kind::shares)
      r.shares = &shares_at(mutable_s, place);
    else
      r.quantity = &quantity_at(mutable_s, spec.id, place);
    for (auto& part : key_parts(spec.key)) prefix.push_back(std::move(part));
    r.path = std::move(prefix);
    r.index_path = index_prefix.empty() ? std::string(spec.key) : index_prefix + "." + std::string(spec.key);
    r.stream =
        stream_prefix.empty() ? std::string(spec.stream) : stream_prefix + "." + std::string(spec.stream);
    if (spec.scope == Scope::scenario && spec.group == Group::investment && !s.has_investment) {
      r.active = false;
      r.why_not = "the scenario has no investment";
    }
    if (spec.group == Group::value && place.segment >= 0 &&
        s.segments[static_cast<std::size_t>(place.segment)].value.shape == ValueShape::empirical) {
      r.active = false;
      r.why_not = fmt::format("segment '{}' reads its values from a file",
                              s.segments[static_cast<std::size_t>(place.segment)].name);
    }
    f(r);
  };
  const auto& specs = param_specs();
  const auto scope_specs = [&](Scope scope) {
    const auto first = static_cast<std::size_t>(FIRST_PARAM[static_cast<int>(scope)]);
    return std::span(specs).subspan(first,
                                    static_cast<std::size_t>(PARAMS_IN_SCOPE[static_cast<int>(scope)]));
  };
  for (const ParamSpec& spec : scope_specs(Scope::scenario)) emit(spec, {}, {}, "", "");
  for (std::size_t i = 0; i < s.segments.size(); ++i) {
    const std::string& name = s.segments[i].name;
    for (const ParamSpec& spec : scope_specs(Scope::segment))
      emit(spec, {static_cast<int>(i), -1, -1}, {"segments", name}, fmt::format("segments[{}]", i),
           fmt::format("{}.{}", SEGMENT_STREAMS, name));
  }
  for (std::size_t j = 0; j < s.problems.size(); ++j) {
    const Problem& p = s.problems[j];
    const std::string stream = fmt::format("{}.{}", PROBLEM_STREAMS, p.name);
    const std::string index = fmt::format("problems[{}]", j);
    for (const ParamSpec& spec : scope_specs(Scope::problem))
      emit(spec, {-1, static_cast<int>(j), -1}, {"problems", p.name}, index, stream);
    for (std::size_t k = 0; k < p.handling.size(); ++k)
      for (const ParamSpec& spec : scope_specs(Scope::tier))
        emit(spec, {-1, static_cast<int>(j), static_cast<int>(k)},
             {"problems", p.name, "handling", p.handling[k].name}, fmt::format("{}.handling[{}]", index, k),
             fmt::format("{}.{}.{}", stream, TIER_STREAMS, p.handling[k].name));
  }
}

namespace {

std::string_view scope_title(Scope scope) {
  switch (scope) {
    case Scope::scenario:
      return "The scenario";
    case Scope::segment:
      return "Each segment (`segments: [...]`)";
    case Scope::problem:
      return "Each problem (`problems: [...]`)";
    case Scope::tier:
      return "Each tier of a problem's handling (`handling: [...]`)";
  }
  return "";
}

// The path a parameter is addressed by: S, P and T stand for a segment's, a problem's and a tier's name.
std::string address_of(const ParamSpec& p) {
  switch (p.scope) {
    case Scope::scenario:
      return std::string(p.key);
    case Scope::segment:
      return "segments.S." + std::string(p.key);
    case Scope::problem:
      return "problems.P." + std::string(p.key);
    case Scope::tier:
      break;
  }
  return "problems.P.handling.T." + std::string(p.key);
}

std::string default_of(const ParamSpec& p) {
  if (p.required) return "**required**";
  return fmt::format("{}", p.default_value);
}

}  // namespace

std::string reference_markdown() {
  std::string out;
  for (Scope scope : {Scope::scenario, Scope::segment, Scope::problem, Scope::tier}) {
    out += fmt::format("### {}\n\n", scope_title(scope));
    out += "| key | type | default | unit | meaning |\n|---|---|---|---|---|\n";
    for (const SettingSpec& s : setting_specs())
      if (s.scope == scope)
        out += fmt::format("| `{}` | {} | {} | | {} |\n", s.key, s.type,
                           s.required ? "**required**" : (s.default_text.empty() ? "" : s.default_text),
                           s.description);
    for (const ParamSpec& p : param_specs())
      if (p.scope == scope)
        out += fmt::format(
            "| `{}` | {} | {} | {} | {}{} |\n", p.key, to_string(p.kind), default_of(p), p.unit,
            p.description,
            std::isfinite(p.largest) ? fmt::format(" At most {:g} ({}).", p.largest, p.largest_why) : "");
    out += "\n";
  }
  out += "### Parameter paths\n\n";
  out +=
      "What `changes` (`set`, `scale`), `--vary` and Python's `with_changes` address; `S`, `P` and `T` stand "
      "for "
      "a segment's, a problem's and a tier's name (`*` for every one), and the group is what the parameter "
      "is "
      "counted under in breakdowns by kind of input.\n\n";
  out += "| path | kind | group | stream |\n|---|---|---|---|\n";
  for (const ParamSpec& p : param_specs())
    out += fmt::format("| `{}` | {} | {} | `{}` |\n", address_of(p), to_string(p.kind), to_string(p.group),
                       p.stream);
  return out;
}

std::vector<ParamRef> uncertain_inputs(const Scenario& scenario) {
  std::vector<ParamRef> out;
  for_each_param(scenario, [&](const ParamRef& r) {
    if (r.active && r.uncertain()) out.push_back(r);
  });
  return out;
}

}  // namespace cxrisk
