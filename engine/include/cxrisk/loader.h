// Scenario files in, typed scenarios out (MODEL.md sections 3 and 5), and back again.
#pragma once

#include <string>

#include "cxrisk/scenario.h"

namespace cxrisk {

/// Loads a scenario file. Throws ScenarioError ("file:line:col: key.path: message") on any bad input.
Scenario load_scenario(const std::string& path);

/// Loads a scenario from YAML text. `display_name` stands for the file in messages; relative paths inside
/// the scenario (empirical values, extends) are resolved against `base_dir`.
Scenario load_scenario_text(const std::string& text, const std::string& display_name = "<string>",
                            const std::string& base_dir = ".");

/// `base` with changes applied (cxrisk/changes.h), given as YAML (or JSON) text: a list [{set: PATH, to:
/// VALUE} or {scale: PATH, by: NUMBER}, ...] as under `changes:` in an improvement scenario, or a mapping
/// {name: .., changes: [..], investment: {..}} with any of the three. Throws ScenarioError.
Scenario apply_changes(const Scenario& base, const std::string& changes_yaml,
                       const std::string& display_name = "<changes>");

/// The scenario as YAML that loads back to an equal scenario (every default written out). With
/// `absolute_paths`, files the scenario reads (empirical values) are written with absolute paths, so the
/// YAML can be saved anywhere.
std::string dump_yaml(const Scenario& scenario, bool absolute_paths = false);
/// The same document as JSON (numbers as numbers, names as text): Python's `to_dict`.
std::string dump_json(const Scenario& scenario, bool absolute_paths = false);

}  // namespace cxrisk
