// Changes to a scenario by parameter path: the `changes` of an improvement scenario (MODEL.md section 5),
// `--vary` points of a sweep, and Python's `with_changes`. Typed: a change holds a Quantity (or Shares), not
// text, so a sweep or a Python edit never goes through a scenario file's text.
#pragma once

#include <string>
#include <vector>

#include "cxrisk/registry.h"
#include "cxrisk/scenario.h"

namespace cxrisk {

/// One `set` or `scale` change.
struct Change {
  enum class Verb { set, scale };
  Verb verb = Verb::set;
  std::string path;  ///< a parameter path; `*` matches every name at one level
  Quantity to;       ///< set: the new quantity (of a parameter that is not Kind::shares)
  Shares shares;     ///< set: the new shares (of Kind::shares)
  bool to_shares = false;
  double by = 1;  ///< scale: the factor, >= 0

  /// Where the change was written, for errors: the change itself (a later check of a value it set points
  /// there), its path (an error of the path: "changes[0].set") and its value ("changes[0].to"). A change made
  /// in code names its origin ("--vary") in `where` and leaves the rest: it is used for all three.
  FileLoc where;
  FileLoc path_at;
  std::string path_key;
  FileLoc value_at;
  std::string value_key;

  static Change set(std::string path, Quantity to);
  static Change set(std::string path, Shares to);
  static Change scale(std::string path, double by);
};

/// Every active parameter `path` matches: the parts by name, `*` for every name at a level. Throws
/// ScenarioError at `where` naming `key` when it matches nothing, saying why: the level with no such name and
/// the names there, with a "did you mean", or the key a value is missing.
std::vector<ParamRef> resolve_path(const Scenario& scenario, const std::string& path, const FileLoc& where,
                                   const std::string& key);

/// Applies the changes in order, and records in `where` (when given) that each value a change set was
/// written at the change. Does not check the result (check_scenario does).
void apply_changes(Scenario& scenario, const std::vector<Change>& changes, SourceMap* where = nullptr);

/// `base` with the changes applied, checked (check_scenario; errors point at the changes).
Scenario with_changes(const Scenario& base, const std::vector<Change>& changes);

}  // namespace cxrisk
