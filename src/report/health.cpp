// The recorder's health for each trace: nothing lost silently.

#include <fmt/format.h>

#include "holdup/recorder_health.h"
#include "holdup/report.h"

namespace holdup::report {

std::vector<std::string> trace_problems(const analysis::Process& p) {
  std::vector<std::string> out;
  if (!p.input.error.empty()) out.push_back("read error: " + p.input.error);
  HealthFacts facts;
  facts.read = &p.input;
  facts.health = &p.health;
  facts.has_header = p.has_header || p.input.chunks == 0;
  facts.incomplete_gpu_records = p.incomplete_ops();
  facts.notes = &p.notes;
  for (auto& problem : recorder_problems(facts)) out.push_back(std::move(problem));
  return out;
}

}  // namespace holdup::report
