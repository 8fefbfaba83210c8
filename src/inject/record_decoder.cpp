#include "record_decoder.h"

#include <fmt/format.h>

#include "api_names.h"

namespace holdup::inject {
namespace {

using protozero::pbf_writer;

// proto3 leaves default values out; so do we, to keep chunks small.
void put_u64(pbf_writer& w, uint32_t field, uint64_t v) {
  if (v != 0) w.add_uint64(field, v);
}
void put_u32(pbf_writer& w, uint32_t field, uint32_t v) {
  if (v != 0) w.add_uint32(field, v);
}
void put_i32(pbf_writer& w, uint32_t field, int32_t v) {
  if (v != 0) w.add_int32(field, v);
}
void put_i64(pbf_writer& w, uint32_t field, int64_t v) {
  if (v != 0) w.add_int64(field, v);
}
void put_bool(pbf_writer& w, uint32_t field, bool v) {
  if (v) w.add_bool(field, true);
}

// A timestamp CUPTI could not take: 0 (CUPTI_TIMESTAMP_UNKNOWN) or, for work
// a forced flush cut, at times 2^64-1 (a kernel with start 2^64-1, end 0 on
// an H200 at the final flush).
bool unknown_time(uint64_t ns) { return ns == 0 || ns == UINT64_MAX; }

// Counts a record with an unknown start or end: incomplete when a forced
// flush returned its buffer (work still in flight), else a missing
// timestamp. Returns whether the record is incomplete (the caller marks it so).
bool count_timestamps(DecodeContext& ctx, ActivityKind kind, uint64_t start, uint64_t end) {
  if (!unknown_time(start) && !unknown_time(end)) return false;
  if (!ctx.forced_buffer) {
    ++ctx.health.zero_timestamp_records;
    return false;
  }
  ++ctx.health.incomplete_records;
  ++ctx.health.incomplete_by_kind[static_cast<size_t>(kind)];
  return true;
}

// A GPU record (kernel, copy, memset) in a buffer a forced flush returned:
// what the forced flush saved or cut (incomplete_by_kind says which).
void count_gpu_record(DecodeContext& ctx) {
  if (ctx.forced_buffer) ++ctx.health.forced_gpu_records;
}

void decode_kernel(const CUpti_ActivityKernel10& r, DecodeContext& ctx) {
  const uint64_t name = ctx.chunk.intern(r.name);
  pbf_writer k(ctx.chunk.writer(), fields::Chunk::kernel);
  put_u64(k, fields::Kernel::start_ns, r.start);
  put_u64(k, fields::Kernel::end_ns, r.end);
  put_u64(k, fields::Kernel::queued_ns, r.queued);
  put_u64(k, fields::Kernel::submitted_ns, r.submitted);
  put_u64(k, fields::Kernel::completed_ns, r.completed);
  put_u32(k, fields::Kernel::device_id, r.deviceId);
  put_u32(k, fields::Kernel::context_id, r.contextId);
  put_u32(k, fields::Kernel::stream_id, r.streamId);
  put_u32(k, fields::Kernel::correlation_id, r.correlationId);
  put_u32(k, fields::Kernel::channel_id, r.channelID);
  put_u32(k, fields::Kernel::channel_type, static_cast<uint32_t>(r.channelType));
  put_u64(k, fields::Kernel::name_iid, name);
  put_i32(k, fields::Kernel::grid_x, r.gridX);
  put_i32(k, fields::Kernel::grid_y, r.gridY);
  put_i32(k, fields::Kernel::grid_z, r.gridZ);
  put_i32(k, fields::Kernel::block_x, r.blockX);
  put_i32(k, fields::Kernel::block_y, r.blockY);
  put_i32(k, fields::Kernel::block_z, r.blockZ);
  put_u32(k, fields::Kernel::registers_per_thread, r.registersPerThread);
  put_i32(k, fields::Kernel::static_shared_memory, r.staticSharedMemory);
  put_i32(k, fields::Kernel::dynamic_shared_memory, r.dynamicSharedMemory);
  put_u64(k, fields::Kernel::local_memory_total, r.localMemoryTotal_v2);
  put_u32(k, fields::Kernel::shared_memory_executed, r.sharedMemoryExecuted);
  put_i64(k, fields::Kernel::grid_id, r.gridId);
  put_u32(k, fields::Kernel::graph_id, r.graphId);
  put_u64(k, fields::Kernel::graph_node_id, r.graphNodeId);
  put_u32(k, fields::Kernel::cluster_x, r.clusterX);
  put_u32(k, fields::Kernel::cluster_y, r.clusterY);
  put_u32(k, fields::Kernel::cluster_z, r.clusterZ);
  put_u32(k, fields::Kernel::launch_type, r.launchType);
  put_bool(k, fields::Kernel::is_device_launched, r.isDeviceLaunched != 0);
  put_bool(k, fields::Kernel::incomplete, count_timestamps(ctx, ActivityKind::kConcurrentKernel, r.start, r.end));
  count_gpu_record(ctx);
}

// Fields MEMCPY and MEMCPY2 records share under the same names.
template <typename CopyRecord>
void put_copy_fields(pbf_writer& m, const CopyRecord& r) {
  put_u64(m, fields::Memcpy::start_ns, r.start);
  put_u64(m, fields::Memcpy::end_ns, r.end);
  put_u32(m, fields::Memcpy::copy_kind, r.copyKind);
  put_u32(m, fields::Memcpy::src_kind, r.srcKind);
  put_u32(m, fields::Memcpy::dst_kind, r.dstKind);
  put_u32(m, fields::Memcpy::flags, r.flags);
  put_u64(m, fields::Memcpy::bytes, r.bytes);
  put_u32(m, fields::Memcpy::device_id, r.deviceId);
  put_u32(m, fields::Memcpy::context_id, r.contextId);
  put_u32(m, fields::Memcpy::stream_id, r.streamId);
  put_u32(m, fields::Memcpy::correlation_id, r.correlationId);
  put_u32(m, fields::Memcpy::channel_id, r.channelID);
  put_u32(m, fields::Memcpy::channel_type, static_cast<uint32_t>(r.channelType));
  put_u32(m, fields::Memcpy::graph_id, r.graphId);
  put_u64(m, fields::Memcpy::graph_node_id, r.graphNodeId);
}

void decode_memcpy(const CUpti_ActivityMemcpy6& r, DecodeContext& ctx) {
  pbf_writer m(ctx.chunk.writer(), fields::Chunk::memcpy);
  put_copy_fields(m, r);
  put_u32(m, fields::Memcpy::runtime_correlation_id, r.runtimeCorrelationId);
  put_u64(m, fields::Memcpy::copy_count, r.copyCount);
  put_bool(m, fields::Memcpy::is_device_launched, r.isDeviceLaunched != 0);
  put_bool(m, fields::Memcpy::incomplete, count_timestamps(ctx, ActivityKind::kMemcpy, r.start, r.end));
  count_gpu_record(ctx);
}

void decode_peer_copy(const CUpti_ActivityMemcpyPtoP4& r, DecodeContext& ctx) {
  pbf_writer m(ctx.chunk.writer(), fields::Chunk::memcpy);
  put_copy_fields(m, r);
  m.add_bool(fields::Memcpy::is_peer, true);
  // Device and context ids may legitimately be 0: always written.
  m.add_uint32(fields::Memcpy::src_device_id, r.srcDeviceId);
  m.add_uint32(fields::Memcpy::src_context_id, r.srcContextId);
  m.add_uint32(fields::Memcpy::dst_device_id, r.dstDeviceId);
  m.add_uint32(fields::Memcpy::dst_context_id, r.dstContextId);
  put_bool(m, fields::Memcpy::incomplete, count_timestamps(ctx, ActivityKind::kMemcpy2, r.start, r.end));
  count_gpu_record(ctx);
}

void decode_memset(const CUpti_ActivityMemset4& r, DecodeContext& ctx) {
  pbf_writer m(ctx.chunk.writer(), fields::Chunk::memset);
  put_u64(m, fields::Memset::start_ns, r.start);
  put_u64(m, fields::Memset::end_ns, r.end);
  put_u32(m, fields::Memset::value, r.value);
  put_u64(m, fields::Memset::bytes, r.bytes);
  put_u32(m, fields::Memset::device_id, r.deviceId);
  put_u32(m, fields::Memset::context_id, r.contextId);
  put_u32(m, fields::Memset::stream_id, r.streamId);
  put_u32(m, fields::Memset::correlation_id, r.correlationId);
  put_u32(m, fields::Memset::flags, r.flags);
  put_u32(m, fields::Memset::memory_kind, r.memoryKind);
  put_u32(m, fields::Memset::channel_id, r.channelID);
  put_u32(m, fields::Memset::channel_type, static_cast<uint32_t>(r.channelType));
  put_u32(m, fields::Memset::graph_id, r.graphId);
  put_u64(m, fields::Memset::graph_node_id, r.graphNodeId);
  put_bool(m, fields::Memset::is_device_launched, r.isDeviceLaunched != 0);
  put_bool(m, fields::Memset::incomplete, count_timestamps(ctx, ActivityKind::kMemset, r.start, r.end));
  count_gpu_record(ctx);
}

// Returns false when the record was skipped (the recorder's own call).
bool decode_api(const CUpti_ActivityAPI& r, bool runtime, DecodeContext& ctx) {
  if (ctx.ignored_thread_id != 0 && r.threadId == ctx.ignored_thread_id) return false;
  const auto domain = runtime ? ApiDomain::kRuntime : ApiDomain::kDriver;
  std::string_view name = api_name(domain, r.cbid);
  std::string fallback;
  if (name.empty()) {
    fallback = fmt::format("{}#{}", runtime ? "runtime" : "driver", r.cbid);
    name = fallback;
  }
  const uint64_t name_iid = ctx.chunk.intern(name);
  pbf_writer a(ctx.chunk.writer(), fields::Chunk::api);
  a.add_enum(fields::ApiCall::domain, runtime ? fields::ApiCall::Domain::RUNTIME : fields::ApiCall::Domain::DRIVER);
  put_u32(a, fields::ApiCall::cbid, r.cbid);
  put_u64(a, fields::ApiCall::name_iid, name_iid);
  put_u64(a, fields::ApiCall::start_ns, r.start);
  put_u64(a, fields::ApiCall::end_ns, r.end);
  put_u32(a, fields::ApiCall::thread_id, r.threadId);
  put_u32(a, fields::ApiCall::correlation_id, r.correlationId);
  put_u32(a, fields::ApiCall::return_value, r.returnValue);
  put_u32(a, fields::ApiCall::process_id, r.processId);
  put_bool(a, fields::ApiCall::incomplete,
           count_timestamps(ctx, runtime ? ActivityKind::kRuntime : ActivityKind::kDriver, r.start, r.end));
  if (ctx.thread_ids_seen != nullptr) ctx.thread_ids_seen->push_back(r.threadId);
  return true;
}

void decode_synchronization(const CUpti_ActivitySynchronization2& r, DecodeContext& ctx) {
  pbf_writer s(ctx.chunk.writer(), fields::Chunk::synchronization);
  put_u32(s, fields::Synchronization::type, static_cast<uint32_t>(r.type));
  put_u64(s, fields::Synchronization::start_ns, r.start);
  put_u64(s, fields::Synchronization::end_ns, r.end);
  put_u32(s, fields::Synchronization::correlation_id, r.correlationId);
  put_u32(s, fields::Synchronization::context_id, r.contextId);
  put_u32(s, fields::Synchronization::stream_id, r.streamId);
  put_u32(s, fields::Synchronization::cuda_event_id, r.cudaEventId);
  put_u64(s, fields::Synchronization::cuda_event_sync_id, r.cudaEventSyncId);
  put_u32(s, fields::Synchronization::return_value, r.returnValue);
  put_bool(s, fields::Synchronization::incomplete,
           count_timestamps(ctx, ActivityKind::kSynchronization, r.start, r.end));
}

void decode_cuda_event(const CUpti_ActivityCudaEvent2& r, DecodeContext& ctx) {
  pbf_writer e(ctx.chunk.writer(), fields::Chunk::cuda_event);
  put_u32(e, fields::CudaEvent::correlation_id, r.correlationId);
  put_u32(e, fields::CudaEvent::context_id, r.contextId);
  put_u32(e, fields::CudaEvent::stream_id, r.streamId);
  put_u32(e, fields::CudaEvent::event_id, r.eventId);
  put_u32(e, fields::CudaEvent::device_id, r.deviceId);
  put_u64(e, fields::CudaEvent::device_timestamp_ns, r.deviceTimestamp);
  put_u64(e, fields::CudaEvent::cuda_event_sync_id, r.cudaEventSyncId);
}

void decode_stream(const CUpti_ActivityStream& r, DecodeContext& ctx) {
  pbf_writer s(ctx.chunk.writer(), fields::Chunk::stream);
  put_u32(s, fields::Stream::context_id, r.contextId);
  put_u32(s, fields::Stream::stream_id, r.streamId);
  put_i32(s, fields::Stream::priority, static_cast<int32_t>(r.priority));
  put_u32(s, fields::Stream::flag, static_cast<uint32_t>(r.flag));
  put_u32(s, fields::Stream::correlation_id, r.correlationId);
}

void decode_device(const CUpti_ActivityDevice5& r, DecodeContext& ctx) {
  const std::string uuid = format_uuid(reinterpret_cast<const unsigned char*>(r.uuid.bytes));
  pbf_writer d(ctx.chunk.writer(), fields::Chunk::device);
  d.add_uint32(fields::Device::id, r.id);
  if (r.name != nullptr) d.add_string(fields::Device::name, r.name);
  d.add_string(fields::Device::uuid, uuid);
  put_u32(d, fields::Device::compute_capability_major, r.computeCapabilityMajor);
  put_u32(d, fields::Device::compute_capability_minor, r.computeCapabilityMinor);
  put_u32(d, fields::Device::num_multiprocessors, r.numMultiprocessors);
  put_u32(d, fields::Device::num_memcpy_engines, r.numMemcpyEngines);
  put_u32(d, fields::Device::max_warps_per_multiprocessor, r.maxWarpsPerMultiprocessor);
  put_u32(d, fields::Device::max_blocks_per_multiprocessor, r.maxBlocksPerMultiprocessor);
  put_u32(d, fields::Device::max_shared_memory_per_multiprocessor, r.maxSharedMemoryPerMultiprocessor);
  put_u32(d, fields::Device::max_registers_per_multiprocessor, r.maxRegistersPerMultiprocessor);
  put_u32(d, fields::Device::max_registers_per_block, r.maxRegistersPerBlock);
  put_u32(d, fields::Device::max_shared_memory_per_block, r.maxSharedMemoryPerBlock);
  put_u32(d, fields::Device::max_threads_per_block, r.maxThreadsPerBlock);
  put_u32(d, fields::Device::num_threads_per_warp, r.numThreadsPerWarp);
  put_u64(d, fields::Device::global_memory_bandwidth_kbps, r.globalMemoryBandwidth);
  put_u64(d, fields::Device::global_memory_size, r.globalMemorySize);
  put_u32(d, fields::Device::l2_cache_size, r.l2CacheSize);
  put_u32(d, fields::Device::core_clock_rate_khz, r.coreClockRate);
  put_u32(d, fields::Device::ecc_enabled, r.eccEnabled);
  put_bool(d, fields::Device::is_mig_enabled, r.isMigEnabled != 0);
  put_u32(d, fields::Device::gpu_instance_id, r.gpuInstanceId);
  put_u32(d, fields::Device::compute_instance_id, r.computeInstanceId);
  put_u32(d, fields::Device::numa_id, r.numaId);
  put_u32(d, fields::Device::max_grid_dim_x, r.maxGridDimX);
  put_u32(d, fields::Device::max_block_dim_x, r.maxBlockDimX);
  put_u32(d, fields::Device::constant_memory_size, r.constantMemorySize);
}

void decode_context(const CUpti_ActivityContext3& r, DecodeContext& ctx) {
  pbf_writer c(ctx.chunk.writer(), fields::Chunk::context);
  put_u32(c, fields::Context::context_id, r.contextId);
  c.add_uint32(fields::Context::device_id, r.deviceId);
  put_u32(c, fields::Context::null_stream_id, r.nullStreamId);
  put_u32(c, fields::Context::compute_api_kind, r.computeApiKind);
  put_bool(c, fields::Context::is_green_context, r.isGreenContext != 0);
  put_u32(c, fields::Context::num_multiprocessors, r.numMultiprocessors);
  put_u32(c, fields::Context::parent_context_id, r.parentContextId);
}

// Object ids of overhead, marker and name records: process/thread objects
// use the pt view, device/context/stream objects the dcs view.
struct ObjectFields {
  uint32_t process_id = 0, thread_id = 0, device_id = 0, context_id = 0, stream_id = 0;
};
ObjectFields object_fields(CUpti_ActivityObjectKind kind, const CUpti_ActivityObjectKindId& id) {
  ObjectFields f;
  if (kind == CUPTI_ACTIVITY_OBJECT_PROCESS || kind == CUPTI_ACTIVITY_OBJECT_THREAD) {
    f.process_id = id.pt.processId;
    f.thread_id = id.pt.threadId;
  } else {
    f.device_id = id.dcs.deviceId;
    f.context_id = id.dcs.contextId;
    f.stream_id = id.dcs.streamId;
  }
  return f;
}

void decode_overhead(const CUpti_ActivityOverhead3& r, DecodeContext& ctx) {
  const ObjectFields obj = object_fields(r.objectKind, r.objectId);
  pbf_writer o(ctx.chunk.writer(), fields::Chunk::overhead);
  put_u32(o, fields::Overhead::kind, static_cast<uint32_t>(r.overheadKind));
  put_u64(o, fields::Overhead::start_ns, r.start);
  put_u64(o, fields::Overhead::end_ns, r.end);
  put_u32(o, fields::Overhead::correlation_id, r.correlationId);
  put_u32(o, fields::Overhead::object_kind, static_cast<uint32_t>(r.objectKind));
  put_u32(o, fields::Overhead::process_id, obj.process_id);
  put_u32(o, fields::Overhead::thread_id, obj.thread_id);
  put_u32(o, fields::Overhead::device_id, obj.device_id);
  put_u32(o, fields::Overhead::context_id, obj.context_id);
  put_u32(o, fields::Overhead::stream_id, obj.stream_id);
  if (r.overheadKind == CUPTI_ACTIVITY_OVERHEAD_COMMAND_BUFFER_FULL && r.overheadData != nullptr) {
    const auto* full = static_cast<const CUpti_ActivityOverheadCommandBufferFullData*>(r.overheadData);
    put_u32(o, fields::Overhead::channel_id, full->channelID);
    put_u32(o, fields::Overhead::channel_type, full->channelType);
  }
  put_bool(o, fields::Overhead::incomplete, count_timestamps(ctx, ActivityKind::kOverhead, r.start, r.end));
}

void decode_marker(const CUpti_ActivityMarker2& r, DecodeContext& ctx) {
  const uint64_t name = ctx.chunk.intern(r.name);
  const uint64_t domain = ctx.chunk.intern(r.domain);
  const ObjectFields obj = object_fields(r.objectKind, r.objectId);
  pbf_writer m(ctx.chunk.writer(), fields::Chunk::marker);
  put_u32(m, fields::Marker::flags, static_cast<uint32_t>(r.flags));
  put_u64(m, fields::Marker::timestamp_ns, r.timestamp);
  put_u64(m, fields::Marker::id, r.id);
  put_u32(m, fields::Marker::object_kind, static_cast<uint32_t>(r.objectKind));
  put_u32(m, fields::Marker::process_id, obj.process_id);
  put_u32(m, fields::Marker::thread_id, obj.thread_id);
  put_u32(m, fields::Marker::device_id, obj.device_id);
  put_u32(m, fields::Marker::context_id, obj.context_id);
  put_u32(m, fields::Marker::stream_id, obj.stream_id);
  put_u64(m, fields::Marker::name_iid, name);
  put_u64(m, fields::Marker::domain_iid, domain);
  if (r.timestamp == 0) ++ctx.health.zero_timestamp_records;
}

void decode_name(const CUpti_ActivityName& r, DecodeContext& ctx) {
  const uint64_t name = ctx.chunk.intern(r.name);
  const ObjectFields obj = object_fields(r.objectKind, r.objectId);
  if (r.objectKind == CUPTI_ACTIVITY_OBJECT_THREAD) {
    pbf_writer t(ctx.chunk.writer(), fields::Chunk::thread_name);
    put_u32(t, fields::ThreadName::thread_id, obj.thread_id);
    put_u64(t, fields::ThreadName::name_iid, name);
    t.add_enum(fields::ThreadName::source, fields::ThreadName::Source::NVTX);
    return;
  }
  // Devices, contexts and streams named through NVTX (nvtxNameCudaStream...).
  pbf_writer n(ctx.chunk.writer(), fields::Chunk::object_name);
  put_u32(n, fields::ObjectName::object_kind, static_cast<uint32_t>(r.objectKind));
  put_u32(n, fields::ObjectName::process_id, obj.process_id);
  put_u32(n, fields::ObjectName::thread_id, obj.thread_id);
  put_u32(n, fields::ObjectName::device_id, obj.device_id);
  put_u32(n, fields::ObjectName::context_id, obj.context_id);
  put_u32(n, fields::ObjectName::stream_id, obj.stream_id);
  put_u64(n, fields::ObjectName::name_iid, name);
}

template <typename T>
const T& as(const CUpti_Activity* record) {
  return *reinterpret_cast<const T*>(record);
}

}  // namespace

std::string format_uuid(const unsigned char b[16]) {
  return fmt::format("GPU-{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
                     b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                     b[15]);
}

size_t known_record_size(const CUpti_Activity* record) {
  switch (record->kind) {
    case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL:
    case CUPTI_ACTIVITY_KIND_KERNEL: return sizeof(CUpti_ActivityKernel10);
    case CUPTI_ACTIVITY_KIND_MEMCPY: return sizeof(CUpti_ActivityMemcpy6);
    case CUPTI_ACTIVITY_KIND_MEMCPY2: return sizeof(CUpti_ActivityMemcpyPtoP4);
    case CUPTI_ACTIVITY_KIND_MEMSET: return sizeof(CUpti_ActivityMemset4);
    case CUPTI_ACTIVITY_KIND_RUNTIME:
    case CUPTI_ACTIVITY_KIND_DRIVER: return sizeof(CUpti_ActivityAPI);
    case CUPTI_ACTIVITY_KIND_SYNCHRONIZATION: return sizeof(CUpti_ActivitySynchronization2);
    case CUPTI_ACTIVITY_KIND_CUDA_EVENT: return sizeof(CUpti_ActivityCudaEvent2);
    case CUPTI_ACTIVITY_KIND_STREAM: return sizeof(CUpti_ActivityStream);
    case CUPTI_ACTIVITY_KIND_DEVICE: return sizeof(CUpti_ActivityDevice5);
    case CUPTI_ACTIVITY_KIND_CONTEXT: return sizeof(CUpti_ActivityContext3);
    case CUPTI_ACTIVITY_KIND_OVERHEAD: return sizeof(CUpti_ActivityOverhead3);
    case CUPTI_ACTIVITY_KIND_MARKER: return sizeof(CUpti_ActivityMarker2);
    case CUPTI_ACTIVITY_KIND_NAME: return sizeof(CUpti_ActivityName);
    default: return 0;
  }
}

void decode_record(const CUpti_Activity* record, DecodeContext& ctx) {
  if (!ctx.layouts_known) {
    ++ctx.health.unknown_records;
    return;
  }
  switch (record->kind) {
    case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL:
    case CUPTI_ACTIVITY_KIND_KERNEL:
      decode_kernel(as<CUpti_ActivityKernel10>(record), ctx);
      break;
    case CUPTI_ACTIVITY_KIND_MEMCPY: decode_memcpy(as<CUpti_ActivityMemcpy6>(record), ctx); break;
    case CUPTI_ACTIVITY_KIND_MEMCPY2: decode_peer_copy(as<CUpti_ActivityMemcpyPtoP4>(record), ctx); break;
    case CUPTI_ACTIVITY_KIND_MEMSET: decode_memset(as<CUpti_ActivityMemset4>(record), ctx); break;
    case CUPTI_ACTIVITY_KIND_RUNTIME:
    case CUPTI_ACTIVITY_KIND_DRIVER:
      if (!decode_api(as<CUpti_ActivityAPI>(record), record->kind == CUPTI_ACTIVITY_KIND_RUNTIME, ctx)) return;
      break;
    case CUPTI_ACTIVITY_KIND_SYNCHRONIZATION:
      decode_synchronization(as<CUpti_ActivitySynchronization2>(record), ctx);
      break;
    case CUPTI_ACTIVITY_KIND_CUDA_EVENT: decode_cuda_event(as<CUpti_ActivityCudaEvent2>(record), ctx); break;
    case CUPTI_ACTIVITY_KIND_STREAM: decode_stream(as<CUpti_ActivityStream>(record), ctx); break;
    case CUPTI_ACTIVITY_KIND_DEVICE: decode_device(as<CUpti_ActivityDevice5>(record), ctx); break;
    case CUPTI_ACTIVITY_KIND_CONTEXT: decode_context(as<CUpti_ActivityContext3>(record), ctx); break;
    case CUPTI_ACTIVITY_KIND_OVERHEAD: decode_overhead(as<CUpti_ActivityOverhead3>(record), ctx); break;
    case CUPTI_ACTIVITY_KIND_MARKER: decode_marker(as<CUpti_ActivityMarker2>(record), ctx); break;
    case CUPTI_ACTIVITY_KIND_NAME: decode_name(as<CUpti_ActivityName>(record), ctx); break;
    default: ++ctx.health.unknown_records; return;
  }
  ctx.chunk.count_record();
  ++ctx.health.records;
}

}  // namespace holdup::inject
