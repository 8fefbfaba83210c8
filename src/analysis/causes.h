#pragma once
// Cause detectors (internal). Each looks at one flagged copy and returns a
// Finding when it sees at least one of its signals; the finding is claimed
// only when both of its signals agree.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "holdup/analysis.h"
#include "cuda_names/api_base_name.h"

namespace holdup::analysis::detail {

// What kind of device-wide barrier (or context-lock holder) an API call is.
enum class BarrierKind : uint8_t { none, lazy_function_load, module_load, allocation, set_limit, local_memory_resize };

// "lazy-function-load", "module-load", "allocation", "set-limit",
// "local-memory-resize" (the signal code's tail, `barrier.<id>`); "" for none.
std::string_view barrier_kind_id(BarrierKind kind);

// barrier_kind() without its evidence, remembered per API call: the
// barrier and host-lock detectors ask it of the same calls for many
// copies. 0: not yet asked; else 1 + the BarrierKind.
struct BarrierKinds {
  std::vector<uint8_t> of_api;
  // A quick "cannot be a barrier" test before the full one, built on first
  // use: per process, the start times (sorted) of calls whose correlation
  // id has a lazy-loading or module-loading overhead record or a first
  // launch (a barrier call is one of them or contains one); per interned
  // name, whether the name alone makes a barrier (-1: not yet known).
  bool prepared = false;
  std::vector<std::vector<TimeNs>> marked_starts;
  std::vector<int8_t> barrier_name;
};

struct CauseInput {
  const Model& model;
  const AnalysisOptions& options;
  uint32_t op;
  const GpuOp& copy;
  const Split& split;
  BarrierKinds* barrier_kinds = nullptr;  // optional cache
  // The held window: [split.held_begin_ns, copy start).
  TimeNs held_begin() const { return split.held_begin_ns; }
  TimeNs held_end() const { return std::max(copy.start_ns, copy.issue_ns); }
};

std::optional<Finding> find_profiler_overhead(const CauseInput& in);
std::optional<Finding> find_host_lock(const CauseInput& in);
std::optional<Finding> find_device_barrier(const CauseInput& in);
std::optional<Finding> find_shared_hardware_queue(const CauseInput& in);
std::optional<Finding> find_legacy_default_stream(const CauseInput& in);
std::optional<Finding> find_sm_waiting(const CauseInput& in);
std::optional<Finding> find_copy_channel_shared(const CauseInput& in);
std::optional<Finding> find_other_process(const CauseInput& in);

// Calls `fn(op index)` for every op of `gpu` that overlaps [t0, t1).
void for_each_op_overlapping(const Model& model, uint32_t gpu, TimeNs t0, TimeNs t1,
                             const std::function<void(uint32_t)>& fn);

// What kind of device-wide barrier (or context-lock holder) an API call is,
// from its name and the records joined to it; none if none. (A device
// synchronize is none: a host wait.)
BarrierKind barrier_kind(const Model& model, uint32_t api, std::string* evidence,
                         std::vector<RecordRef>* records);

// barrier_kind(model, api, nullptr, nullptr), through `cache` when given.
BarrierKind barrier_kind_of(const Model& model, uint32_t api, BarrierKinds* cache);

// Another thread's lock-holding call (a barrier kind) that overlapped the
// call `api` and ended at most a lock release's time before it returned:
// the call waited for it. kNone if none.
uint32_t find_lock_holder(const Model& model, uint32_t api, BarrierKinds* cache);

// How long the call `api` waited for the context lock `holder` held (0:
// not a wait). Either the call lasted host_lock_factor times its normal
// cost (the excess), or it was entered while the holder held the lock and
// waited past host_lock_min_ns (from its start to the holder's end). The
// second needs no median: where every call of a name waited (a proxy whose
// every event record meets another thread's limit change), the median is
// the wait itself.
TimeNs lock_wait_ns(const Model& model, uint32_t api, uint32_t holder, TimeNs normal, const AnalysisOptions& options);

// An earlier call of the copy's burst that waited for another thread's
// lock-holding call: the holder and the wait (kNone and 0 if it did not).
// The one test split.cpp counts with and the host-lock cause names.
struct BurstStall {
  uint32_t holder = kNone;
  TimeNs wait = 0;
};
BurstStall burst_stall(const Model& model, uint32_t api, const AnalysisOptions& options, BarrierKinds* cache);

// The earlier calls of the issuing thread's burst that ends in the copy's
// call: back to back (gaps <= burst_gap_ns; burst_gap_lean_ns in a process
// whose query calls were not recorded), after the thread's previous copy or
// memset and its last synchronize. Outermost calls only, latest
// first.
std::vector<uint32_t> burst_before(const Model& model, uint32_t copy_api, const AnalysisOptions& options);

// Split with the barrier-kind cache (split_copy without it).
Split split_copy_cached(const Model& model, uint32_t op, const AnalysisOptions& options, BarrierKinds* cache);

// Length of the union of [start, end) intervals clipped to [t0, t1).
TimeNs covered(std::vector<std::pair<TimeNs, TimeNs>> intervals, TimeNs t0, TimeNs t1);


Blocker make_blocker(const Model& model, uint32_t op, TimeNs window_begin, TimeNs window_end);
// make_blocker for each of `ops`, sorted by held_behind_ns (largest first,
// as std::sort orders them) and cut to `max`: only those kept are described
// (a flagged copy may overlap thousands of kernels).
std::vector<Blocker> largest_blockers(const Model& model, const std::vector<uint32_t>& ops, TimeNs window_begin,
                                      TimeNs window_end, size_t max);

}  // namespace holdup::analysis::detail
