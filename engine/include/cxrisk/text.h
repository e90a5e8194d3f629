// Small text helpers shared by the loader, the outputs and the command line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cxrisk {

/// `s` without leading and trailing white space.
std::string trim(std::string_view s);

/// The items joined with `sep`.
template <class Range>
std::string join(const Range& items, std::string_view sep) {
  std::string out;
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += sep;
    out += item;
    first = false;
  }
  return out;
}

/// The candidate closest to `word` by edit distance, when close enough to be a likely typo; else empty.
std::string closest_name(std::string_view word, const std::vector<std::string_view>& candidates);
std::string closest_name(std::string_view word, const std::vector<std::string>& candidates);

/// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF) without
/// control characters (U+0000 to U+001F, U+007F to U+009F): what a name may be, as it ends up in JSON,
/// tables and spreadsheets.
bool is_plain_text(std::string_view s);

/// A number for people: thousands separated, a few significant digits below 1000.
std::string human_number(double x);

/// Parses a whole string as a double (no trailing characters). Returns false on failure.
bool parse_double(std::string_view s, double& out);
/// Parses a whole string as an unsigned 64-bit integer. Returns false on failure.
bool parse_uint64(std::string_view s, std::uint64_t& out);

}  // namespace cxrisk
