// `holdup check`: limits for CI performance tests.

#include <fmt/format.h>

#include "analysis/recorder_records.h"
#include "report/report.h"

namespace holdup::report {

CheckResult check_limits(const analysis::Analysis& a, const std::vector<uint32_t>& selection,
                         const CheckLimits& limits) {
  const analysis::Model& model = *a.model;
  CheckResult r;
  uint64_t flagged = 0;
  const analysis::CopyVerdict* worst = nullptr;
  for (uint32_t i : selection) {
    const auto& v = a.copies[i];
    // A cold copy (no recorded work ahead of it on its GPU) is not held:
    // neither flagged nor the most held.
    if (v.cold()) continue;
    if (v.flagged()) ++flagged;
    if (v.has_issue() && (!worst || v.split.held > worst->split.held)) worst = &v;
  }
  uint64_t dropped = 0;
  for (const auto& p : model.processes) dropped += p.recorder->health.dropped_records();

  if (limits.max_held_us && worst && double(worst->split.held) / 1e3 > *limits.max_held_us) {
    const auto& op = model.ops[worst->op];
    r.messages.push_back(fmt::format(
        "held time {} > --max-held-us {}: {} on pid {} stream {} (corr {}), cause {}",
        format_duration(worst->split.held), *limits.max_held_us, model.describe(op),
        model.processes[op.process].pid, op.stream_id, op.correlation_id, analysis::cause_id(worst->cause)));
  }
  if (limits.max_flagged && flagged > *limits.max_flagged) {
    r.messages.push_back(fmt::format("{} flagged copies > --max-flagged {} (held > {})", flagged, *limits.max_flagged,
                                     format_duration(a.options.threshold_ns)));
  }
  if (limits.max_dropped && dropped > *limits.max_dropped) {
    r.messages.push_back(fmt::format("{} dropped records > --max-dropped {}", dropped, *limits.max_dropped));
  }
  r.exit_code = r.messages.empty() ? 0 : 1;
  r.messages.push_back(fmt::format("{}: {} copies, {} flagged, max held {}, {} dropped records",
                                   r.exit_code ? "FAIL" : "ok", selection.size(), flagged,
                                   format_duration(worst ? worst->split.held : 0), dropped));
  return r;
}

}  // namespace holdup::report
