#include "trace/record_text.h"

#include <fmt/format.h>

namespace holdup {
namespace {

// "dev 0 ctx 1 stream 13"
std::string where(uint32_t device, uint32_t context, uint32_t stream) {
  return fmt::format("dev {} ctx {} stream {}", device, context, stream);
}

// "ch 2 COMPUTE"
std::string channel(uint32_t id, proto::ChannelType type) {
  return fmt::format("ch {} {}", id, channel_type_name(type));
}

std::string quoted_name(const InternedStrings& strings, uint64_t iid) {
  if (iid == 0) return "-";
  auto name = strings.get(iid);
  if (name.empty()) return fmt::format("<string {}>", iid);
  return std::string(name);
}

std::string graph_suffix(uint32_t graph_id, uint64_t node_id) {
  return graph_id ? fmt::format("  graph {} node {}", graph_id, node_id) : std::string();
}

// Cut in flight by a forced flush (RecorderHealth.incomplete_records).
const char* incomplete_suffix(bool incomplete) { return incomplete ? "  incomplete" : ""; }

// Marker flag bits (CUpti_ActivityFlag): instantaneous, start, end, ...
std::string marker_flags(uint32_t flags) {
  std::string text;
  auto add = [&](uint32_t bit, const char* name) {
    if (flags & bit) text += text.empty() ? name : std::string("|") + name;
  };
  add(1u << 0, "instant");
  add(1u << 1, "start");
  add(1u << 2, "end");
  add(1u << 3, "sync-acquire");
  add(1u << 4, "sync-acquire-success");
  add(1u << 5, "sync-acquire-failed");
  add(1u << 6, "sync-release");
  return text.empty() ? fmt::format("flags {:#x}", flags) : text;
}

const char* object_kind_name(uint32_t kind) {
  switch (kind) {
    case 1: return "process";
    case 2: return "thread";
    case 3: return "device";
    case 4: return "context";
    case 5: return "stream";
    default: return "object";
  }
}

std::string object(uint32_t kind, uint32_t process, uint32_t thread, uint32_t device, uint32_t context,
                   uint32_t stream) {
  switch (kind) {
    case 1: return fmt::format("pid {}", process);
    case 2: return fmt::format("pid {} tid {}", process, thread);
    case 3: return fmt::format("dev {}", device);
    case 4: return fmt::format("dev {} ctx {}", device, context);
    case 5: return where(device, context, stream);
    case 0: return "-";
    default: return object_kind_name(kind);
  }
}

}  // namespace

double interval_us(uint64_t from_ns, uint64_t to_ns) {
  // Subtract as integers: a double holds a 1.7e18 ns timestamp only to ~256 ns.
  return static_cast<double>(static_cast<int64_t>(to_ns - from_ns)) / 1e3;
}


std::string format_interval_us(uint64_t start_ns, uint64_t end_ns) {
  if (start_ns == 0 || end_ns == 0) return "? us";
  return fmt::format("{:.3f} us", interval_us(start_ns, end_ns));
}

namespace {

// One kernel record as a listing line.
constexpr auto kernel_line = [](const auto& k, [[maybe_unused]] const InternedStrings& strings) -> RecordLine {
  std::string latency;
  if (k.queued_ns() && k.start_ns()) {
    latency = fmt::format("  queued {:.3f} us before start", interval_us(k.queued_ns(), k.start_ns()));
  }
  return RecordLine{k.start_ns(), RecordKind::kernel, k.stream_id(),
       fmt::format("{}  {}  corr {}  dur {}  {}  grid {}x{}x{} block {}x{}x{}{}{}{}", where(k.device_id(), k.context_id(), k.stream_id()),
                   channel(k.channel_id(), k.channel_type()), k.correlation_id(),
                   format_interval_us(k.start_ns(), k.end_ns()), quoted_name(strings, k.name_iid()), k.grid_x(),
                   k.grid_y(), k.grid_z(), k.block_x(), k.block_y(), k.block_z(), latency,
                   graph_suffix(k.graph_id(), k.graph_node_id()), incomplete_suffix(k.incomplete()))};
};

// One memcpy record as a listing line.
constexpr auto memcpy_line = [](const auto& m, [[maybe_unused]] const InternedStrings& strings) -> RecordLine {
  std::string what = m.is_peer() ? fmt::format("{} dev {}->{}", copy_kind_name(m.copy_kind()), m.src_device_id(), m.dst_device_id())
                                 : fmt::format("{} {}->{}", copy_kind_name(m.copy_kind()), memory_kind_name(m.src_kind()),
                                               memory_kind_name(m.dst_kind()));
  return RecordLine{m.start_ns(), RecordKind::memcpy, m.stream_id(),
       fmt::format("{}  {}  corr {}  dur {}  {}  {}{}{}{}{}", where(m.device_id(), m.context_id(), m.stream_id()),
                   channel(m.channel_id(), m.channel_type()), m.correlation_id(),
                   format_interval_us(m.start_ns(), m.end_ns()), what, format_bytes(m.bytes()),
                   (m.flags() & 1u) ? "  async" : "  sync",
                   m.copy_count() > 1 ? fmt::format("  batch of {}", m.copy_count()) : std::string(),
                   graph_suffix(m.graph_id(), m.graph_node_id()), incomplete_suffix(m.incomplete()))};
};

// One memset record as a listing line.
constexpr auto memset_line = [](const auto& m, [[maybe_unused]] const InternedStrings& strings) -> RecordLine {
  return RecordLine{m.start_ns(), RecordKind::memset, m.stream_id(),
       fmt::format("{}  {}  corr {}  dur {}  {} {} value {:#x}{}{}", where(m.device_id(), m.context_id(), m.stream_id()),
                   channel(m.channel_id(), m.channel_type()), m.correlation_id(),
                   format_interval_us(m.start_ns(), m.end_ns()), memory_kind_name(m.memory_kind()),
                   format_bytes(m.bytes()), m.value(), graph_suffix(m.graph_id(), m.graph_node_id()),
                   incomplete_suffix(m.incomplete()))};
};

// One api record as a listing line.
constexpr auto api_line = [](const auto& a, [[maybe_unused]] const InternedStrings& strings) -> RecordLine {
  const char* domain = a.domain() == proto::ApiCall::DRIVER ? "driver" : a.domain() == proto::ApiCall::RUNTIME ? "runtime" : "api";
  return RecordLine{a.start_ns(), RecordKind::api, -1,
       fmt::format("{} {}  tid {}  corr {}  dur {}{}", domain,
                   a.name_iid() ? quoted_name(strings, a.name_iid()) : fmt::format("cbid {}", a.cbid()), a.thread_id(),
                   a.correlation_id(), format_interval_us(a.start_ns(), a.end_ns()),
                   a.return_value() ? fmt::format("  returned {}", a.return_value()) : std::string())};
};

// One sync record as a listing line.
constexpr auto sync_line = [](const auto& s, [[maybe_unused]] const InternedStrings& strings) -> RecordLine {
  return RecordLine{s.start_ns(), RecordKind::sync, s.stream_id(),
       fmt::format("{}  ctx {} stream {}  corr {}  dur {}  event {} sync-id {}", synchronization_type_name(s.type()),
                   s.context_id(), s.stream_id(), s.correlation_id(), format_interval_us(s.start_ns(), s.end_ns()),
                   s.cuda_event_id(), s.cuda_event_sync_id())};
};

// One event record as a listing line.
constexpr auto event_line = [](const auto& e, [[maybe_unused]] const InternedStrings& strings) -> RecordLine {
  return RecordLine{e.device_timestamp_ns(), RecordKind::event, e.stream_id(),
       fmt::format("{}  corr {}  event {} sync-id {}", where(e.device_id(), e.context_id(), e.stream_id()),
                   e.correlation_id(), e.event_id(), e.cuda_event_sync_id())};
};

// One overhead record as a listing line.
constexpr auto overhead_line = [](const auto& o, [[maybe_unused]] const InternedStrings& strings) -> RecordLine {
  return RecordLine{o.start_ns(), RecordKind::overhead, o.object_kind() == 5 ? int64_t{o.stream_id()} : -1,
       fmt::format("{}  {}  corr {}  dur {}{}", overhead_kind_name(o.kind()),
                   object(o.object_kind(), o.process_id(), o.thread_id(), o.device_id(), o.context_id(), o.stream_id()),
                   o.correlation_id(), format_interval_us(o.start_ns(), o.end_ns()),
                   o.channel_id() || o.channel_type() ? "  " + channel(o.channel_id(), o.channel_type()) : std::string())};
};

// One marker record as a listing line.
constexpr auto marker_line = [](const auto& m, [[maybe_unused]] const InternedStrings& strings) -> RecordLine {
  return RecordLine{m.timestamp_ns(), RecordKind::marker, m.object_kind() == 5 ? int64_t{m.stream_id()} : -1,
       fmt::format("{} \"{}\"  id {}  {}{}", marker_flags(m.flags()), strings.get(m.name_iid()), m.id(),
                   object(m.object_kind(), m.process_id(), m.thread_id(), m.device_id(), m.context_id(), m.stream_id()),
                   m.domain_iid() ? fmt::format("  domain \"{}\"", strings.get(m.domain_iid())) : std::string())};
};

// One launch record as a listing line.
constexpr auto launch_line = [](const auto& l, [[maybe_unused]] const InternedStrings& strings) -> RecordLine {
  return RecordLine{l.api_enter_ns(), RecordKind::launch, -1,
       fmt::format("{}  tid {}  ctx {}  corr {}  function {:#x}{}", quoted_name(strings, l.function_name_iid()),
                   l.thread_id(), l.context_id(), l.correlation_id(), l.function_handle(),
                   l.first_launch() ? "  first launch" : "")};
};

// One event_call record as a listing line.
constexpr auto event_call_line = [](const auto& c, [[maybe_unused]] const InternedStrings& strings) -> RecordLine {
  return RecordLine{c.time_ns(), RecordKind::event_call, c.stream_id(),
       fmt::format("{} {}  tid {}  ctx {} stream {}  corr {}  event {:#x}",
                   c.domain() == proto::ApiCall::DRIVER ? "driver" : "runtime",
                   proto::EventCall::Kind_Name(c.kind()), c.thread_id(), c.context_id(), c.stream_id(),
                   c.correlation_id(), c.event_handle())};
};

// One module record as a listing line.
constexpr auto module_line = [](const auto& m, [[maybe_unused]] const InternedStrings& strings) -> RecordLine {
  const auto* kind = proto::ModuleEvent::Kind_descriptor()->FindValueByNumber(m.kind());
  return RecordLine{m.time_ns(), RecordKind::module, -1,
       fmt::format("{}  ctx {}  id {}  tid {}{}", kind ? kind->name() : std::to_string(m.kind()), m.context_id(),
                   m.object_id(), m.thread_id(), m.size_bytes() ? "  " + format_bytes(m.size_bytes()) : std::string())};
};

// One stream record as a listing line.
constexpr auto stream_line = [](const auto& s, [[maybe_unused]] const InternedStrings& strings) -> RecordLine {
  const char* flag = s.flag() == 2 ? "non-blocking" : s.flag() == 1 ? "blocking" : "flag ?";
  return RecordLine{0, RecordKind::stream, s.stream_id(),
       fmt::format("ctx {} stream {}  {}  priority {}  corr {}", s.context_id(), s.stream_id(), flag, s.priority(),
                   s.correlation_id())};
};

// One device record as a listing line.
constexpr auto device_line = [](const auto& d, [[maybe_unused]] const InternedStrings& strings) -> RecordLine {
  return RecordLine{0, RecordKind::device, -1,
       fmt::format("dev {}  {}  sm_{}{}  {} SMs  {} copy engines  {}  uuid {}{}", d.id(), d.name(),
                   d.compute_capability_major(), d.compute_capability_minor(), d.num_multiprocessors(),
                   d.num_memcpy_engines(), format_bytes(d.global_memory_size()), d.uuid().empty() ? "-" : d.uuid(),
                   d.is_mig_enabled() ? "  MIG" : "")};
};

// One context record as a listing line.
constexpr auto context_line = [](const auto& c, [[maybe_unused]] const InternedStrings& strings) -> RecordLine {
  return RecordLine{0, RecordKind::context, -1,
       fmt::format("ctx {}  dev {}  null stream {}{}", c.context_id(), c.device_id(), c.null_stream_id(),
                   c.is_green_context() ? fmt::format("  green context, {} SMs, parent ctx {}", c.num_multiprocessors(),
                                                      c.parent_context_id())
                                        : std::string())};
};

// One thread record as a listing line.
constexpr auto thread_line = [](const auto& t, [[maybe_unused]] const InternedStrings& strings) -> RecordLine {
  const char* source = t.source() == proto::ThreadName::NVTX ? "nvtx" : t.source() == proto::ThreadName::PROC_COMM ? "comm" : "?";
  return RecordLine{0, RecordKind::thread, -1, fmt::format("tid {}  \"{}\"  ({})", t.thread_id(), strings.get(t.name_iid()), source)};
};

// One string record as a listing line.
constexpr auto string_line = [](const auto& s, [[maybe_unused]] const InternedStrings& strings) -> RecordLine {
  return RecordLine{0, RecordKind::string, -1, fmt::format("iid {}  \"{}\"", s.iid(), s.value())};
};

// One clock record as a listing line.
constexpr auto clock_line = [](const auto& c, [[maybe_unused]] const InternedStrings& strings) -> RecordLine {
  return RecordLine{c.cupti_ns(), RecordKind::clock, -1,
       fmt::format("cupti {}  realtime {}  monotonic {}", c.cupti_ns(), c.realtime_ns(), c.monotonic_ns())};
};

// One note record as a listing line.
constexpr auto note_line = [](const auto& n, [[maybe_unused]] const InternedStrings& strings) -> RecordLine {
  const auto* severity = proto::Note::Severity_descriptor()->FindValueByNumber(n.severity());
  return RecordLine{n.time_ns(), RecordKind::note, -1,
       fmt::format("{} {}: {}", severity ? severity->name() : "NOTE", n.code(), n.message())};
};

}  // namespace

void describe_chunk(const proto::Chunk& chunk, const InternedStrings& strings, const RecordKindMask& kinds,
                    std::vector<RecordLine>* lines) {
  const auto add = [&](RecordKind kind, const auto& records, const auto& line_of) {
    if (!kinds[static_cast<size_t>(kind)]) return;
    for (const auto& r : records) lines->push_back(line_of(r, strings));
  };
  add(RecordKind::kernel, chunk.kernel(), kernel_line);
  add(RecordKind::memcpy, chunk.memcpy(), memcpy_line);
  add(RecordKind::memset, chunk.memset(), memset_line);
  add(RecordKind::api, chunk.api(), api_line);
  add(RecordKind::sync, chunk.synchronization(), sync_line);
  add(RecordKind::event, chunk.cuda_event(), event_line);
  add(RecordKind::overhead, chunk.overhead(), overhead_line);
  add(RecordKind::marker, chunk.marker(), marker_line);
  add(RecordKind::launch, chunk.launch(), launch_line);
  add(RecordKind::event_call, chunk.event_call(), event_call_line);
  add(RecordKind::module, chunk.module(), module_line);
  add(RecordKind::stream, chunk.stream(), stream_line);
  add(RecordKind::device, chunk.device(), device_line);
  add(RecordKind::context, chunk.context(), context_line);
  add(RecordKind::thread, chunk.thread_name(), thread_line);
  add(RecordKind::string, chunk.string(), string_line);
  add(RecordKind::clock, chunk.clock(), clock_line);
  add(RecordKind::note, chunk.note(), note_line);
}

}  // namespace holdup
