#pragma once
// Named presets (--scenario NAME). Each is written in the command line's own
// option language, so a preset is exactly "these options", options given by
// the user override it, and SCENARIOS.md can quote it verbatim.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace holdup::workload {

struct Scenario {
  std::string name;
  // One line for --list-scenarios.
  std::string summary;
  // The options the preset stands for.
  std::vector<std::string> options;
  // Options appended to `options` to get the A/B partner in which the hold
  // should be gone (empty when the scenario is itself a control).
  std::vector<std::string> remedy_options;
};

std::span<const Scenario> all_scenarios();
// nullptr when no scenario has that name.
const Scenario* find_scenario(std::string_view name);

}  // namespace holdup::workload
