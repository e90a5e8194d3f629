#include "cxrisk/scenario.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <set>

#include "cxrisk/sampling.h"
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

std::string_view to_string(PeriodUnit unit) {
  switch (unit) {
    case PeriodUnit::month:
      return "month";
    case PeriodUnit::quarter:
      return "quarter";
    case PeriodUnit::year:
      return "year";
  }
  return "";
}
std::string_view to_string(ValuationMethod method) {
  switch (method) {
    case ValuationMethod::annual:
      return "annual";
    case ValuationMethod::horizon:
      return "horizon";
    case ValuationMethod::lifetime:
      return "lifetime";
  }
  return "";
}
std::string_view to_string(ValueShape shape) {
  switch (shape) {
    case ValueShape::gamma:
      return "gamma";
    case ValueShape::lognormal:
      return "lognormal";
    case ValueShape::fixed:
      return "fixed";
    case ValueShape::empirical:
      return "empirical";
  }
  return "";
}
std::string_view to_string(Mode mode) {
  return mode == Mode::aggregate ? "aggregate" : "individual";
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

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& message) const {
    throw ScenarioError(where_.find(path), path, message);
  }
  void probability(const Quantity& q, const std::string& path) const {
    if (q.is_fixed()) {
      if (q.value() < 0 || q.value() > 1)
        fail(path, fmt::format("must be a probability between 0 and 1, got {}", q.value()));
    } else if (q.support_min() < 0 || q.support_max() > 1) {
      fail(path, fmt::format("a probability's distribution must lie inside [0, 1], but {} reaches [{}, {}]{}",
                             q.describe(), q.support_min(), q.support_max(),
                             q.form() == QuantityForm::normal ? " (give the normal min and max)" : ""));
    }
  }
  void non_negative(const Quantity& q, const std::string& path) const {
    if (q.is_fixed()) {
      if (q.value() < 0) fail(path, fmt::format("must be >= 0, got {}", q.value()));
    } else if (q.support_min() < 0) {
      fail(path,
           fmt::format("must not take negative values, but {} reaches {}{}", q.describe(), q.support_min(),
                       q.form() == QuantityForm::normal ? " (give the normal a min of 0 or more)" : ""));
    }
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

  const Scenario& s_;
  const SourceMap& where_;
};

void Checker::run() {
  if (s_.horizon.discount_rate.support_min() <= -1) fail("horizon.discount_rate", "must be > -1");
  non_negative(s_.valuation.margin, "valuation.margin");
  if (s_.valuation.method == ValuationMethod::lifetime && !(s_.horizon.discount_rate.support_min() > 0))
    for (std::size_t i = 0; i < s_.segments.size(); ++i)
      if (!(s_.segments[i].baseline_churn.support_min() > 0))
        fail("valuation.method",
             fmt::format(
                 "lifetime valuation needs a discount_rate > 0 or a baseline_churn > 0, else a customer's "
                 "remaining lifetime value is infinite (segment '{}' has neither)",
                 s_.segments[i].name));
  probability(s_.word_of_mouth.negative_conversion, "word_of_mouth.negative_conversion");
  probability(s_.word_of_mouth.positive_conversion, "word_of_mouth.positive_conversion");

  unique(
      s_.segments, "segments", [](const Segment& x) -> const std::string& { return x.name; }, "name");
  for (std::size_t i = 0; i < s_.segments.size(); ++i) {
    const Segment& seg = s_.segments[i];
    const std::string path = fmt::format("segments[{}]", i);
    const Quantity& n = seg.customers;
    non_negative(n, path + ".customers");
    if (n.is_fixed() && n.value() != std::floor(n.value()))
      fail(path + ".customers", fmt::format("must be a whole number, got {}", n.value()));
    if (n.largest_draw() > 1e15)
      fail(path + ".customers", "must stay at most 1e15 (a count above that cannot be held exactly)");
    if (seg.value.shape != ValueShape::empirical) {
      non_negative(seg.value.mean, path + ".value.mean");
      non_negative(seg.value.cv, path + ".value.cv");
      if (seg.value.cv.largest_draw() > VALUE_CV_MAX)
        fail(path + ".value.cv",
             fmt::format("must stay at most {:g} (a gamma shape 1 / cv^2 below 1e-12 cannot be computed)",
                         VALUE_CV_MAX));
    }
    probability(seg.baseline_churn, path + ".baseline_churn");
  }

  unique(
      s_.stages, "stages", [](const std::string& x) -> const std::string& { return x; }, nullptr);
  unique(
      s_.problems, "problems", [](const Problem& x) -> const std::string& { return x.name; }, "name");
  for (std::size_t i = 0; i < s_.problems.size(); ++i) {
    const Problem& p = s_.problems[i];
    const std::string path = fmt::format("problems[{}]", i);
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
    probability(p.incidence, path + ".incidence");
    probability(p.complaint_rate, path + ".complaint_rate");
    if (p.handling.empty() && p.complaint_rate.can_exceed(0))
      fail(path + ".handling", "needs at least one tier, since complaint_rate can be above 0");
    if (p.handling.size() > 12) fail(path + ".handling", "at most 12 tiers are supported");
    unique(
        p.handling, path + ".handling", [](const Tier& t) -> const std::string& { return t.name; }, "tier");
    for (std::size_t k = 0; k < p.handling.size(); ++k) {
      const Tier& t = p.handling[k];
      const std::string tp = fmt::format("{}.handling[{}]", path, k);
      const auto& v = t.resolution.values;
      if (t.resolution.dirichlet) {
        if (!(v[0] + v[1] + v[2] > 0))
          fail(tp + ".resolution", "a dirichlet needs at least one concentration > 0");
      } else if (std::abs(v[0] + v[1] + v[2] - 1) > 1e-9) {
        fail(tp + ".resolution", fmt::format("shares must sum to 1, got {} + {} + {} = {}", v[0], v[1], v[2],
                                             v[0] + v[1] + v[2]));
      }
      probability(t.escalate, tp + ".escalate");
      if (k + 1 == p.handling.size() && t.escalate.can_exceed(0))
        fail(tp + ".escalate", "the last tier cannot escalate (there is no tier after it)");
      non_negative(t.cost, tp + ".cost");
    }
    const Quantity& l0 = p.loyalty.no_problem;
    probability(l0, path + ".loyalty.no_problem");
    if (!(l0.can_exceed(0)))
      fail(path + ".loyalty.no_problem", "must be > 0 (loyalty is measured against it)");
    for (int o = 0; o < N_OUTCOMES; ++o)
      probability(p.loyalty.outcome[o], fmt::format("{}.loyalty.{}", path, OUTCOME_NAMES[o]));
    for (int o = 0; o < N_OUTCOMES; ++o) {
      non_negative(p.wom_negative[o], fmt::format("{}.wom.negative.{}", path, OUTCOME_NAMES[o]));
      non_negative(p.wom_positive[o], fmt::format("{}.wom.positive.{}", path, OUTCOME_NAMES[o]));
    }
  }
  if (s_.investment) {
    non_negative(s_.investment->upfront, "investment.upfront");
    non_negative(s_.investment->per_period, "investment.per_period");
  }
}

}  // namespace

void check_scenario(const Scenario& scenario, const SourceMap& where) {
  Checker(scenario, where).run();
}

}  // namespace cxrisk
