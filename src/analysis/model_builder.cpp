// Chunks -> Model: converts records to compact structs as they arrive, then
// joins GPU ops to their issuing API calls and builds the indexes.

#include <algorithm>
#include <limits>
#include <unordered_set>

#include "holdup/analysis_model.h"
#include "trace/recorder_health.h"
#include "analysis/recorder_records.h"
#include "analysis/waits_from_event_calls.h"
#include "causes.h"
#include "contradictions.h"
#include "holdup/trace.pb.h"

namespace holdup::analysis {

namespace {

template <typename T>
uint16_t clamp16(T v) {
  if (v <= 0) return 0;
  return static_cast<uint16_t>(std::min<uint64_t>(static_cast<uint64_t>(v), 65535));
}

uint64_t positive(int64_t v) { return v > 0 ? static_cast<uint64_t>(v) : 0; }

// A kernel's grid or block size from its three dimensions: negative ones
// count as 0, and a corrupt record saturates rather than overflows.
uint64_t volume(int32_t x, int32_t y, int32_t z) {
  uint64_t out = positive(x) * positive(y);  // < 2^62
  return __builtin_mul_overflow(out, positive(z), &out) ? std::numeric_limits<uint64_t>::max() : out;
}

constexpr uint32_t kMarkerStart = 1u << 1;
constexpr uint32_t kMarkerEnd = 1u << 2;
constexpr uint32_t kActivityFlagAsync = 1u << 0;  // CUPTI_ACTIVITY_FLAG_MEMCPY_ASYNC / MEMSET_ASYNC

// The fields kernel, memcpy and memset records share under the same names.
template <typename Record>
GpuOp gpu_op_from(OpKind kind, const Record& r, uint32_t process) {
  GpuOp op;
  op.kind = kind;
  op.start_ns = r.start_ns();
  op.end_ns = r.end_ns();
  op.process = process;
  op.device_id = r.device_id();
  op.context_id = r.context_id();
  op.stream_id = r.stream_id();
  op.channel_id = r.channel_id();
  op.channel_type = static_cast<uint8_t>(r.channel_type());
  op.correlation_id = r.correlation_id();
  return op;
}

// A record without a start or an end (cut in flight by a forced flush,
// `incomplete` set by the recorder; or a timestamp CUPTI could not take: 0,
// or 2^64-1 as seen on an H200) is never a 0-length op: it is set apart and
// counted.
template <typename Record>
bool incomplete(const Record& r) {
  return r.incomplete() || !is_known_time(r.start_ns()) || !is_known_time(r.end_ns());
}

// The one reading of recorder health (trace/recorder_health.h), the read
// error first.
std::vector<std::string> read_problems(const Process& p) {
  std::vector<std::string> out;
  if (!p.input.error.empty()) out.push_back("read error: " + p.input.error);
  HealthFacts facts;
  facts.read = &p.input;
  facts.health = &p.recorder->health;
  facts.has_header = p.has_header || p.input.chunks == 0;
  facts.incomplete_gpu_records = p.incomplete_ops();
  facts.notes = &p.recorder->notes;
  for (auto& problem : recorder_problems(facts)) out.push_back(std::move(problem));
  return out;
}

}  // namespace

struct ModelBuilder::TraceState {
  uint32_t process = kNone;
  // This file's interned-string ids -> Model::strings.
  std::unordered_map<uint64_t, uint32_t> iids;
  // Ids used before their definition: their slot is a placeholder to fill.
  std::unordered_set<uint64_t> undefined_iids;
  // NVTX START markers waiting for their END, by marker id.
  std::unordered_map<uint64_t, NvtxRange> open_ranges;
  // Per context: the last local_memory_total seen (arrival order); only a
  // change is kept, so the cost does not grow with the number of kernels.
  std::unordered_map<uint32_t, uint64_t> local_memory;
};

ModelBuilder::ModelBuilder() = default;
ModelBuilder::~ModelBuilder() = default;

void ModelBuilder::begin_trace(std::string path) {
  trace_ = std::make_unique<TraceState>();
  trace_->process = static_cast<uint32_t>(model_.processes.size());
  model_.processes.emplace_back();
  model_.processes.back().trace_path = std::move(path);
  model_.processes.back().recorder = std::make_shared<RecorderRecords>();
}

uint32_t ModelBuilder::resolve(uint64_t iid) {
  if (iid == 0) return kNone;
  if (auto it = trace_->iids.find(iid); it != trace_->iids.end()) return it->second;
  // Used before defined (the schema forbids it, a torn file may cause it).
  const uint32_t slot = model_.strings.placeholder("<string " + std::to_string(iid) + ">");
  trace_->iids.emplace(iid, slot);
  trace_->undefined_iids.insert(iid);
  return slot;
}

void ModelBuilder::add_chunk(const proto::Chunk& chunk) {
  if (!trace_) begin_trace("<memory>");
  add_strings(chunk);
  add_descriptions(chunk);
  add_gpu_ops(chunk);
  add_host_records(chunk);
  add_markers(chunk);
}

// Interned strings; a placeholder made for an early use gets its value. An
// id defined twice (a corrupt file) names later records by its last value;
// the string it had stays, shared with whatever else interned it.
void ModelBuilder::add_strings(const proto::Chunk& chunk) {
  for (const auto& s : chunk.string()) {
    if (trace_->undefined_iids.erase(s.iid())) {
      model_.strings.set(trace_->iids[s.iid()], s.value());
    } else {
      trace_->iids.insert_or_assign(s.iid(), model_.strings.intern(s.value()));
    }
  }
}

// The process header, the recorder's health and notes, devices, contexts,
// streams and thread names.
void ModelBuilder::add_descriptions(const proto::Chunk& chunk) {
  Process& process = model_.processes[trace_->process];
  if (chunk.has_header()) {
    const auto& h = chunk.header();
    process.has_header = true;
    process.pid = h.pid();
    process.parent_pid = h.parent_pid();
    process.hostname = h.hostname();
    process.command_line.assign(h.command_line().begin(), h.command_line().end());
    for (const auto& [k, v] : h.scheduling_env()) process.scheduling_env[k] = v;
    process.recorder->device_identities.assign(h.device_identity().begin(), h.device_identity().end());
    process.not_recorded = holdup::not_recorded(h.config());
    process.queries_unrecorded = std::any_of(h.config().not_recorded().begin(), h.config().not_recorded().end(),
                                             [](const std::string& code) { return code.starts_with("api:"); });
    const auto& kinds = h.config().enabled_kinds();
    const auto enabled = [&](std::string_view kind) { return std::find(kinds.begin(), kinds.end(), kind) != kinds.end(); };
    const bool wait_records = kinds.empty() || (enabled("SYNCHRONIZATION") && enabled("CUDA_EVENT"));
    process.event_calls = h.config().event_calls();
    process.waits_from_event_calls = process.event_calls && !wait_records;
    process.waits_unrecorded = !wait_records && !process.event_calls;
  }
  if (chunk.has_health()) process.recorder->health = chunk.health();
  for (const auto& n : chunk.note()) process.recorder->notes.push_back(n);

  for (const auto& d : chunk.device()) {
    DeviceLimits limits;
    limits.num_multiprocessors = d.num_multiprocessors();
    limits.max_blocks_per_multiprocessor = d.max_blocks_per_multiprocessor();
    limits.max_warps_per_multiprocessor = d.max_warps_per_multiprocessor();
    limits.max_registers_per_multiprocessor = d.max_registers_per_multiprocessor();
    limits.max_shared_memory_per_multiprocessor = d.max_shared_memory_per_multiprocessor();
    if (d.num_threads_per_warp() > 0) limits.threads_per_warp = d.num_threads_per_warp();
    process.devices[d.id()] = limits;
    if (!d.uuid().empty()) process.device_uuids[d.id()] = d.uuid();
  }
  for (const auto& c : chunk.context()) {
    process.contexts[c.context_id()] = ContextInfo{c.device_id(), c.null_stream_id()};
  }
  for (const auto& s : chunk.stream()) {
    process.streams[{s.context_id(), s.stream_id()}] = StreamInfo{s.flag(), s.priority()};
  }
  for (const auto& t : chunk.thread_name()) {
    process.thread_names[t.thread_id()] = resolve(t.name_iid());
  }
}

// Kernels, copies and memsets; those without a start or an end set apart.
void ModelBuilder::add_gpu_ops(const proto::Chunk& chunk) {
  const uint32_t p = trace_->process;
  Process& process = model_.processes[trace_->process];
  auto set_apart = [&](GpuOp& op, uint64_t& count) {
    op.flags |= GpuOp::kIncomplete;
    ++count;
    model_.incomplete_ops.push_back(op);
  };
  for (const auto& k : chunk.kernel()) {
    GpuOp op = gpu_op_from(OpKind::kernel, k, p);
    op.name = resolve(k.name_iid());
    op.graph_id = k.graph_id();
    op.bytes_or_blocks = volume(k.grid_x(), k.grid_y(), k.grid_z());
    op.threads_per_block = clamp16(volume(k.block_x(), k.block_y(), k.block_z()));
    op.registers_per_thread = clamp16(k.registers_per_thread());
    op.shared_memory_per_block = static_cast<uint32_t>(
        positive(int64_t{k.static_shared_memory()} + k.dynamic_shared_memory()));
    if (k.is_device_launched()) op.flags |= GpuOp::kDeviceLaunched;
    if (incomplete(k)) {
      set_apart(op, process.incomplete_kernels);
      continue;
    }
    auto [local, added] = trace_->local_memory.try_emplace(k.context_id(), k.local_memory_total());
    if (added || local->second != k.local_memory_total()) {
      local->second = k.local_memory_total();
      process.local_memory_changes.push_back({k.start_ns(), k.correlation_id(), k.context_id(), k.local_memory_total()});
    }
    model_.ops.push_back(op);
  }
  for (const auto& m : chunk.memcpy()) {
    GpuOp op = gpu_op_from(OpKind::memcpy, m, p);
    op.runtime_correlation_id = m.runtime_correlation_id();
    op.copy_kind = static_cast<uint8_t>(m.is_peer() ? proto::PTOP : m.copy_kind());
    op.graph_id = m.graph_id();
    op.bytes_or_blocks = m.bytes();
    if (m.is_peer()) op.flags |= GpuOp::kPeer;
    if (m.is_device_launched()) op.flags |= GpuOp::kDeviceLaunched;
    if ((m.flags() & kActivityFlagAsync) == 0) op.flags |= GpuOp::kSynchronous;
    if (m.src_kind() == proto::PAGEABLE || m.dst_kind() == proto::PAGEABLE) op.flags |= GpuOp::kPageable;
    if (incomplete(m)) {
      set_apart(op, process.incomplete_copies);
      continue;
    }
    model_.ops.push_back(op);
  }
  for (const auto& m : chunk.memset()) {
    GpuOp op = gpu_op_from(OpKind::memset, m, p);
    op.graph_id = m.graph_id();
    op.bytes_or_blocks = m.bytes();
    if (m.is_device_launched()) op.flags |= GpuOp::kDeviceLaunched;
    if ((m.flags() & kActivityFlagAsync) == 0) op.flags |= GpuOp::kSynchronous;
    if (m.memory_kind() == proto::PAGEABLE) op.flags |= GpuOp::kPageable;
    if (incomplete(m)) {
      set_apart(op, process.incomplete_memsets);
      continue;
    }
    model_.ops.push_back(op);
  }
}

// API calls, synchronizations, CUDA events, overheads, launches, modules.
void ModelBuilder::add_host_records(const proto::Chunk& chunk) {
  const uint32_t p = trace_->process;
  for (const auto& a : chunk.api()) {
    ApiCall call;
    call.start_ns = a.start_ns();
    call.end_ns = a.end_ns();
    call.process = p;
    call.thread_id = a.thread_id();
    call.correlation_id = a.correlation_id();
    call.name = resolve(a.name_iid());
    call.return_value = a.return_value();
    call.domain = static_cast<uint8_t>(a.domain());
    model_.api_calls.push_back(call);
  }
  for (const auto& s : chunk.synchronization()) {
    Synchronization sync;
    sync.start_ns = s.start_ns();
    sync.end_ns = s.end_ns();
    sync.event_sync_id = s.cuda_event_sync_id();
    sync.process = p;
    sync.context_id = s.context_id();
    sync.stream_id = s.stream_id();
    sync.correlation_id = s.correlation_id();
    sync.type = static_cast<uint8_t>(s.type());
    model_.synchronizations.push_back(sync);
  }
  for (const auto& e : chunk.cuda_event()) {
    EventRecord event;
    event.device_timestamp_ns = e.device_timestamp_ns();
    event.sync_id = e.cuda_event_sync_id();
    event.process = p;
    event.context_id = e.context_id();
    event.stream_id = e.stream_id();
    event.correlation_id = e.correlation_id();
    model_.events.push_back(event);
  }
  for (const auto& c : chunk.event_call()) {
    EventCall call;
    call.time_ns = c.time_ns();
    call.event_handle = c.event_handle();
    call.process = p;
    call.thread_id = c.thread_id();
    call.context_id = c.context_id();
    call.stream_id = c.stream_id();
    call.correlation_id = c.correlation_id();
    call.kind = c.kind() == proto::EventCall::STREAM_WAIT ? EventCall::Kind::stream_wait
                : c.kind() == proto::EventCall::HOST_FUNC ? EventCall::Kind::host_func
                                                          : EventCall::Kind::record;
    call.driver = c.domain() == proto::ApiCall::DRIVER;
    if (c.kind() != proto::EventCall::KIND_UNSPECIFIED) model_.event_calls.push_back(call);
  }
  for (const auto& o : chunk.overhead()) {
    OverheadRecord overhead;
    overhead.start_ns = o.start_ns();
    overhead.end_ns = o.end_ns();
    overhead.process = p;
    overhead.kind = static_cast<uint32_t>(o.kind());
    overhead.correlation_id = o.correlation_id();
    overhead.object_kind = o.object_kind();
    overhead.thread_id = o.thread_id();
    overhead.context_id = o.context_id();
    overhead.channel_id = o.channel_id();
    model_.overheads.push_back(overhead);
  }
  for (const auto& l : chunk.launch()) {
    LaunchRecord launch;
    launch.api_enter_ns = l.api_enter_ns();
    launch.process = p;
    launch.correlation_id = l.correlation_id();
    launch.thread_id = l.thread_id();
    launch.context_id = l.context_id();
    launch.function_name = resolve(l.function_name_iid());
    launch.first_launch = l.first_launch();
    model_.launches.push_back(launch);
  }
  for (const auto& m : chunk.module()) {
    ModuleRecord module;
    module.time_ns = m.time_ns();
    module.process = p;
    module.thread_id = m.thread_id();
    module.context_id = m.context_id();
    module.object_id = m.object_id();
    module.kind = static_cast<uint8_t>(m.kind());
    model_.modules.push_back(module);
  }
}

// NVTX ranges from their START and END markers.
void ModelBuilder::add_markers(const proto::Chunk& chunk) {
  const uint32_t p = trace_->process;
  for (const auto& m : chunk.marker()) {
    if (m.flags() & kMarkerStart) {
      NvtxRange range;
      range.start_ns = m.timestamp_ns();
      range.process = p;
      range.thread_id = m.thread_id();
      range.name = resolve(m.name_iid());
      trace_->open_ranges[m.id()] = range;
    } else if (m.flags() & kMarkerEnd) {
      auto it = trace_->open_ranges.find(m.id());
      if (it == trace_->open_ranges.end()) continue;
      it->second.end_ns = m.timestamp_ns();
      if (it->second.name == kNone && m.name_iid() != 0) it->second.name = resolve(m.name_iid());
      model_.nvtx_ranges.push_back(it->second);
      trace_->open_ranges.erase(it);
    }
  }
}

void ModelBuilder::end_trace(const TraceInputStatus& status) {
  if (!trace_) return;
  Process& process = model_.processes[trace_->process];
  process.input = status;
  process.problems = read_problems(process);
  // A range never closed (trace cut short) runs to the end of the trace.
  for (auto& [id, range] : trace_->open_ranges) {
    range.end_ns = std::numeric_limits<TimeNs>::max();
    model_.nvtx_ranges.push_back(range);
  }
  trace_.reset();
}

void ModelBuilder::discard_trace() {
  if (!trace_) return;
  if (trace_->process + 1 == model_.processes.size()) model_.processes.pop_back();
  trace_.reset();
}

namespace {

// A kernel whose context's local memory reservation (CUPTI's
// localMemoryTotal) is larger than every earlier kernel's made the driver
// grow it at its launch: a device-wide wait holding the context.
void mark_local_memory_growth(Process* process) {
  auto& changes = process->local_memory_changes;
  std::sort(changes.begin(), changes.end(),
            [](const LocalMemoryChange& a, const LocalMemoryChange& b) { return a.start_ns < b.start_ns; });
  std::map<uint32_t, uint64_t> largest;  // per context
  for (const auto& c : changes) {
    auto [it, first] = largest.try_emplace(c.context_id, c.local_memory_total);
    if (first) continue;
    if (c.local_memory_total > it->second) {
      it->second = c.local_memory_total;
      if (c.correlation_id != 0) process->local_memory_growth.push_back(c.correlation_id);
    }
  }
  std::sort(process->local_memory_growth.begin(), process->local_memory_growth.end());
  changes.clear();
  changes.shrink_to_fit();
}

uint32_t find_pair(const std::vector<std::pair<uint32_t, uint32_t>>& sorted, uint32_t key) {
  auto it = std::lower_bound(sorted.begin(), sorted.end(), std::pair<uint32_t, uint32_t>{key, 0});
  return it != sorted.end() && it->first == key ? it->second : kNone;
}

// The runtime call on the same thread that encloses a driver call, if any.
uint32_t enclosing_runtime_call(const Model& model, const Process& process, uint32_t driver) {
  const ApiCall& inner = model.api_calls[driver];
  auto thread = process.api_by_thread.find(inner.thread_id);
  if (thread == process.api_by_thread.end()) return kNone;
  const auto& calls = thread->second;
  auto it = std::upper_bound(calls.begin(), calls.end(), inner.start_ns,
                             [&](TimeNs t, uint32_t i) { return t < model.api_calls[i].start_ns; });
  for (int steps = 0; it != calls.begin() && steps < 16; ++steps) {
    --it;
    const ApiCall& outer = model.api_calls[*it];
    if (*it != driver && outer.domain == proto::ApiCall::RUNTIME &&
        outer.start_ns <= inner.start_ns && outer.end_ns >= inner.end_ns) {
      return *it;
    }
  }
  return kNone;
}

}  // namespace

uint32_t Model::api_for_correlation(uint32_t process, uint32_t correlation_id) const {
  if (process >= processes.size() || correlation_id == 0) return kNone;
  return find_pair(processes[process].api_by_correlation, correlation_id);
}

namespace {

// Hosts: one clock domain each.
void index_hosts(Model& m) {
  std::map<std::string, uint32_t> host_index;
  for (auto& p : m.processes) {
    auto [it, added] = host_index.try_emplace(p.hostname, static_cast<uint32_t>(m.hosts.size()));
    if (added) m.hosts.push_back(p.hostname);
    p.host = it->second;
  }
  if (m.hosts.size() > 1) {
    std::string list;
    for (const auto& h : m.hosts) list += (list.empty() ? "" : ", ") + (h.empty() ? "<unknown>" : h);
    m.warnings.push_back("traces come from " + std::to_string(m.hosts.size()) + " hosts (" + list +
                         "): each host has its own clock, so only processes of one host are "
                         "compared with each other");
  }
}

// GPUs: (process, device) pairs merged by physical uuid.
void merge_gpus(Model& m) {
  const auto process_count = static_cast<uint32_t>(m.processes.size());
  std::map<std::string, uint32_t> gpu_index;
  std::vector<std::map<uint32_t, bool>> devices_seen(process_count);
  for (const auto& op : m.ops) devices_seen[op.process][op.device_id] = true;
  for (uint32_t p = 0; p < process_count; ++p) {
    Process& process = m.processes[p];
    auto& device_ids = devices_seen[p];
    for (const auto& [id, limits] : process.devices) device_ids[id] = true;
    for (const auto& identity : process.recorder->device_identities) device_ids[identity.ordinal()] = true;
    for (const auto& [id, unused] : device_ids) {
      std::string uuid;
      std::string name;
      if (auto it = process.device_uuids.find(id); it != process.device_uuids.end()) uuid = it->second;
      for (const auto& identity : process.recorder->device_identities) {
        if (identity.ordinal() != id) continue;
        if (uuid.empty()) uuid = identity.uuid();
        name = identity.name();
      }
      const std::string key = uuid.empty()
                                  ? "trace " + std::to_string(p) + " device " + std::to_string(id)
                                  : m.hosts[process.host] + "/" + uuid;
      auto [it, added] = gpu_index.try_emplace(key, static_cast<uint32_t>(m.gpus.size()));
      if (added) {
        Gpu gpu;
        gpu.uuid = uuid;
        gpu.label = uuid.empty() ? key : uuid;
        gpu.name = name;
        gpu.host = process.host;
        m.gpus.push_back(std::move(gpu));
      }
      m.gpus[it->second].members.emplace_back(p, id);
      process.device_gpu[id] = it->second;
    }
  }
}

// A call that makes a stream wait for an event (runtime or driver, any
// per-thread-stream or version suffix).
bool is_stream_wait_event(std::string_view name) {
  const std::string_view base = cuda_names::api_base_name(name);
  return base == "cudaStreamWaitEvent" || base == "cuStreamWaitEvent";
}

// API calls by thread, by start and by correlation id (outermost first), and
// each API name's normal cost.
void index_api_calls(Model& m) {
  const auto process_count = static_cast<uint32_t>(m.processes.size());
  for (uint32_t i = 0; i < m.api_calls.size(); ++i) {
    const ApiCall& call = m.api_calls[i];
    Process& process = m.processes[call.process];
    process.api_by_thread[call.thread_id].push_back(i);
    process.api_by_start.push_back(i);
  }
  {
    // Per process: (correlation id, domain rank, index) -> outermost first.
    std::vector<std::vector<std::tuple<uint32_t, int, uint32_t>>> by_corr(process_count);
    for (uint32_t i = 0; i < m.api_calls.size(); ++i) {
      const ApiCall& call = m.api_calls[i];
      if (call.correlation_id == 0) continue;
      const int rank = call.domain == proto::ApiCall::RUNTIME ? 0 : call.domain == proto::ApiCall::DRIVER ? 1 : 2;
      by_corr[call.process].emplace_back(call.correlation_id, rank, i);
    }
    for (uint32_t p = 0; p < process_count; ++p) {
      auto& v = by_corr[p];
      std::sort(v.begin(), v.end());
      auto& out = m.processes[p].api_by_correlation;
      for (const auto& [corr, rank, index] : v) {
        if (out.empty() || out.back().first != corr) out.emplace_back(corr, index);
      }
    }
  }
  auto by_start = [&](uint32_t a, uint32_t b) {
    const auto& x = m.api_calls[a];
    const auto& y = m.api_calls[b];
    return std::tie(x.start_ns, y.end_ns) < std::tie(y.start_ns, x.end_ns);  // outer first
  };
  for (auto& process : m.processes) {
    for (auto& [thread, calls] : process.api_by_thread) std::sort(calls.begin(), calls.end(), by_start);
    std::sort(process.api_by_start.begin(), process.api_by_start.end(), by_start);
    std::unordered_map<uint32_t, std::vector<TimeNs>> durations;
    for (uint32_t i : process.api_by_start) {
      durations[m.api_calls[i].name].push_back(m.api_calls[i].duration());
      process.max_api_duration_ns = std::max(process.max_api_duration_ns, m.api_calls[i].duration());
    }
    if (process.waits_unrecorded) {
      for (uint32_t i : process.api_by_start) {
        if (is_stream_wait_event(m.name(m.api_calls[i].name))) process.unseen_waits.push_back(i);
      }
    }
    for (auto& [name, d] : durations) {
      auto mid = d.begin() + static_cast<std::ptrdiff_t>(d.size() / 2);
      std::nth_element(d.begin(), mid, d.end());
      process.api_median_ns[name] = *mid;
      process.api_name_count[name] = static_cast<uint32_t>(d.size());
    }
  }
}

// Each op joined to its outermost issuing API call (a driver call inside a
// runtime call counts as the runtime call).
void join_ops_to_api_calls(Model& m) {
  for (auto& op : m.incomplete_ops) {
    auto& device_gpu = m.processes[op.process].device_gpu;
    if (auto it = device_gpu.find(op.device_id); it != device_gpu.end()) op.gpu = it->second;
  }
  // Join each op to its outermost issuing API call.
  for (auto& op : m.ops) {
    if (op.gpu == kNone) {
      auto& device_gpu = m.processes[op.process].device_gpu;
      if (auto it = device_gpu.find(op.device_id); it != device_gpu.end()) op.gpu = it->second;
    }
    const Process& process = m.processes[op.process];
    uint32_t api = m.api_for_correlation(op.process, op.correlation_id);
    if (api == kNone && op.runtime_correlation_id != 0) {
      api = m.api_for_correlation(op.process, op.runtime_correlation_id);
    }
    if (api != kNone && m.api_calls[api].domain != proto::ApiCall::RUNTIME) {
      uint32_t outer = kNone;
      if (op.runtime_correlation_id != 0) outer = m.api_for_correlation(op.process, op.runtime_correlation_id);
      if (outer == kNone || m.api_calls[outer].domain != proto::ApiCall::RUNTIME) {
        outer = enclosing_runtime_call(m, process, api);
      }
      if (outer != kNone) api = outer;
    }
    if (api != kNone) {
      op.api = api;
      op.issue_ns = m.api_calls[api].start_ns;
      op.api_end_ns = m.api_calls[api].end_ns;
    }
  }
}

// Ops by stream, hardware channel and GPU, sorted by start; the origin.
void index_queues(Model& m) {
  auto op_by_start = [&](uint32_t a, uint32_t b) {
    return std::tie(m.ops[a].start_ns, m.ops[a].end_ns, a) < std::tie(m.ops[b].start_ns, m.ops[b].end_ns, b);
  };
  TimeNs origin = std::numeric_limits<TimeNs>::max();
  for (uint32_t i = 0; i < m.ops.size(); ++i) {
    const GpuOp& op = m.ops[i];
    if (op.start_ns != 0) origin = std::min(origin, op.start_ns);
    if (op.issue_ns != 0) origin = std::min(origin, op.issue_ns);
    if (op.contradicts()) continue;  // never an explanation (contradictions.h)
    m.ops_by_stream[{op.process, op.context_id, op.stream_id}].push_back(i);
    m.ops_by_channel[{op.process, op.context_id, op.channel_id}].push_back(i);
    if (op.gpu != kNone) {
      Gpu& gpu = m.gpus[op.gpu];
      gpu.ops_by_start.push_back(i);
      if (op.end_ns > op.start_ns) gpu.max_op_duration_ns = std::max(gpu.max_op_duration_ns, op.end_ns - op.start_ns);
    }
  }
  for (const auto& call : m.api_calls) {
    if (call.start_ns != 0) origin = std::min(origin, call.start_ns);
  }
  m.origin_ns = origin == std::numeric_limits<TimeNs>::max() ? 0 : origin;
  for (auto& [key, list] : m.ops_by_stream) std::sort(list.begin(), list.end(), op_by_start);
  for (auto& [key, list] : m.ops_by_channel) std::sort(list.begin(), list.end(), op_by_start);
  for (auto& gpu : m.gpus) std::sort(gpu.ops_by_start.begin(), gpu.ops_by_start.end(), op_by_start);
}

// Stream waits by waiting stream; events by synchronization id.
void index_waits(Model& m) {
  for (uint32_t i = 0; i < m.synchronizations.size(); ++i) {
    const auto& s = m.synchronizations[i];
    if (s.type == proto::STREAM_WAIT_EVENT) m.waits_by_stream[{s.process, s.context_id, s.stream_id}].push_back(i);
  }
  for (auto& [key, list] : m.waits_by_stream) {
    std::sort(list.begin(), list.end(), [&](uint32_t a, uint32_t b) {
      return m.synchronizations[a].start_ns < m.synchronizations[b].start_ns;
    });
  }
  for (uint32_t i = 0; i < m.events.size(); ++i) {
    const auto& e = m.events[i];
    if (e.sync_id != 0) m.processes[e.process].event_by_sync_id[e.sync_id] = i;
  }
  for (uint32_t i = 0; i < m.event_calls.size(); ++i) {
    const auto& c = m.event_calls[i];
    if (c.kind == EventCall::Kind::host_func) m.host_funcs_by_stream[{c.process, c.context_id, c.stream_id}].push_back(i);
  }
  for (auto& [key, list] : m.host_funcs_by_stream) {
    std::sort(list.begin(), list.end(),
              [&](uint32_t a, uint32_t b) { return m.event_calls[a].time_ns < m.event_calls[b].time_ns; });
  }
}

// Overheads, launches and modules by process; local-memory growth.
void index_process_records(Model& m) {
  const auto process_count = static_cast<uint32_t>(m.processes.size());
  m.overheads_by_process.assign(process_count, {});
  for (uint32_t i = 0; i < m.overheads.size(); ++i) {
    const auto& o = m.overheads[i];
    m.overheads_by_process[o.process].push_back(i);
    if (o.correlation_id != 0) m.processes[o.process].overhead_by_correlation.emplace_back(o.correlation_id, i);
  }
  for (auto& list : m.overheads_by_process) {
    std::sort(list.begin(), list.end(),
              [&](uint32_t a, uint32_t b) { return m.overheads[a].start_ns < m.overheads[b].start_ns; });
  }
  for (uint32_t i = 0; i < m.launches.size(); ++i) {
    const auto& l = m.launches[i];
    if (l.correlation_id != 0) m.processes[l.process].launch_by_correlation.emplace_back(l.correlation_id, i);
  }
  m.modules_by_process.assign(process_count, {});
  for (uint32_t i = 0; i < m.modules.size(); ++i) m.modules_by_process[m.modules[i].process].push_back(i);
  for (auto& list : m.modules_by_process) {
    std::sort(list.begin(), list.end(),
              [&](uint32_t a, uint32_t b) { return m.modules[a].time_ns < m.modules[b].time_ns; });
  }
  for (auto& process : m.processes) mark_local_memory_growth(&process);
  for (auto& process : m.processes) {
    std::sort(process.overhead_by_correlation.begin(), process.overhead_by_correlation.end());
    std::sort(process.launch_by_correlation.begin(), process.launch_by_correlation.end());
  }
}

}  // namespace

Model ModelBuilder::finish() {
  if (trace_) end_trace({});
  Model& m = model_;
  index_hosts(m);
  merge_gpus(m);
  index_api_calls(m);
  join_ops_to_api_calls(m);
  detail::find_contradictions(m);
  index_queues(m);
  add_waits_from_event_calls(m);
  index_waits(m);
  index_process_records(m);
  Model out = std::move(model_);
  model_ = Model{};
  return out;
}

}  // namespace holdup::analysis
