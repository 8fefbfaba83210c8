// SM-executed copies (same-device D2D, IPC-mapped peers, memsets on a
// COMPUTE channel) wait for free SMs: behind a kernel whose grid fills the
// device they start only as its blocks drain.

#include <algorithm>
#include <fmt/format.h>

#include "causes.h"
#include "holdup/format.h"
#include "holdup/trace.pb.h"

namespace holdup::analysis::detail {

namespace {

constexpr size_t kMaxBlockers = 8;

// Blocks of `kernel` that fit on one SM at once, from the Device record's
// limits (threads/warps, blocks, registers, shared memory). An
// approximation: allocation granularities are ignored.
uint64_t resident_blocks_per_sm(const GpuOp& kernel, const DeviceLimits& d) {
  uint64_t fit = d.max_blocks_per_multiprocessor ? d.max_blocks_per_multiprocessor : UINT32_MAX;
  const uint64_t threads = std::max<uint64_t>(kernel.threads_per_block, 1);
  const uint64_t warps = (threads + d.threads_per_warp - 1) / d.threads_per_warp;
  if (d.max_warps_per_multiprocessor) fit = std::min(fit, d.max_warps_per_multiprocessor / warps);
  if (d.max_registers_per_multiprocessor && kernel.registers_per_thread) {
    fit = std::min<uint64_t>(fit, d.max_registers_per_multiprocessor /
                                      (uint64_t{kernel.registers_per_thread} * warps * d.threads_per_warp));
  }
  if (d.max_shared_memory_per_multiprocessor && kernel.shared_memory_per_block) {
    fit = std::min<uint64_t>(fit, d.max_shared_memory_per_multiprocessor / kernel.shared_memory_per_block);
  }
  return std::max<uint64_t>(fit, 1);
}

struct Full {
  uint32_t op;
  uint64_t resident;  // blocks per SM
  uint32_t sms;
};

// Number of waves of `k`: its grid over the blocks the device holds at once.
uint64_t waves_of(const GpuOp& k, const Full& f) {
  const uint64_t capacity = std::max<uint64_t>(uint64_t{f.sms} * f.resident, 1);
  return std::max<uint64_t>((k.bytes_or_blocks + capacity - 1) / capacity, 1);
}

// When `k`'s last wave began, if its waves took equal time: from then on no
// block of it waits for an SM, and each block that retires frees one.
TimeNs last_wave_begin(const GpuOp& k, uint64_t waves) {
  const TimeNs d = k.end_ns > k.start_ns ? k.end_ns - k.start_ns : 0;
  return k.start_ns + d / waves * (waves - 1);
}

}  // namespace

// Two signals, both mechanisms CUPTI's records show:
//   sm.device-full   from the hold's beginning until the copy started, the
//                    device was occupied by kernels whose grids filled every
//                    SM (occupancy from threads, registers and shared memory
//                    against the Device record's limits), at most an
//                    adjacency's time uncovered;
//   sm.freed         the copy started when SMs could first free: in the last
//                    wave of a filling kernel (no block of it still waiting
//                    for an SM; each one that retires frees one: persistent
//                    and stream-K kernels retire blocks at different times),
//                    or right after one ended.
std::optional<Finding> find_sm_waiting(const CauseInput& in) {
  const Model& model = in.model;
  if (in.copy.channel_type != proto::CHANNEL_TYPE_COMPUTE) return std::nullopt;
  const TimeNs hb = in.held_begin();
  const TimeNs he = in.held_end();
  if (he <= hb) return std::nullopt;

  std::vector<Full> full;
  bool occupancy_unknown = false;
  for_each_op_overlapping(model, in.copy.gpu, hb, he + 1, [&](uint32_t o) {
    const GpuOp& k = model.ops[o];
    if (k.kind != OpKind::kernel) return;
    // Only kernels of the copy's own context share SMs with it: contexts
    // (processes) take turns on the GPU (time-slicing, find_other_process).
    if (k.process != in.copy.process || k.context_id != in.copy.context_id) return;
    // The copy's channel must be its own, not shared with the kernel.
    if (k.channel_id == in.copy.channel_id) return;
    const DeviceLimits* limits = model.device_limits(k.process, k.device_id);
    if (!limits) {
      occupancy_unknown = true;
      return;
    }
    const uint64_t resident = resident_blocks_per_sm(k, *limits);
    if (k.bytes_or_blocks >= uint64_t{limits->num_multiprocessors} * resident) {
      full.push_back({o, resident, limits->num_multiprocessors});
    }
  });
  if (full.empty()) {
    if (!occupancy_unknown) return std::nullopt;
    Finding f;
    f.cause = Cause::sm_waiting;
    f.corroboration.push_back("kernels ran during the hold but the trace has no Device record: whether their "
                              "grids filled the device is unknown");
    return f;
  }

  Finding f;
  f.cause = Cause::sm_waiting;
  // Signal 1: the device was full through the hold.
  std::vector<std::pair<TimeNs, TimeNs>> intervals;
  for (const auto& k : full) intervals.emplace_back(model.ops[k.op].start_ns, model.ops[k.op].end_ns);
  const TimeNs full_time = covered(intervals, hb, he);
  const TimeNs free_time = (he - hb) - full_time;
  const bool device_full = free_time <= in.options.adjacency_ns;
  const Full* first = nullptr;
  for (const auto& k : full) {
    if (!first || model.ops[k.op].start_ns < model.ops[first->op].start_ns) first = &k;
  }
  {
    const GpuOp& k = model.ops[first->op];
    Signal s;
    s.code = device_full ? "sm.device-full" : "sm.device-partly-full";
    s.text = fmt::format("kernels whose grids filled every SM ran through {} of the {} hold (first: {}, stream {}, "
                         "channel {}: {} blocks of {} threads >= {} SMs x {} resident blocks per SM)",
                         format_duration(full_time), format_duration(he - hb), model.describe(k), k.stream_id, k.channel_id, k.bytes_or_blocks,
                         k.threads_per_block, first->sms, first->resident);
    s.records.push_back(ref_op(model, first->op));
    if (device_full) {
      f.signals.push_back(std::move(s));
    } else {
      f.corroboration.push_back(s.text + fmt::format(": SMs were free for {} of it", format_duration(free_time)));
    }
  }
  // Signal 2: the copy started as SMs could first free.
  const Full* freed = nullptr;
  bool in_last_wave = false;
  for (const auto& k : full) {
    const GpuOp& op = model.ops[k.op];
    const bool after_end = he >= op.end_ns && he - op.end_ns <= in.options.drain_after_ns;
    const bool last_wave = he >= op.start_ns && he < op.end_ns && he >= last_wave_begin(op, waves_of(op, k));
    if ((after_end || last_wave) && (!freed || op.end_ns > model.ops[freed->op].end_ns)) {
      freed = &k;
      in_last_wave = last_wave;
    }
  }
  if (freed) {
    const GpuOp& k = model.ops[freed->op];
    const uint64_t waves = waves_of(k, *freed);
    Signal s;
    s.code = in_last_wave ? "sm.last-wave" : "sm.after-end";
    s.text = in_last_wave
                 ? fmt::format("the copy started {} before the end of {}, in its last wave ({} wave{} of {} blocks, "
                               "{} per SM): as its blocks retired",
                               format_duration(k.end_ns - he), model.describe(k), waves, waves == 1 ? "" : "s", k.bytes_or_blocks,
                               freed->resident)
                 : fmt::format("the copy started {} after the end of {}", format_duration(he - k.end_ns), model.describe(k));
    s.records.push_back(ref_op(model, freed->op));
    f.signals.push_back(std::move(s));
    f.released_ns = std::min(he, k.end_ns);
  }
  f.explains_ns = full_time;
  f.claimed = device_full && freed;
  f.corroboration.push_back(fmt::format("the copy ran on COMPUTE channel {} of its own (SM-executed)", in.copy.channel_id));
  std::vector<uint32_t> full_ops;
  full_ops.reserve(full.size());
  for (const auto& k : full) full_ops.push_back(k.op);
  f.blockers = largest_blockers(model, full_ops, hb, he, kMaxBlockers);
  const GpuOp& k = model.ops[(freed ? freed : first)->op];
  f.remedy = fmt::format(
      "leave SM headroom for the copy ({} uses every SM: a smaller grid or fewer resident blocks), or move the "
      "copy to a copy engine (host-staged or pinned copies, peer copies between devices); note: on H100, "
      "cudaMemcpyBatchAsync with cudaMemcpyFlagPreferOverlapWithCompute did not move a same-device D2D copy off "
      "the SMs",
      model.describe(k));
  return f;
}

}  // namespace holdup::analysis::detail
