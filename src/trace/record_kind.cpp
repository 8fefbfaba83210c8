#include "trace/record_kind.h"

#include <string>

namespace holdup {
namespace {

// Enum names from the generated descriptors, falling back to the number for
// values newer than this build (the schema keeps CUPTI's numbers).
template <typename Enum>
std::string enum_name(const google::protobuf::EnumDescriptor* descriptor, Enum value) {
  if (const auto* v = descriptor->FindValueByNumber(static_cast<int>(value))) return v->name();
  return std::to_string(static_cast<int>(value));
}

}  // namespace

size_t record_count(const proto::Chunk& chunk, RecordKind kind) {
  switch (kind) {
    case RecordKind::kernel: return chunk.kernel_size();
    case RecordKind::memcpy: return chunk.memcpy_size();
    case RecordKind::memset: return chunk.memset_size();
    case RecordKind::api: return chunk.api_size();
    case RecordKind::sync: return chunk.synchronization_size();
    case RecordKind::event: return chunk.cuda_event_size();
    case RecordKind::overhead: return chunk.overhead_size();
    case RecordKind::marker: return chunk.marker_size();
    case RecordKind::launch: return chunk.launch_size();
    case RecordKind::event_call: return chunk.event_call_size();
    case RecordKind::module: return chunk.module_size();
    case RecordKind::stream: return chunk.stream_size();
    case RecordKind::device: return chunk.device_size();
    case RecordKind::context: return chunk.context_size();
    case RecordKind::thread: return chunk.thread_name_size();
    case RecordKind::string: return chunk.string_size();
    case RecordKind::clock: return chunk.clock_size();
    case RecordKind::note: return chunk.note_size();
  }
  return 0;
}

std::string channel_type_name(proto::ChannelType type) {
  switch (type) {
    case proto::CHANNEL_TYPE_INVALID: return "-";
    case proto::CHANNEL_TYPE_COMPUTE: return "COMPUTE";
    case proto::CHANNEL_TYPE_ASYNC_MEMCPY: return "ASYNC_MEMCPY";
    case proto::CHANNEL_TYPE_DECOMP: return "DECOMP";
    default: return std::to_string(static_cast<int>(type));
  }
}

std::string copy_kind_name(proto::CopyKind kind) {
  return enum_name(proto::CopyKind_descriptor(), kind);
}

std::string memory_kind_name(proto::MemoryKind kind) {
  return enum_name(proto::MemoryKind_descriptor(), kind);
}

std::string overhead_kind_name(proto::OverheadKind kind) {
  return enum_name(proto::OverheadKind_descriptor(), kind);
}

std::string synchronization_type_name(proto::SynchronizationType type) {
  return enum_name(proto::SynchronizationType_descriptor(), type);
}

}  // namespace holdup
