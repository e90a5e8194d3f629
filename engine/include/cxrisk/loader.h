// Scenario files in, typed scenarios out (MODEL.md sections 3 and 5), and back again.
#pragma once

#include <filesystem>
#include <string>

#include "cxrisk/scenario.h"

namespace cxrisk {

/// How scenario files are read.
struct LoadOptions {
  /// When set, every file a scenario reads (the scenario itself, the scenarios it extends, its values files)
  /// must lie inside this folder once symbolic links are followed: for running scenario files one did not
  /// write, which could otherwise name any file the process may read.
  std::filesystem::path confine;
};

/// Loads a scenario file. Throws ScenarioError ("file:line:col: key.path: message") on any bad input. Only
/// regular files are read (not a folder, device, pipe or socket), of at most MAX_SCENARIO_BYTES (and values
/// files of at most MAX_VALUES_BYTES: cxrisk/limits.h).
Scenario load_scenario(const std::string& path, const LoadOptions& options = {});

/// Loads a scenario from YAML text. `display_name` stands for the file in messages; relative paths inside
/// the scenario (empirical values, extends) are resolved against `base_dir`.
Scenario load_scenario_text(const std::string& text, const std::string& display_name = "<string>",
                            const std::string& base_dir = ".", const LoadOptions& options = {});

/// `base` with changes applied (cxrisk/changes.h), given as YAML (or JSON) text: a list [{set: PATH, to:
/// VALUE} or {scale: PATH, by: NUMBER}, ...] as under `changes:` in an improvement scenario, or a mapping
/// {name: .., changes: [..], investment: {..}} with any of the three. Throws ScenarioError.
Scenario apply_changes(const Scenario& base, const std::string& changes_yaml,
                       const std::string& display_name = "<changes>");

/// The scenario as YAML that loads back to an equal scenario (every default written out). With
/// `absolute_paths`, files the scenario reads (empirical values) are written with absolute paths, so the
/// YAML can be saved anywhere.
std::string dump_yaml(const Scenario& scenario, bool absolute_paths = false);
/// The parameter registry as JSON (`cxrisk reference --json`): each parameter's scope, key, kind, group,
/// requiredness, default, largest value, stream and unit, and each other key: for programs that generate
/// scenarios (scripts/differential_fuzz.py).
std::string registry_json();
/// The same document as JSON (numbers as numbers, names as text): Python's `to_dict`.
std::string dump_json(const Scenario& scenario, bool absolute_paths = false);

}  // namespace cxrisk
