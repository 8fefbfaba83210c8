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

// Counts a record with a zero start or end: incomplete when a forced flush
// returned its buffer (work still in flight), else a missing timestamp.
// Returns whether the record is incomplete (the caller marks it so).
bool count_timestamps(DecodeContext& ctx, RecordedKind kind, uint64_t start, uint64_t end) {
  if (start != 0 && end != 0) return false;
  if (!ctx.forced_buffer) {
    ++ctx.health.zero_timestamp_records;
    return false;
  }
  ++ctx.health.incomplete_records;
  ++ctx.health.incomplete_by_kind[static_cast<size_t>(kind)];
  return true;
}

void decode_kernel(const CUpti_ActivityKernel10& r, DecodeContext& ctx) {
  const uint64_t name = ctx.chunk.intern(r.name);
  pbf_writer k(ctx.chunk.writer(), chunk_field::kKernel);
  put_u64(k, 1, r.start);
  put_u64(k, 2, r.end);
  put_u64(k, 3, r.queued);
  put_u64(k, 4, r.submitted);
  put_u64(k, 5, r.completed);
  put_u32(k, 6, r.deviceId);
  put_u32(k, 7, r.contextId);
  put_u32(k, 8, r.streamId);
  put_u32(k, 9, r.correlationId);
  put_u32(k, 10, r.channelID);
  put_u32(k, 11, static_cast<uint32_t>(r.channelType));
  put_u64(k, 12, name);
  put_i32(k, 13, r.gridX);
  put_i32(k, 14, r.gridY);
  put_i32(k, 15, r.gridZ);
  put_i32(k, 16, r.blockX);
  put_i32(k, 17, r.blockY);
  put_i32(k, 18, r.blockZ);
  put_u32(k, 19, r.registersPerThread);
  put_i32(k, 20, r.staticSharedMemory);
  put_i32(k, 21, r.dynamicSharedMemory);
  put_u64(k, 22, r.localMemoryTotal_v2);
  put_u32(k, 23, r.sharedMemoryExecuted);
  put_i64(k, 24, r.gridId);
  put_u32(k, 25, r.graphId);
  put_u64(k, 26, r.graphNodeId);
  put_u32(k, 27, r.clusterX);
  put_u32(k, 28, r.clusterY);
  put_u32(k, 29, r.clusterZ);
  put_u32(k, 30, r.launchType);
  put_bool(k, 31, r.isDeviceLaunched != 0);
  put_bool(k, 32, count_timestamps(ctx, RecordedKind::kConcurrentKernel, r.start, r.end));
}

// Fields MEMCPY and MEMCPY2 records share under the same names.
template <typename CopyRecord>
void put_copy_fields(pbf_writer& m, const CopyRecord& r) {
  put_u64(m, 1, r.start);
  put_u64(m, 2, r.end);
  put_u32(m, 3, r.copyKind);
  put_u32(m, 4, r.srcKind);
  put_u32(m, 5, r.dstKind);
  put_u32(m, 6, r.flags);
  put_u64(m, 7, r.bytes);
  put_u32(m, 8, r.deviceId);
  put_u32(m, 9, r.contextId);
  put_u32(m, 10, r.streamId);
  put_u32(m, 11, r.correlationId);
  put_u32(m, 13, r.channelID);
  put_u32(m, 14, static_cast<uint32_t>(r.channelType));
  put_u32(m, 15, r.graphId);
  put_u64(m, 16, r.graphNodeId);
}

void decode_memcpy(const CUpti_ActivityMemcpy6& r, DecodeContext& ctx) {
  pbf_writer m(ctx.chunk.writer(), chunk_field::kMemcpy);
  put_copy_fields(m, r);
  put_u32(m, 12, r.runtimeCorrelationId);
  put_u64(m, 17, r.copyCount);
  put_bool(m, 18, r.isDeviceLaunched != 0);
  put_bool(m, 24, count_timestamps(ctx, RecordedKind::kMemcpy, r.start, r.end));
}

void decode_peer_copy(const CUpti_ActivityMemcpyPtoP4& r, DecodeContext& ctx) {
  pbf_writer m(ctx.chunk.writer(), chunk_field::kMemcpy);
  put_copy_fields(m, r);
  m.add_bool(19, true);
  // Device and context ids may legitimately be 0: always written.
  m.add_uint32(20, r.srcDeviceId);
  m.add_uint32(21, r.srcContextId);
  m.add_uint32(22, r.dstDeviceId);
  m.add_uint32(23, r.dstContextId);
  put_bool(m, 24, count_timestamps(ctx, RecordedKind::kMemcpy2, r.start, r.end));
}

void decode_memset(const CUpti_ActivityMemset4& r, DecodeContext& ctx) {
  pbf_writer m(ctx.chunk.writer(), chunk_field::kMemset);
  put_u64(m, 1, r.start);
  put_u64(m, 2, r.end);
  put_u32(m, 3, r.value);
  put_u64(m, 4, r.bytes);
  put_u32(m, 5, r.deviceId);
  put_u32(m, 6, r.contextId);
  put_u32(m, 7, r.streamId);
  put_u32(m, 8, r.correlationId);
  put_u32(m, 9, r.flags);
  put_u32(m, 10, r.memoryKind);
  put_u32(m, 11, r.channelID);
  put_u32(m, 12, static_cast<uint32_t>(r.channelType));
  put_u32(m, 13, r.graphId);
  put_u64(m, 14, r.graphNodeId);
  put_bool(m, 15, r.isDeviceLaunched != 0);
  put_bool(m, 16, count_timestamps(ctx, RecordedKind::kMemset, r.start, r.end));
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
  pbf_writer a(ctx.chunk.writer(), chunk_field::kApi);
  a.add_enum(1, runtime ? 2 : 1);
  put_u32(a, 2, r.cbid);
  put_u64(a, 3, name_iid);
  put_u64(a, 4, r.start);
  put_u64(a, 5, r.end);
  put_u32(a, 6, r.threadId);
  put_u32(a, 7, r.correlationId);
  put_u32(a, 8, r.returnValue);
  put_u32(a, 9, r.processId);
  put_bool(a, 10, count_timestamps(ctx, runtime ? RecordedKind::kRuntime : RecordedKind::kDriver, r.start, r.end));
  if (ctx.thread_ids_seen != nullptr) ctx.thread_ids_seen->push_back(r.threadId);
  return true;
}

void decode_synchronization(const CUpti_ActivitySynchronization2& r, DecodeContext& ctx) {
  pbf_writer s(ctx.chunk.writer(), chunk_field::kSynchronization);
  put_u32(s, 1, static_cast<uint32_t>(r.type));
  put_u64(s, 2, r.start);
  put_u64(s, 3, r.end);
  put_u32(s, 4, r.correlationId);
  put_u32(s, 5, r.contextId);
  put_u32(s, 6, r.streamId);
  put_u32(s, 7, r.cudaEventId);
  put_u64(s, 8, r.cudaEventSyncId);
  put_u32(s, 9, r.returnValue);
  put_bool(s, 10, count_timestamps(ctx, RecordedKind::kSynchronization, r.start, r.end));
}

void decode_cuda_event(const CUpti_ActivityCudaEvent2& r, DecodeContext& ctx) {
  pbf_writer e(ctx.chunk.writer(), chunk_field::kCudaEvent);
  put_u32(e, 1, r.correlationId);
  put_u32(e, 2, r.contextId);
  put_u32(e, 3, r.streamId);
  put_u32(e, 4, r.eventId);
  put_u32(e, 5, r.deviceId);
  put_u64(e, 6, r.deviceTimestamp);
  put_u64(e, 7, r.cudaEventSyncId);
}

void decode_stream(const CUpti_ActivityStream& r, DecodeContext& ctx) {
  pbf_writer s(ctx.chunk.writer(), chunk_field::kStream);
  put_u32(s, 1, r.contextId);
  put_u32(s, 2, r.streamId);
  put_i32(s, 3, static_cast<int32_t>(r.priority));
  put_u32(s, 4, static_cast<uint32_t>(r.flag));
  put_u32(s, 5, r.correlationId);
}

void decode_device(const CUpti_ActivityDevice5& r, DecodeContext& ctx) {
  const std::string uuid = format_uuid(reinterpret_cast<const unsigned char*>(r.uuid.bytes));
  pbf_writer d(ctx.chunk.writer(), chunk_field::kDevice);
  d.add_uint32(1, r.id);
  if (r.name != nullptr) d.add_string(2, r.name);
  d.add_string(3, uuid);
  put_u32(d, 4, r.computeCapabilityMajor);
  put_u32(d, 5, r.computeCapabilityMinor);
  put_u32(d, 6, r.numMultiprocessors);
  put_u32(d, 7, r.numMemcpyEngines);
  put_u32(d, 8, r.maxWarpsPerMultiprocessor);
  put_u32(d, 9, r.maxBlocksPerMultiprocessor);
  put_u32(d, 10, r.maxSharedMemoryPerMultiprocessor);
  put_u32(d, 11, r.maxRegistersPerMultiprocessor);
  put_u32(d, 12, r.maxRegistersPerBlock);
  put_u32(d, 13, r.maxSharedMemoryPerBlock);
  put_u32(d, 14, r.maxThreadsPerBlock);
  put_u32(d, 15, r.numThreadsPerWarp);
  put_u64(d, 16, r.globalMemoryBandwidth);
  put_u64(d, 17, r.globalMemorySize);
  put_u32(d, 18, r.l2CacheSize);
  put_u32(d, 19, r.coreClockRate);
  put_u32(d, 20, r.eccEnabled);
  put_bool(d, 21, r.isMigEnabled != 0);
  put_u32(d, 22, r.gpuInstanceId);
  put_u32(d, 23, r.computeInstanceId);
  put_u32(d, 24, r.numaId);
  put_u32(d, 25, r.maxGridDimX);
  put_u32(d, 26, r.maxBlockDimX);
  put_u32(d, 27, r.constantMemorySize);
}

void decode_context(const CUpti_ActivityContext3& r, DecodeContext& ctx) {
  pbf_writer c(ctx.chunk.writer(), chunk_field::kContext);
  put_u32(c, 1, r.contextId);
  c.add_uint32(2, r.deviceId);
  put_u32(c, 3, r.nullStreamId);
  put_u32(c, 4, r.computeApiKind);
  put_bool(c, 5, r.isGreenContext != 0);
  put_u32(c, 6, r.numMultiprocessors);
  put_u32(c, 7, r.parentContextId);
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
  pbf_writer o(ctx.chunk.writer(), chunk_field::kOverhead);
  put_u32(o, 1, static_cast<uint32_t>(r.overheadKind));
  put_u64(o, 2, r.start);
  put_u64(o, 3, r.end);
  put_u32(o, 4, r.correlationId);
  put_u32(o, 5, static_cast<uint32_t>(r.objectKind));
  put_u32(o, 6, obj.process_id);
  put_u32(o, 7, obj.thread_id);
  put_u32(o, 8, obj.device_id);
  put_u32(o, 9, obj.context_id);
  put_u32(o, 10, obj.stream_id);
  if (r.overheadKind == CUPTI_ACTIVITY_OVERHEAD_COMMAND_BUFFER_FULL && r.overheadData != nullptr) {
    const auto* full = static_cast<const CUpti_ActivityOverheadCommandBufferFullData*>(r.overheadData);
    put_u32(o, 11, full->channelID);
    put_u32(o, 12, full->channelType);
  }
  put_bool(o, 13, count_timestamps(ctx, RecordedKind::kOverhead, r.start, r.end));
}

void decode_marker(const CUpti_ActivityMarker2& r, DecodeContext& ctx) {
  const uint64_t name = ctx.chunk.intern(r.name);
  const uint64_t domain = ctx.chunk.intern(r.domain);
  const ObjectFields obj = object_fields(r.objectKind, r.objectId);
  pbf_writer m(ctx.chunk.writer(), chunk_field::kMarker);
  put_u32(m, 1, static_cast<uint32_t>(r.flags));
  put_u64(m, 2, r.timestamp);
  put_u64(m, 3, r.id);
  put_u32(m, 4, static_cast<uint32_t>(r.objectKind));
  put_u32(m, 5, obj.process_id);
  put_u32(m, 6, obj.thread_id);
  put_u32(m, 7, obj.device_id);
  put_u32(m, 8, obj.context_id);
  put_u32(m, 9, obj.stream_id);
  put_u64(m, 10, name);
  put_u64(m, 11, domain);
  if (r.timestamp == 0) ++ctx.health.zero_timestamp_records;
}

void decode_name(const CUpti_ActivityName& r, DecodeContext& ctx) {
  const uint64_t name = ctx.chunk.intern(r.name);
  const ObjectFields obj = object_fields(r.objectKind, r.objectId);
  if (r.objectKind == CUPTI_ACTIVITY_OBJECT_THREAD) {
    pbf_writer t(ctx.chunk.writer(), chunk_field::kThreadName);
    put_u32(t, 1, obj.thread_id);
    put_u64(t, 2, name);
    t.add_enum(3, 1);  // NVTX
    return;
  }
  // Devices, contexts and streams named through NVTX (nvtxNameCudaStream...).
  pbf_writer n(ctx.chunk.writer(), chunk_field::kObjectName);
  put_u32(n, 1, static_cast<uint32_t>(r.objectKind));
  put_u32(n, 2, obj.process_id);
  put_u32(n, 3, obj.thread_id);
  put_u32(n, 4, obj.device_id);
  put_u32(n, 5, obj.context_id);
  put_u32(n, 6, obj.stream_id);
  put_u64(n, 7, name);
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
