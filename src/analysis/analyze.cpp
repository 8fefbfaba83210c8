// Analysing every copy: split its issue-to-start time, flag it when held
// too long, and name the causes that have two agreeing signals.

#include <algorithm>
#include <map>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "causes.h"
#include "holdup/format.h"

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
  // Primary: of the claimed findings, the one whose release (a drain, a
  // kernel's end or tail, a lock's release) the copy's start follows; a
  // release within the adjacency of another's is a tie, won by the one
  // explaining more of the hold, then by priority order.
  int best = -1;
  for (int i = 0; i < static_cast<int>(findings.size()); ++i) {
    if (!findings[i].claimed) continue;
    if (best < 0) {
      best = i;
      continue;
    }
    const Finding& a = findings[i];
    const Finding& b = findings[best];
    const TimeNs gap = a.released_ns > b.released_ns ? a.released_ns - b.released_ns : b.released_ns - a.released_ns;
    if (gap > options.adjacency_ns) {
      if (a.released_ns > b.released_ns) best = i;
    } else if (a.explains_ns > b.explains_ns + options.adjacency_ns) {
      best = i;
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
  if (!found || !found->flagged()) return;
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
  s.code = "stream.passed-on";
  s.text = fmt::format("the copy queued {} in stream order behind {} of its own stream (correlation id {}), which "
                       "was itself held ({}) and had not started",
                       format_duration(passed), model.describe(model.ops[pred.op]), model.ops[pred.op].correlation_id,
                       cause_id(pred.cause));
  s.records.push_back(ref_op(model, pred.op));
  f.signals.insert(f.signals.begin(), std::move(s));
  return f;
}

// No op other than the copy itself ran on its GPU while it was held.
bool nothing_ahead(const Model& model, uint32_t op, const Split& split) {
  const GpuOp& copy = model.ops[op];
  bool any = false;
  detail::for_each_op_overlapping(model, copy.gpu, split.held_begin_ns, std::max(copy.start_ns, split.held_begin_ns + 1),
                                  [&](uint32_t o) { any = any || o != op; });
  return !any;
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
    v.state = !(op.has_issue() && op.gpu != kNone && op.start_ns != 0) ? CopyState::no_issue
              : op.contradicts()                                       ? CopyState::contradicts
                                                                       : CopyState::prompt;
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
  for (CopyVerdict& v : a.copies) {
    if (v.has_issue() && !v.contradicts()) v.split = detail::split_copy_cached(model, v.op, options, &barrier_kinds);
  }
  std::map<PatternKey, uint32_t> pattern_index;
  uint64_t done = 0;
  for (uint32_t k : order) {
    if (options.on_progress && (++done & 0xFFFF) == 0) options.on_progress(done, order.size());
    CopyVerdict& v = a.copies[k];
    if (!v.has_issue() || v.contradicts()) continue;
    pass_on_hold(model, verdict_of_op, &v.split);
    if (v.split.held <= options.threshold_ns) continue;
    FlaggedDetail detail;
    PatternKey key;
    if (v.split.inherited * 2 >= v.split.held) {
      const CopyVerdict& pred = *verdict_of_op(v.split.inherited_from);
      v.cause = pred.cause;
      if (pred.pattern != kNone) key = a.pattern_keys[pred.pattern];
      if (options.keep_details) detail.findings.push_back(passed_on_finding(model, a, pred, v.split.inherited));
    } else {
      detail = explain(model, options, v.op, v.split, &v.cause, &barrier_kinds);
      if (!detail.findings.empty() && detail.findings.front().claimed && !detail.findings.front().blockers.empty()) {
        key.blocker_kind = detail.findings.front().blockers.front().record.kind;
        key.blocker_name = detail.findings.front().blockers.front().record.name;
      }
    }
    // A wait for an event the trace cannot see may be what held it.
    if (v.split.unseen_wait != kNone) v.cause = Cause::unknown;
    // A host-staged copy's time is mostly its own staging: flagged only
    // when a cause is claimed.
    if (model.ops[v.op].host_staged() && v.cause == Cause::unknown) {
      v.cause = Cause::none;
      continue;
    }
    // Late with nothing recorded ahead of it on its GPU: not held behind
    // anything (first use of a mapping, cold start).
    if (v.cause == Cause::unknown && nothing_ahead(model, v.op, v.split)) {
      v.cause = Cause::none;
      v.state = CopyState::cold;
      continue;
    }
    v.state = CopyState::flagged;
    const GpuOp& copy = model.ops[v.op];
    key.process = copy.process;
    key.thread_id = model.api_calls[copy.api].thread_id;
    key.stream_id = copy.stream_id;
    key.cause = v.cause;
    auto [slot, added] = pattern_index.try_emplace(key, static_cast<uint32_t>(a.pattern_keys.size()));
    if (added) a.pattern_keys.push_back(key);
    v.pattern = slot->second;
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
  if (!v.flagged()) return {};
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

namespace {

// Kernels on the copy's GPU whose records a flush cut (no start or end) and
// that were not issued after the copy started: one may be what held it, and
// the records cannot place it. "" when there are none.
std::string cut_kernels_before(const Model& model, const GpuOp& copy) {
  uint64_t count = 0;
  std::vector<uint32_t> pids;
  for (const GpuOp& k : model.incomplete_ops) {
    if (k.kind != OpKind::kernel || k.gpu != copy.gpu || copy.gpu == kNone) continue;
    const uint32_t call = model.api_for_correlation(k.process, k.correlation_id);
    if (call != kNone && model.api_calls[call].start_ns > copy.start_ns) continue;
    if (is_known_time(k.start_ns) && k.start_ns > copy.start_ns) continue;  // started after it
    ++count;
    const uint32_t pid = model.processes[k.process].pid;
    if (std::find(pids.begin(), pids.end(), pid) == pids.end()) pids.push_back(pid);
  }
  if (count == 0) return {};
  return fmt::format("; {} kernel record(s) of pid {} on this GPU, issued before the copy started, have no start or "
                     "end (cut by a flush, counted in that trace's health): one of them may have held it",
                     count, fmt::join(pids, ", "));
}

}  // namespace

std::string unknown_reason(const Analysis& a, uint32_t copy) {
  const CopyVerdict* v = &a.copies[copy];
  if (v->cause != Cause::unknown) return {};
  // A hold passed on from a predecessor keeps the predecessor's reason.
  for (int steps = 0; v->split.unseen_wait == kNone && v->split.inherited * 2 >= v->split.held &&
                      v->split.inherited_from != kNone && steps < 64;
       ++steps) {
    auto it = std::lower_bound(a.copies.begin(), a.copies.end(), v->split.inherited_from,
                               [](const CopyVerdict& x, uint32_t o) { return x.op < o; });
    if (it == a.copies.end() || it->op != v->split.inherited_from) break;
    v = &*it;
  }
  const Model& model = *a.model;
  if (v->split.unseen_wait == kNone)
    return "no cause has two agreeing signals in the records" + cut_kernels_before(model, model.ops[a.copies[copy].op]);
  const ApiCall& wait = model.api_calls[v->split.unseen_wait];
  return fmt::format("{} on thread {} (correlation id {}) made a stream wait for an event before the copy, and this "
                     "trace has no SYNCHRONIZATION or CUDA_EVENT records (HOLDUP_KINDS left them out): the copy may "
                     "have waited for that event, which the records cannot tell",
                     model.name(wait.name), wait.thread_id, wait.correlation_id);
}

}  // namespace holdup::analysis
