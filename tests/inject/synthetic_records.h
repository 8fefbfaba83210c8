#pragma once
// A CUPTI activity buffer built by hand, one record of every kind holdup
// decodes, with known values: lets decoding, raw dumps and the writer be
// tested without a GPU.

#include <cstdint>
#include <cstring>
#include <vector>

#include <cupti.h>

namespace holdup::inject::testing {

class SyntheticBuffer {
 public:
  template <typename T>
  T& add() {
    static_assert(sizeof(T) % 8 == 0);
    const size_t offset = bytes_;
    bytes_ += sizeof(T);
    storage_.resize(bytes_ / 8, 0);
    return *reinterpret_cast<T*>(reinterpret_cast<uint8_t*>(storage_.data()) + offset);
  }
  uint8_t* data() { return reinterpret_cast<uint8_t*>(storage_.data()); }
  size_t size() const { return bytes_; }

 private:
  std::vector<uint64_t> storage_;
  size_t bytes_ = 0;
};

inline const CUpti_ActivityOverheadCommandBufferFullData kCommandBufferFull = {0, 7, CUPTI_CHANNEL_TYPE_COMPUTE};

// Adds: RUNTIME cudaMemcpyAsync (corr 11, tid 4242), DRIVER cuLaunchKernel
// (corr 12), kernel "_Z4spinv" (corr 12), D2D memcpy (corr 11), peer copy
// (corr 13), memset (corr 14), sync (stream wait event), cuda event, stream,
// device "Synthetic H100", context, overhead COMMAND_BUFFER_FULL, NVTX range
// start "phase" in domain "app" + end, NAME for thread 4242 "proxy", NAME
// for stream 7 "copy_stream", and one record of a kind holdup does not
// decode (PC sampling config would be too big: an empty ENVIRONMENT-like
// kind is not walkable, so none is added here).
inline void add_sample_records(SyntheticBuffer& b) {
  auto& rt = b.add<CUpti_ActivityAPI>();
  rt.kind = CUPTI_ACTIVITY_KIND_RUNTIME;
  rt.cbid = CUPTI_RUNTIME_TRACE_CBID_cudaMemcpyAsync_v3020;
  rt.start = 1000;
  rt.end = 1100;
  rt.processId = 77;
  rt.threadId = 4242;
  rt.correlationId = 11;

  auto& drv = b.add<CUpti_ActivityAPI>();
  drv.kind = CUPTI_ACTIVITY_KIND_DRIVER;
  drv.cbid = CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel;
  drv.start = 1200;
  drv.end = 1250;
  drv.processId = 77;
  drv.threadId = 4243;
  drv.correlationId = 12;
  drv.returnValue = 0;

  auto& k = b.add<CUpti_ActivityKernel10>();
  k.kind = CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL;
  k.start = 2000;
  k.end = 6000;
  k.completed = 6000;
  k.queued = 1300;
  k.submitted = 1400;
  k.deviceId = 0;
  k.contextId = 1;
  k.streamId = 13;
  k.correlationId = 12;
  k.channelID = 2;
  k.channelType = CUPTI_CHANNEL_TYPE_COMPUTE;
  k.name = "_Z4spinv";
  k.gridX = 1056;
  k.gridY = 1;
  k.gridZ = 1;
  k.blockX = 256;
  k.blockY = 1;
  k.blockZ = 1;
  k.registersPerThread = 16;
  k.staticSharedMemory = 0;
  k.dynamicSharedMemory = 1024;
  k.localMemoryTotal_v2 = 123456;
  k.sharedMemoryExecuted = 8192;
  k.gridId = 5;
  k.graphId = 0;
  k.launchType = 0;

  auto& m = b.add<CUpti_ActivityMemcpy6>();
  m.kind = CUPTI_ACTIVITY_KIND_MEMCPY;
  m.copyKind = CUPTI_ACTIVITY_MEMCPY_KIND_DTOD;
  m.srcKind = CUPTI_ACTIVITY_MEMORY_KIND_DEVICE;
  m.dstKind = CUPTI_ACTIVITY_MEMORY_KIND_DEVICE;
  m.flags = CUPTI_ACTIVITY_FLAG_MEMCPY_ASYNC;
  m.bytes = 64 << 20;
  m.start = 5950;
  m.end = 7000;
  m.contextId = 1;
  m.streamId = 14;
  m.correlationId = 11;
  m.runtimeCorrelationId = 0;
  m.channelID = 1;
  m.channelType = CUPTI_CHANNEL_TYPE_COMPUTE;
  m.copyCount = 1;
  m.reserved0 = reinterpret_cast<void*>(0xdeadbeef);

  auto& p = b.add<CUpti_ActivityMemcpyPtoP4>();
  p.kind = CUPTI_ACTIVITY_KIND_MEMCPY2;
  p.copyKind = CUPTI_ACTIVITY_MEMCPY_KIND_PTOP;
  p.srcKind = CUPTI_ACTIVITY_MEMORY_KIND_DEVICE;
  p.dstKind = CUPTI_ACTIVITY_MEMORY_KIND_DEVICE;
  p.bytes = 4096;
  p.start = 7100;
  p.end = 7200;
  p.deviceId = 0;
  p.contextId = 1;
  p.streamId = 14;
  p.srcDeviceId = 0;
  p.dstDeviceId = 1;
  p.srcContextId = 1;
  p.dstContextId = 2;
  p.correlationId = 13;
  p.channelID = 3;
  p.channelType = CUPTI_CHANNEL_TYPE_ASYNC_MEMCPY;

  auto& s = b.add<CUpti_ActivityMemset4>();
  s.kind = CUPTI_ACTIVITY_KIND_MEMSET;
  s.value = 0x5a;
  s.bytes = 1 << 20;
  s.start = 0;  // zero timestamp: counted
  s.end = 7300;
  s.contextId = 1;
  s.streamId = 13;
  s.correlationId = 14;
  s.memoryKind = CUPTI_ACTIVITY_MEMORY_KIND_DEVICE;
  s.channelID = 2;
  s.channelType = CUPTI_CHANNEL_TYPE_COMPUTE;

  auto& sync = b.add<CUpti_ActivitySynchronization2>();
  sync.kind = CUPTI_ACTIVITY_KIND_SYNCHRONIZATION;
  sync.type = CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_STREAM_WAIT_EVENT;
  sync.start = 1500;
  sync.end = 1510;
  sync.correlationId = 15;
  sync.contextId = 1;
  sync.streamId = 14;
  sync.cudaEventId = 3;
  sync.cudaEventSyncId = 99;

  auto& ev = b.add<CUpti_ActivityCudaEvent2>();
  ev.kind = CUPTI_ACTIVITY_KIND_CUDA_EVENT;
  ev.correlationId = 16;
  ev.contextId = 1;
  ev.streamId = 13;
  ev.eventId = 3;
  ev.deviceId = 0;
  ev.deviceTimestamp = 6001;
  ev.cudaEventSyncId = 99;

  auto& st = b.add<CUpti_ActivityStream>();
  st.kind = CUPTI_ACTIVITY_KIND_STREAM;
  st.contextId = 1;
  st.streamId = 14;
  st.priority = static_cast<uint32_t>(-1);
  st.flag = CUPTI_ACTIVITY_STREAM_CREATE_FLAG_NON_BLOCKING;
  st.correlationId = 17;

  auto& d = b.add<CUpti_ActivityDevice5>();
  d.kind = CUPTI_ACTIVITY_KIND_DEVICE;
  d.id = 0;
  d.name = "Synthetic H100";
  for (int i = 0; i < 16; ++i) d.uuid.bytes[i] = static_cast<char>(i + 1);
  d.computeCapabilityMajor = 9;
  d.computeCapabilityMinor = 0;
  d.numMultiprocessors = 132;
  d.numMemcpyEngines = 3;
  d.globalMemorySize = 80ull << 30;
  d.coreClockRate = 1980000;

  auto& c = b.add<CUpti_ActivityContext3>();
  c.kind = CUPTI_ACTIVITY_KIND_CONTEXT;
  c.contextId = 1;
  c.deviceId = 0;
  c.nullStreamId = 7;
  c.computeApiKind = CUPTI_ACTIVITY_COMPUTE_API_CUDA;

  auto& o = b.add<CUpti_ActivityOverhead3>();
  o.kind = CUPTI_ACTIVITY_KIND_OVERHEAD;
  o.overheadKind = CUPTI_ACTIVITY_OVERHEAD_COMMAND_BUFFER_FULL;
  o.objectKind = CUPTI_ACTIVITY_OBJECT_CONTEXT;
  o.objectId.dcs.deviceId = 0;
  o.objectId.dcs.contextId = 1;
  o.objectId.dcs.streamId = 13;
  o.start = 1600;
  o.end = 1700;
  o.correlationId = 12;
  o.overheadData = const_cast<CUpti_ActivityOverheadCommandBufferFullData*>(&kCommandBufferFull);

  auto& ms = b.add<CUpti_ActivityMarker2>();
  ms.kind = CUPTI_ACTIVITY_KIND_MARKER;
  ms.flags = CUPTI_ACTIVITY_FLAG_MARKER_START;
  ms.timestamp = 900;
  ms.id = 1;
  ms.objectKind = CUPTI_ACTIVITY_OBJECT_THREAD;
  ms.objectId.pt.processId = 77;
  ms.objectId.pt.threadId = 4242;
  ms.name = "phase";
  ms.domain = "app";

  auto& me = b.add<CUpti_ActivityMarker2>();
  me.kind = CUPTI_ACTIVITY_KIND_MARKER;
  me.flags = CUPTI_ACTIVITY_FLAG_MARKER_END;
  me.timestamp = 8000;
  me.id = 1;
  me.objectKind = CUPTI_ACTIVITY_OBJECT_THREAD;
  me.objectId.pt.processId = 77;
  me.objectId.pt.threadId = 4242;

  auto& tn = b.add<CUpti_ActivityName>();
  tn.kind = CUPTI_ACTIVITY_KIND_NAME;
  tn.objectKind = CUPTI_ACTIVITY_OBJECT_THREAD;
  tn.objectId.pt.processId = 77;
  tn.objectId.pt.threadId = 4242;
  tn.name = "proxy";

  auto& sn = b.add<CUpti_ActivityName>();
  sn.kind = CUPTI_ACTIVITY_KIND_NAME;
  sn.objectKind = CUPTI_ACTIVITY_OBJECT_STREAM;
  sn.objectId.dcs.contextId = 1;
  sn.objectId.dcs.streamId = 7;
  sn.name = "copy_stream";
}

// Number of records add_sample_records adds (all decoded).
constexpr uint64_t kSampleRecordCount = 16;

}  // namespace holdup::inject::testing
