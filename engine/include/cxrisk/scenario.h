// The typed, checked scenario: what the loader produces and the engine consumes. The engine never sees YAML.
//
// Every numeric parameter is a `Param` (cxrisk/params.h), declared once in the parameter registry
// (cxrisk/registry.h), which gives it its key, kind, default, checks and random stream; a scenario object
// holds its parameters in a ParamStore indexed by Param. Names, labels and choices are plain typed members.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cxrisk/correlations.h"
#include "cxrisk/design.h"
#include "cxrisk/error.h"
#include "cxrisk/params.h"
#include "cxrisk/precision.h"
#include "cxrisk/quantity.h"
#include "cxrisk/sampling.h"

namespace cxrisk {

enum class PeriodUnit { month, quarter, year };
inline constexpr std::array<std::string_view, 3> PERIOD_UNIT_NAMES{"month", "quarter", "year"};
enum class ValuationMethod { annual, horizon, lifetime };
inline constexpr std::array<std::string_view, 3> VALUATION_METHOD_NAMES{"annual", "horizon", "lifetime"};
/// Where a problem comes from (a label for breakdowns), in the order the breakdowns list them.
enum class Cause { company, customer, process, partner, unspecified };
inline constexpr int N_CAUSES = 5;
inline constexpr std::array<std::string_view, N_CAUSES> CAUSE_NAMES{"company", "customer", "process",
                                                                    "partner", "unspecified"};
enum class Mode { aggregate, individual };
inline constexpr std::array<std::string_view, 2> MODE_NAMES{"aggregate", "individual"};

std::string_view to_string(PeriodUnit unit);
std::string_view to_string(ValuationMethod method);
std::string_view to_string(ValueShape shape);
std::string_view to_string(Cause cause);
std::string_view to_string(Mode mode);
/// Parses "aggregate" or "individual"; throws UsageError otherwise.
Mode parse_mode(std::string_view text);
/// Periods in a year: month 12, quarter 4, year 1.
int periods_per_year(PeriodUnit unit);

/// The parameters of one scenario object of scope S, each a quantity (the fixed 0 until set).
template <Scope S>
class ParamStore {
 public:
  Quantity& operator[](Param p) { return values_[index(p)]; }
  const Quantity& operator[](Param p) const { return values_[index(p)]; }
  friend bool operator==(const ParamStore&, const ParamStore&) = default;

 private:
  static std::size_t index(Param p);
  std::array<Quantity, PARAMS_IN_SCOPE[static_cast<int>(S)]> values_{};
};

/// The per-customer distribution of value per period (heterogeneity between customers); its mean and cv
/// are the segment's parameters value_mean and value_cv.
struct Value {
  ValueShape shape = ValueShape::fixed;
  std::string empirical_file;     ///< as written in the scenario (relative to it), when shape is empirical
  std::string empirical_path;     ///< the same file as an absolute path
  std::vector<double> empirical;  ///< the values read from that file
  /// The same values from the same file, however its name was written.
  friend bool operator==(const Value& a, const Value& b) {
    return a.shape == b.shape && a.empirical_path == b.empirical_path && a.empirical == b.empirical;
  }
};

struct Segment {
  std::string name;
  Value value;
  ParamStore<Scope::segment> params;

  Quantity& operator[](Param p) { return params[p]; }
  const Quantity& operator[](Param p) const { return params[p]; }
  friend bool operator==(const Segment&, const Segment&) = default;
};

/// The most tiers a problem's handling may have.
inline constexpr std::size_t MAX_TIERS = 12;

/// One handling tier (front line, headquarters, ...).
struct Tier {
  std::string name;
  Shares resolution;  ///< Param::resolution
  ParamStore<Scope::tier> params;

  Quantity& operator[](Param p) { return params[p]; }
  const Quantity& operator[](Param p) const { return params[p]; }
  friend bool operator==(const Tier&, const Tier&) = default;
};

struct Problem {
  std::string name;
  std::string stage;  ///< empty when the scenario has no stages and the problem names none
  Cause cause = Cause::unspecified;
  std::vector<std::string> segments;  ///< names; empty means every segment
  std::vector<Tier> handling;
  ParamStore<Scope::problem> params;

  Quantity& operator[](Param p) { return params[p]; }
  const Quantity& operator[](Param p) const { return params[p]; }
  friend bool operator==(const Problem&, const Problem&) = default;
};

/// Something a scenario says that cxrisk accepted but changed or doubts (a correlation matrix repaired), with
/// where it was written.
struct Warning {
  FileLoc at;
  std::string path;
  std::string message;
  /// "file:line:col: path: message", as errors are written.
  std::string to_string() const;
};

/// A fully resolved scenario (schema version 1).
struct Scenario {
  std::string name;
  std::string currency;
  int periods = 1;  ///< horizon.periods
  PeriodUnit period = PeriodUnit::month;
  ValuationMethod valuation = ValuationMethod::annual;
  std::int64_t trials = 10000;                   ///< simulation.trials
  std::uint64_t seed = 1;                        ///< simulation.seed
  Sampling sampling = Sampling::random;          ///< simulation.sampling: the design of the inputs
  bool strict_correlations = false;              ///< simulation.correlations: strict (no repair of a matrix)
  std::vector<PrecisionTarget> precision;        ///< simulation.precision: run to these instead of `trials`
  std::int64_t max_trials = DEFAULT_MAX_TRIALS;  ///< simulation.max_trials: where a run to a precision stops
  std::vector<CorrelationEntry> correlations;
  std::vector<Segment> segments;
  std::vector<std::string> stages;  ///< journey order; may be empty
  std::vector<Problem> problems;    ///< in file order
  bool has_investment = false;      ///< Param::upfront and Param::per_period apply (comparisons)
  ParamStore<Scope::scenario> params;

  /// The file the scenario came from (empty for a string or a dict); for messages only.
  std::string source;
  /// What loading it warned of (not compared: the same scenario however it was written).
  std::vector<Warning> warnings;

  Quantity& operator[](Param p) { return params[p]; }
  const Quantity& operator[](Param p) const { return params[p]; }

  /// Problems in the order the journey visits them: by stage (journey order), then file order.
  std::vector<int> journey_order() const;
  /// Index of a segment by name, or -1.
  int segment_index(std::string_view segment_name) const;
  /// True when problem `p` applies to segment `s`.
  bool applies(int problem, int segment) const;

  /// Equal scenarios give equal numbers under the same seed (the source is not compared).
  friend bool operator==(const Scenario& a, const Scenario& b);
};

template <Scope S>
std::size_t ParamStore<S>::index(Param p) {
  if (scope_of(p) != S) throw std::logic_error("a parameter asked of an object of another scope");
  return static_cast<std::size_t>(local_index(p));
}

/// Where each key path of a scenario was written ("problems[0].incidence" -> file, line, column), so that
/// checks made after loading (and after improvement changes) still point into the right file.
class SourceMap {
 public:
  explicit SourceMap(std::string file = {}) : file_(std::move(file)) {}
  void set(const std::string& path, FileLoc loc);
  /// The location of `path`, or of its nearest ancestor that has one, or the file alone.
  FileLoc find(std::string_view path) const;
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::unordered_map<std::string, FileLoc> locs_;  // by key path (a sorted vector was quadratic to fill)
};

/// Checks the rules of MODEL.md section 5: each parameter against its kind and bounds (from the registry),
/// and the rules that span several keys (unique names, known stages and segments, shares summing to 1,
/// handling present when complaints can happen, ...). Throws ScenarioError naming the file, line, column
/// and key path.
void check_scenario(const Scenario& scenario, const SourceMap& where);
/// The errors check_scenario would throw, every independent one (each rule and each parameter is checked on
/// its own), in the order found.
std::vector<ScenarioError> scenario_errors(const Scenario& scenario, const SourceMap& where);

/// The probability a distribution may put beyond its parameter's bounds (a probability's [0, 1], a count's or
/// an amount's 0): a draw there is taken as the bound. So a beta scaled by 1.1 ("10% more billing errors")
/// or a gamma for a small rate is accepted when its tail past 1 is negligible; the distribution drawn differs
/// from the one written by at most this much probability.
inline constexpr double NEGLIGIBLE_TAIL = 1e-12;

/// How far fixed shares may sum from 1 and still be taken: shares written to a few decimals (three 0.3333s)
/// sum to 1 only nearly.
inline constexpr double SHARES_TOLERANCE = 0.005;
/// Scales fixed shares whose sum is within SHARES_TOLERANCE of 1 (but not within rounding) to sum to 1,
/// with a warning in scenario.warnings that shows the sum; check_scenario refuses those further off.
void normalise_shares(Scenario& scenario, const SourceMap& where);

}  // namespace cxrisk
