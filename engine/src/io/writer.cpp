// The scenario written back: a typed document tree (numbers as numbers, names as text) built from the
// registry, emitted as YAML by `expand` and as JSON for Python's `to_dict`. Both load back to an equal
// scenario.
#include <yaml-cpp/yaml.h>

#include <fmt/format.h>
#include <algorithm>
#include <cctype>
#include <cmath>

#include "cxrisk/loader.h"
#include "cxrisk/registry.h"
#include "cxrisk/text.h"
#include "json.h"

namespace cxrisk {

namespace {

Json quantity_json(const Quantity& q) {
  if (q.is_fixed()) return q.value();
  Json j = Json::object();
  if (!Quantity::dist_name(q.form()).empty()) j["dist"] = std::string(Quantity::dist_name(q.form()));
  const auto& keys = Quantity::form_keys(q.form());
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (!std::isnan(q.args()[i])) j[keys[i]] = q.args()[i];
  if (q.scale() != 1) j["factor"] = q.scale();
  return j;
}

Json shares_json(const Shares& s) {
  Json j = Json::object();
  if (s.dirichlet) j["dist"] = "dirichlet";
  j["resolved"] = s.values[0];
  j["mollified"] = s.values[1];
  j["unresolved"] = s.values[2];
  return j;
}

// Puts `value` at the dotted `key` of `object`, making the mappings on the way.
void put(Json& object, std::string_view key, Json value) {
  Json* at = &object;
  std::size_t start = 0;
  for (auto dot = key.find('.'); dot != std::string_view::npos; dot = key.find('.', start)) {
    at = &(*at)[std::string(key.substr(start, dot - start))];
    start = dot + 1;
  }
  (*at)[std::string(key.substr(start))] = std::move(value);
}

// The parameters of one object, as the registry lays them out (a sparse parameter at its default is left
// out: the word of mouth of outcomes that tell nobody).
void put_params(Json& object, const Scenario& s, Scope scope, const Place& place) {
  for (const ParamSpec& spec : param_specs()) {
    if (spec.scope != scope) continue;
    if (spec.kind == Kind::shares) {
      put(object, spec.key, shares_json(shares_at(const_cast<Scenario&>(s), place)));
      continue;
    }
    const Quantity& q = quantity_at(const_cast<Scenario&>(s), spec.id, place);
    if (spec.sparse && q.is_fixed() && q.value() == spec.default_value) continue;
    put(object, spec.key, quantity_json(q));
  }
}

// A string a YAML reader would take for something else (a number, a truth value, null) is quoted.
bool reads_as_non_text(const std::string& s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ') return true;
  double x = 0;
  if (parse_double(s, x)) return true;
  std::string lower;
  for (unsigned char c : s) lower += static_cast<char>(std::tolower(c));
  static const std::vector<std::string> WORDS{"true", "false", "yes", "no",   "on",    "off",   "y",
                                              "n",    "null",  "~",   ".inf", "-.inf", "+.inf", ".nan"};
  if (std::find(WORDS.begin(), WORDS.end(), lower) != WORDS.end()) return true;
  return lower.size() > 1 && lower[0] == '0' && (lower[1] == 'x' || lower[1] == 'o' || lower[1] == 'b');
}

// Flow style for mappings and lists of plain values, block style for the rest.
void emit(YAML::Emitter& out, const Json& j) {
  const bool flat = std::all_of(j.begin(), j.end(), [](const Json& v) { return v.is_primitive(); });
  if (j.is_object()) {
    out << (flat ? YAML::Flow : YAML::Block) << YAML::BeginMap;
    for (const auto& [key, value] : j.items()) {
      out << YAML::Key << key << YAML::Value;
      emit(out, value);
    }
    out << YAML::EndMap;
  } else if (j.is_array()) {
    out << (flat ? YAML::Flow : YAML::Block) << YAML::BeginSeq;
    for (const Json& v : j) emit(out, v);
    out << YAML::EndSeq;
  } else if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (reads_as_non_text(s)) out << YAML::DoubleQuoted;
    out << s;
  } else if (j.is_number_unsigned()) {
    out << j.get<std::uint64_t>();
  } else if (j.is_number_integer()) {
    out << j.get<std::int64_t>();
  } else if (j.is_boolean()) {
    out << j.get<bool>();
  } else {
    out << fmt::format("{}", j.get<double>());  // the shortest text that reads back to the same double
  }
}

}  // namespace

Json scenario_document(const Scenario& s, bool absolute_paths) {
  Json root = Json::object();
  root["cxrisk"] = 1;
  root["name"] = s.name;
  if (!s.currency.empty()) root["currency"] = s.currency;
  root["horizon"] = {{"periods", s.periods}, {"period", std::string(to_string(s.period))}};
  root["valuation"] = {{"method", std::string(to_string(s.valuation))}};
  root["simulation"] = {{"trials", s.trials}, {"seed", s.seed}};
  // Written only when they differ from the defaults, so that a scenario without them keeps its hash.
  if (s.sampling != Sampling::random) root["simulation"]["sampling"] = std::string(to_string(s.sampling));
  if (s.strict_correlations) root["simulation"]["correlations"] = "strict";
  for (const PrecisionTarget& t : s.precision) root["simulation"]["precision"].push_back(t.text());
  if (s.max_trials != DEFAULT_MAX_TRIALS) root["simulation"]["max_trials"] = s.max_trials;
  Json scenario_params = Json::object();
  put_params(scenario_params, s, Scope::scenario, {});
  for (auto& [key, value] : scenario_params.items()) {
    if (key == "investment" && !s.has_investment) continue;
    for (auto& [k, v] : value.items()) root[key][k] = v;
  }
  for (std::size_t i = 0; i < s.segments.size(); ++i) {
    const Segment& seg = s.segments[i];
    Json j = {{"name", seg.name}};
    if (seg.value.shape == ValueShape::empirical) {
      put_params(j, s, Scope::segment, {static_cast<int>(i), -1, -1});
      j["value"] = {{"empirical", absolute_paths ? seg.value.empirical_path : seg.value.empirical_file}};
    } else {
      put_params(j, s, Scope::segment, {static_cast<int>(i), -1, -1});
      j["value"]["shape"] = std::string(to_string(seg.value.shape));
    }
    root["segments"].push_back(std::move(j));
  }
  if (!s.stages.empty()) root["stages"] = s.stages;
  for (std::size_t i = 0; i < s.problems.size(); ++i) {
    const Problem& p = s.problems[i];
    Json j = {{"name", p.name}};
    if (!p.stage.empty()) j["stage"] = p.stage;
    j["cause"] = std::string(to_string(p.cause));
    if (!p.segments.empty()) j["segments"] = p.segments;
    put_params(j, s, Scope::problem, {-1, static_cast<int>(i), -1});
    for (std::size_t k = 0; k < p.handling.size(); ++k) {
      Json t = {{"tier", p.handling[k].name}};
      put_params(t, s, Scope::tier, {-1, static_cast<int>(i), static_cast<int>(k)});
      j["handling"].push_back(std::move(t));
    }
    root["problems"].push_back(std::move(j));
  }
  // Correlations resolved: every pair, its patterns expanded and an alternative's values in place of its
  // base's.
  for (const AskedPair& p : resolve_correlations(s).pairs)
    root["correlations"].push_back({{"between", {p.a, p.b}}, {"rank", p.rank}});
  return root;
}

std::string dump_yaml(const Scenario& scenario, bool absolute_paths) {
  YAML::Emitter out;
  emit(out, scenario_document(scenario, absolute_paths));
  return std::string(out.c_str()) + "\n";
}

std::string registry_json() {
  Json params = Json::array();
  for (const ParamSpec& p : param_specs()) {
    Json j;
    j["scope"] = p.scope == Scope::scenario  ? "scenario"
                 : p.scope == Scope::segment ? "segment"
                 : p.scope == Scope::problem ? "problem"
                                             : "tier";
    j["key"] = std::string(p.key);
    j["kind"] = std::string(to_string(p.kind));
    j["group"] = std::string(to_string(p.group));
    j["required"] = p.required;
    j["default"] = p.default_value;
    j["largest"] = std::isfinite(p.largest) ? Json(p.largest) : Json(nullptr);
    j["stream"] = std::string(p.stream);
    j["unit"] = std::string(p.unit);
    params.push_back(std::move(j));
  }
  Json settings = Json::array();
  for (const SettingSpec& s : setting_specs()) {
    Json j;
    j["scope"] = s.scope == Scope::scenario  ? "scenario"
                 : s.scope == Scope::segment ? "segment"
                 : s.scope == Scope::problem ? "problem"
                                             : "tier";
    j["key"] = std::string(s.key);
    j["type"] = std::string(s.type);
    j["required"] = s.required;
    settings.push_back(std::move(j));
  }
  return json_text(Json{{"cxrisk", 1}, {"parameters", params}, {"settings", settings}}, 2) + "\n";
}

std::string dump_json(const Scenario& scenario, bool absolute_paths) {
  return json_text(scenario_document(scenario, absolute_paths));
}

}  // namespace cxrisk
