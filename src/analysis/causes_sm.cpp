// SM-executed copies (same-device D2D, IPC-mapped peers, memsets on a
// COMPUTE channel) wait for free SMs: behind a kernel whose grid fills the
// device they start only as its blocks drain.

#include <algorithm>
#include <fmt/format.h>

#include "causes.h"

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

}  // namespace

std::optional<Finding> find_sm_waiting(const CauseInput& in) {
  const Model& model = in.model;
  if (in.copy.channel_type != proto::CHANNEL_TYPE_COMPUTE) return std::nullopt;
  const TimeNs hb = in.held_begin();
  const TimeNs he = in.held_end();
  if (he <= hb) return std::nullopt;

  struct Full {
    uint32_t op;
    uint64_t resident;
    uint32_t sms;
  };
  std::vector<Full> full;
  bool occupancy_unknown = false;
  for_each_op_overlapping(model, in.copy.gpu, hb, he, [&](uint32_t o) {
    const GpuOp& k = model.ops[o];
    if (k.kind != OpKind::kernel) return;
    // The copy's channel must be its own, not shared with the kernel.
    if (k.process == in.copy.process && k.context_id == in.copy.context_id && k.channel_id == in.copy.channel_id) {
      return;
    }
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
  // Signal 1: a device-filling kernel was running when the hold began.
  const Full* running = nullptr;
  for (const auto& k : full) {
    if (model.ops[k.op].start_ns <= hb) running = &k;
  }
  // Signal 2: the copy started as a filling kernel drained.
  const Full* drained = nullptr;
  for (const auto& k : full) {
    const TimeNs end = model.ops[k.op].end_ns;
    const bool near = (he <= end && end - he <= in.options.drain_before_ns) ||
                      (he > end && he - end <= in.options.drain_after_ns);
    if (near && (!drained || end > model.ops[drained->op].end_ns)) drained = &k;
  }
  if (running) {
    const GpuOp& k = model.ops[running->op];
    Signal s;
    s.text = fmt::format("{} (stream {}, channel {}) filled the device when the hold began: {} blocks of {} threads "
                         ">= {} SMs x {} resident blocks per SM",
                         model.describe(k), k.stream_id, k.channel_id, k.bytes_or_blocks, k.threads_per_block,
                         running->sms, running->resident);
    s.records.push_back(ref_op(model, running->op));
    f.signals.push_back(std::move(s));
  }
  if (drained) {
    const GpuOp& k = model.ops[drained->op];
    Signal s;
    s.text = he <= k.end_ns
                 ? fmt::format("the copy started {} before the end of {}, as its blocks drained", us(k.end_ns - he),
                               model.describe(k))
                 : fmt::format("the copy started {} after the end of {}", us(he - k.end_ns), model.describe(k));
    s.records.push_back(ref_op(model, drained->op));
    f.signals.push_back(std::move(s));
    f.explains_ns = std::min(k.end_ns, he) - std::min({k.end_ns, he, hb});
  }
  f.claimed = running && drained;
  f.corroboration.push_back(fmt::format("the copy ran on COMPUTE channel {} of its own (SM-executed)", in.copy.channel_id));
  std::vector<uint32_t> full_ops;
  full_ops.reserve(full.size());
  for (const auto& k : full) full_ops.push_back(k.op);
  f.blockers = largest_blockers(model, full_ops, hb, he, kMaxBlockers);
  const GpuOp& k = model.ops[(drained ? drained : &full.front())->op];
  f.remedy = fmt::format(
      "leave SM headroom for the copy ({} uses every SM: a smaller grid or fewer resident blocks), or move the "
      "copy to a copy engine (host-staged or pinned copies, peer copies between devices); note: on H100, "
      "cudaMemcpyBatchAsync with cudaMemcpyFlagPreferOverlapWithCompute did not move a same-device D2D copy off "
      "the SMs",
      model.describe(k));
  return f;
}

}  // namespace holdup::analysis::detail
