// The limits of cxrisk's inputs, each checked where an input is read, with an error that names it.
// docs/scenario.md ("Limits") lists them for users.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cxrisk {

/// The largest scenario file, and the largest file of per-customer values.
inline constexpr std::uintmax_t MAX_SCENARIO_BYTES = std::uintmax_t{16} << 20;
inline constexpr std::uintmax_t MAX_VALUES_BYTES = std::uintmax_t{256} << 20;
/// The most segments, stages and problems a scenario may have, and problem-segment pairs (the chain's cells:
/// each trial's table of results holds 55 numbers for each).
inline constexpr std::size_t MAX_SEGMENTS = 1000, MAX_STAGES = 1000, MAX_PROBLEMS = 10000;
inline constexpr std::size_t MAX_CELLS = 100000;
/// Every count of the chain stays at most this (customers, people told, prospects), so that every count is
/// held exactly, and converted exactly, in a double and in a 64-bit integer (2^52 is about 4.5e15).
inline constexpr double MAX_COUNT = 1e15;
/// The most people one customer may tell, on average (word of mouth).
inline constexpr double MAX_PEOPLE_TOLD = 1e6;
/// The largest amount of money of one parameter (a customer's value per period, a tier's cost, an
/// investment), in the scenario's currency: what is above is a mistake, or wants thousands or millions.
inline constexpr double MAX_MONEY = 1e15;

}  // namespace cxrisk
