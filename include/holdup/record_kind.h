#pragma once
// The kinds of records a trace holds (one per repeated field of the schema's
// Chunk), with the short names the command line, the reports and the
// exports use for them ("kernel", "memcpy", ...). A verdict's record
// reference (holdup/analysis.h RecordRef) names its record by one of these.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

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

// Work that ran on a GPU: a kernel, a copy or a memset.
constexpr bool is_gpu_work(RecordKind kind) {
  return kind == RecordKind::kernel || kind == RecordKind::memcpy || kind == RecordKind::memset;
}

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

}  // namespace holdup
