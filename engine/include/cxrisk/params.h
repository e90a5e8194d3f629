// The numeric parameters of a scenario, by name: the list the parameter registry (cxrisk/registry.h)
// describes.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace cxrisk {

/// How a complaint (or its absence) ends: MODEL.md section 2, step 4.
enum class Outcome { silent, quick, resolved, mollified, unresolved };
inline constexpr int N_OUTCOMES = 5;
inline constexpr std::array<std::string_view, N_OUTCOMES> OUTCOME_NAMES{"silent", "quick", "resolved",
                                                                        "mollified", "unresolved"};

/// Where a parameter lives: once in the scenario, or once in each segment, problem, or tier of a problem's
/// handling.
enum class Scope { scenario, segment, problem, tier };
inline constexpr int N_SCOPES = 4;

/// Every numeric parameter of a scenario (MODEL.md sections 3 to 5), grouped by scope (a scope's parameters
/// are contiguous, the scopes in this order). What each one is (its key, kind, default, bounds, random stream
/// and documentation) is declared in the registry (engine/src/scenario/registry.cpp), in the same order; a
/// parameter is added here and there (docs/contributing.md).
enum class Param : std::uint8_t {
  // Scope::scenario
  discount_rate,
  margin,
  negative_conversion,
  positive_conversion,
  upfront,
  per_period,
  // Scope::segment
  customers,
  baseline_churn,
  value_mean,
  value_cv,
  // Scope::problem
  incidence,
  complaint_rate,
  loyalty_no_problem,
  loyalty_silent,  // loyalty of each outcome, in Outcome order
  loyalty_quick,
  loyalty_resolved,
  loyalty_mollified,
  loyalty_unresolved,
  told_negative_silent,  // people told badly, per customer, by outcome
  told_negative_quick,
  told_negative_resolved,
  told_negative_mollified,
  told_negative_unresolved,
  told_positive_silent,  // people told well, per customer, by outcome
  told_positive_quick,
  told_positive_resolved,
  told_positive_mollified,
  told_positive_unresolved,
  // Scope::tier
  resolution,  // the tier's resolution shares (a Shares, not a Quantity)
  escalate,
  cost,
};
inline constexpr int N_PARAMS = static_cast<int>(Param::cost) + 1;

/// The first parameter of each scope and the number of them: a scope's parameters are contiguous.
inline constexpr std::array<Param, N_SCOPES> FIRST_PARAM{Param::discount_rate, Param::customers,
                                                         Param::incidence, Param::resolution};
inline constexpr std::array<int, N_SCOPES> PARAMS_IN_SCOPE{
    static_cast<int>(Param::customers) - static_cast<int>(Param::discount_rate),
    static_cast<int>(Param::incidence) - static_cast<int>(Param::customers),
    static_cast<int>(Param::resolution) - static_cast<int>(Param::incidence),
    N_PARAMS - static_cast<int>(Param::resolution)};
constexpr Scope scope_of(Param p) {
  const int i = static_cast<int>(p);
  return i < static_cast<int>(Param::customers)    ? Scope::scenario
         : i < static_cast<int>(Param::incidence)  ? Scope::segment
         : i < static_cast<int>(Param::resolution) ? Scope::problem
                                                   : Scope::tier;
}
/// The place of a parameter among its scope's.
constexpr int local_index(Param p) {
  return static_cast<int>(p) - static_cast<int>(FIRST_PARAM[static_cast<int>(scope_of(p))]);
}
constexpr Param loyalty_of(Outcome o) {
  return static_cast<Param>(static_cast<int>(Param::loyalty_silent) + static_cast<int>(o));
}
constexpr Param told_negative(Outcome o) {
  return static_cast<Param>(static_cast<int>(Param::told_negative_silent) + static_cast<int>(o));
}
constexpr Param told_positive(Outcome o) {
  return static_cast<Param>(static_cast<int>(Param::told_positive_silent) + static_cast<int>(o));
}

}  // namespace cxrisk
