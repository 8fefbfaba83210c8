// Hardware queues shared between streams: a compute channel (kernels and
// SM-executed copies of several streams on one connection, e.g. with
// CUDA_DEVICE_MAX_CONNECTIONS=1) and a copy-engine channel shared by other
// streams' copies. Channel ids are compared only within one (process,
// context).

#include <algorithm>
#include <fmt/format.h>

#include "causes.h"
#include "holdup/format.h"
#include "holdup/trace.pb.h"

namespace holdup::analysis::detail {

namespace {

constexpr size_t kMaxBlockers = 8;

std::optional<Finding> queue_finding(const CauseInput& in, Cause cause, bool copies_only) {
  const Model& model = in.model;
  const TimeNs hb = in.held_begin();
  const TimeNs he = in.held_end();
  if (he <= hb) return std::nullopt;
  std::vector<uint32_t> ahead;  // other streams' work on this channel during the hold
  uint32_t last = kNone;
  for_each_op_overlapping(model, in.copy.gpu, hb, he, [&](uint32_t o) {
    const GpuOp& op = model.ops[o];
    if (o == in.op || op.process != in.copy.process || op.context_id != in.copy.context_id ||
        op.channel_id != in.copy.channel_id || op.stream_id == in.copy.stream_id) {
      return;
    }
    if (copies_only && !op.is_copy()) return;
    // Only work queued ahead of the copy can hold it in a FIFO queue.
    if (op.has_issue() && op.issue_ns > in.copy.issue_ns) return;
    ahead.push_back(o);
    if (op.end_ns <= he && (last == kNone || op.end_ns > model.ops[last].end_ns)) last = o;
  });
  if (ahead.empty()) return std::nullopt;

  Finding f;
  f.cause = cause;
  const GpuOp& first = model.ops[ahead.front()];
  Signal shared;
  shared.code = cause == Cause::copy_channel_shared ? "channel.shared-with-copies" : "queue.shared-channel";
  shared.text = fmt::format(
      "the copy ran on hardware channel {} ({}) of context {}, the same queue as {} op(s) of other streams "
      "queued ahead of it (first: {} on stream {})",
      in.copy.channel_id, ref_op(model, in.op).channel_type, in.copy.context_id, ahead.size(), model.describe(first),
      first.stream_id);
  shared.records.push_back(ref_op(model, in.op));
  shared.records.push_back(ref_op(model, ahead.front()));
  f.signals.push_back(std::move(shared));

  const bool adjacent = last != kNone && he - model.ops[last].end_ns <= in.options.adjacency_ns;
  if (adjacent) {
    const GpuOp& l = model.ops[last];
    Signal after;
    after.code = "queue.after-blocker";
    after.text = fmt::format("the copy started {} after {} (stream {}, same channel) ended", format_duration(he - l.end_ns),
                             model.describe(l), l.stream_id);
    after.records.push_back(ref_op(model, last));
    f.signals.push_back(std::move(after));
    f.claimed = true;
    f.explains_ns = std::min(l.end_ns, he) > hb ? std::min(l.end_ns, he) - hb : 0;
    f.released_ns = l.end_ns;
  } else {
    f.corroboration.push_back(
        fmt::format("but the copy did not start within {} of the end of that work", format_duration(in.options.adjacency_ns)));
  }
  f.blockers = largest_blockers(model, ahead, hb, he, kMaxBlockers);
  return f;
}

}  // namespace

std::optional<Finding> find_shared_hardware_queue(const CauseInput& in) {
  if (in.copy.channel_type == proto::CHANNEL_TYPE_ASYNC_MEMCPY) return std::nullopt;
  auto f = queue_finding(in, Cause::shared_hardware_queue, false);
  if (!f) return f;
  const auto& env = in.model.processes[in.copy.process].scheduling_env;
  auto connections = env.find("CUDA_DEVICE_MAX_CONNECTIONS");
  if (connections != env.end()) {
    f->corroboration.push_back(
        fmt::format("CUDA_DEVICE_MAX_CONNECTIONS={} in the process environment", connections->second));
    f->remedy = fmt::format(
        "raise CUDA_DEVICE_MAX_CONNECTIONS (now {}; default 8, at most 32) so that the copy's stream gets its own "
        "hardware queue, or issue the copy before the work queued ahead of it",
        connections->second);
  } else {
    f->corroboration.push_back("CUDA_DEVICE_MAX_CONNECTIONS not set (default 8): more streams than connections "
                               "share queues");
    f->remedy = "more connections (CUDA_DEVICE_MAX_CONNECTIONS, default 8, at most 32) or fewer busy streams, so "
                "that the copy's stream gets its own hardware queue; or issue the copy before the work queued ahead";
  }
  return f;
}

std::optional<Finding> find_copy_channel_shared(const CauseInput& in) {
  if (in.copy.channel_type != proto::CHANNEL_TYPE_ASYNC_MEMCPY) return std::nullopt;
  auto f = queue_finding(in, Cause::copy_channel_shared, true);
  if (!f) return f;
  f->corroboration.push_back("inferred: CUPTI reports no copy-engine id; the channel id is what is shared");
  f->remedy = "the copy queued behind other streams' copies on the same copy channel: issue the urgent copy "
              "first, split the bulk copies into smaller pieces so it can interleave, or batch related copies "
              "with cudaMemcpyBatchAsync";
  return f;
}

}  // namespace holdup::analysis::detail
