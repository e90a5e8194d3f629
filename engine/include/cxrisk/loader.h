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

/// The scenario as YAML that loads back to an equal scenario (every default written out).
std::string dump_yaml(const Scenario& scenario);

}  // namespace cxrisk
