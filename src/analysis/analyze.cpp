// Analysing every copy: split its issue-to-start time, flag it when held
// too long, and name the causes that have two agreeing signals.

#include <algorithm>

#include "causes.h"

namespace holdup::analysis {

namespace {

using Detector = std::optional<Finding> (*)(const detail::CauseInput&);

// In priority order: when several causes are claimed, the first that
// explains at least half of the hold is the primary one.
constexpr Detector kDetectors[] = {
    detail::find_profiler_overhead,   detail::find_host_lock,      detail::find_device_barrier,
    detail::find_shared_hardware_queue, detail::find_legacy_default_stream, detail::find_sm_waiting,
    detail::find_copy_channel_shared, detail::find_other_process,
};

FlaggedDetail explain(const Model& model, const AnalysisOptions& options, uint32_t op, const Split& split,
                      Cause* primary) {
  const detail::CauseInput input{model, options, op, model.ops[op], split};
  std::vector<Finding> findings;
  for (Detector detect : kDetectors) {
    if (auto f = detect(input)) findings.push_back(std::move(*f));
  }
  // Primary: the first claimed (priority order) explaining >= half the hold,
  // else the claimed one explaining most.
  int best = -1;
  for (int i = 0; i < static_cast<int>(findings.size()); ++i) {
    if (findings[i].claimed && findings[i].explains_ns * 2 >= split.held) {
      best = i;
      break;
    }
  }
  if (best < 0) {
    for (int i = 0; i < static_cast<int>(findings.size()); ++i) {
      if (findings[i].claimed && (best < 0 || findings[i].explains_ns > findings[best].explains_ns)) best = i;
    }
  }
  FlaggedDetail detail;
  if (best >= 0) {
    *primary = findings[best].cause;
    detail.findings.push_back(std::move(findings[best]));
    findings.erase(findings.begin() + best);
  } else {
    *primary = Cause::unknown;
  }
  std::stable_partition(findings.begin(), findings.end(), [](const Finding& f) { return f.claimed; });
  for (auto& f : findings) detail.findings.push_back(std::move(f));
  return detail;
}

}  // namespace

Analysis analyze(const Model& model, const AnalysisOptions& options) {
  Analysis a;
  a.model = &model;
  a.options = options;
  for (uint32_t i = 0; i < model.ops.size(); ++i) {
    const GpuOp& op = model.ops[i];
    if (!op.is_copy()) continue;
    CopyVerdict v;
    v.op = i;
    v.has_issue = op.has_issue() && op.gpu != kNone && op.start_ns != 0;
    if (v.has_issue) {
      v.split = split_copy(model, i, options);
      v.flagged = v.split.held > options.threshold_ns;
      if (v.flagged) {
        v.detail = static_cast<uint32_t>(a.details.size());
        a.details.push_back(explain(model, options, i, v.split, &v.cause));
      }
    }
    a.copies.push_back(v);
  }
  return a;
}

}  // namespace holdup::analysis
