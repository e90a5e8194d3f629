// The groups of uncertain inputs that sensitivity analysis and value of information report on: all of a
// problem's inputs (its handling tiers' too), all of a segment's, and all of one kind (Group: incidence,
// complaint, handling, loyalty, ...), since "uncertainty about billing errors drives 60%" is what a CX lead
// acts on.
#pragma once

#include <string>
#include <vector>

#include "cxrisk/registry.h"
#include "cxrisk/scenario.h"

namespace cxrisk {

struct InputGroup {
  std::string dimension;             ///< "problem", "segment" or "kind"
  std::string name;                  ///< the problem's, the segment's or the kind's name
  std::vector<std::size_t> members;  ///< indices into the inputs given
};

/// One input: its reference and the scenario it belongs to (a comparison's inputs come from several).
struct GroupedInput {
  const ParamRef* ref;
  const Scenario* scenario;
};

/// The non-empty groups of `inputs`: by problem and by segment in the order they first appear, then by kind
/// in Group's order. Problems and segments are told apart by name, so one problem of several scenarios is one
/// group.
std::vector<InputGroup> input_groups(const std::vector<GroupedInput>& inputs);

}  // namespace cxrisk
