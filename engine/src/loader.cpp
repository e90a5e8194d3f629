// The scenario loader: YAML in, a checked Scenario out. Every structural error (wrong type, unknown or
// missing key, bad distribution parameters) is reported here with the node's position; the rules that span
// several keys are checked by check_scenario() through the SourceMap this loader fills.
#include "cxrisk/loader.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "cxrisk/text.h"

namespace cxrisk {

namespace fs = std::filesystem;

namespace {

std::string child_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string item_path(const std::string& path, std::size_t i) {
  return fmt::format("{}[{}]", path, i);
}

constexpr std::array<std::string_view, 5> CAUSES{"company", "customer", "process", "partner", "unspecified"};

class Reader {
 public:
  Reader(std::string file, fs::path base_dir)
      : file_(std::move(file)), base_dir_(std::move(base_dir)), where_(file_) {}

  Scenario read(const YAML::Node& root);
  /// Applies a list of `set`/`scale` changes (MODEL.md section 5) to `s`, in order.
  void apply_changes(Scenario& s, const YAML::Node& changes, const std::string& path);
  /// Reads `investment: {upfront, per_period}`.
  Investment investment(const YAML::Node& n, const std::string& path);
  SourceMap& where() { return where_; }
  void require_known_keys(const YAML::Node& n, const std::string& path,
                          const std::vector<std::string_view>& keys) const {
    require_map(n, path);
    check_keys(n, path, keys);
  }
  std::string plain_text(const YAML::Node& n, const std::string& path) const { return text(n, path); }

 private:
  FileLoc loc(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    if (m.is_null()) return {file_, 0, 0};
    return {file_, m.line + 1, m.column + 1};
  }
  [[noreturn]] void fail(const YAML::Node& n, const std::string& path, const std::string& message) const {
    throw ScenarioError(loc(n), path, message);
  }
  void note(const std::string& path, const YAML::Node& n) { where_.set(path, loc(n)); }

  static std::string_view kind(const YAML::Node& n) {
    switch (n.Type()) {
      case YAML::NodeType::Map:
        return "a mapping";
      case YAML::NodeType::Sequence:
        return "a list";
      case YAML::NodeType::Null:
        return "empty";
      default:
        return "a scalar";
    }
  }
  void require_map(const YAML::Node& n, const std::string& path) const {
    if (!n.IsMap()) fail(n, path, fmt::format("must be a mapping of keys to values, got {}", kind(n)));
  }
  void require_seq(const YAML::Node& n, const std::string& path) const {
    if (!n.IsSequence()) fail(n, path, fmt::format("must be a list, got {}", kind(n)));
  }

  /// Unknown and duplicate keys are errors; a near miss gets a "did you mean" hint.
  void check_keys(const YAML::Node& n, const std::string& path,
                  const std::vector<std::string_view>& allowed) const {
    std::vector<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!it->first.IsScalar()) fail(it->first, path, "keys must be plain names");
      const std::string key = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string message = fmt::format("unknown key '{}'", key);
        const std::string hint = closest_name(key, allowed);
        if (!hint.empty()) message += fmt::format("; did you mean '{}'?", hint);
        fail(it->first, child_path(path, key), message);
      }
      if (std::find(seen.begin(), seen.end(), key) != seen.end())
        fail(it->first, child_path(path, key), fmt::format("duplicate key '{}'", key));
      seen.push_back(key);
    }
  }
  YAML::Node need(const YAML::Node& n, const std::string& path, const std::string& key) const {
    YAML::Node v = n[key];
    if (!v) fail(n, child_path(path, key), "required key is missing");
    return v;
  }

  double number(const YAML::Node& n, const std::string& path) const {
    double x = 0;
    if (!n.IsScalar() || !YAML::convert<double>::decode(n, x))
      fail(n, path,
           fmt::format("must be a number, got {}",
                       n.IsScalar() ? "'" + n.Scalar() + "'" : std::string(kind(n))));
    if (!std::isfinite(x)) fail(n, path, "must be a finite number");
    return x;
  }
  std::int64_t integer(const YAML::Node& n, const std::string& path, std::int64_t lo, std::int64_t hi) const {
    const double x = number(n, path);
    if (x != std::floor(x)) fail(n, path, fmt::format("must be a whole number, got {}", n.Scalar()));
    if (x < static_cast<double>(lo) || x > static_cast<double>(hi))
      fail(n, path, fmt::format("must be between {} and {}, got {}", lo, hi, n.Scalar()));
    return static_cast<std::int64_t>(x);
  }
  std::string text(const YAML::Node& n, const std::string& path) const {
    if (!n.IsScalar()) fail(n, path, fmt::format("must be a text, got {}", kind(n)));
    if (n.Scalar().empty()) fail(n, path, "must not be empty");
    if (!is_plain_text(n.Scalar())) fail(n, path, "must be UTF-8 text without control characters");
    return n.Scalar();
  }
  template <class Enum, std::size_t N>
  Enum choice(const YAML::Node& n, const std::string& path,
              const std::array<std::string_view, N>& names) const {
    const std::string s = text(n, path);
    for (std::size_t i = 0; i < N; ++i)
      if (names[i] == s) return static_cast<Enum>(i);
    std::vector<std::string_view> all(names.begin(), names.end());
    std::string message = fmt::format("must be one of {}, got '{}'", join(all, ", "), s);
    const std::string hint = closest_name(s, all);
    if (!hint.empty()) message += fmt::format("; did you mean '{}'?", hint);
    fail(n, path, message);
  }

  Quantity quantity(const YAML::Node& n, const std::string& path);
  Shares shares(const YAML::Node& n, const std::string& path);
  Value value(const YAML::Node& n, const std::string& path);
  Segment segment(const YAML::Node& n, const std::string& path);
  Tier tier(const YAML::Node& n, const std::string& path, std::size_t index);
  Problem problem(const YAML::Node& n, const std::string& path);
  std::vector<std::string> names(const YAML::Node& n, const std::string& path);
  std::vector<double> read_values_file(const YAML::Node& n, const std::string& path,
                                       const std::string& file) const;

  /// A place a change can address: a quantity or a tier's resolution shares, with its key path by index.
  struct Target {
    Quantity* quantity = nullptr;
    Shares* shares = nullptr;
    bool count = false;  // a customer count: stays whole
    std::string index_path;
  };
  std::vector<Target> resolve(Scenario& s, const YAML::Node& at, const std::string& at_path,
                              const std::string& change_path) const;

  std::string file_;
  fs::path base_dir_;
  SourceMap where_;
};

Quantity Reader::quantity(const YAML::Node& n, const std::string& path) {
  note(path, n);
  if (n.IsScalar()) {
    try {
      return Quantity::fixed(number(n, path));
    } catch (const QuantityError& e) {
      fail(n, path, e.message);
    }
  }
  if (!n.IsMap())
    fail(n, path,
         fmt::format("must be a number or a distribution ({{dist: ...}} or {{observed: .., of: ..}}), got {}",
                     kind(n)));
  QuantityForm form;
  if (n["observed"] || n["of"]) {
    form = QuantityForm::observed;
  } else if (!n["dist"]) {
    fail(n, path, "a distribution needs 'dist' (or 'observed' and 'of')");
  } else {
    static constexpr std::array<std::string_view, 7> DISTS{"beta",   "pert",      "triangular", "uniform",
                                                           "normal", "lognormal", "gamma"};
    const int d = static_cast<int>(choice<int>(n["dist"], child_path(path, "dist"), DISTS));
    switch (d) {
      case 0:
        form = (n["alpha"] || n["beta"]) ? QuantityForm::beta_alpha_beta : QuantityForm::beta_mean_sd;
        break;
      case 1:
        form = QuantityForm::pert;
        break;
      case 2:
        form = QuantityForm::triangular;
        break;
      case 3:
        form = QuantityForm::uniform;
        break;
      case 4:
        form = QuantityForm::normal;
        break;
      case 5:
        form = (n["median"] || n["sigma"]) ? QuantityForm::lognormal_median_sigma
                                           : QuantityForm::lognormal_mean_sd;
        break;
      default:
        form = (n["shape"] || n["scale"]) ? QuantityForm::gamma_shape_scale : QuantityForm::gamma_mean_sd;
    }
  }
  const auto& keys = Quantity::form_keys(form);
  std::vector<std::string_view> allowed(keys.begin(), keys.end());
  if (form != QuantityForm::observed) allowed.push_back("dist");
  allowed.push_back("factor");
  check_keys(n, path, allowed);
  std::vector<double> args;
  for (const auto& key : keys) {
    if (YAML::Node v = n[key]) {
      args.push_back(number(v, child_path(path, key)));
    } else if (Quantity::key_optional(form, key)) {
      args.push_back(std::numeric_limits<double>::quiet_NaN());
    } else {
      fail(n, child_path(path, key),
           fmt::format("required key is missing (a {} needs {})",
                       form == QuantityForm::observed ? "survey count" : n["dist"].Scalar(),
                       join(keys, ", ")));
    }
  }
  try {
    Quantity q = Quantity::make(form, args);
    if (YAML::Node f = n["factor"]) {
      const double factor = number(f, child_path(path, "factor"));
      if (factor < 0) fail(f, child_path(path, "factor"), "must be >= 0");
      q = q.scaled(factor);
    }
    return q;
  } catch (const QuantityError& e) {
    if (!e.key.empty() && n[e.key]) fail(n[e.key], child_path(path, e.key), e.message);
    fail(n, path, e.message);
  }
}

Shares Reader::shares(const YAML::Node& n, const std::string& path) {
  note(path, n);
  require_map(n, path);
  Shares s;
  s.dirichlet = static_cast<bool>(n["dist"]);
  if (s.dirichlet) {
    static constexpr std::array<std::string_view, 1> D{"dirichlet"};
    choice<int>(n["dist"], child_path(path, "dist"), D);
    check_keys(n, path, {"dist", "resolved", "mollified", "unresolved"});
  } else {
    check_keys(n, path, {"resolved", "mollified", "unresolved"});
  }
  static constexpr std::array<const char*, 3> KEYS{"resolved", "mollified", "unresolved"};
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string p = child_path(path, KEYS[i]);
    if (YAML::Node v = n[KEYS[i]]) {
      s.values[i] = number(v, p);
      note(p, v);
      if (s.values[i] < 0) fail(v, p, "must be >= 0");
      if (s.dirichlet && s.values[i] > 0 && !within_shape_limits(s.values[i]))
        fail(v, p, fmt::format("a concentration must be 0 or between {:g} and {:g}", SHAPE_MIN, SHAPE_MAX));
      if (!s.dirichlet && s.values[i] > 1)
        fail(v, p, fmt::format("a share must be between 0 and 1, got {}", s.values[i]));
    } else {
      s.values[i] = 0;
    }
  }
  return s;
}

std::vector<double> Reader::read_values_file(const YAML::Node& n, const std::string& path,
                                             const std::string& file) const {
  const fs::path full = base_dir_ / file;
  std::ifstream in(full);
  if (!in) fail(n, path, fmt::format("cannot open the values file '{}'", full.string()));
  std::vector<double> values;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    double x = 0;
    if (!parse_double(t, x) || !std::isfinite(x) || x < 0) {
      if (values.empty() && line_no == 1 && !parse_double(t, x)) continue;  // a header line
      throw ScenarioError({full.string(), line_no, 1}, path,
                          fmt::format("a value must be a number >= 0, got '{}'", t));
    }
    values.push_back(x);
  }
  if (values.empty()) fail(n, path, fmt::format("the values file '{}' holds no values", full.string()));
  return values;
}

Value Reader::value(const YAML::Node& n, const std::string& path) {
  note(path, n);
  require_map(n, path);
  Value v;
  if (YAML::Node e = n["empirical"]) {
    check_keys(n, path, {"empirical"});
    const std::string p = child_path(path, "empirical");
    note(p, e);
    v.shape = ValueShape::empirical;
    v.empirical_file = text(e, p);
    std::error_code ec;
    v.empirical_path = fs::absolute(base_dir_ / v.empirical_file, ec).lexically_normal().string();
    v.empirical = read_values_file(e, p, v.empirical_file);
    double sum = 0;
    for (double x : v.empirical) sum += x;
    v.mean = Quantity::fixed(sum / static_cast<double>(v.empirical.size()));
    return v;
  }
  check_keys(n, path, {"mean", "cv", "shape"});
  v.mean = quantity(need(n, path, "mean"), child_path(path, "mean"));
  if (YAML::Node cv = n["cv"]) v.cv = quantity(cv, child_path(path, "cv"));
  if (YAML::Node s = n["shape"]) {
    static constexpr std::array<std::string_view, 3> SHAPES{"gamma", "lognormal", "fixed"};
    note(child_path(path, "shape"), s);
    v.shape = choice<ValueShape>(s, child_path(path, "shape"), SHAPES);
  } else {
    v.shape = v.cv.can_exceed(0) ? ValueShape::gamma : ValueShape::fixed;
  }
  return v;
}

std::vector<std::string> Reader::names(const YAML::Node& n, const std::string& path) {
  note(path, n);
  require_seq(n, path);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n.size(); ++i) {
    note(item_path(path, i), n[i]);
    out.push_back(text(n[i], item_path(path, i)));
  }
  return out;
}

Segment Reader::segment(const YAML::Node& n, const std::string& path) {
  note(path, n);
  require_map(n, path);
  check_keys(n, path, {"name", "customers", "value", "baseline_churn"});
  Segment s;
  s.name = text(need(n, path, "name"), child_path(path, "name"));
  note(child_path(path, "name"), n["name"]);
  s.customers = quantity(need(n, path, "customers"), child_path(path, "customers"));
  s.value = value(need(n, path, "value"), child_path(path, "value"));
  if (YAML::Node c = n["baseline_churn"]) s.baseline_churn = quantity(c, child_path(path, "baseline_churn"));
  return s;
}

Tier Reader::tier(const YAML::Node& n, const std::string& path, std::size_t index) {
  note(path, n);
  require_map(n, path);
  check_keys(n, path, {"tier", "resolution", "escalate", "cost"});
  Tier t;
  if (YAML::Node name = n["tier"]) {
    t.name = text(name, child_path(path, "tier"));
    note(child_path(path, "tier"), name);
  } else {
    t.name = fmt::format("tier{}", index + 1);
  }
  t.resolution = shares(need(n, path, "resolution"), child_path(path, "resolution"));
  if (YAML::Node e = n["escalate"]) t.escalate = quantity(e, child_path(path, "escalate"));
  if (YAML::Node c = n["cost"]) t.cost = quantity(c, child_path(path, "cost"));
  return t;
}

Problem Reader::problem(const YAML::Node& n, const std::string& path) {
  note(path, n);
  require_map(n, path);
  check_keys(
      n, path,
      {"name", "stage", "cause", "segments", "incidence", "complaint_rate", "handling", "loyalty", "wom"});
  Problem p;
  p.name = text(need(n, path, "name"), child_path(path, "name"));
  note(child_path(path, "name"), n["name"]);
  if (YAML::Node s = n["stage"]) {
    p.stage = text(s, child_path(path, "stage"));
    note(child_path(path, "stage"), s);
  }
  if (YAML::Node c = n["cause"]) {
    note(child_path(path, "cause"), c);
    p.cause =
        std::string(CAUSES[static_cast<std::size_t>(choice<int>(c, child_path(path, "cause"), CAUSES))]);
  }
  if (YAML::Node s = n["segments"]) p.segments = names(s, child_path(path, "segments"));
  p.incidence = quantity(need(n, path, "incidence"), child_path(path, "incidence"));
  p.complaint_rate = quantity(need(n, path, "complaint_rate"), child_path(path, "complaint_rate"));
  if (YAML::Node h = n["handling"]) {
    const std::string hp = child_path(path, "handling");
    note(hp, h);
    require_seq(h, hp);
    for (std::size_t i = 0; i < h.size(); ++i) p.handling.push_back(tier(h[i], item_path(hp, i), i));
  }
  {
    const std::string lp = child_path(path, "loyalty");
    YAML::Node l = need(n, path, "loyalty");
    note(lp, l);
    require_map(l, lp);
    check_keys(l, lp, {"no_problem", "silent", "quick", "resolved", "mollified", "unresolved"});
    p.loyalty.no_problem = quantity(need(l, lp, "no_problem"), child_path(lp, "no_problem"));
    for (int o = 0; o < N_OUTCOMES; ++o) {
      const std::string key(OUTCOME_NAMES[o]);
      p.loyalty.outcome[o] = quantity(need(l, lp, key), child_path(lp, key));
    }
  }
  if (YAML::Node w = n["wom"]) {
    const std::string wp = child_path(path, "wom");
    note(wp, w);
    require_map(w, wp);
    check_keys(w, wp, {"negative", "positive"});
    for (int sign = 0; sign < 2; ++sign) {
      const char* key = sign == 0 ? "negative" : "positive";
      YAML::Node m = w[key];
      if (!m) continue;
      const std::string mp = child_path(wp, key);
      note(mp, m);
      require_map(m, mp);
      check_keys(m, mp, {OUTCOME_NAMES.begin(), OUTCOME_NAMES.end()});
      auto& target = sign == 0 ? p.wom_negative : p.wom_positive;
      for (int o = 0; o < N_OUTCOMES; ++o)
        if (YAML::Node v = m[std::string(OUTCOME_NAMES[o])])
          target[o] = quantity(v, child_path(mp, OUTCOME_NAMES[o]));
    }
  }
  return p;
}

Scenario Reader::read(const YAML::Node& root) {
  if (!root || root.IsNull()) throw ScenarioError({file_, 1, 1}, "", "the scenario is empty");
  require_map(root, "");
  check_keys(root, "",
             {"cxrisk", "name", "currency", "horizon", "valuation", "simulation", "word_of_mouth", "segments",
              "stages", "problems", "investment"});
  Scenario s;
  s.source = file_;
  {
    YAML::Node v = need(root, "", "cxrisk");
    note("cxrisk", v);
    const double version = number(v, "cxrisk");
    if (version != 1)
      fail(v, "cxrisk",
           fmt::format("unsupported schema version {} (this cxrisk reads version 1)", v.Scalar()));
  }
  s.name = text(need(root, "", "name"), "name");
  note("name", root["name"]);
  if (YAML::Node c = root["currency"]) s.currency = text(c, "currency");

  {
    YAML::Node h = need(root, "", "horizon");
    note("horizon", h);
    require_map(h, "horizon");
    check_keys(h, "horizon", {"periods", "period", "discount_rate"});
    note("horizon.periods", need(h, "horizon", "periods"));
    s.horizon.periods = static_cast<int>(integer(h["periods"], "horizon.periods", 1, 100000));
    if (YAML::Node p = h["period"]) {
      note("horizon.period", p);
      static constexpr std::array<std::string_view, 3> UNITS{"month", "quarter", "year"};
      s.horizon.period = choice<PeriodUnit>(p, "horizon.period", UNITS);
    }
    if (YAML::Node d = h["discount_rate"]) s.horizon.discount_rate = quantity(d, "horizon.discount_rate");
  }
  if (YAML::Node v = root["valuation"]) {
    note("valuation", v);
    require_map(v, "valuation");
    check_keys(v, "valuation", {"method", "margin"});
    if (YAML::Node m = v["method"]) {
      note("valuation.method", m);
      static constexpr std::array<std::string_view, 3> METHODS{"annual", "horizon", "lifetime"};
      s.valuation.method = choice<ValuationMethod>(m, "valuation.method", METHODS);
    }
    if (YAML::Node m = v["margin"]) s.valuation.margin = quantity(m, "valuation.margin");
  }
  if (YAML::Node v = root["simulation"]) {
    note("simulation", v);
    require_map(v, "simulation");
    check_keys(v, "simulation", {"trials", "seed"});
    if (YAML::Node t = v["trials"]) {
      note("simulation.trials", t);
      s.simulation.trials = integer(t, "simulation.trials", 1, std::numeric_limits<std::uint32_t>::max());
    }
    if (YAML::Node t = v["seed"]) {
      note("simulation.seed", t);
      std::uint64_t seed = 0;
      if (!t.IsScalar() || !parse_uint64(t.Scalar(), seed))
        fail(t, "simulation.seed", "must be a whole number between 0 and 18446744073709551615");
      s.simulation.seed = seed;
    }
  }
  if (YAML::Node w = root["word_of_mouth"]) {
    note("word_of_mouth", w);
    require_map(w, "word_of_mouth");
    check_keys(w, "word_of_mouth", {"negative_conversion", "positive_conversion"});
    if (YAML::Node q = w["negative_conversion"])
      s.word_of_mouth.negative_conversion = quantity(q, "word_of_mouth.negative_conversion");
    if (YAML::Node q = w["positive_conversion"])
      s.word_of_mouth.positive_conversion = quantity(q, "word_of_mouth.positive_conversion");
  }
  {
    YAML::Node segs = need(root, "", "segments");
    note("segments", segs);
    require_seq(segs, "segments");
    if (segs.size() == 0) fail(segs, "segments", "needs at least one segment");
    for (std::size_t i = 0; i < segs.size(); ++i)
      s.segments.push_back(segment(segs[i], item_path("segments", i)));
  }
  if (YAML::Node st = root["stages"]) s.stages = names(st, "stages");
  {
    YAML::Node probs = need(root, "", "problems");
    note("problems", probs);
    require_seq(probs, "problems");
    for (std::size_t i = 0; i < probs.size(); ++i)
      s.problems.push_back(problem(probs[i], item_path("problems", i)));
  }
  if (YAML::Node inv = root["investment"]) s.investment = investment(inv, "investment");
  return s;
}

Investment Reader::investment(const YAML::Node& n, const std::string& path) {
  note(path, n);
  require_map(n, path);
  check_keys(n, path, {"upfront", "per_period"});
  Investment inv;
  if (YAML::Node u = n["upfront"]) inv.upfront = quantity(u, child_path(path, "upfront"));
  if (YAML::Node p = n["per_period"]) inv.per_period = quantity(p, child_path(path, "per_period"));
  return inv;
}

namespace {

/// Splits "problems.billing_error.incidence" at the dots.
std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

}  // namespace

std::vector<Reader::Target> Reader::resolve(Scenario& s, const YAML::Node& at, const std::string& at_path,
                                            const std::string& change_path) const {
  const std::vector<std::string> parts = split_path(change_path);
  std::vector<Target> out;
  // Walks the path; `level` is the index of the part being matched. Names match a list element by name and
  // `*` matches every name at that level.
  auto no_match = [&](std::size_t level, const std::string& what, const std::vector<std::string>& known) {
    std::string message = fmt::format("'{}' matches nothing: no {} '{}'", change_path, what, parts[level]);
    if (!known.empty()) message += fmt::format(" (there are: {})", join(known, ", "));
    const std::string hint = closest_name(parts[level], known);
    if (!hint.empty()) message += fmt::format("; did you mean '{}'?", hint);
    fail(at, at_path, message);
  };
  auto need_end = [&](std::size_t level) {
    if (parts.size() > level) no_match(level, "key", {});
  };
  auto need_more = [&](std::size_t level, const std::vector<std::string>& keys) {
    if (parts.size() <= level)
      fail(at, at_path, fmt::format("'{}' is not a value: add one of {}", change_path, join(keys, ", ")));
  };
  auto leaf = [&](std::size_t level, const std::vector<std::pair<std::string, Quantity*>>& fields,
                  const std::string& prefix) {
    std::vector<std::string> keys;
    for (auto& f : fields) keys.push_back(f.first);
    need_more(level, keys);
    need_end(level + 1);
    bool any = false;
    for (auto& [key, q] : fields)
      if (parts[level] == "*" || parts[level] == key) {
        out.push_back({q, nullptr, false, prefix + "." + key});
        any = true;
      }
    if (!any) no_match(level, "key", keys);
  };
  auto names_of = [](const auto& items) {
    std::vector<std::string> names;
    for (const auto& item : items) names.push_back(item.name);
    return names;
  };

  const std::vector<std::string> top{"horizon",  "valuation", "word_of_mouth",
                                     "segments", "problems",  "investment"};
  const std::string& head = parts[0];
  if (head == "horizon") {
    leaf(1, {{"discount_rate", &s.horizon.discount_rate}}, "horizon");
  } else if (head == "valuation") {
    leaf(1, {{"margin", &s.valuation.margin}}, "valuation");
  } else if (head == "word_of_mouth") {
    leaf(1,
         {{"negative_conversion", &s.word_of_mouth.negative_conversion},
          {"positive_conversion", &s.word_of_mouth.positive_conversion}},
         "word_of_mouth");
  } else if (head == "investment") {
    if (!s.investment)
      fail(at, at_path, fmt::format("'{}' matches nothing: the scenario has no investment", change_path));
    leaf(1, {{"upfront", &s.investment->upfront}, {"per_period", &s.investment->per_period}}, "investment");
  } else if (head == "segments") {
    need_more(1, names_of(s.segments));
    bool any = false;
    for (std::size_t i = 0; i < s.segments.size(); ++i) {
      Segment& seg = s.segments[i];
      if (parts[1] != "*" && parts[1] != seg.name) continue;
      any = true;
      const std::string prefix = item_path("segments", i);
      const std::vector<std::string> keys{"customers", "baseline_churn", "value"};
      need_more(2, keys);
      if (parts[2] == "value") {
        if (seg.value.shape == ValueShape::empirical)
          fail(at, at_path,
               fmt::format("'{}': segment '{}' reads its values from a file", change_path, seg.name));
        leaf(3, {{"mean", &seg.value.mean}, {"cv", &seg.value.cv}}, prefix + ".value");
      } else {
        const std::size_t before = out.size();
        leaf(2, {{"customers", &seg.customers}, {"baseline_churn", &seg.baseline_churn}}, prefix);
        for (std::size_t k = before; k < out.size(); ++k) out[k].count = out[k].quantity == &seg.customers;
      }
    }
    if (!any) no_match(1, "segment", names_of(s.segments));
  } else if (head == "problems") {
    need_more(1, names_of(s.problems));
    bool any = false;
    for (std::size_t i = 0; i < s.problems.size(); ++i) {
      Problem& p = s.problems[i];
      if (parts[1] != "*" && parts[1] != p.name) continue;
      any = true;
      const std::string prefix = item_path("problems", i);
      const std::vector<std::string> keys{"incidence", "complaint_rate", "loyalty", "wom", "handling"};
      need_more(2, keys);
      if (parts[2] == "loyalty") {
        std::vector<std::pair<std::string, Quantity*>> fields{{"no_problem", &p.loyalty.no_problem}};
        for (int o = 0; o < N_OUTCOMES; ++o)
          fields.emplace_back(std::string(OUTCOME_NAMES[o]), &p.loyalty.outcome[o]);
        leaf(3, fields, prefix + ".loyalty");
      } else if (parts[2] == "wom") {
        need_more(3, {"negative", "positive"});
        if (parts[3] != "*" && parts[3] != "negative" && parts[3] != "positive")
          no_match(3, "key", {"negative", "positive"});
        for (const char* sign : {"negative", "positive"}) {
          if (parts[3] != "*" && parts[3] != sign) continue;
          auto& target = std::string(sign) == "negative" ? p.wom_negative : p.wom_positive;
          std::vector<std::pair<std::string, Quantity*>> fields;
          for (int o = 0; o < N_OUTCOMES; ++o) fields.emplace_back(std::string(OUTCOME_NAMES[o]), &target[o]);
          leaf(4, fields, prefix + ".wom." + sign);
        }
      } else if (parts[2] == "handling") {
        std::vector<std::string> tiers;
        for (const Tier& t : p.handling) tiers.push_back(t.name);
        need_more(3, tiers);
        for (std::size_t k = 0; k < p.handling.size(); ++k) {
          Tier& t = p.handling[k];
          if (parts[3] != "*" && parts[3] != t.name) continue;
          const std::string tp = fmt::format("{}.handling[{}]", prefix, k);
          need_more(4, {"resolution", "escalate", "cost"});
          if (parts[4] == "resolution") {
            need_end(5);
            out.push_back({nullptr, &t.resolution, false, tp + ".resolution"});
          } else {
            leaf(4, {{"escalate", &t.escalate}, {"cost", &t.cost}}, tp);
          }
        }
        // A tier name that no problem of the match has is only an error when nothing matched at all.
      } else {
        leaf(2, {{"incidence", &p.incidence}, {"complaint_rate", &p.complaint_rate}}, prefix);
      }
    }
    if (!any) no_match(1, "problem", names_of(s.problems));
  } else {
    no_match(0, "key", top);
  }
  if (out.empty()) fail(at, at_path, fmt::format("'{}' matches nothing", change_path));
  return out;
}

void Reader::apply_changes(Scenario& s, const YAML::Node& changes, const std::string& path) {
  note(path, changes);
  require_seq(changes, path);
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const YAML::Node c = changes[i];
    const std::string cp = item_path(path, i);
    require_map(c, cp);
    const bool is_set = static_cast<bool>(c["set"]);
    if (!is_set && !c["scale"])
      fail(c, cp, "a change is {set: PATH, to: VALUE} or {scale: PATH, by: NUMBER}");
    if (is_set)
      check_keys(c, cp, {"set", "to"});
    else
      check_keys(c, cp, {"scale", "by"});
    const std::string verb = is_set ? "set" : "scale";
    const YAML::Node at = c[verb];
    const std::string target_path = text(at, child_path(cp, verb));
    std::vector<Target> targets = resolve(s, at, child_path(cp, verb), target_path);
    const FileLoc where_written = loc(c);
    if (is_set) {
      const YAML::Node to = need(c, cp, "to");
      const std::string tp = child_path(cp, "to");
      if (targets.front().shares) {
        const Shares value = shares(to, tp);
        for (Target& t : targets) *t.shares = value;
      } else {
        const Quantity value = quantity(to, tp);
        for (Target& t : targets) *t.quantity = value;
      }
    } else {
      const YAML::Node by = need(c, cp, "by");
      const double factor = number(by, child_path(cp, "by"));
      if (factor < 0) fail(by, child_path(cp, "by"), "must be >= 0");
      for (Target& t : targets) {
        if (t.shares)
          fail(at, child_path(cp, "scale"), "resolution shares cannot be scaled; set them instead");
        try {
          Quantity q = t.quantity->scaled(factor);
          if (t.count && q.is_fixed()) q = Quantity::fixed(std::round(q.value()));  // a count stays whole
          *t.quantity = q;
        } catch (const QuantityError& e) {
          fail(by, child_path(cp, "by"), fmt::format("scaling {} by {}: {}", target_path, factor, e.message));
        }
      }
    }
    // Checks made after the changes point at the change that made the value.
    for (const Target& t : targets) where_.set(t.index_path, where_written);
  }
}

YAML::Node parse_yaml(const std::string& text, const std::string& display_name) {
  try {
    return YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp stops at a fixed nesting depth with the message "bad file".
    throw ScenarioError({display_name, e.mark.line + 1, e.mark.column + 1}, "",
                        "invalid YAML: nested too deeply (a scenario needs a few levels)");
  } catch (const YAML::Exception& e) {
    throw ScenarioError({display_name, e.mark.line + 1, e.mark.column + 1}, "", "invalid YAML: " + e.msg);
  }
}

Scenario load_file(const fs::path& path, std::vector<fs::path>& chain);

/// The longest chain of scenarios extending one another.
constexpr std::size_t MAX_EXTENDS_DEPTH = 64;

Scenario load_node(const YAML::Node& root, const std::string& display_name, const fs::path& base_dir,
                   std::vector<fs::path>& chain) {
  Reader reader(display_name, base_dir);
  if (!root || !root.IsMap() || !root["extends"]) {
    Scenario s = reader.read(root);
    check_scenario(s, reader.where());
    return s;
  }
  // An improvement scenario: a base, changes to it, and what the improvement costs.
  const YAML::Node extends = root["extends"];
  Scenario s;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string key = it->first.Scalar();
    static const std::vector<std::string_view> ALLOWED{"cxrisk", "name", "extends", "changes", "investment"};
    if (std::find(ALLOWED.begin(), ALLOWED.end(), key) == ALLOWED.end()) {
      const YAML::Mark m = it->first.Mark();
      throw ScenarioError(
          {display_name, m.line + 1, m.column + 1}, key,
          fmt::format("unknown key '{}' in a scenario that extends another (it takes cxrisk, name, "
                      "extends, changes and investment; change settings with `set`)",
                      key));
    }
  }
  const auto position = [&](const YAML::Node& n) {
    const YAML::Mark m = n.Mark();
    return FileLoc{display_name, m.line + 1, m.column + 1};
  };
  if (!root["cxrisk"]) throw ScenarioError(position(root), "cxrisk", "required key is missing");
  if (!root["cxrisk"].IsScalar() || root["cxrisk"].Scalar() != "1")
    throw ScenarioError(position(root["cxrisk"]), "cxrisk",
                        "unsupported schema version (this cxrisk reads version 1)");
  if (!extends.IsScalar() || extends.Scalar().empty())
    throw ScenarioError(position(extends), "extends", "must be the path of the base scenario");
  const fs::path base_path = base_dir / extends.Scalar();
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(base_path, ec);
  if (std::find(chain.begin(), chain.end(), canonical) != chain.end()) {
    std::vector<std::string> names;
    const auto first = std::find(chain.begin(), chain.end(), canonical);
    for (auto it = first; it != chain.end(); ++it) names.push_back(it->filename().string());
    names.push_back(canonical.filename().string());
    throw ScenarioError(position(extends), "extends", fmt::format("extends itself: {}", join(names, " -> ")));
  }
  // Each level is read recursively: a bound keeps a runaway chain an input error rather than a stack
  // overflow.
  if (chain.size() >= MAX_EXTENDS_DEPTH)
    throw ScenarioError(
        position(extends), "extends",
        fmt::format("more than {} scenarios extend one another ({} -> ... -> {})", MAX_EXTENDS_DEPTH,
                    chain.front().filename().string(), canonical.filename().string()));
  // The error_code form: a path the file system refuses (too long, say) is the same input error.
  if (!fs::exists(base_path, ec) || ec)
    throw ScenarioError(position(extends), "extends",
                        fmt::format("cannot open the base scenario '{}'{}", base_path.string(),
                                    ec ? " (" + ec.message() + ")" : std::string()));
  s = load_file(base_path, chain);
  s.source = display_name;
  if (!root["name"]) throw ScenarioError(position(root), "name", "required key is missing");
  if (!root["name"].IsScalar() || root["name"].Scalar().empty())
    throw ScenarioError(position(root["name"]), "name", "must be a text");
  s.name = reader.plain_text(root["name"], "name");
  if (YAML::Node changes = root["changes"]) reader.apply_changes(s, changes, "changes");
  if (YAML::Node inv = root["investment"]) s.investment = reader.investment(inv, "investment");
  check_scenario(s, reader.where());
  return s;
}

Scenario load_file(const fs::path& path, std::vector<fs::path>& chain) {
  std::error_code folder_error;
  if (fs::is_directory(path, folder_error))
    throw ScenarioError({path.string(), 0, 0}, "",
                        "is a folder, not a scenario file (`cxrisk batch` runs every scenario of a folder)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError({path.string(), 0, 0}, "", "cannot open the scenario file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::error_code ec;
  chain.push_back(fs::weakly_canonical(path, ec));
  const fs::path dir = path.parent_path();
  Scenario s = load_node(parse_yaml(buffer.str(), path.string()), path.string(),
                         dir.empty() ? fs::path(".") : dir, chain);
  chain.pop_back();
  return s;
}

// ---- dump ----

std::string fmt_number(double x) {
  return fmt::format("{}", x);
}

YAML::Node quantity_node(const Quantity& q) {
  YAML::Node n;
  if (q.is_fixed()) {
    n = fmt_number(q.value());
    return n;
  }
  if (!Quantity::dist_name(q.form()).empty()) n["dist"] = std::string(Quantity::dist_name(q.form()));
  const auto& keys = Quantity::form_keys(q.form());
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (!std::isnan(q.args()[i])) n[keys[i]] = fmt_number(q.args()[i]);
  if (q.scale() != 1) n["factor"] = fmt_number(q.scale());
  n.SetStyle(YAML::EmitterStyle::Flow);
  return n;
}

YAML::Node flow(YAML::Node n) {
  n.SetStyle(YAML::EmitterStyle::Flow);
  return n;
}

}  // namespace

Scenario load_scenario(const std::string& path) {
  std::vector<fs::path> chain;
  return load_file(path, chain);
}

Scenario load_scenario_text(const std::string& text, const std::string& display_name,
                            const std::string& base_dir) {
  std::vector<fs::path> chain;
  return load_node(parse_yaml(text, display_name), display_name, base_dir, chain);
}

Scenario apply_changes(const Scenario& base, const std::string& changes_yaml,
                       const std::string& display_name) {
  Scenario s = base;
  Reader reader(display_name, ".");
  const YAML::Node root = parse_yaml(changes_yaml, display_name);
  if (root.IsMap()) {
    reader.require_known_keys(root, "", {"name", "changes", "investment"});
    if (YAML::Node name = root["name"]) s.name = reader.plain_text(name, "name");
    if (YAML::Node changes = root["changes"]) reader.apply_changes(s, changes, "changes");
    if (YAML::Node inv = root["investment"]) s.investment = reader.investment(inv, "investment");
  } else {
    reader.apply_changes(s, root, "changes");
  }
  check_scenario(s, reader.where());
  return s;
}

std::string dump_yaml(const Scenario& s, bool absolute_paths) {
  YAML::Node root;
  root["cxrisk"] = "1";
  root["name"] = s.name;
  if (!s.currency.empty()) root["currency"] = s.currency;
  YAML::Node h;
  h["periods"] = std::to_string(s.horizon.periods);
  h["period"] = std::string(to_string(s.horizon.period));
  h["discount_rate"] = quantity_node(s.horizon.discount_rate);
  root["horizon"] = flow(h);
  YAML::Node v;
  v["method"] = std::string(to_string(s.valuation.method));
  v["margin"] = quantity_node(s.valuation.margin);
  root["valuation"] = flow(v);
  YAML::Node sim;
  sim["trials"] = std::to_string(s.simulation.trials);
  sim["seed"] = std::to_string(s.simulation.seed);
  root["simulation"] = flow(sim);
  YAML::Node w;
  w["negative_conversion"] = quantity_node(s.word_of_mouth.negative_conversion);
  w["positive_conversion"] = quantity_node(s.word_of_mouth.positive_conversion);
  root["word_of_mouth"] = w;
  for (const Segment& seg : s.segments) {
    YAML::Node n;
    n["name"] = seg.name;
    n["customers"] = quantity_node(seg.customers);
    YAML::Node val;
    if (seg.value.shape == ValueShape::empirical) {
      val["empirical"] = absolute_paths ? seg.value.empirical_path : seg.value.empirical_file;
    } else {
      val["mean"] = quantity_node(seg.value.mean);
      val["cv"] = quantity_node(seg.value.cv);
      val["shape"] = std::string(to_string(seg.value.shape));
    }
    n["value"] = flow(val);
    n["baseline_churn"] = quantity_node(seg.baseline_churn);
    root["segments"].push_back(n);
  }
  if (!s.stages.empty()) {
    YAML::Node st;
    for (const auto& name : s.stages) st.push_back(name);
    root["stages"] = flow(st);
  }
  for (const Problem& p : s.problems) {
    YAML::Node n;
    n["name"] = p.name;
    if (!p.stage.empty()) n["stage"] = p.stage;
    n["cause"] = p.cause;
    if (!p.segments.empty()) {
      YAML::Node segs;
      for (const auto& name : p.segments) segs.push_back(name);
      n["segments"] = flow(segs);
    }
    n["incidence"] = quantity_node(p.incidence);
    n["complaint_rate"] = quantity_node(p.complaint_rate);
    for (const Tier& t : p.handling) {
      YAML::Node tn;
      tn["tier"] = t.name;
      YAML::Node r;
      if (t.resolution.dirichlet) r["dist"] = "dirichlet";
      r["resolved"] = fmt_number(t.resolution.values[0]);
      r["mollified"] = fmt_number(t.resolution.values[1]);
      r["unresolved"] = fmt_number(t.resolution.values[2]);
      tn["resolution"] = flow(r);
      tn["escalate"] = quantity_node(t.escalate);
      tn["cost"] = quantity_node(t.cost);
      n["handling"].push_back(flow(tn));
    }
    YAML::Node l;
    l["no_problem"] = quantity_node(p.loyalty.no_problem);
    for (int o = 0; o < N_OUTCOMES; ++o)
      l[std::string(OUTCOME_NAMES[o])] = quantity_node(p.loyalty.outcome[o]);
    n["loyalty"] = flow(l);
    YAML::Node wom;
    for (int sign = 0; sign < 2; ++sign) {
      const auto& src = sign == 0 ? p.wom_negative : p.wom_positive;
      YAML::Node m;
      for (int o = 0; o < N_OUTCOMES; ++o)
        if (!(src[o].is_fixed() && src[o].value() == 0))
          m[std::string(OUTCOME_NAMES[o])] = quantity_node(src[o]);
      if (m.size() > 0) wom[sign == 0 ? "negative" : "positive"] = flow(m);
    }
    if (wom.size() > 0) n["wom"] = wom;
    root["problems"].push_back(n);
  }
  if (s.investment) {
    YAML::Node inv;
    inv["upfront"] = quantity_node(s.investment->upfront);
    inv["per_period"] = quantity_node(s.investment->per_period);
    root["investment"] = flow(inv);
  }
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

}  // namespace cxrisk
