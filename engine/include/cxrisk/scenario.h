// The typed, checked scenario: what the loader produces and the engine consumes. The engine never sees YAML.
// Every default of MODEL.md section 5 is filled in by the loader, in one place.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cxrisk/error.h"
#include "cxrisk/quantity.h"

namespace cxrisk {

/// How a complaint (or its absence) ends: MODEL.md section 2, step 4.
enum class Outcome { silent, quick, resolved, mollified, unresolved };
inline constexpr int N_OUTCOMES = 5;
inline constexpr std::array<std::string_view, N_OUTCOMES> OUTCOME_NAMES{"silent", "quick", "resolved",
                                                                        "mollified", "unresolved"};

enum class PeriodUnit { month, quarter, year };
enum class ValuationMethod { annual, horizon, lifetime };
enum class ValueShape { gamma, lognormal, fixed, empirical };
enum class Mode { aggregate, individual };

std::string_view to_string(PeriodUnit unit);
std::string_view to_string(ValuationMethod method);
std::string_view to_string(ValueShape shape);
std::string_view to_string(Mode mode);
/// Parses "aggregate" or "individual"; throws UsageError otherwise.
Mode parse_mode(std::string_view text);
/// Periods in a year: month 12, quarter 4, year 1.
int periods_per_year(PeriodUnit unit);

struct Horizon {
  int periods = 1;
  PeriodUnit period = PeriodUnit::month;
  Quantity discount_rate;  ///< a year's rate
};

struct Valuation {
  ValuationMethod method = ValuationMethod::annual;
  Quantity margin = Quantity::fixed(1.0);
};

struct Simulation {
  std::int64_t trials = 10000;
  std::uint64_t seed = 1;
};

struct WordOfMouth {
  Quantity negative_conversion;
  Quantity positive_conversion;
};

/// The per-customer distribution of value per period (heterogeneity between customers).
struct Value {
  Quantity mean;
  Quantity cv;
  ValueShape shape = ValueShape::fixed;
  std::string empirical_file;     ///< as written in the scenario (relative to it), when shape is empirical
  std::string empirical_path;     ///< the same file as an absolute path
  std::vector<double> empirical;  ///< the values read from that file
};

struct Segment {
  std::string name;
  Quantity customers;  ///< a count; an uncertain count is rounded to the nearest integer per trial
  Value value;
  Quantity baseline_churn;
};

/// One handling tier (front line, headquarters, ...).
struct Tier {
  std::string name;
  Shares resolution;
  Quantity escalate;
  Quantity cost;
};

struct Loyalty {
  Quantity no_problem = Quantity::fixed(1.0);
  std::array<Quantity, N_OUTCOMES> outcome;  ///< indexed by Outcome
};

struct Problem {
  std::string name;
  std::string stage;                  ///< empty when the scenario has no stages and the problem names none
  std::string cause = "unspecified";  ///< company | customer | process | partner | unspecified
  std::vector<std::string> segments;  ///< names; empty means every segment
  Quantity incidence;
  Quantity complaint_rate;
  std::vector<Tier> handling;
  Loyalty loyalty;
  std::array<Quantity, N_OUTCOMES> wom_negative;  ///< people told badly, per customer, by outcome
  std::array<Quantity, N_OUTCOMES> wom_positive;  ///< people told well, per customer, by outcome
};

/// What an improvement costs (comparisons).
struct Investment {
  Quantity upfront;
  Quantity per_period;
};

/// A fully resolved scenario (schema version 1).
struct Scenario {
  std::string name;
  std::string currency;
  Horizon horizon;
  Valuation valuation;
  Simulation simulation;
  WordOfMouth word_of_mouth;
  std::vector<Segment> segments;
  std::vector<std::string> stages;  ///< journey order; may be empty
  std::vector<Problem> problems;    ///< in file order
  std::optional<Investment> investment;

  /// The file the scenario came from (empty for a string or a dict); for messages only.
  std::string source;

  /// Problems in the order the journey visits them: by stage (journey order), then file order.
  std::vector<int> journey_order() const;
  /// Index of a segment by name, or -1.
  int segment_index(std::string_view segment_name) const;
  /// True when problem `p` applies to segment `s`.
  bool applies(int problem, int segment) const;
};

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

/// Checks the rules of MODEL.md section 5 that a single key cannot express: unique names, known stages and
/// segments, probabilities inside [0, 1], shares summing to 1, handling present when complaints can happen.
/// Throws ScenarioError naming the file, line, column and key path.
void check_scenario(const Scenario& scenario, const SourceMap& where);

}  // namespace cxrisk
