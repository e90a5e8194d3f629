#include "cxrisk/scenario.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "cxrisk/limits.h"
#include "cxrisk/registry.h"
#include "cxrisk/text.h"

namespace cxrisk {

std::string FileLoc::to_string() const {
  if (line <= 0) return file;
  if (column <= 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, column);
}

namespace {
std::string error_text(const FileLoc& loc, const std::string& path, const std::string& message) {
  std::string out = loc.to_string();
  if (!out.empty()) out += ": ";
  if (!path.empty()) out += path + ": ";
  return out + message;
}
}  // namespace

ScenarioError::ScenarioError(FileLoc loc, std::string path, std::string message)
    : Error(error_text(loc, path, message)),
      loc_(std::move(loc)),
      path_(std::move(path)),
      message_(std::move(message)) {}

ScenarioErrors::ScenarioErrors(std::vector<ScenarioError> errors)
    : ScenarioError(errors.front().loc(), errors.front().path(), errors.front().message()),
      errors_(std::move(errors)) {
  for (const ScenarioError& e : errors_) text_ += (text_.empty() ? "" : "\nerror: ") + std::string(e.what());
}

void throw_scenario_errors(std::vector<ScenarioError> errors) {
  if (errors.empty()) return;
  std::stable_sort(errors.begin(), errors.end(), [](const ScenarioError& a, const ScenarioError& b) {
    return std::tie(a.loc().line, a.loc().column) < std::tie(b.loc().line, b.loc().column);
  });
  std::vector<ScenarioError> unique;
  for (ScenarioError& e : errors)
    if (unique.empty() || std::string(unique.back().what()) != e.what()) unique.push_back(std::move(e));
  if (unique.size() == 1) throw unique.front();
  throw ScenarioErrors(std::move(unique));
}

namespace {
template <class Names>
std::string_view name_of(const Names& names, int i) {
  return i >= 0 && i < static_cast<int>(names.size()) ? names[static_cast<std::size_t>(i)]
                                                      : std::string_view();
}
}  // namespace

std::string_view to_string(PeriodUnit unit) {
  return name_of(PERIOD_UNIT_NAMES, static_cast<int>(unit));
}
std::string_view to_string(ValuationMethod method) {
  return name_of(VALUATION_METHOD_NAMES, static_cast<int>(method));
}
std::string_view to_string(ValueShape shape) {
  return name_of(VALUE_SHAPE_NAMES, static_cast<int>(shape));
}
std::string_view to_string(Cause cause) {
  return name_of(CAUSE_NAMES, static_cast<int>(cause));
}
std::string_view to_string(Mode mode) {
  return name_of(MODE_NAMES, static_cast<int>(mode));
}

Mode parse_mode(std::string_view text) {
  if (text == "aggregate") return Mode::aggregate;
  if (text == "individual") return Mode::individual;
  throw UsageError(fmt::format("unknown mode '{}' (use aggregate or individual)", text));
}

int periods_per_year(PeriodUnit unit) {
  switch (unit) {
    case PeriodUnit::month:
      return 12;
    case PeriodUnit::quarter:
      return 4;
    case PeriodUnit::year:
      return 1;
  }
  return 1;
}

std::vector<int> Scenario::journey_order() const {
  std::vector<int> order(problems.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  if (stages.empty()) return order;
  auto stage_of = [&](int p) {
    return std::find(stages.begin(), stages.end(), problems[p].stage) - stages.begin();
  };
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return stage_of(a) < stage_of(b); });
  return order;
}

int Scenario::segment_index(std::string_view segment_name) const {
  for (std::size_t i = 0; i < segments.size(); ++i)
    if (segments[i].name == segment_name) return static_cast<int>(i);
  return -1;
}

bool Scenario::applies(int problem, int segment) const {
  const auto& names = problems[problem].segments;
  return names.empty() || std::find(names.begin(), names.end(), segments[segment].name) != names.end();
}

namespace {

// The same correlations however they were written: patterns or pairs, a matrix, an alternative's values over
// its base's.
bool same_correlations(const Scenario& a, const Scenario& b) {
  if (a.correlations == b.correlations) return true;
  return resolve_correlations(a).pairs == resolve_correlations(b).pairs;
}

}  // namespace

bool operator==(const Scenario& a, const Scenario& b) {
  return a.name == b.name && a.currency == b.currency && a.periods == b.periods && a.period == b.period &&
         a.valuation == b.valuation && a.trials == b.trials && a.seed == b.seed && a.segments == b.segments &&
         a.stages == b.stages && a.problems == b.problems && a.has_investment == b.has_investment &&
         a.params == b.params && a.sampling == b.sampling && a.strict_correlations == b.strict_correlations &&
         a.precision == b.precision && a.max_trials == b.max_trials && same_correlations(a, b);
}

std::string Warning::to_string() const {
  return error_text(at, path, message);
}

void SourceMap::set(const std::string& path, FileLoc loc) {
  locs_.insert_or_assign(path, std::move(loc));
}

FileLoc SourceMap::find(std::string_view path) const {
  std::string p(path);
  while (true) {
    if (const auto it = locs_.find(p); it != locs_.end()) return it->second;
    const auto cut = p.find_last_of(".[");
    if (cut == std::string::npos || p.empty()) break;
    p.erase(cut);
  }
  return {file_, 0, 0};
}

namespace {

class Checker {
 public:
  Checker(const Scenario& s, const SourceMap& where) : s_(s), where_(where) {}
  void run();
  std::vector<ScenarioError>& errors() { return errors_; }

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& message) const {
    throw ScenarioError(where_.find(path), path, message);
  }
  void probability(const Quantity& q, const std::string& path) const {
    if (q.is_fixed()) {
      if (q.value() < 0 || q.value() > 1)
        fail(path, fmt::format("must be a probability between 0 and 1, got {}{}", q.value(),
                               q.value() >= 2 && q.value() <= 100
                                   ? fmt::format(" (a percentage? {}% is {:g})", q.value(), q.value() / 100)
                                   : std::string()));
    } else if (beyond(q, 0, 1)) {
      fail(path,
           fmt::format("a probability's distribution must lie inside [0, 1] (up to {:g} of its probability "
                       "beyond, drawn as the bound), but {} reaches [{}, {}] with more{}",
                       NEGLIGIBLE_TAIL, q.describe(), q.support_min(), q.support_max(),
                       q.form() == QuantityForm::normal ? " (give the normal min and max)" : ""));
    }
  }
  void non_negative(const Quantity& q, const std::string& path) const {
    if (q.is_fixed()) {
      if (q.value() < 0) fail(path, fmt::format("must be >= 0, got {}", q.value()));
    } else if (beyond(q, 0, std::numeric_limits<double>::infinity())) {
      fail(path,
           fmt::format("must not take negative values (up to {:g} of its probability below 0, drawn as 0), "
                       "but {} reaches {} with more{}",
                       NEGLIGIBLE_TAIL, q.describe(), q.support_min(),
                       q.form() == QuantityForm::normal ? " (give the normal a min of 0 or more)" : ""));
    }
  }
  /// Whether more than NEGLIGIBLE_TAIL of the distribution lies below `lo` or above `hi` (from its quantiles:
  /// the mass below lo exceeds the tail exactly when the tail's quantile is below lo).
  static bool beyond(const Quantity& q, double lo, double hi) {
    return (q.support_min() < lo && q.quantile(NEGLIGIBLE_TAIL) < lo) ||
           (q.support_max() > hi && q.quantile(1 - NEGLIGIBLE_TAIL) > hi);
  }
  void shares(const Shares& sh, const std::string& path) const {
    const auto& v = sh.values;
    if (sh.dirichlet) {
      if (!(v[0] + v[1] + v[2] > 0)) fail(path, "a dirichlet needs at least one concentration > 0");
    } else if (std::abs(v[0] + v[1] + v[2] - 1) > SHARES_TOLERANCE) {
      fail(path, fmt::format("shares must sum to 1 (within {:g}%), got {:g} + {:g} + {:g} = {:.6g}",
                             100 * SHARES_TOLERANCE, v[0], v[1], v[2], v[0] + v[1] + v[2]));
    }
  }
  /// The checks of a parameter's kind and bounds (the registry's).
  void param(const ParamRef& r) const {
    const ParamSpec& spec = *r.spec;
    const std::string& path = r.index_path;
    if (!r.active) return;
    if (spec.kind == Kind::shares) return shares(*r.shares, path);
    const Quantity& q = *r.quantity;
    switch (spec.kind) {
      case Kind::probability:
        probability(q, path);
        break;
      case Kind::rate:
        if (q.support_min() <= -1) fail(path, "must be > -1");
        break;
      case Kind::count:
        non_negative(q, path);
        if (q.is_fixed() && q.value() != std::floor(q.value()))
          fail(path, fmt::format("must be a whole number, got {}", q.value()));
        break;
      case Kind::money:
      case Kind::people:
      case Kind::ratio:
      case Kind::shares:
        non_negative(q, path);
        break;
    }
    // A draw past a probability's 1 is taken as 1 (NEGLIGIBLE_TAIL).
    if (std::min(q.largest_draw(), spec.kind == Kind::probability ? 1.0 : q.largest_draw()) > spec.largest)
      fail(path, fmt::format("must stay at most {:g} ({})", spec.largest, spec.largest_why));
  }
  template <class Range, class Name>
  void unique(const Range& items, const std::string& list, Name name_of, const char* key) const {
    std::set<std::string> seen;
    std::size_t i = 0;
    for (const auto& item : items) {
      const std::string& name = name_of(item);
      const std::string path = key ? fmt::format("{}[{}].{}", list, i, key) : fmt::format("{}[{}]", list, i);
      if (!seen.insert(name).second) fail(path, fmt::format("duplicate name '{}'", name));
      ++i;
    }
  }
  void lifetime() const;
  void word_of_mouth(const Problem& p, const std::string& path) const;
  void problem(const Problem& p, const std::string& path) const;

  const Scenario& s_;
  const SourceMap& where_;
  std::vector<ScenarioError> errors_;
};

void Checker::lifetime() const {
  if (s_.valuation != ValuationMethod::lifetime) return;
  // F(t) = d^(t+1) / (1 - (1 - c) d) is finite and positive only while (1 - c) d < 1, for every churn and
  // discount rate a trial can draw: the largest d comes with the lowest rate.
  const double rate = s_[Param::discount_rate].support_min();
  const double d = std::pow(1 + rate, -1.0 / periods_per_year(s_.period));
  for (const Segment& seg : s_.segments) {
    const double churn = seg[Param::baseline_churn].support_min();
    if ((1 - churn) * d < 1) continue;
    if (rate >= 0)
      fail("valuation.method",
           fmt::format(
               "lifetime valuation needs a discount_rate > 0 or a baseline_churn > 0, else a customer's "
               "remaining lifetime value is infinite (segment '{}' has neither)",
               seg.name));
    fail("valuation.method",
         fmt::format(
             "lifetime valuation needs (1 - baseline_churn) x d < 1 for every value a trial can draw, else a "
             "customer's remaining lifetime value is infinite; with a discount_rate of {} a period's d is "
             "{:.6g}, and segment '{}' has a baseline_churn as low as {}",
             rate, d, seg.name, churn));
  }
}

// Every count of the chain stays at most MAX_COUNT: the prospects a cell's customers tell of over the
// horizon are at most its customers x periods x people told x conversion (a customer can have a problem every
// period), so that product is bounded.
void Checker::word_of_mouth(const Problem& p, const std::string& path) const {
  double customers = 0;
  for (std::size_t i = 0; i < s_.segments.size(); ++i)
    if (s_.applies(static_cast<int>(&p - s_.problems.data()), static_cast<int>(i)))
      customers = std::max(customers, s_.segments[i][Param::customers].largest_draw());
  for (Outcome o :
       {Outcome::silent, Outcome::quick, Outcome::resolved, Outcome::mollified, Outcome::unresolved})
    for (const auto& [told, conversion] : {std::pair{told_negative(o), Param::negative_conversion},
                                           std::pair{told_positive(o), Param::positive_conversion}}) {
      const double people = p[told].largest_draw(), rate = s_[conversion].largest_draw();
      const double most = customers * s_.periods * people * rate;
      if (!(most <= MAX_COUNT))
        fail(
            fmt::format("{}.{}", path, spec(told).key),
            fmt::format(
                "{} people told by each of up to {:g} customers over {} periods, converted at up to {}, make "
                "up to {:.3g} prospects: more than the {:g} cxrisk counts exactly (tell fewer, or give "
                "fewer customers a larger value)",
                people, customers, s_.periods, rate, most, MAX_COUNT));
    }
}

void Checker::problem(const Problem& p, const std::string& path) const {
  if (!s_.stages.empty()) {
    if (p.stage.empty()) fail(path + ".stage", "required key is missing (the scenario lists stages)");
    if (std::find(s_.stages.begin(), s_.stages.end(), p.stage) == s_.stages.end()) {
      std::string message = fmt::format("unknown stage '{}' (stages: {})", p.stage, join(s_.stages, ", "));
      const std::string hint = closest_name(p.stage, s_.stages);
      if (!hint.empty()) message += fmt::format("; did you mean '{}'?", hint);
      fail(path + ".stage", message);
    }
  }
  std::set<std::string> seen;
  for (std::size_t k = 0; k < p.segments.size(); ++k) {
    const std::string sp = fmt::format("{}.segments[{}]", path, k);
    if (s_.segment_index(p.segments[k]) < 0) {
      std::vector<std::string> known;
      for (const auto& seg : s_.segments) known.push_back(seg.name);
      std::string message =
          fmt::format("unknown segment '{}' (segments: {})", p.segments[k], join(known, ", "));
      const std::string hint = closest_name(p.segments[k], known);
      if (!hint.empty()) message += fmt::format("; did you mean '{}'?", hint);
      fail(sp, message);
    }
    if (!seen.insert(p.segments[k]).second)
      fail(sp, fmt::format("segment '{}' is listed twice", p.segments[k]));
  }
  if (p.handling.empty() && p[Param::complaint_rate].can_exceed(0))
    fail(path + ".handling", "needs at least one tier, since complaint_rate can be above 0");
  if (p.handling.size() > MAX_TIERS)
    fail(path + ".handling", fmt::format("at most {} tiers are supported", MAX_TIERS));
  unique(
      p.handling, path + ".handling", [](const Tier& t) -> const std::string& { return t.name; }, "tier");
  if (!p.handling.empty() && p.handling.back()[Param::escalate].can_exceed(0))
    fail(fmt::format("{}.handling[{}].escalate", path, p.handling.size() - 1),
         "the last tier cannot escalate (there is no tier after it)");
  if (!p[Param::loyalty_no_problem].can_exceed(0))
    fail(path + ".loyalty.no_problem", "must be > 0 (loyalty is measured against it)");
  word_of_mouth(p, path);
}

void Checker::run() {
  // Each check stops at its first error; the checks go on, so that a file's independent errors are all
  // reported at once.
  const auto attempt = [&](const auto& check) {
    try {
      check();
    } catch (const ScenarioError& e) {
      errors_.push_back(e);
    }
  };
  attempt([&] {
    unique(
        s_.segments, "segments", [](const Segment& x) -> const std::string& { return x.name; }, "name");
  });
  attempt([&] {
    unique(
        s_.stages, "stages", [](const std::string& x) -> const std::string& { return x; }, nullptr);
  });
  attempt([&] {
    unique(
        s_.problems, "problems", [](const Problem& x) -> const std::string& { return x.name; }, "name");
  });
  for_each_param(s_, [&](const ParamRef& r) { attempt([&] { param(r); }); });
  attempt([&] { lifetime(); });
  for (std::size_t i = 0; i < s_.problems.size(); ++i)
    attempt([&] { problem(s_.problems[i], fmt::format("problems[{}]", i)); });
}

}  // namespace

void normalise_shares(Scenario& scenario, const SourceMap& where) {
  std::vector<std::pair<Place, std::string>> fixed;
  for_each_param(scenario, [&](const ParamRef& r) {
    if (r.spec->kind == Kind::shares && !r.shares->dirichlet) fixed.emplace_back(r.place, r.index_path);
  });
  for (const auto& [place, path] : fixed) {
    auto& v = shares_at(scenario, place).values;
    const double sum = v[0] + v[1] + v[2];
    if (std::abs(sum - 1) <= 1e-9 || std::abs(sum - 1) > SHARES_TOLERANCE) continue;
    const std::array<double, 3> written = v;
    for (double& x : v) x /= sum;
    scenario.warnings.push_back(
        {where.find(path), path,
         fmt::format(
             "shares sum to {:.6g}, not 1: used as resolved {:.4f}, mollified {:.4f}, unresolved {:.4f} "
             "(each divided by the sum; written {:g}, {:g}, {:g})",
             sum, v[0], v[1], v[2], written[0], written[1], written[2])});
  }
}

std::vector<ScenarioError> scenario_errors(const Scenario& scenario, const SourceMap& where) {
  Checker checker(scenario, where);
  checker.run();
  return std::move(checker.errors());
}

void check_scenario(const Scenario& scenario, const SourceMap& where) {
  throw_scenario_errors(scenario_errors(scenario, where));
  resolve_correlations(scenario);  // throws for a correlation that cannot be drawn
}

}  // namespace cxrisk
