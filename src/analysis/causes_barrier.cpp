// Device-wide barriers (lazy function loading, module loads, allocations,
// limits, device synchronization) and the host-side lock they hold.

#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <unordered_set>

#include "causes.h"
#include "holdup/format.h"
#include "holdup/trace.pb.h"

namespace holdup::analysis::detail {

namespace {

constexpr int kMaxCandidates = 4096;
constexpr TimeNs kLockReleaseNs = 200'000;  // call returned this soon after the holder ended
constexpr size_t kMaxBlockers = 8;
// Calls before the copy's entry whose barrier may still be pending.
constexpr int kMaxOverlapLookback = 256;

// An op is submitted when its issuing call returns.
TimeNs submitted_at(const GpuOp& op) { return op.api_end_ns != 0 ? op.api_end_ns : op.issue_ns; }

bool starts_with_any(std::string_view name, std::initializer_list<std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(), [&](auto p) { return name.starts_with(p); });
}

BarrierKind kind_from_name(std::string_view name) {
  static constexpr std::array<std::string_view, 36> allocation = {
      "cudaMalloc", "cudaFree", "cudaMallocHost", "cudaFreeHost", "cudaHostAlloc", "cudaHostRegister",
      "cudaHostUnregister", "cudaMallocManaged", "cudaMallocPitch", "cudaMalloc3D", "cudaMallocArray",
      "cudaMalloc3DArray", "cudaFreeArray", "cudaMallocMipmappedArray", "cudaFreeMipmappedArray",
      "cuMemAlloc", "cuMemFree", "cuMemAllocHost", "cuMemFreeHost", "cuMemHostAlloc", "cuMemHostRegister",
      "cuMemHostUnregister", "cuMemAllocManaged", "cuMemAllocPitch", "cuMemCreate", "cuMemRelease",
      "cuMemMap", "cuMemUnmap", "cuMemSetAccess", "cuArrayCreate", "cuArrayDestroy", "cuArray3DCreate",
      "cudaIpcOpenMemHandle", "cudaIpcCloseMemHandle", "cuIpcOpenMemHandle", "cuIpcCloseMemHandle"};
  if (std::find(allocation.begin(), allocation.end(), name) != allocation.end()) return BarrierKind::allocation;
  if (starts_with_any(name, {"cuModuleLoad", "cuLibraryLoad", "cudaLibraryLoad"}) ||
      name == "cuModuleUnload" || name == "cuLibraryUnload" || name == "cudaLibraryUnload" ||
      name == "cuLinkComplete") {
    return BarrierKind::module_load;
  }
  if (name == "cudaDeviceSetLimit" || name == "cuCtxSetLimit" || name == "cudaThreadSetLimit") {
    return BarrierKind::set_limit;
  }
  // cudaDeviceSynchronize is not one: it waits on the host for work already
  // submitted, and holds neither the device nor the context for later work.
  return BarrierKind::none;
}

// The kernel a launch call ran, when a kernel record on `gpu` joins it;
// empty otherwise.
std::string kernel_of_launch(const Model& model, uint32_t gpu, uint32_t api) {
  const auto& ops = model.gpus[gpu].ops_by_start;
  auto k = std::lower_bound(ops.begin(), ops.end(), model.api_calls[api].start_ns,
                            [&](uint32_t i, TimeNs t) { return model.ops[i].start_ns < t; });
  for (int steps = 0; k != ops.end() && steps < kMaxCandidates; ++k, ++steps) {
    const GpuOp& op = model.ops[*k];
    if (op.kind == OpKind::kernel && op.api == api) return std::string(model.name(op.name));
  }
  return {};
}

std::string remedy_for(BarrierKind kind, std::string_view what) {
  if (kind == BarrierKind::lazy_function_load) {
    return fmt::format(
        "load the function before the copies run: set CUDA_MODULE_LOADING=EAGER, or launch {} once as a "
        "warm-up before the loop (its first launch under lazy loading waits for the whole device)",
        what);
  }
  if (kind == BarrierKind::module_load) {
    return "load modules once at start-up, not while copies are in flight (or CUDA_MODULE_LOADING=EAGER for "
           "loads the runtime triggers)";
  }
  if (kind == BarrierKind::allocation) {
    return fmt::format("move {} out of the loop: allocate once, or use a memory pool "
                       "(cudaMallocAsync / cudaMemPool) or a caching allocator",
                       what);
  }
  if (kind == BarrierKind::set_limit) return "call cudaDeviceSetLimit once at start-up, not in the loop";
  if (kind == BarrierKind::local_memory_resize) {
    return fmt::format("launch {} once before the loop, or reserve its local memory at start-up "
                       "(cudaDeviceSetLimit(cudaLimitStackSize, ...)): its first launch grew the context's local "
                       "memory, which waits for the whole device",
                       what);
  }
  return {};
}

}  // namespace

BarrierKind barrier_kind(const Model& model, uint32_t api, std::string* evidence, std::vector<RecordRef>* records) {
  const ApiCall& call = model.api_calls[api];
  const Process& process = model.processes[call.process];

  // The call's correlation id and those of the calls nested in it on its
  // thread (a runtime launch and the driver launch it makes).
  // (No allocation: this runs for every call a flagged copy looks back over.)
  std::array<uint32_t, 17> nested{api};
  size_t nested_count = 1;
  if (auto thread = process.api_by_thread.find(call.thread_id); thread != process.api_by_thread.end()) {
    const auto& calls = thread->second;
    auto it = std::lower_bound(calls.begin(), calls.end(), call.start_ns,
                               [&](uint32_t i, TimeNs t) { return model.api_calls[i].start_ns < t; });
    for (int steps = 0; it != calls.end() && steps < 16; ++it, ++steps) {
      const ApiCall& inner = model.api_calls[*it];
      if (inner.start_ns > call.end_ns) break;
      if (*it != api && inner.end_ns <= call.end_ns) nested[nested_count++] = *it;
    }
  }

  const auto eager = [&] {
    static const std::string kModuleLoading = "CUDA_MODULE_LOADING";  // no string built per call
    auto it = process.scheduling_env.find(kModuleLoading);
    return it != process.scheduling_env.end() && it->second == "EAGER";
  }();

  for (size_t n = 0; n < nested_count; ++n) {
    const uint32_t a = nested[n];
    const uint32_t corr = model.api_calls[a].correlation_id;
    if (corr == 0) continue;
    const auto& overheads = process.overhead_by_correlation;
    for (auto it = std::lower_bound(overheads.begin(), overheads.end(), std::pair<uint32_t, uint32_t>{corr, 0});
         it != overheads.end() && it->first == corr; ++it) {
      const OverheadRecord& o = model.overheads[it->second];
      if (o.kind == proto::LAZY_FUNCTION_LOADING || o.kind == proto::RUNTIME_TRIGGERED_MODULE_LOADING) {
        const bool lazy = o.kind == proto::LAZY_FUNCTION_LOADING;
        if (evidence) {
          *evidence = fmt::format("{} overhead record ({}, correlation id {}) inside this call",
                                  lazy ? "LAZY_FUNCTION_LOADING" : "RUNTIME_TRIGGERED_MODULE_LOADING",
                                  format_duration(o.end_ns - o.start_ns), corr);
        }
        if (records) records->push_back(ref_overhead(model, it->second));
        return lazy ? BarrierKind::lazy_function_load : BarrierKind::module_load;
      }
    }
    if (std::binary_search(process.local_memory_growth.begin(), process.local_memory_growth.end(), corr)) {
      if (evidence) {
        *evidence = fmt::format("the kernel it launched (correlation id {}) has a larger localMemoryTotal than "
                                "every earlier kernel of its context: the launch grew the local memory reservation",
                                corr);
      }
      if (records) {
        RecordRef r = ref_api(model, a);
        records->push_back(std::move(r));
      }
      return BarrierKind::local_memory_resize;
    }
    if (eager) continue;
    const auto& launches = process.launch_by_correlation;
    for (auto it = std::lower_bound(launches.begin(), launches.end(), std::pair<uint32_t, uint32_t>{corr, 0});
         it != launches.end() && it->first == corr; ++it) {
      const LaunchRecord& l = model.launches[it->second];
      if (!l.first_launch) continue;
      if (evidence) {
        *evidence = fmt::format("Launch record: first launch of {} in this process (correlation id {}), "
                                "which loads the function under lazy loading",
                                model.name(l.function_name), corr);
      }
      if (records) {
        RecordRef r;
        r.kind = RecordKind::launch;
        r.name = std::string(model.name(l.function_name));
        r.pid = process.pid;
        r.thread_id = l.thread_id;
        r.context_id = l.context_id;
        r.correlation_id = corr;
        r.start_ns = l.api_enter_ns;
        records->push_back(std::move(r));
      }
      return BarrierKind::lazy_function_load;
    }
  }

  const auto& modules = model.modules_by_process[call.process];
  auto it = std::lower_bound(modules.begin(), modules.end(), call.start_ns,
                             [&](uint32_t i, TimeNs t) { return model.modules[i].time_ns < t; });
  for (; it != modules.end() && model.modules[*it].time_ns <= call.end_ns; ++it) {
    const ModuleRecord& module = model.modules[*it];
    if (module.kind != proto::ModuleEvent::LOADED || module.thread_id != call.thread_id) continue;
    if (evidence) *evidence = fmt::format("module {} loaded on this thread during the call", module.object_id);
    if (records) {
      RecordRef r;
      r.kind = RecordKind::module;
      r.name = fmt::format("module {} LOADED", module.object_id);
      r.pid = process.pid;
      r.thread_id = module.thread_id;
      r.context_id = module.context_id;
      r.start_ns = module.time_ns;
      records->push_back(std::move(r));
    }
    return BarrierKind::module_load;
  }

  const BarrierKind kind = kind_from_name(cuda_names::api_base_name(model.name(call.name)));
  if (kind != BarrierKind::none && evidence) {
    *evidence = fmt::format("{} is a call of kind {}", model.name(call.name), barrier_kind_id(kind));
  }
  return kind;
}

namespace {

void prepare(const Model& model, BarrierKinds* cache) {
  cache->of_api.assign(model.api_calls.size(), 0);
  cache->barrier_name.assign(model.strings.size(), -1);
  cache->marked_starts.assign(model.processes.size(), {});
  std::vector<std::unordered_set<uint32_t>> marked(model.processes.size());
  for (const OverheadRecord& o : model.overheads) {
    if (o.kind == proto::LAZY_FUNCTION_LOADING || o.kind == proto::RUNTIME_TRIGGERED_MODULE_LOADING) {
      marked[o.process].insert(o.correlation_id);
    }
  }
  for (const LaunchRecord& l : model.launches) {
    if (l.first_launch) marked[l.process].insert(l.correlation_id);
  }
  for (uint32_t p = 0; p < model.processes.size(); ++p) {
    for (uint32_t corr : model.processes[p].local_memory_growth) marked[p].insert(corr);
  }
  for (const ApiCall& call : model.api_calls) {
    if (marked[call.process].contains(call.correlation_id)) cache->marked_starts[call.process].push_back(call.start_ns);
  }
  for (auto& starts : cache->marked_starts) std::sort(starts.begin(), starts.end());
  cache->prepared = true;
}

// False only when barrier_kind(api) is surely empty: no marked call starts
// within it (every call it checks for overheads and launches starts there),
// no module event falls within it, and its name is no barrier's.
bool may_be_barrier(const Model& model, uint32_t api, BarrierKinds* cache) {
  const ApiCall& call = model.api_calls[api];
  const auto& starts = cache->marked_starts[call.process];
  auto s = std::lower_bound(starts.begin(), starts.end(), call.start_ns);
  if (s != starts.end() && *s <= call.end_ns) return true;
  const auto& modules = model.modules_by_process[call.process];
  auto m = std::lower_bound(modules.begin(), modules.end(), call.start_ns,
                            [&](uint32_t i, TimeNs t) { return model.modules[i].time_ns < t; });
  if (m != modules.end() && model.modules[*m].time_ns <= call.end_ns) return true;
  if (call.name == kNone || call.name >= cache->barrier_name.size()) return true;
  int8_t& named = cache->barrier_name[call.name];
  if (named < 0) named = kind_from_name(cuda_names::api_base_name(model.name(call.name))) == BarrierKind::none ? 0 : 1;
  return named == 1;
}

}  // namespace

std::string_view barrier_kind_id(BarrierKind kind) {
  switch (kind) {
    case BarrierKind::none: return "";
    case BarrierKind::lazy_function_load: return "lazy-function-load";
    case BarrierKind::module_load: return "module-load";
    case BarrierKind::allocation: return "allocation";
    case BarrierKind::set_limit: return "set-limit";
    case BarrierKind::local_memory_resize: return "local-memory-resize";
  }
  return "";
}

BarrierKind barrier_kind_of(const Model& model, uint32_t api, BarrierKinds* cache) {
  if (!cache) return barrier_kind(model, api, nullptr, nullptr);
  if (!cache->prepared) prepare(model, cache);
  uint8_t& slot = cache->of_api[api];
  if (slot == 0) {
    const BarrierKind kind = may_be_barrier(model, api, cache) ? barrier_kind(model, api, nullptr, nullptr) : BarrierKind::none;
    slot = static_cast<uint8_t>(1 + static_cast<uint8_t>(kind));
  }
  return static_cast<BarrierKind>(slot - 1);
}

namespace {

// A call that may be the barrier the copy waited behind, and when the work
// submitted before it drained.
struct BarrierCandidate {
  uint32_t api = kNone;
  BarrierKind kind = BarrierKind::none;
  std::string evidence;
  std::vector<RecordRef> records;
  TimeNs drained_at = 0;
  uint32_t last_op = kNone;
};

// The latest barrier call whose drain the copy started right after (best),
// else the first barrier call in reach (partial: one signal only).
struct BarrierCandidates {
  std::optional<BarrierCandidate> best;
  std::optional<BarrierCandidate> partial;
};

BarrierCandidates barrier_candidates(const CauseInput& in, TimeNs hb, TimeNs he) {
  const Model& model = in.model;
  const ApiCall& copy_call = model.api_calls[in.copy.api];
  const auto& calls = model.processes[in.copy.process].api_by_start;
  BarrierCandidates found;
  std::optional<BarrierCandidate>& best = found.best;
  std::optional<BarrierCandidate>& partial = found.partial;
  // The copy is submitted when its call returns: a barrier call X counts
  // when the copy's call returned after X started, including an X that
  // began before the copy's call (running, or done on the host while the
  // device had not yet drained the work submitted before it).
  auto it = std::lower_bound(calls.begin(), calls.end(), copy_call.start_ns,
                             [&](uint32_t i, TimeNs t) { return model.api_calls[i].start_ns < t; });
  for (int back = 0; it != calls.begin() && back < kMaxOverlapLookback; ++back) --it;
  for (int steps = 0; it != calls.end() && steps < kMaxCandidates; ++it, ++steps) {
    const ApiCall& x = model.api_calls[*it];
    // A barrier holds only work submitted after it began: the copy is
    // submitted when its call returns.
    if (x.start_ns >= he || x.start_ns >= copy_call.end_ns) break;
    if (*it == in.copy.api) continue;
    // A barrier that returned before the copy's call began still holds the
    // copy while the work submitted before it has not drained (checked below).
    // A call nested in the copy's own call is part of it, not another call.
    if (x.thread_id == copy_call.thread_id && x.start_ns >= copy_call.start_ns && x.end_ns <= copy_call.end_ns) {
      continue;
    }
    // The kind alone (cached) first; the evidence only for the call chosen.
    if (barrier_kind_of(model, *it, in.barrier_kinds) == BarrierKind::none) continue;
    BarrierCandidate c;
    c.api = *it;
    // All work submitted (its call returned) before X started: when did it drain?
    for_each_op_overlapping(model, in.copy.gpu, hb, he, [&](uint32_t o) {
      const GpuOp& op = model.ops[o];
      if (o == in.op || op.process != in.copy.process || op.context_id != in.copy.context_id) return;
      if (!op.has_issue() || submitted_at(op) > x.start_ns) return;
      if (op.end_ns > c.drained_at) {
        c.drained_at = op.end_ns;
        c.last_op = o;
      }
    });
    const bool adjacent = c.drained_at > hb && c.drained_at <= he && he - c.drained_at <= in.options.barrier_ns;
    if (adjacent) {
      if (!best || c.drained_at > best->drained_at) best = std::move(c);
    } else if (!partial) {
      partial = std::move(c);
    }
  }
  return found;
}

// The drain signal and the blockers: the barrier call, then the work it
// waited to drain.
void add_drain(const CauseInput& in, const BarrierCandidate& c, TimeNs hb, TimeNs he, Finding* f) {
  const Model& model = in.model;
  const ApiCall& x = model.api_calls[c.api];
  const std::string x_name(model.name(x.name));
  Signal drain;
  drain.code = "barrier.drained";
  drain.text = fmt::format("the copy started {} after the end of all work submitted to the device before {} "
                           "(last to end: {})",
                           format_duration(he - c.drained_at), x_name, model.describe(model.ops[c.last_op]));
  drain.records.push_back(ref_op(model, c.last_op));
  f->signals.push_back(std::move(drain));
  f->explains_ns = std::min(c.drained_at, he) - hb;
  f->released_ns = c.drained_at;

  Blocker bx;
  bx.record = ref_api(model, c.api);
  bx.held_behind_ns = f->explains_ns;
  f->blockers.push_back(std::move(bx));
  std::vector<uint32_t> drained;
  for_each_op_overlapping(model, in.copy.gpu, hb, he, [&](uint32_t o) {
    const GpuOp& op = model.ops[o];
    if (o == in.op || op.process != in.copy.process || op.context_id != in.copy.context_id) return;
    if (!op.has_issue() || submitted_at(op) > x.start_ns) return;
    drained.push_back(o);
  });
  for (auto& b : largest_blockers(model, drained, hb, he, kMaxBlockers)) f->blockers.push_back(std::move(b));
}

// What the remedy names: the kernel whose first launch or local memory
// growth was the barrier, else the call.
std::string barrier_remedy_target(const CauseInput& in, const BarrierCandidate& c, const std::string& x_name) {
  const Model& model = in.model;
  std::string what = x_name;
  if (c.kind == BarrierKind::local_memory_resize) {
    if (auto kernel = kernel_of_launch(model, in.copy.gpu, c.api); !kernel.empty()) what = kernel;
  }
  if (c.kind == BarrierKind::lazy_function_load) {
    for (const auto& r : c.records) {
      if (r.kind == RecordKind::launch && !r.name.empty()) what = r.name;
    }
    if (what == x_name) {
      if (auto kernel = kernel_of_launch(model, in.copy.gpu, c.api); !kernel.empty()) what = kernel;
    }
  }
  return what;
}

}  // namespace

std::optional<Finding> find_device_barrier(const CauseInput& in) {
  const Model& model = in.model;
  const TimeNs hb = in.held_begin();
  const TimeNs he = in.held_end();
  if (he <= hb) return std::nullopt;
  const ApiCall& copy_call = model.api_calls[in.copy.api];
  BarrierCandidates found = barrier_candidates(in, hb, he);
  std::optional<BarrierCandidate>& best = found.best;
  std::optional<BarrierCandidate>& partial = found.partial;
  if (!best && !partial) return std::nullopt;

  Finding f;
  f.cause = Cause::device_barrier;
  f.claimed = best.has_value();
  BarrierCandidate& c = best ? *best : *partial;
  c.kind = barrier_kind(model, c.api, &c.evidence, &c.records);
  const ApiCall& x = model.api_calls[c.api];
  const std::string x_name(model.name(x.name));
  Signal barrier;
  barrier.code = fmt::format("barrier.{}", barrier_kind_id(c.kind));
  barrier.text = fmt::format("{} on thread {} (correlation id {}) is a device-wide barrier ({}): {}; it was issued "
                             "{} the copy's {}",
                             x_name, x.thread_id, x.correlation_id, barrier_kind_id(c.kind), c.evidence,
                             x.end_ns <= copy_call.start_ns  ? "before"
                             : x.start_ns < copy_call.start_ns ? "before and during"
                             : x.start_ns < copy_call.end_ns   ? "during"
                                                               : "after",
                             model.name(copy_call.name));
  barrier.records = c.records;
  barrier.records.insert(barrier.records.begin(), ref_api(model, c.api));
  f.signals.push_back(std::move(barrier));
  if (best) {
    add_drain(in, c, hb, he, &f);
  } else {
    f.corroboration.push_back(fmt::format(
        "but the copy did not start within {} of the drain of the work submitted before it", format_duration(in.options.barrier_ns)));
  }
  f.remedy = remedy_for(c.kind, barrier_remedy_target(in, c, x_name));
  return f;
}

uint32_t find_lock_holder(const Model& model, uint32_t api, BarrierKinds* cache) {
  const ApiCall& call = model.api_calls[api];
  const Process& process = model.processes[call.process];
  const auto& calls = process.api_by_start;
  auto it = std::upper_bound(calls.begin(), calls.end(), call.end_ns,
                             [&](TimeNs t, uint32_t i) { return t < model.api_calls[i].start_ns; });
  // A holder ends inside the call, at most kLockReleaseNs before it
  // returns: calls that started too early to last that long are skipped.
  const TimeNs earliest_end = std::max(call.start_ns + 1, call.end_ns > kLockReleaseNs ? call.end_ns - kLockReleaseNs : 0);
  uint32_t holder = kNone;
  for (int steps = 0; it != calls.begin() && steps < kMaxCandidates; ++steps) {
    --it;
    const ApiCall& other = model.api_calls[*it];
    if (other.start_ns + process.max_api_duration_ns < earliest_end) break;
    if (other.thread_id == call.thread_id || overlap(other.start_ns, other.end_ns, call.start_ns, call.end_ns) == 0) {
      continue;
    }
    if (other.end_ns > call.end_ns || call.end_ns - other.end_ns > kLockReleaseNs) continue;
    if (barrier_kind_of(model, *it, cache) == BarrierKind::none) continue;
    if (holder == kNone || other.end_ns > model.api_calls[holder].end_ns) holder = *it;
  }
  return holder;
}

TimeNs lock_wait_ns(const Model& model, uint32_t api, uint32_t holder, TimeNs normal, const AnalysisOptions& options) {
  if (holder == kNone) return 0;
  const ApiCall& call = model.api_calls[api];
  const ApiCall& h = model.api_calls[holder];
  const TimeNs duration = call.duration();
  TimeNs wait = 0;
  if (duration > options.host_lock_min_ns && duration > static_cast<TimeNs>(options.host_lock_factor) * normal) {
    wait = duration - normal;
  }
  if (h.start_ns <= call.start_ns && h.end_ns > call.start_ns && h.end_ns - call.start_ns > options.host_lock_min_ns) {
    wait = std::max(wait, std::min(h.end_ns - call.start_ns, duration));
  }
  return wait;
}

BurstStall burst_stall(const Model& model, uint32_t api, const AnalysisOptions& options, BarrierKinds* cache) {
  const ApiCall& call = model.api_calls[api];
  // Too short to have waited past the bar: no holder search.
  if (call.duration() <= options.host_lock_min_ns) return {};
  if (barrier_kind_of(model, api, cache) != BarrierKind::none) return {};  // its own work, not a wait
  const uint32_t holder = find_lock_holder(model, api, cache);
  const TimeNs wait = lock_wait_ns(model, api, holder, normal_api_cost(model, call, options), options);
  return wait > 0 ? BurstStall{holder, wait} : BurstStall{};
}

namespace {

// One call of the burst (or the copy's own) that waited for a holder.
struct StalledCall {
  uint32_t api = kNone;
  uint32_t holder = kNone;
  TimeNs excess = 0;  // beyond its normal cost
  bool own = false;   // the copy's own call
};

void add_holder_signal(const CauseInput& in, const StalledCall& stalled, Finding* f) {
  const Model& model = in.model;
  const ApiCall& call = model.api_calls[stalled.api];
  const ApiCall& h = model.api_calls[stalled.holder];
  std::string evidence;
  const BarrierKind kind = barrier_kind(model, stalled.holder, &evidence, nullptr);
  Signal s;
  s.code = "host.lock-holder";
  s.text = fmt::format("{} on thread {} (correlation id {}, {}; {}) held the context from {} to {} into the {} call "
                       "on thread {}; that call returned {} after it ended",
                       model.name(h.name), h.thread_id, h.correlation_id, barrier_kind_id(kind), evidence,
                       format_duration(h.start_ns > call.start_ns ? h.start_ns - call.start_ns : 0), format_duration(h.end_ns - call.start_ns),
                       model.name(call.name), call.thread_id, format_duration(call.end_ns - h.end_ns));
  s.records.push_back(ref_api(model, stalled.holder));
  s.records.push_back(ref_api(model, stalled.api));
  f->signals.push_back(std::move(s));
  Blocker b;
  b.record = ref_api(model, stalled.holder);
  b.held_behind_ns = stalled.own ? overlap(h.start_ns, h.end_ns, in.held_begin(), std::min(call.end_ns, in.held_end()))
                                 : std::min(stalled.excess, overlap(h.start_ns, h.end_ns, call.start_ns, call.end_ns));
  f->blockers.push_back(std::move(b));
  f->released_ns = std::max(f->released_ns, h.end_ns);
}

// The remedy for the holder the copy waited behind longest.
std::string holder_remedy(const CauseInput& in, const std::vector<StalledCall>& stalled, const Finding& f) {
  const Model& model = in.model;
  uint32_t holder = kNone;
  for (const StalledCall& c : stalled) {
    if (c.holder == kNone || f.blockers.empty()) continue;
    if (model.api_calls[c.holder].correlation_id == f.blockers.front().record.correlation_id) holder = c.holder;
  }
  if (holder == kNone) return {};
  const BarrierKind kind = barrier_kind(model, holder, nullptr, nullptr);
  std::string what = kind == BarrierKind::lazy_function_load || kind == BarrierKind::local_memory_resize
                         ? kernel_of_launch(model, in.copy.gpu, holder)
                         : "";
  if (what.empty()) what = std::string(model.name(model.api_calls[holder].name));
  return remedy_for(kind, what) + "; it runs on another thread and holds the context lock the issuing thread's "
                                  "calls need";
}

}  // namespace

std::optional<Finding> find_host_lock(const CauseInput& in) {
  const Model& model = in.model;
  const ApiCall& call = model.api_calls[in.copy.api];
  const TimeNs duration = call.duration();
  const TimeNs normal = in.split.normal_api_ns;
  const uint32_t own_holder = find_lock_holder(model, in.copy.api, in.barrier_kinds);
  const TimeNs own_wait = lock_wait_ns(model, in.copy.api, own_holder, normal, in.options);
  const bool long_call = own_wait > 0 || (duration > in.options.host_lock_min_ns &&
                                          duration > static_cast<TimeNs>(in.options.host_lock_factor) * normal);
  StalledCall own{in.copy.api, own_holder, own_wait > 0 ? own_wait : (duration > normal ? duration - normal : 0), true};

  // Earlier calls of the burst that waited (split.cpp counted them).
  std::vector<StalledCall> earlier;
  if (in.split.held_in_burst > 0) {
    for (uint32_t b : burst_before(model, in.copy.api, in.options)) {
      const BurstStall stall = burst_stall(model, b, in.options, in.barrier_kinds);
      if (stall.wait > 0) earlier.push_back({b, stall.holder, stall.wait, false});
    }
  }
  if (!long_call && own.holder == kNone && earlier.empty()) return std::nullopt;

  Finding f;
  f.cause = Cause::host_lock;
  if (long_call) {
    Signal s;
    s.code = "host.long-call";
    s.text = fmt::format("the copy's {} on thread {} lasted {}, {:.0f}x its normal cost ({})", model.name(call.name),
                         call.thread_id, format_duration(duration), normal ? double(duration) / double(normal) : 0.0, format_duration(normal));
    s.records.push_back(ref_api(model, in.copy.api));
    f.signals.push_back(std::move(s));
  }
  if (own.holder != kNone) add_holder_signal(in, own, &f);
  for (const StalledCall& e : earlier) {
    const ApiCall& c = model.api_calls[e.api];
    Signal s;
    s.code = "host.burst-stall";
    s.text = fmt::format("{} on thread {} (correlation id {}), an earlier call of the burst of calls that ends in the "
                         "copy's {}, lasted {} ({} beyond its normal cost): the thread had set out to issue the copy",
                         model.name(c.name), c.thread_id, c.correlation_id, model.name(call.name), format_duration(c.duration()),
                         format_duration(e.excess));
    s.records.push_back(ref_api(model, e.api));
    f.signals.push_back(std::move(s));
    add_holder_signal(in, e, &f);
  }
  f.claimed = (long_call && own.holder != kNone) || !earlier.empty();
  TimeNs explained = own.holder != kNone ? f.blockers.front().held_behind_ns : 0;
  explained += in.split.held_in_burst;
  f.explains_ns = std::min(explained, in.split.held);
  if (own.holder == kNone && earlier.empty()) {
    f.corroboration.push_back("no other thread's module load, allocation or limit change overlapped the call");
  }
  std::sort(f.blockers.begin(), f.blockers.end(),
            [](const Blocker& a, const Blocker& b) { return a.held_behind_ns > b.held_behind_ns; });
  std::vector<StalledCall> all = earlier;
  all.push_back(own);
  f.remedy = holder_remedy(in, all, f);
  return f;
}

}  // namespace holdup::analysis::detail
