#include "cxrisk/text.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace cxrisk {

std::string trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

namespace {
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}
}  // namespace

std::string closest_name(std::string_view word, const std::vector<std::string_view>& candidates) {
  // A word that starts a single candidate ("complaint" for "complaint_rate") is taken as meant for it.
  std::string prefixed;
  int prefix_hits = 0;
  for (auto c : candidates)
    if (word.size() >= 3 && c.size() > word.size() && c.substr(0, word.size()) == word) {
      prefixed = std::string(c);
      ++prefix_hits;
    }
  if (prefix_hits == 1) return prefixed;
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (auto c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(c);
    }
  }
  return best;
}

std::string closest_name(std::string_view word, const std::vector<std::string>& candidates) {
  return closest_name(word, std::vector<std::string_view>(candidates.begin(), candidates.end()));
}

bool is_plain_text(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned lead = byte(i);
    // The length of the sequence and the smallest code point it may encode (shorter forms are overlong).
    const int length = lead < 0x80           ? 1
                       : (lead >> 5) == 0x6  ? 2
                       : (lead >> 4) == 0xe  ? 3
                       : (lead >> 3) == 0x1e ? 4
                                             : 0;
    if (length == 0 || i + static_cast<std::size_t>(length) > s.size()) return false;
    std::uint32_t code = length == 1 ? lead : lead & (0x7fu >> length);
    for (int k = 1; k < length; ++k) {
      const unsigned next = byte(i + static_cast<std::size_t>(k));
      if ((next >> 6) != 0x2) return false;
      code = (code << 6) | (next & 0x3f);
    }
    constexpr std::uint32_t smallest[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < smallest[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return false;
    i += static_cast<std::size_t>(length);
  }
  return true;
}

bool parse_double(std::string_view s, double& out) {
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool parse_uint64(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::string human_number(double x) {
  if (!std::isfinite(x)) return fmt::format("{}", x);
  if (std::abs(x) < 1000) {
    if (x == std::floor(x)) return fmt::format("{:.0f}", x);
    return fmt::format("{:.4g}", x);
  }
  const double r = std::round(x);
  std::string digits = fmt::format("{:.0f}", std::abs(r));
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (r < 0 ? "-" : "") + out;
}

}  // namespace cxrisk
