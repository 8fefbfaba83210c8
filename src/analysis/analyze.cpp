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
                      Cause* primary, detail::BarrierKinds* barrier_kinds = nullptr) {
  const detail::CauseInput input{model, options, op, model.ops[op], split, barrier_kinds};
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
template <typename VerdictOfOp>
void pass_on_hold(const Model& model, const VerdictOfOp& verdict_of_op, Split* split) {
  const uint32_t pred = split->stream_predecessor;
  if (pred == kNone || split->stream_order == 0) return;
  const CopyVerdict* found = verdict_of_op(pred);
  if (!found || !found->flagged) return;
  const CopyVerdict& p = *found;
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
  a.options.on_progress = nullptr;  // not kept past this call
  uint64_t copy_count = 0;
  for (const GpuOp& op : model.ops) copy_count += op.is_copy() ? 1 : 0;
  a.copies.reserve(copy_count);
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
  // Copies are in op order: the verdict of an op is found by binary search.
  const auto verdict_of_op = [&a](uint32_t op) -> const CopyVerdict* {
    auto it = std::lower_bound(a.copies.begin(), a.copies.end(), op,
                               [](const CopyVerdict& v, uint32_t o) { return v.op < o; });
    return it != a.copies.end() && it->op == op ? &*it : nullptr;
  };
  detail::BarrierKinds barrier_kinds;  // one byte per API call, asked of many copies
  uint64_t done = 0;
  for (uint32_t k : order) {
    if (options.on_progress && (++done & 0xFFFF) == 0) options.on_progress(done, order.size());
    CopyVerdict& v = a.copies[k];
    if (!v.has_issue) continue;
    pass_on_hold(model, verdict_of_op, &v.split);
    if (v.split.held <= options.threshold_ns) continue;
    FlaggedDetail detail;
    if (v.split.inherited * 2 >= v.split.held) {
      const CopyVerdict& pred = *verdict_of_op(v.split.inherited_from);
      v.cause = pred.cause;
      if (options.keep_details) detail.findings.push_back(passed_on_finding(model, a, pred, v.split.inherited));
    } else {
      detail = explain(model, options, v.op, v.split, &v.cause, &barrier_kinds);
    }
    // A host-staged copy's time is mostly its own staging: flagged only
    // when a cause is claimed.
    if (model.ops[v.op].host_staged() && v.cause == Cause::unknown) {
      v.cause = Cause::none;
      continue;
    }
    v.flagged = true;
    if (!options.keep_details) continue;
    v.detail = static_cast<uint32_t>(a.details.size());
    a.details.push_back(std::move(detail));
  }
  if (options.on_progress) options.on_progress(order.size(), order.size());
  return a;
}

FlaggedDetail detail_of(const Analysis& a, uint32_t copy) {
  const CopyVerdict& v = a.copies[copy];
  if (v.detail != kNone) return a.details[v.detail];
  if (!v.flagged) return {};
  const Model& model = *a.model;
  // A hold passed on in stream order: the chain of copies it was passed
  // along, back to the one whose own causes explain it.
  std::vector<uint32_t> chain{copy};
  while (true) {
    const CopyVerdict& c = a.copies[chain.back()];
    if (c.split.inherited * 2 < c.split.held || c.split.inherited_from == kNone) break;
    auto it = std::lower_bound(a.copies.begin(), a.copies.end(), c.split.inherited_from,
                               [](const CopyVerdict& x, uint32_t o) { return x.op < o; });
    if (it == a.copies.end() || it->op != c.split.inherited_from) break;
    chain.push_back(static_cast<uint32_t>(it - a.copies.begin()));
  }
  FlaggedDetail detail;
  const CopyVerdict& root = a.copies[chain.back()];
  if (root.split.inherited * 2 < root.split.held) {
    Cause ignored = Cause::none;
    detail = explain(model, a.options, root.op, root.split, &ignored);
  }
  // Walk forward: each copy's finding is its predecessor's primary one with
  // what joins the two prepended (as analyze() builds it).
  for (size_t i = chain.size() - 1; i > 0; --i) {
    const CopyVerdict& pred = a.copies[chain[i]];
    const CopyVerdict& next = a.copies[chain[i - 1]];
    Analysis single;  // passed_on_finding reads the predecessor's kept detail
    single.details.push_back(std::move(detail));
    CopyVerdict pred_with_detail = pred;
    pred_with_detail.detail = 0;
    FlaggedDetail passed;
    passed.findings.push_back(passed_on_finding(model, single, pred_with_detail, next.split.inherited));
    detail = std::move(passed);
  }
  return detail;
}

}  // namespace holdup::analysis
