#pragma once
// The analysis model: the records of one or many traces, merged by physical
// GPU, in compact per-record structs with the indexes the causes query.
//
// Memory: every GPU op is one GpuOp (<= 96 bytes) plus three 4-byte index
// entries (stream, channel, GPU); every API call one ApiCall (40 bytes) plus
// two index entries. Names are interned once per distinct string.
//
// Clocks: processes on one host share CUPTI's realtime-based clock, so their
// timestamps are compared directly. Traces from several hosts are kept
// apart (a GPU belongs to one host) and a warning says so.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "holdup/trace_read_status.h"

// The model names no generated protobuf type: the recorder's own records
// are behind RecorderRecords (analysis/recorder_records.h, build tree only).
namespace holdup::proto {
class Chunk;
}

namespace holdup::analysis {

using TimeNs = uint64_t;

// A GPU timestamp CUPTI could take: 0 (none) and 2^64-1 (seen on an H200
// for a record cut by a flush) are not times.
constexpr bool is_known_time(TimeNs t) { return t != 0 && t != UINT64_MAX; }
inline constexpr uint32_t kNone = UINT32_MAX;

// Each distinct string stored once; records keep a uint32_t index.
class StringPool {
 public:
  StringPool();
  uint32_t intern(std::string_view value);
  // A slot whose value is filled later (an interned string referred to
  // before its definition arrived).
  uint32_t placeholder(std::string_view value);
  void set(uint32_t index, std::string_view value);
  std::string_view view(uint32_t index) const;
  size_t size() const { return values_.size(); }

 private:
  std::deque<std::string> values_;  // deque: views stay valid as it grows
  std::unordered_map<std::string_view, uint32_t> index_;
};

enum class OpKind : uint8_t { kernel, memcpy, memset };

// A kernel, copy (memcpy or peer copy) or memset on the GPU.
struct GpuOp {
  TimeNs start_ns = 0;
  TimeNs end_ns = 0;
  // The issuing (outermost) API call's entry and return; 0 when no API
  // record joins this op.
  TimeNs issue_ns = 0;
  TimeNs api_end_ns = 0;
  // Copies and memsets: bytes. Kernels: blocks in the grid (saturated).
  uint64_t bytes_or_blocks = 0;
  uint32_t process = kNone;  // index into Model::processes
  uint32_t gpu = kNone;      // index into Model::gpus
  uint32_t device_id = 0;
  uint32_t context_id = 0;
  uint32_t stream_id = 0;
  uint32_t channel_id = 0;
  uint32_t correlation_id = 0;
  uint32_t runtime_correlation_id = 0;
  uint32_t name = kNone;  // kernels: interned kernel name
  uint32_t api = kNone;   // index into Model::api_calls of the issuing call
  uint32_t graph_id = 0;
  uint16_t threads_per_block = 0;
  uint16_t registers_per_thread = 0;
  uint32_t shared_memory_per_block = 0;  // static + dynamic
  OpKind kind = OpKind::kernel;
  uint8_t channel_type = 0;  // proto::ChannelType
  uint8_t copy_kind = 0;     // proto::CopyKind (memcpy only)
  uint8_t flags = 0;         // kPeer | kDeviceLaunched | kSynchronous | kPageable | kIncomplete

  static constexpr uint8_t kPeer = 1;
  static constexpr uint8_t kDeviceLaunched = 2;
  // Copies and memsets: CUPTI's async flag (bit 0) was clear.
  static constexpr uint8_t kSynchronous = 4;
  // Source or destination (memset: the memory) is pageable host memory.
  static constexpr uint8_t kPageable = 8;
  // No start or no end: the record came back before CUPTI completed it (a
  // forced flush cut it in flight, or CUPTI lacked device buffers). Such an
  // op is never a 0-length op: it is kept in Model::incomplete_ops only,
  // outside every index the causes use.
  static constexpr uint8_t kIncomplete = 16;
  bool incomplete() const { return (flags & kIncomplete) != 0; }
  // Its record contradicts its own stream (Model::contradictions): kept in
  // Model::ops, left out of every index the causes use, never judged.
  static constexpr uint8_t kContradicts = 32;
  bool contradicts() const { return (flags & kContradicts) != 0; }
  // A synchronous or pageable copy stages its data on the host inside its
  // API call: that time is its normal cost, not a hold.
  bool host_staged() const { return (flags & (kSynchronous | kPageable)) != 0; }

  bool is_copy() const { return kind != OpKind::kernel; }
  bool has_issue() const { return api != kNone; }
};
static_assert(sizeof(GpuOp) <= 96, "GpuOp must stay compact: a day-long trace must fit a laptop");

struct ApiCall {
  TimeNs start_ns = 0;
  TimeNs end_ns = 0;
  uint32_t process = kNone;
  uint32_t thread_id = 0;
  uint32_t correlation_id = 0;
  uint32_t name = kNone;
  uint32_t return_value = 0;
  uint8_t domain = 0;  // proto::ApiCall::Domain
  TimeNs duration() const { return end_ns > start_ns ? end_ns - start_ns : 0; }
};

struct Synchronization {
  TimeNs start_ns = 0;
  TimeNs end_ns = 0;
  uint64_t event_sync_id = 0;
  uint32_t process = kNone;
  uint32_t context_id = 0;
  uint32_t stream_id = 0;
  uint32_t correlation_id = 0;
  uint8_t type = 0;  // proto::SynchronizationType
};

struct EventRecord {
  TimeNs device_timestamp_ns = 0;
  // Host time of the record call, from its EventCall (0: from a CUDA_EVENT
  // record alone; the call is then found by correlation id).
  TimeNs recorded_ns = 0;
  uint64_t sync_id = 0;
  uint32_t process = kNone;
  uint32_t context_id = 0;
  uint32_t stream_id = 0;
  uint32_t correlation_id = 0;
};

struct OverheadRecord {
  TimeNs start_ns = 0;
  TimeNs end_ns = 0;
  uint32_t process = kNone;
  uint32_t kind = 0;  // proto::OverheadKind
  uint32_t correlation_id = 0;
  uint32_t object_kind = 0;
  uint32_t thread_id = 0;
  uint32_t context_id = 0;
  uint32_t channel_id = 0;
};

// A cudaEventRecord or cudaStreamWaitEvent seen by the recorder's callback
// (proto::EventCall).
struct EventCall {
  // host_func: cudaLaunchHostFunc, cudaStreamAddCallback and their driver
  // calls (no event; stream_id is where the host function was enqueued).
  enum class Kind : uint8_t { record, stream_wait, host_func };
  TimeNs time_ns = 0;
  uint64_t event_handle = 0;
  uint32_t process = kNone;
  uint32_t thread_id = 0;
  uint32_t context_id = 0;
  uint32_t stream_id = 0;
  uint32_t correlation_id = 0;
  Kind kind = Kind::record;
  bool driver = false;  // a driver API call (else runtime)
};

struct LaunchRecord {
  TimeNs api_enter_ns = 0;
  uint32_t process = kNone;
  uint32_t correlation_id = 0;
  uint32_t thread_id = 0;
  uint32_t context_id = 0;
  uint32_t function_name = kNone;
  bool first_launch = false;
};

struct ModuleRecord {
  TimeNs time_ns = 0;
  uint32_t process = kNone;
  uint32_t thread_id = 0;
  uint32_t context_id = 0;
  uint32_t object_id = 0;
  uint8_t kind = 0;  // proto::ModuleEvent::Kind
};

// An NVTX range: a START and an END marker with the same id.
struct NvtxRange {
  TimeNs start_ns = 0;
  TimeNs end_ns = 0;
  uint32_t process = kNone;
  uint32_t thread_id = 0;
  uint32_t name = kNone;
};

// What the Device record says about occupancy (0 when not recorded).
struct DeviceLimits {
  uint32_t num_multiprocessors = 0;
  uint32_t max_blocks_per_multiprocessor = 0;
  uint32_t max_warps_per_multiprocessor = 0;
  uint32_t max_registers_per_multiprocessor = 0;
  uint32_t max_shared_memory_per_multiprocessor = 0;
  uint32_t threads_per_warp = 32;
  bool known() const { return num_multiprocessors > 0; }
};

struct ContextInfo {
  uint32_t device_id = 0;
  uint32_t null_stream_id = kNone;
};

struct StreamInfo {
  uint32_t flag = 0;  // 1 = blocking (default), 2 = non-blocking, 0 = no record
  int32_t priority = 0;
};

// How the trace of one process was read (the reader's own status, its
// warnings included): everything lost is shown.
using TraceInputStatus = holdup::TraceReadStatus;

// What the recorder said about itself (health, notes, device identities),
// as recorded; defined in analysis/recorder_records.h.
struct RecorderRecords;

// A kernel whose local memory reservation differed from the previous
// kernel's of its context (in arrival order).
struct LocalMemoryChange {
  TimeNs start_ns = 0;
  uint32_t correlation_id = 0;
  uint32_t context_id = 0;
  uint64_t local_memory_total = 0;
};

// One traced process (one trace file).
struct Process {
  std::string trace_path;
  uint32_t pid = 0;
  uint32_t parent_pid = 0;
  std::string hostname;
  uint32_t host = 0;  // index into Model::hosts
  std::vector<std::string> command_line;
  std::map<std::string, std::string> scheduling_env;
  bool has_header = false;
  // The recorder's health (the last chunk's, cumulative), notes and device
  // identities. Never null in a built model.
  std::shared_ptr<RecorderRecords> recorder;
  // Everything lost or wrong in this trace, one line each, the read error
  // first; empty when nothing was lost. The one reading of recorder health
  // (trace/recorder_health.h) that every report and export shows.
  std::vector<std::string> problems;
  // What the recorder's settings left out on purpose (not lost: kinds not
  // enabled, query calls' API records, ...), one sentence each; empty when
  // everything was recorded or the trace does not say (trace/recorder_health.h
  // not_recorded). Every report and export shows it beside the problems.
  std::vector<std::string> not_recorded;
  // The API records of query calls were left out ("api:" codes): gaps
  // between the recorded calls of a thread are wider (AnalysisOptions::
  // burst_gap_lean_ns).
  bool queries_unrecorded = false;
  // The recorder's event-call callbacks were on (RecorderConfig.event_calls).
  bool event_calls = false;
  // The stream waits come from those EventCalls, not from SYNCHRONIZATION and
  // CUDA_EVENT records (which were not both enabled): Model::synchronizations
  // holds one STREAM_WAIT_EVENT per wait call (waits_from_event_calls.h).
  bool waits_from_event_calls = false;
  // Neither: SYNCHRONIZATION or CUDA_EVENT was not enabled (HOLDUP_KINDS) and
  // no event calls were recorded, so a stream's wait for an event leaves no
  // record and the split cannot see a copy's declared dependency.
  bool waits_unrecorded = false;
  // With waits_unrecorded: the process's stream-wait-event API calls
  // (cudaStreamWaitEvent, cuStreamWaitEvent, ...) sorted by start; a copy
  // issued after one may have waited for its event (Split::unseen_wait).
  std::vector<uint32_t> unseen_waits;
  // Kernels, copies (memcpy and peer) and memsets without a start or an end
  // (GpuOp::kIncomplete), left out of the analysis.
  uint64_t incomplete_kernels = 0;
  uint64_t incomplete_copies = 0;
  uint64_t incomplete_memsets = 0;
  uint64_t incomplete_ops() const { return incomplete_kernels + incomplete_copies + incomplete_memsets; }
  // GPU records that contradict their own stream (Model::contradictions).
  uint64_t contradicting_ops = 0;
  TraceInputStatus input;
  std::map<uint32_t, DeviceLimits> devices;         // CUPTI device id
  std::map<uint32_t, std::string> device_uuids;     // from Device records
  std::map<uint32_t, uint32_t> device_gpu;          // device id -> Model::gpus
  std::map<uint32_t, ContextInfo> contexts;         // context id
  std::map<std::pair<uint32_t, uint32_t>, StreamInfo> streams;  // (context, stream)
  std::map<uint32_t, uint32_t> thread_names;        // thread id -> string
  // Filled while reading; emptied by ModelBuilder::finish.
  std::vector<LocalMemoryChange> local_memory_changes;
  // Correlation ids (sorted) of launches whose kernel grew the context's
  // local memory reservation (see mark_local_memory_growth).
  std::vector<uint32_t> local_memory_growth;

  // Indexes (built by ModelBuilder::finish).
  // (correlation id, api index), sorted; the outermost call per id.
  std::vector<std::pair<uint32_t, uint32_t>> api_by_correlation;
  // thread id -> API calls sorted by start.
  std::map<uint32_t, std::vector<uint32_t>> api_by_thread;
  // All API calls of the process sorted by start.
  std::vector<uint32_t> api_by_start;
  // (correlation id, index) sorted, for overheads and launches.
  std::vector<std::pair<uint32_t, uint32_t>> overhead_by_correlation;
  std::vector<std::pair<uint32_t, uint32_t>> launch_by_correlation;
  std::unordered_map<uint64_t, uint32_t> event_by_sync_id;
  // API name -> its median duration in this process ("normal cost").
  std::unordered_map<uint32_t, TimeNs> api_median_ns;
  std::unordered_map<uint32_t, uint32_t> api_name_count;
  // The longest API call: walks back over api_by_start stop where no
  // earlier-started call can still be running.
  TimeNs max_api_duration_ns = 0;
};

// A GPU record that cannot be true of its own stream (contradictions.h):
// an end before its start, or a copy or memset whose recorded span
// overlaps work issued after it on its stream (work of one stream runs in
// issue order; only kernels may overlap a later kernel, by programmatic
// dependent launch, and the nodes of one graph launch may run together).
struct Contradiction {
  enum class Kind : uint8_t { end_before_start, overlaps_later_work };
  uint32_t op = kNone;       // index into Model::ops (flagged kContradicts)
  uint32_t witness = kNone;  // the later op of its stream it overlaps (kNone: end before start)
  TimeNs overlap_ns = 0;     // how far its end lies past the witness's start (or before its own start)
  Kind kind = Kind::end_before_start;
};

// A physical GPU: all (process, device) pairs with the same uuid.
struct Gpu {
  std::string uuid;  // empty: no uuid recorded (the GPU of one trace only)
  std::string label; // uuid, or "trace N device D"
  std::string name;
  uint32_t host = 0;
  std::vector<std::pair<uint32_t, uint32_t>> members;  // (process, device id)
  // Ops of this GPU sorted by start, for "what ran at time t".
  std::vector<uint32_t> ops_by_start;
  TimeNs max_op_duration_ns = 0;
};

// (process, context, id): streams and hardware channels are keyed by it;
// channel ids are never compared across contexts.
using QueueKey = std::tuple<uint32_t, uint32_t, uint32_t>;

struct Model {
  StringPool strings;
  std::vector<Process> processes;
  std::vector<std::string> hosts;
  std::vector<Gpu> gpus;
  // Complete GPU ops (start and end known): everything the causes look at.
  std::vector<GpuOp> ops;
  // GPU ops without a start or an end (GpuOp::kIncomplete), counted per
  // process; in no index.
  std::vector<GpuOp> incomplete_ops;
  // Records that contradict their own stream, in op order.
  std::vector<Contradiction> contradictions;
  std::vector<ApiCall> api_calls;
  std::vector<Synchronization> synchronizations;
  std::vector<EventRecord> events;
  std::vector<OverheadRecord> overheads;
  std::vector<EventCall> event_calls;
  std::vector<LaunchRecord> launches;
  std::vector<ModuleRecord> modules;
  std::vector<NvtxRange> nvtx_ranges;
  std::vector<std::string> warnings;

  // Ops per stream and per hardware channel, sorted by start.
  std::map<QueueKey, std::vector<uint32_t>> ops_by_stream;
  std::map<QueueKey, std::vector<uint32_t>> ops_by_channel;
  // STREAM_WAIT_EVENT synchronizations per waiting stream, sorted by start.
  std::map<QueueKey, std::vector<uint32_t>> waits_by_stream;
  // Host functions (EventCall::Kind::host_func) per stream, sorted by time:
  // work issued after one on its stream waits until it has run.
  std::map<QueueKey, std::vector<uint32_t>> host_funcs_by_stream;
  // Overheads per process sorted by start.
  std::vector<std::vector<uint32_t>> overheads_by_process;
  // Modules per process sorted by time.
  std::vector<std::vector<uint32_t>> modules_by_process;
  // Earliest timestamp seen (for --from-us/--to-us).
  TimeNs origin_ns = 0;

  std::string_view name(uint32_t index) const {
    return index == kNone ? std::string_view{} : strings.view(index);
  }
  // The outermost API call with this correlation id in `process`, or kNone.
  uint32_t api_for_correlation(uint32_t process, uint32_t correlation_id) const;
  const StreamInfo* stream_info(uint32_t process, uint32_t context, uint32_t stream) const;
  const DeviceLimits* device_limits(uint32_t process, uint32_t device_id) const;
  // Kernel/copy description, e.g. "kernel spin_kernel", "memcpy DTOD 64 MiB".
  std::string describe(const GpuOp& op) const;
  std::string_view kind_name(const GpuOp& op) const;  // "kernel", "htod", ...
};

// Builds a Model from chunks, one trace (process) at a time:
//   begin_trace(path); add_chunk(...)...; end_trace(status); ... finish().
class ModelBuilder {
 public:
  ModelBuilder();
  ~ModelBuilder();
  ModelBuilder(const ModelBuilder&) = delete;
  ModelBuilder& operator=(const ModelBuilder&) = delete;

  void begin_trace(std::string path);
  void add_chunk(const proto::Chunk& chunk);
  void end_trace(const TraceInputStatus& status);
  // Drops the trace begun last when none of its chunks was read (a file
  // that is not a trace, or unreadable from its first byte): no process.
  void discard_trace();
  // Joins, sorts and indexes; the builder is empty afterwards.
  Model finish();

 private:
  struct TraceState;
  uint32_t resolve(uint64_t iid);
  void add_strings(const proto::Chunk& chunk);
  void add_descriptions(const proto::Chunk& chunk);
  void add_gpu_ops(const proto::Chunk& chunk);
  void add_host_records(const proto::Chunk& chunk);
  void add_markers(const proto::Chunk& chunk);
  Model model_;
  std::unique_ptr<TraceState> trace_;
};

// Kind of copy as the command line names it: "htod", "dtoh", "dtod", "ptop",
// "htoh", "memset", ... ; "kernel" for kernels.
std::string_view op_kind_name(const GpuOp& op);

}  // namespace holdup::analysis
