#include "holdup/record_kind.h"

namespace holdup {
namespace {

struct KindName {
  RecordKind kind;
  std::string_view name;
  // Other spellings accepted on the command line.
  std::string_view alias1;
  std::string_view alias2;
};

constexpr std::array<KindName, kRecordKindCount> kKindNames{{
    {RecordKind::kernel, "kernel", "kernels", ""},
    {RecordKind::memcpy, "memcpy", "memcpys", "copy"},
    {RecordKind::memset, "memset", "memsets", ""},
    {RecordKind::api, "api", "apis", "api_call"},
    {RecordKind::sync, "sync", "synchronization", "syncs"},
    {RecordKind::event, "event", "cuda_event", "events"},
    {RecordKind::overhead, "overhead", "overheads", ""},
    {RecordKind::marker, "marker", "markers", "nvtx"},
    {RecordKind::launch, "launch", "launches", ""},
    {RecordKind::event_call, "event-call", "event_call", "event-calls"},
    {RecordKind::module, "module", "modules", "resource"},
    {RecordKind::stream, "stream", "streams", ""},
    {RecordKind::device, "device", "devices", ""},
    {RecordKind::context, "context", "contexts", ""},
    {RecordKind::thread, "thread", "thread_name", "threads"},
    {RecordKind::string, "string", "strings", ""},
    {RecordKind::clock, "clock", "clocks", ""},
    {RecordKind::note, "note", "notes", ""},
}};

}  // namespace

const std::array<RecordKind, kRecordKindCount>& all_record_kinds() {
  static const auto kinds = [] {
    std::array<RecordKind, kRecordKindCount> result{};
    for (size_t i = 0; i < kRecordKindCount; ++i) result[i] = static_cast<RecordKind>(i);
    return result;
  }();
  return kinds;
}

std::string_view record_kind_name(RecordKind kind) {
  return kKindNames[static_cast<size_t>(kind)].name;
}

std::optional<RecordKind> parse_record_kind(std::string_view name) {
  for (const auto& entry : kKindNames) {
    if (name == entry.name || (!entry.alias1.empty() && name == entry.alias1) ||
        (!entry.alias2.empty() && name == entry.alias2)) {
      return entry.kind;
    }
  }
  return std::nullopt;
}

}  // namespace holdup
