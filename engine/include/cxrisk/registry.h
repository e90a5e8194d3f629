// The parameter registry: every key of a scenario file declared once.
//
// A numeric parameter (a Param) is declared here with its key, kind, default, bounds, random stream and
// documentation; from that one declaration come the loader's reading and its key checks, the resolution of
// `changes` and `--vary` paths, the writer of `expand` and of Python's `to_dict`, the checks of its kind, the
// keys of its random stream, the list of a scenario's uncertain inputs, and the scenario reference in the
// docs (docs/scenario.md, checked against the registry by a test). The other keys (names, labels, choices and
// lists) are declared here too, for the key checks and the docs; the loader reads each of them in its own
// few lines.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cxrisk/scenario.h"

namespace cxrisk {

/// What a parameter measures: its checks, its unit in the docs, and what `scale` does to it.
enum class Kind {
  probability,  ///< a probability: every draw inside [0, 1]
  shares,       ///< resolution shares summing to 1, or Dirichlet concentrations
  count,        ///< a number of customers: whole (a drawn count is rounded), >= 0
  money,        ///< an amount in the scenario's currency, >= 0
  people,       ///< a mean number of people, >= 0
  rate,         ///< a yearly discount rate, > -1
  ratio,        ///< a ratio >= 0 (a margin, a coefficient of variation)
};
std::string_view to_string(Kind kind);

/// The group a parameter belongs to, for breakdowns of what drives a result by kind of input.
enum class Group {
  customers,
  value,
  valuation,
  incidence,
  complaint,
  handling,
  loyalty,
  word_of_mouth,
  investment
};
std::string_view to_string(Group group);

/// One numeric parameter.
struct ParamSpec {
  Param id;
  Scope scope;
  Kind kind;
  Group group;
  /// The key path inside its scope's mapping: "loyalty.silent", "value.mean", "horizon.discount_rate".
  std::string_view key;
  /// The name of its random stream inside its scope (stable: renaming the key must not change results).
  std::string_view stream;
  bool required = false;
  double default_value = 0;
  /// Written by `expand` only when it differs from the default (the word of mouth of outcomes that tell).
  bool sparse = false;
  /// Every draw must stay at most this (the largest count held exactly, the largest cv computable).
  double largest = std::numeric_limits<double>::infinity();
  std::string_view largest_why;  ///< why, for the error
  std::string_view unit;
  std::string_view description;
};

/// The numeric parameters, in the order of the scenario file (a scope's parameters in Param order).
const std::vector<ParamSpec>& param_specs();
const ParamSpec& spec(Param p);

/// The other keys of a scenario file: names, labels, choices and lists.
struct SettingSpec {
  Scope scope;
  std::string_view key;   ///< inside its scope's mapping
  std::string_view type;  ///< for the docs: "text", "whole number", "one of ...", "list of names", ...
  bool required = false;
  std::string_view default_text;  ///< for the docs; empty when there is none
  std::string_view description;
};
const std::vector<SettingSpec>& setting_specs();

/// The keys one mapping of a scenario may hold: the next key of every parameter and setting of `scope`
/// whose key starts with `prefix` ("" for the scope's own mapping, "loyalty", "wom.negative", ...).
std::vector<std::string_view> keys_under(Scope scope, std::string_view prefix);
/// Whether some parameter or setting of `scope` has a key starting with `prefix.`: a mapping, not a value.
bool is_mapping(Scope scope, std::string_view prefix);

/// Which object of a scenario a parameter belongs to: indices into segments, problems and a problem's
/// handling (-1 where the scope has none).
struct Place {
  int segment = -1;
  int problem = -1;
  int tier = -1;
  friend bool operator==(const Place&, const Place&) = default;
};

/// One parameter of one object of a scenario.
struct ParamRef {
  const ParamSpec* spec = nullptr;
  Place place;
  const Quantity* quantity = nullptr;  ///< null for shares
  const Shares* shares = nullptr;      ///< for Kind::shares
  /// Whether the parameter takes part in this scenario (an empirical segment has no value.mean to set, a
  /// scenario without an investment no investment): otherwise `why_not` says why.
  bool active = true;
  std::string why_not;

  /// Its path by names, as `changes`, `--vary` and correlations address it: {"problems", "billing_error",
  /// "handling", "front_line", "cost"} (a name is one part, whatever it contains).
  std::vector<std::string> path;
  /// The same path by position, as errors name keys: "problems[0].handling[1].cost".
  std::string index_path;
  /// The name of its random stream (a pure function of the object's names and ParamSpec::stream).
  std::string stream;

  /// The path as one text ("problems.billing_error.complaint_rate"); names with a dot or a quote are quoted.
  std::string path_text() const;
  /// True when the parameter is uncertain (a distribution, or Dirichlet shares).
  bool uncertain() const;
  /// "beta(mean=0.5, sd=0.08)", "dirichlet(50, 30, 20)", or the number.
  std::string describe() const;
};

/// Calls f(ref) for every parameter of every object of the scenario, in the order of the file.
void for_each_param(const Scenario& scenario, const std::function<void(const ParamRef&)>& f);
/// The scenario's uncertain inputs (active parameters with a distribution), in the order of the file.
std::vector<ParamRef> uncertain_inputs(const Scenario& scenario);

/// A parameter as a report lists it: its path, kind, how it is given, and where its values lie (the quantiles
/// of a distribution, the number itself when fixed; NaN for shares, whose description says all).
struct InputSummary {
  std::string path, kind, distribution;
  bool uncertain = false;
  double mean = 0, p10 = 0, p50 = 0, p90 = 0;
};
/// Every active parameter of the scenario, in the order of the file.
std::vector<InputSummary> summarize_inputs(const Scenario& scenario);

/// The quantity (or, for Kind::shares, the shares) of `spec` at `place`.
Quantity& quantity_at(Scenario& s, Param p, const Place& place);
Shares& shares_at(Scenario& s, const Place& place);

/// The scenario reference (docs/scenario.md's generated part, `cxrisk reference`): every key of every scope
/// with its type or kind, whether it is required or its default, its unit and meaning, and the path by which
/// `changes`, `--vary` and correlations address each parameter, as Markdown tables.
std::string reference_markdown();

/// Splits a path at its dots; a part in double quotes may hold dots ("problems.\"claims.delay\".incidence").
/// Returns nullopt when a quote is not closed.
std::optional<std::vector<std::string>> split_path(std::string_view path);
/// The reverse of split_path.
std::string join_path(const std::vector<std::string>& parts);

}  // namespace cxrisk
