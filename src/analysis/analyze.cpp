// Analysing every copy: split its issue-to-start time, flag it when held
// too long, and name the causes that have two agreeing signals.

#include <algorithm>
#include <fmt/format.h>

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

namespace {

// Moves the part of `split`'s stream order spent behind a flagged copy of
// its own stream, while that copy waited for its start, into held time.
void pass_on_hold(const Model& model, const std::vector<const CopyVerdict*>& verdict_of_op, Split* split) {
  const uint32_t pred = split->stream_predecessor;
  if (pred == kNone || split->stream_order == 0 || !verdict_of_op[pred] || !verdict_of_op[pred]->flagged) return;
  const CopyVerdict& p = *verdict_of_op[pred];
  const TimeNs so_begin = split->held_begin_ns - split->dependency - split->stream_order;
  const TimeNs so_end = so_begin + split->stream_order;
  // The predecessor's late window: its held part (own or passed on) up to its start.
  const TimeNs p_late_begin = p.split.held_begin_ns - p.split.inherited;
  const TimeNs passed = overlap(so_begin, so_end, p_late_begin, model.ops[pred].start_ns);
  if (passed == 0) return;
  split->stream_order -= passed;
  split->held += passed;
  split->inherited = passed;
  split->inherited_from = pred;
}

// The finding of a hold passed on: the predecessor's primary finding, with
// what joins the two copies first.
Finding passed_on_finding(const Model& model, const Analysis& a, const CopyVerdict& pred, TimeNs passed) {
  Finding f;
  if (pred.detail != kNone && !a.details[pred.detail].findings.empty()) {
    f = a.details[pred.detail].findings.front();
  }
  f.cause = pred.cause;
  f.explains_ns = passed;
  Signal s;
  s.text = fmt::format("the copy queued {} in stream order behind {} of its own stream (correlation id {}), which "
                       "was itself held ({}) and had not started",
                       detail::us(passed), model.describe(model.ops[pred.op]), model.ops[pred.op].correlation_id,
                       cause_id(pred.cause));
  s.records.push_back(ref_op(model, pred.op));
  f.signals.insert(f.signals.begin(), std::move(s));
  return f;
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
    if (v.has_issue) v.split = split_copy(model, i, options);
    a.copies.push_back(v);
  }
  // Judge in start order: a copy's stream predecessor is judged before it.
  std::vector<uint32_t> order(a.copies.size());
  for (uint32_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    return model.ops[a.copies[x].op].start_ns < model.ops[a.copies[y].op].start_ns;
  });
  std::vector<const CopyVerdict*> verdict_of_op(model.ops.size(), nullptr);
  for (uint32_t k : order) {
    CopyVerdict& v = a.copies[k];
    verdict_of_op[v.op] = &v;
    if (!v.has_issue) continue;
    pass_on_hold(model, verdict_of_op, &v.split);
    if (v.split.held <= options.threshold_ns) continue;
    FlaggedDetail detail;
    if (v.split.inherited * 2 >= v.split.held) {
      const CopyVerdict& pred = *verdict_of_op[v.split.inherited_from];
      v.cause = pred.cause;
      detail.findings.push_back(passed_on_finding(model, a, pred, v.split.inherited));
    } else {
      detail = explain(model, options, v.op, v.split, &v.cause);
    }
    // A host-staged copy's time is mostly its own staging: flagged only
    // when a cause is claimed.
    if (model.ops[v.op].host_staged() && v.cause == Cause::unknown) {
      v.cause = Cause::none;
      continue;
    }
    v.flagged = true;
    v.detail = static_cast<uint32_t>(a.details.size());
    a.details.push_back(std::move(detail));
  }
  return a;
}

}  // namespace holdup::analysis
