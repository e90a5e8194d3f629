#include "studies/groups.h"

#include <algorithm>

namespace cxrisk {

std::vector<InputGroup> input_groups(const std::vector<GroupedInput>& inputs) {
  std::vector<InputGroup> problems, segments, kinds;
  const auto add_to = [](std::vector<InputGroup>& groups, const char* dimension, const std::string& name,
                         std::size_t member) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const InputGroup& g) { return g.name == name; });
    if (it == groups.end()) it = groups.insert(groups.end(), InputGroup{dimension, name, {}});
    it->members.push_back(member);
  };
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const ParamRef& r = *inputs[i].ref;
    const Scenario& s = *inputs[i].scenario;
    if (r.place.problem >= 0)
      add_to(problems, "problem", s.problems[static_cast<std::size_t>(r.place.problem)].name, i);
    if (r.place.segment >= 0)
      add_to(segments, "segment", s.segments[static_cast<std::size_t>(r.place.segment)].name, i);
  }
  for (int k = 0; k <= static_cast<int>(Group::investment); ++k)
    for (std::size_t i = 0; i < inputs.size(); ++i)
      if (static_cast<int>(inputs[i].ref->spec->group) == k)
        add_to(kinds, "kind", std::string(to_string(static_cast<Group>(k))), i);
  std::vector<InputGroup> all = std::move(problems);
  all.insert(all.end(), segments.begin(), segments.end());
  all.insert(all.end(), kinds.begin(), kinds.end());
  return all;
}

}  // namespace cxrisk
