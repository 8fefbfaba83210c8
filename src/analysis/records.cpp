// Describing records for verdicts, and the small helpers causes share.

#include <algorithm>
#include <fmt/format.h>

#include "causes.h"
#include "holdup/format.h"
#include "holdup/trace.pb.h"

namespace holdup::analysis {


RecordRef ref_op(const Model& model, uint32_t index) {
  const GpuOp& op = model.ops[index];
  RecordRef r;
  r.kind = op.kind == OpKind::kernel ? RecordKind::kernel : op.kind == OpKind::memset ? RecordKind::memset : RecordKind::memcpy;
  r.name = op.kind == OpKind::kernel ? std::string(model.name(op.name)) : model.describe(op);
  r.pid = model.processes[op.process].pid;
  r.context_id = op.context_id;
  r.stream_id = op.stream_id;
  r.channel_id = op.channel_id;
  r.channel_type = channel_type_text(op.channel_type);
  r.gpu = op.gpu == kNone ? "" : model.gpus[op.gpu].label;
  r.correlation_id = op.correlation_id;
  r.start_ns = op.start_ns;
  r.end_ns = op.end_ns;
  if (op.has_issue()) r.thread_id = model.api_calls[op.api].thread_id;
  return r;
}

RecordRef ref_api(const Model& model, uint32_t index) {
  const ApiCall& call = model.api_calls[index];
  RecordRef r;
  r.kind = RecordKind::api;
  r.name = std::string(model.name(call.name));
  r.pid = model.processes[call.process].pid;
  r.thread_id = call.thread_id;
  r.correlation_id = call.correlation_id;
  r.start_ns = call.start_ns;
  r.end_ns = call.end_ns;
  return r;
}

RecordRef ref_overhead(const Model& model, uint32_t index) {
  const OverheadRecord& o = model.overheads[index];
  RecordRef r;
  r.kind = RecordKind::overhead;
  const auto* descriptor = proto::OverheadKind_descriptor()->FindValueByNumber(static_cast<int>(o.kind));
  r.name = descriptor ? descriptor->name() : std::to_string(o.kind);
  r.pid = model.processes[o.process].pid;
  r.thread_id = o.thread_id;
  r.context_id = o.context_id;
  r.correlation_id = o.correlation_id;
  r.start_ns = o.start_ns;
  r.end_ns = o.end_ns;
  return r;
}

std::string_view cause_id(Cause cause) {
  switch (cause) {
    case Cause::none: return "none";
    case Cause::profiler_overhead: return "profiler-overhead";
    case Cause::host_lock: return "host-side-lock";
    case Cause::device_barrier: return "device-wide-barrier";
    case Cause::shared_hardware_queue: return "shared-hardware-queue";
    case Cause::legacy_default_stream: return "legacy-default-stream";
    case Cause::sm_waiting: return "sm-waiting";
    case Cause::copy_channel_shared: return "copy-channel-shared";
    case Cause::other_process: return "other-process";
    case Cause::unknown: return "unknown";
  }
  return "unknown";
}

std::string_view cause_title(Cause cause) {
  switch (cause) {
    case Cause::none: return "not held";
    case Cause::profiler_overhead: return "profiler overhead (holdup's own)";
    case Cause::host_lock: return "host-side lock";
    case Cause::device_barrier: return "device-wide barrier";
    case Cause::shared_hardware_queue: return "shared hardware queue";
    case Cause::legacy_default_stream: return "legacy default stream";
    case Cause::sm_waiting: return "SM-executed copy waiting for SMs";
    case Cause::copy_channel_shared: return "copy channel shared with other streams' copies";
    case Cause::other_process: return "another process on the same GPU";
    case Cause::unknown: return "unknown";
  }
  return "unknown";
}

bool parse_cause(std::string_view id, Cause* cause) {
  for (int i = 0; i < kCauseCount; ++i) {
    if (cause_id(static_cast<Cause>(i)) == id) {
      *cause = static_cast<Cause>(i);
      return true;
    }
  }
  return false;
}

namespace detail {

void for_each_op_overlapping(const Model& model, uint32_t gpu_index, TimeNs t0, TimeNs t1,
                             const std::function<void(uint32_t)>& fn) {
  if (gpu_index >= model.gpus.size() || t1 <= t0) return;
  const Gpu& gpu = model.gpus[gpu_index];
  const TimeNs from = t0 > gpu.max_op_duration_ns ? t0 - gpu.max_op_duration_ns : 0;
  auto it = std::lower_bound(gpu.ops_by_start.begin(), gpu.ops_by_start.end(), from,
                             [&](uint32_t i, TimeNs t) { return model.ops[i].start_ns < t; });
  for (; it != gpu.ops_by_start.end() && model.ops[*it].start_ns < t1; ++it) {
    if (model.ops[*it].end_ns > t0) fn(*it);
  }
}


Blocker make_blocker(const Model& model, uint32_t op, TimeNs window_begin, TimeNs window_end) {
  Blocker b;
  b.record = ref_op(model, op);
  b.held_behind_ns = overlap(model.ops[op].start_ns, model.ops[op].end_ns, window_begin, window_end);
  return b;
}

// Length of the union of [start, end) intervals clipped to [t0, t1).
TimeNs covered(std::vector<std::pair<TimeNs, TimeNs>> intervals, TimeNs t0, TimeNs t1) {
  std::sort(intervals.begin(), intervals.end());
  TimeNs total = 0;
  TimeNs cursor = t0;
  for (auto [s, e] : intervals) {
    s = std::max(s, cursor);
    e = std::min(e, t1);
    if (e > s) {
      total += e - s;
      cursor = e;
    }
  }
  return total;
}

std::vector<Blocker> largest_blockers(const Model& model, const std::vector<uint32_t>& ops, TimeNs window_begin,
                                      TimeNs window_end, size_t max) {
  struct Held {
    uint32_t op;
    TimeNs held_behind_ns;
  };
  std::vector<Held> held;
  held.reserve(ops.size());
  for (uint32_t o : ops) {
    held.push_back({o, overlap(model.ops[o].start_ns, model.ops[o].end_ns, window_begin, window_end)});
  }
  // The same comparisons on the same sequence: the same order as sorting
  // the Blockers themselves.
  std::sort(held.begin(), held.end(), [](const Held& a, const Held& b) { return a.held_behind_ns > b.held_behind_ns; });
  if (held.size() > max) held.resize(max);
  std::vector<Blocker> blockers;
  blockers.reserve(held.size());
  for (const Held& h : held) {
    Blocker b;
    b.record = ref_op(model, h.op);
    b.held_behind_ns = h.held_behind_ns;
    blockers.push_back(std::move(b));
  }
  return blockers;
}

}  // namespace detail
}  // namespace holdup::analysis
