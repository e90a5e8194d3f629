#include "cxrisk/changes.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>

#include "cxrisk/text.h"

namespace cxrisk {

namespace {

// What the names at a level of a path are, for messages: the level after "segments" names a segment, ...
std::string_view level_word(const std::vector<std::string>& parts, std::size_t level) {
  if (level == 1 && parts[0] == "segments") return "segment";
  if (level == 1 && parts[0] == "problems") return "problem";
  if (level == 3 && parts[2] == "handling") return "tier";
  return "key";
}

bool part_matches(const std::string& pattern, const std::string& name) {
  return pattern == "*" || pattern == name;
}

}  // namespace

Change Change::set(std::string path, Quantity to) {
  Change c;
  c.verb = Verb::set;
  c.path = std::move(path);
  c.to = std::move(to);
  return c;
}

Change Change::set(std::string path, Shares to) {
  Change c;
  c.verb = Verb::set;
  c.path = std::move(path);
  c.shares = to;
  c.to_shares = true;
  return c;
}

Change Change::scale(std::string path, double by) {
  Change c;
  c.verb = Verb::scale;
  c.path = std::move(path);
  c.by = by;
  return c;
}

std::vector<ParamRef> resolve_path(const Scenario& scenario, const std::string& path, const FileLoc& where,
                                   const std::string& key) {
  const auto fail = [&](const std::string& message) -> std::vector<ParamRef> {
    throw ScenarioError(where, key, message);
  };
  const std::optional<std::vector<std::string>> split = split_path(path);
  if (!split) fail(fmt::format("'{}': a quoted name is not closed", path));
  const std::vector<std::string>& parts = *split;
  std::vector<ParamRef> candidates;
  for_each_param(scenario, [&](const ParamRef& r) { candidates.push_back(r); });
  for (std::size_t level = 0; level < parts.size(); ++level) {
    std::vector<ParamRef> next;
    std::vector<std::string> known;
    for (ParamRef& r : candidates) {
      if (r.path.size() <= level) continue;
      if (std::find(known.begin(), known.end(), r.path[level]) == known.end()) known.push_back(r.path[level]);
      if (part_matches(parts[level], r.path[level])) next.push_back(std::move(r));
    }
    if (next.empty()) {
      std::string message =
          fmt::format("'{}' matches nothing: no {} '{}'", path, level_word(parts, level), parts[level]);
      if (!known.empty()) message += fmt::format(" (there are: {})", join(known, ", "));
      const std::string hint = closest_name(parts[level], known);
      if (!hint.empty()) message += fmt::format("; did you mean '{}'?", hint);
      fail(message);
    }
    candidates = std::move(next);
  }
  std::vector<ParamRef> matched, active;
  std::vector<std::string> more;
  for (ParamRef& r : candidates) {
    if (r.path.size() == parts.size()) {
      matched.push_back(std::move(r));
    } else if (std::find(more.begin(), more.end(), r.path[parts.size()]) == more.end()) {
      more.push_back(r.path[parts.size()]);
    }
  }
  if (matched.empty()) fail(fmt::format("'{}' is not a value: add one of {}", path, join(more, ", ")));
  for (ParamRef& r : matched)
    if (r.active) active.push_back(std::move(r));
  if (active.empty()) fail(fmt::format("'{}' matches nothing: {}", path, matched.front().why_not));
  return active;
}

void apply_changes(Scenario& s, const std::vector<Change>& changes, SourceMap* where) {
  for (const Change& c : changes) {
    // A change made in code gives its origin alone.
    const bool written = !c.path_at.file.empty();
    const std::vector<ParamRef> targets =
        resolve_path(s, c.path, written ? c.path_at : c.where, written ? c.path_key : std::string());
    const auto fail = [&](const std::string& message) {
      throw ScenarioError(written ? c.value_at : c.where, written ? c.value_key : std::string(), message);
    };
    for (const ParamRef& t : targets) {
      const bool is_shares = t.spec->kind == Kind::shares;
      if (c.verb == Change::Verb::set) {
        if (is_shares != c.to_shares)
          fail(is_shares
                   ? fmt::format("'{}' is a tier's resolution shares: set it to {{resolved: .., mollified: "
                                 "..., unresolved: ..}}",
                                 t.path_text())
                   : fmt::format("'{}' takes a number or a distribution, not resolution shares",
                                 t.path_text()));
        if (is_shares)
          shares_at(s, t.place) = c.shares;
        else
          quantity_at(s, t.spec->id, t.place) = c.to;
      } else {
        if (is_shares)
          throw ScenarioError(written ? c.path_at : c.where, written ? c.path_key : std::string(),
                              "resolution shares cannot be scaled; set them instead");
        if (!(std::isfinite(c.by) && c.by >= 0)) fail("a scale factor must be a finite number >= 0");
        Quantity& q = quantity_at(s, t.spec->id, t.place);
        try {
          Quantity scaled = q.scaled(c.by);
          if (t.spec->kind == Kind::count && scaled.is_fixed())
            scaled = Quantity::fixed(std::round(scaled.value()));  // a count stays whole
          q = scaled;
        } catch (const QuantityError& e) {
          fail(fmt::format("scaling {} by {}: {}", c.path, c.by, e.message));
        }
      }
      // Checks made after the changes point at the change that made the value.
      if (where) where->set(t.index_path, c.where);
    }
  }
}

Scenario with_changes(const Scenario& base, const std::vector<Change>& changes) {
  Scenario s = base;
  SourceMap where(base.source);
  apply_changes(s, changes, &where);
  normalise_shares(s, where);
  check_scenario(s, where);
  return s;
}

}  // namespace cxrisk
