#pragma once
// The kinds of records a trace chunk carries (one per repeated field of
// proto::Chunk), with the short names the command line uses for them
// (`holdup dump --kind kernel,memcpy`, `holdup info`).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "holdup/trace.pb.h"

namespace holdup {

enum class RecordKind : uint8_t {
  kernel,
  memcpy,
  memset,
  api,
  sync,
  event,
  overhead,
  marker,
  launch,
  event_call,
  module,
  stream,
  device,
  context,
  thread,
  string,
  clock,
  note,
};

inline constexpr size_t kRecordKindCount = static_cast<size_t>(RecordKind::note) + 1;

// Every kind, in the order above (GPU work first, then host side, then
// descriptions and bookkeeping).
const std::array<RecordKind, kRecordKindCount>& all_record_kinds();

// "kernel", "memcpy", "memset", "api", "sync", "event", "overhead", "marker",
// "launch", "event-call", "module", "stream", "device", "context", "thread", "string",
// "clock", "note".
std::string_view record_kind_name(RecordKind kind);

// The inverse of record_kind_name; also accepts the proto field names
// ("synchronization", "cuda_event", "thread_name") and plurals ("kernels").
std::optional<RecordKind> parse_record_kind(std::string_view name);

// How many records of `kind` the chunk holds.
size_t record_count(const proto::Chunk& chunk, RecordKind kind);

// Names of the enums the records carry, for listings ("COMPUTE", "DTOD",
// "LAZY_FUNCTION_LOADING", ...); the number for values this build does not
// name.
std::string channel_type_name(proto::ChannelType type);
std::string copy_kind_name(proto::CopyKind kind);
std::string memory_kind_name(proto::MemoryKind kind);
std::string overhead_kind_name(proto::OverheadKind kind);
std::string synchronization_type_name(proto::SynchronizationType type);

}  // namespace holdup
