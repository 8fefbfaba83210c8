// Holds from outside the copy's own streams and queues: another process
// (or context) time-slicing the same physical GPU, and the legacy default
// stream serializing the blocking streams of its context.

#include <algorithm>
#include <tuple>
#include <fmt/format.h>

#include "causes.h"
#include "holdup/format.h"

namespace holdup::analysis::detail {

namespace {

constexpr size_t kMaxBlockers = 8;

void keep_largest(std::vector<Blocker>& blockers) {
  std::sort(blockers.begin(), blockers.end(),
            [](const Blocker& a, const Blocker& b) { return a.held_behind_ns > b.held_behind_ns; });
  if (blockers.size() > kMaxBlockers) blockers.resize(kMaxBlockers);
}

// The median duration of up to 8 earlier kernels of the same name on the
// same stream as `k` (0 when there are none): its usual length.
TimeNs usual_duration(const Model& model, uint32_t k) {
  const GpuOp& op = model.ops[k];
  auto it = model.ops_by_stream.find({op.process, op.context_id, op.stream_id});
  if (it == model.ops_by_stream.end()) return 0;
  const auto& list = it->second;
  auto pos = std::lower_bound(list.begin(), list.end(), k, [&](uint32_t a, uint32_t b) {
    return std::tie(model.ops[a].start_ns, model.ops[a].end_ns, a) < std::tie(model.ops[b].start_ns, model.ops[b].end_ns, b);
  });
  std::vector<TimeNs> durations;
  for (int steps = 0; pos != list.begin() && steps < 64 && durations.size() < 8; ++steps) {
    --pos;
    const GpuOp& earlier = model.ops[*pos];
    if (*pos != k && earlier.kind == OpKind::kernel && earlier.name == op.name && earlier.end_ns > earlier.start_ns) {
      durations.push_back(earlier.end_ns - earlier.start_ns);
    }
  }
  if (durations.empty()) return 0;
  std::nth_element(durations.begin(), durations.begin() + durations.size() / 2, durations.end());
  return durations[durations.size() / 2];
}

// Work of the copy's own context that had been issued before the hold
// began and started with the copy (within adjacency_ns of its start),
// while nothing of that context ran on the GPU during the hold: the whole
// context was off the GPU, not the copy alone. kNone if none.
uint32_t resumed_with_copy(const CauseInput& in, TimeNs hb, TimeNs he) {
  const Model& model = in.model;
  const GpuOp& copy = in.copy;
  const auto own = [&](const GpuOp& o) { return o.process == copy.process && o.context_id == copy.context_id; };
  const TimeNs adjacency = in.options.adjacency_ns;
  if (he <= hb + adjacency) return kNone;
  bool ran = false;  // before the copy's start, less what starts with it
  for_each_op_overlapping(model, copy.gpu, hb, he - adjacency, [&](uint32_t o) {
    const GpuOp& op = model.ops[o];
    if (own(op) && o != in.op && op.end_ns > op.start_ns) ran = true;
  });
  if (ran) return kNone;
  uint32_t resumed = kNone;
  for_each_op_overlapping(model, copy.gpu, he > adjacency ? he - adjacency : 0, he + adjacency, [&](uint32_t o) {
    const GpuOp& op = model.ops[o];
    if (!own(op) || o == in.op || !op.has_issue() || op.issue_ns >= hb) return;
    if (op.start_ns + adjacency < he || op.start_ns > he + adjacency) return;
    if (resumed == kNone || op.issue_ns < model.ops[resumed].issue_ns) resumed = o;
  });
  return resumed;
}

}  // namespace

std::optional<Finding> find_other_process(const CauseInput& in) {
  const Model& model = in.model;
  const TimeNs hb = in.held_begin();
  const TimeNs he = in.held_end();
  if (he <= hb) return std::nullopt;
  std::vector<uint32_t> foreign;
  for_each_op_overlapping(model, in.copy.gpu, hb, he, [&](uint32_t o) {
    const GpuOp& k = model.ops[o];
    if (k.kind == OpKind::kernel && (k.process != in.copy.process || k.context_id != in.copy.context_id)) {
      foreign.push_back(o);
    }
  });
  if (foreign.empty()) return std::nullopt;

  Finding f;
  f.cause = Cause::other_process;
  std::vector<std::pair<TimeNs, TimeNs>> intervals;
  uint32_t adjacent = kNone;
  for (uint32_t o : foreign) {
    const GpuOp& k = model.ops[o];
    intervals.emplace_back(k.start_ns, k.end_ns);
    if (k.end_ns <= he && he - k.end_ns <= in.options.adjacency_ns &&
        (adjacent == kNone || k.end_ns > model.ops[adjacent].end_ns)) {
      adjacent = o;
    }
  }
  f.blockers = largest_blockers(model, foreign, hb, he, kMaxBlockers);
  const TimeNs through = covered(intervals, hb, he);
  const bool ran_through = through * 2 >= he - hb;
  const GpuOp& first = model.ops[foreign.front()];
  const Process& other = model.processes[first.process];
  if (ran_through) {
    Signal s;
    s.code = "other-process.ran-through";
    s.text = fmt::format("kernels of {} (pid {}, context {}) on the same GPU {} ran through {} of the {} hold",
                         first.process == in.copy.process ? "another context" : "another process", other.pid,
                         first.context_id, model.gpus[in.copy.gpu].label, format_duration(through), format_duration(he - hb));
    s.records.push_back(ref_op(model, foreign.front()));
    f.signals.push_back(std::move(s));
  }
  if (adjacent != kNone) {
    const GpuOp& k = model.ops[adjacent];
    Signal s;
    s.code = "other-process.after-end";
    f.released_ns = k.end_ns;
    s.text = fmt::format("the copy started {} after {} of pid {} ended (time-slicing between contexts)",
                         format_duration(he - k.end_ns), model.describe(k), model.processes[k.process].pid);
    s.records.push_back(ref_op(model, adjacent));
    f.signals.push_back(std::move(s));
  }
  // Or: the copy ran while a kernel of the other context was running, and
  // that kernel took longer than its usual length by at least the copy's
  // run: it was switched out while the copy's context had its turn.
  uint32_t stretched = kNone;
  if (adjacent == kNone) {
    const TimeNs copy_run = in.copy.end_ns > in.copy.start_ns ? in.copy.end_ns - in.copy.start_ns : 0;
    for (uint32_t o : foreign) {
      const GpuOp& k = model.ops[o];
      if (k.start_ns > he || k.end_ns < in.copy.end_ns) continue;
      const TimeNs usual = usual_duration(model, o);
      if (usual == 0 || k.end_ns - k.start_ns < usual + std::max(copy_run, in.options.adjacency_ns)) continue;
      stretched = o;
      Signal s;
      s.code = "other-process.switched-out";
      s.text = fmt::format("the copy ran inside {} of pid {}, which lasted {} against its usual {} (the median of its "
                           "earlier runs on its stream): that context was switched out while the copy's ran",
                           model.describe(k), model.processes[k.process].pid, format_duration(k.end_ns - k.start_ns), format_duration(usual));
      s.records.push_back(ref_op(model, o));
      f.signals.push_back(std::move(s));
      f.released_ns = he;
      break;
    }
  }
  // Or: the copy's context ran nothing during the hold, though it had
  // other work issued before it, which started with the copy.
  uint32_t resumed = kNone;
  if (adjacent == kNone && stretched == kNone) resumed = resumed_with_copy(in, hb, he);
  if (resumed != kNone) {
    const GpuOp& r = model.ops[resumed];
    Signal s;
    s.code = "other-process.context-resumed";
    s.text = fmt::format("the copy's context ran nothing on the GPU during the hold, though {} on its stream {} had been "
                         "issued {} before the hold began; it started {} {} the copy: the context was off the GPU",
                         model.describe(r), r.stream_id, format_duration(hb - r.issue_ns),
                         format_duration(r.start_ns > he ? r.start_ns - he : he - r.start_ns),
                         r.start_ns > he ? "after" : "before");
    s.records.push_back(ref_op(model, resumed));
    f.signals.push_back(std::move(s));
    f.released_ns = he;
  }
  f.claimed = ran_through && (adjacent != kNone || stretched != kNone || resumed != kNone);
  f.explains_ns = through;
  f.remedy = "processes sharing a GPU without MPS take turns (time-slicing): run them under MPS "
             "(nvidia-cuda-mps-control -d) or give each its own GPU";
  return f;
}

std::optional<Finding> find_legacy_default_stream(const CauseInput& in) {
  const Model& model = in.model;
  const TimeNs hb = in.held_begin();
  const TimeNs he = in.held_end();
  if (he <= hb) return std::nullopt;
  const Process& process = model.processes[in.copy.process];
  auto context = process.contexts.find(in.copy.context_id);
  if (context == process.contexts.end() || context->second.null_stream_id == kNone) return std::nullopt;
  const uint32_t null_stream = context->second.null_stream_id;
  const bool copy_on_null = in.copy.stream_id == null_stream;
  auto blocking = [&](uint32_t stream) {
    const StreamInfo* info = model.stream_info(in.copy.process, in.copy.context_id, stream);
    return info && info->flag == 1;
  };

  // Copy on a blocking stream: held by legacy-stream work. Copy on the
  // legacy stream: held by blocking streams' work.
  std::vector<uint32_t> blockers;
  uint32_t last = kNone;
  for_each_op_overlapping(model, in.copy.gpu, hb, he, [&](uint32_t o) {
    const GpuOp& op = model.ops[o];
    if (o == in.op || op.process != in.copy.process || op.context_id != in.copy.context_id) return;
    if (op.stream_id == in.copy.stream_id) return;
    if (copy_on_null ? !blocking(op.stream_id) : op.stream_id != null_stream) return;
    if (op.has_issue() && op.issue_ns > in.copy.issue_ns) return;
    blockers.push_back(o);
    if (op.end_ns <= he && (last == kNone || op.end_ns > model.ops[last].end_ns)) last = o;
  });
  if (blockers.empty()) return std::nullopt;

  Finding f;
  f.cause = Cause::legacy_default_stream;
  const bool blocking_signal = copy_on_null || blocking(in.copy.stream_id);
  if (blocking_signal) {
    Signal s;
    s.code = copy_on_null ? "legacy.copy-on-null-stream" : "legacy.blocking-stream";
    s.text = copy_on_null
                 ? fmt::format("the copy was on the legacy default stream {} of context {}, which waits for all "
                               "blocking streams; stream {} is blocking (Stream record flag 1)",
                               null_stream, in.copy.context_id, model.ops[blockers.front()].stream_id)
                 : fmt::format("the copy's stream {} is a blocking stream (Stream record flag 1, created without "
                               "cudaStreamNonBlocking): it waits for the legacy default stream {}",
                               in.copy.stream_id, null_stream);
    s.records.push_back(ref_op(model, in.op));
    f.signals.push_back(std::move(s));
  } else {
    f.corroboration.push_back(
        "the copy's stream is not known to be blocking (no Stream record with flag 1): not claimed");
  }
  if (last != kNone && he - model.ops[last].end_ns <= in.options.adjacency_ns) {
    const GpuOp& l = model.ops[last];
    Signal s;
    s.code = "legacy.after-blocker";
    f.released_ns = l.end_ns;
    s.text = fmt::format("the copy started {} after {} on {} stream {} ended", format_duration(he - l.end_ns), model.describe(l),
                         copy_on_null ? "blocking" : "the legacy default", l.stream_id);
    s.records.push_back(ref_op(model, last));
    f.signals.push_back(std::move(s));
    f.claimed = blocking_signal;
    f.explains_ns = std::min(l.end_ns, he) > hb ? std::min(l.end_ns, he) - hb : 0;
  }
  for (uint32_t o : blockers) f.blockers.push_back(make_blocker(model, o, hb, he));
  keep_largest(f.blockers);
  f.remedy = "keep work off the legacy default stream: create streams with cudaStreamNonBlocking, or build with "
             "per-thread default streams (nvcc --default-stream per-thread)";
  return f;
}

}  // namespace holdup::analysis::detail
