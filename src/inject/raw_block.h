#pragma once
// Debug dumps of raw CUPTI activity buffers, replayable without a GPU.
//
// A dump file (`*.cupti-raw`) is a sequence of blocks, one per completed
// CUPTI buffer:
//   RawBlockHeader (little-endian, 40 bytes)
//   record bytes (the buffer's valid bytes, 8-byte aligned)
//   string table (strings_bytes)
// Pointer fields of the known record kinds (kernel name, marker name and
// domain, device name, NAME name, overhead data) are rewritten as
// 1 + offset into that block's string table (0 = null); pointers with no
// meaning outside the process (reserved0, pAccessPolicyWindow, overhead
// data of other overhead kinds) become 0. The replay (tests/support/raw_replay.h,
// not in libholdup.so) restores real pointers and feeds each buffer through
// ChunkEncoder::write_buffer, the recorder's own decoding path.

#include <cstdint>

#include <cupti.h>

namespace holdup::inject {

struct RawBlockHeader {
  char magic[8];  // "HRAWBUF1"
  uint32_t cupti_api_version;
  uint32_t pointer_size;
  uint64_t record_bytes;
  uint64_t strings_bytes;
  // Bit 0 (kRawBlockForced): the buffer came back from a forced flush.
  // Other bits 0.
  uint64_t flags;
};
inline constexpr uint64_t kRawBlockForced = 1;
static_assert(sizeof(RawBlockHeader) == 40);

inline constexpr char kBlockMagic[8] = {'H', 'R', 'A', 'W', 'B', 'U', 'F', '1'};

inline void** slot(const char** field) { return reinterpret_cast<void**>(const_cast<char**>(field)); }

// Calls fn(pointer_field, blob_length) for every pointer field of a record.
// blob_length: 0 = NUL-terminated string, >0 = fixed-size blob, -1 = drop.
template <typename Fn>
void for_each_pointer(CUpti_Activity* record, Fn&& fn) {
  switch (record->kind) {
    case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL:
    case CUPTI_ACTIVITY_KIND_KERNEL: {
      auto* r = reinterpret_cast<CUpti_ActivityKernel10*>(record);
      fn(slot(&r->name), 0);
      fn(&r->reserved0, -1);
      fn(reinterpret_cast<void**>(&r->pAccessPolicyWindow), -1);
      break;
    }
    case CUPTI_ACTIVITY_KIND_MEMCPY: fn(&reinterpret_cast<CUpti_ActivityMemcpy6*>(record)->reserved0, -1); break;
    case CUPTI_ACTIVITY_KIND_MEMCPY2: fn(&reinterpret_cast<CUpti_ActivityMemcpyPtoP4*>(record)->reserved0, -1); break;
    case CUPTI_ACTIVITY_KIND_MEMSET: fn(&reinterpret_cast<CUpti_ActivityMemset4*>(record)->reserved0, -1); break;
    case CUPTI_ACTIVITY_KIND_CUDA_EVENT: fn(&reinterpret_cast<CUpti_ActivityCudaEvent2*>(record)->reserved0, -1); break;
    case CUPTI_ACTIVITY_KIND_DEVICE:
      fn(slot(&reinterpret_cast<CUpti_ActivityDevice5*>(record)->name), 0);
      break;
    case CUPTI_ACTIVITY_KIND_MARKER: {
      auto* r = reinterpret_cast<CUpti_ActivityMarker2*>(record);
      fn(slot(&r->name), 0);
      fn(slot(&r->domain), 0);
      break;
    }
    case CUPTI_ACTIVITY_KIND_NAME:
      fn(slot(&reinterpret_cast<CUpti_ActivityName*>(record)->name), 0);
      break;
    case CUPTI_ACTIVITY_KIND_OVERHEAD: {
      auto* r = reinterpret_cast<CUpti_ActivityOverhead3*>(record);
      fn(&r->overheadData, r->overheadKind == CUPTI_ACTIVITY_OVERHEAD_COMMAND_BUFFER_FULL
                               ? static_cast<int>(sizeof(CUpti_ActivityOverheadCommandBufferFullData))
                               : -1);
      break;
    }
    default: break;
  }
}

}  // namespace holdup::inject
