// `holdup info TRACE...`: who wrote each trace, what it holds, and what was
// lost. One pass per file (trace_summary.h). Exit 2 when a file cannot be
// read (missing, not a trace, corrupt); a torn tail alone is a warning.

#include <google/protobuf/util/json_util.h>

#include <string.h>

#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <fmt/format.h>

#include "trace/record_text.h"
#include "trace/recorder_health.h"
#include "trace/trace_summary.h"
#include "verb.h"
#include "holdup/trace.pb.h"

namespace holdup::cli {
namespace {

constexpr int kExitUnreadable = 2;

std::string join(const google::protobuf::RepeatedPtrField<std::string>& parts, const char* separator) {
  std::string text;
  for (const auto& part : parts) text += (text.empty() ? "" : separator) + part;
  return text;
}

std::string map_text(const google::protobuf::Map<std::string, std::string>& map) {
  std::vector<std::string> items;
  for (const auto& [key, value] : map) items.push_back(key + "=" + value);
  std::sort(items.begin(), items.end());  // protobuf maps have no order
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : " ") + item;
  return text.empty() ? "(none set)" : text;
}

// 13000 -> "13.0"
std::string cuda_version(uint32_t version) {
  if (version == 0) return "?";
  return fmt::format("{}.{}", version / 1000, (version % 1000) / 10);
}

std::string utc_time(uint64_t unix_ns) {
  if (unix_ns == 0) return "?";
  std::time_t seconds = static_cast<std::time_t>(unix_ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return fmt::format("{}.{:03d} UTC", text, static_cast<int>(unix_ns / 1'000'000 % 1000));
}

const char* yes_no(bool value) { return value ? "yes" : "no"; }

// "SIGTERM (15)"
std::string signal_text(uint32_t signal) {
  const char* abbrev = ::sigabbrev_np(static_cast<int>(signal));
  return abbrev ? fmt::format("SIG{} ({})", abbrev, signal) : fmt::format("signal {}", signal);
}

// Recorders before 2026-12-07 read the open kernel module's line as "for".
std::string driver_version_text(const std::string& recorded) {
  if (recorded.empty()) return "?";
  if (recorded.find_first_of("0123456789") == std::string::npos)
    return fmt::format("? (\"{}\": misread by an older recorder)", recorded);
  return recorded;
}

void print_header(const proto::ProcessHeader& h) {
  fmt::print("  process: pid {} (parent {}) on {}\n", h.pid(), h.parent_pid(), h.hostname().empty() ? "?" : h.hostname());
  fmt::print("  command: {}\n", h.command_line().empty() ? "?" : join(h.command_line(), " "));
  fmt::print("  started: {}\n", utc_time(h.start_time_unix_ns()));
  fmt::print("  versions: holdup {}, format {}, driver {} (CUDA {}), runtime {}, CUPTI API {} (built with {})\n",
             h.tool_version().empty() ? "?" : h.tool_version(), h.format_version(),
             driver_version_text(h.driver_version_string()), cuda_version(h.cuda_driver_version()),
             cuda_version(h.cuda_runtime_version()), h.cupti_api_version(), h.cupti_build_api_version());
  fmt::print("  clock: {}\n", h.cupti_clock().empty() ? "?" : h.cupti_clock());
  for (const auto& d : h.device_identity()) {
    fmt::print("  device {}: {}  uuid {}  pci {}\n", d.ordinal(), d.name(), d.uuid().empty() ? "?" : d.uuid(),
               d.pci_bus_id().empty() ? "?" : d.pci_bus_id());
  }
  if (h.device_identity().empty()) fmt::print("  devices: none recorded\n");
  fmt::print("  scheduling env: {}\n", map_text(h.scheduling_env()));
  if (!h.rank_env().empty()) fmt::print("  rank env: {}\n", map_text(h.rank_env()));
  const auto& c = h.config();
  fmt::print("  config: flush every {} ms, {} buffers of {}, per-thread buffers {}, start delay {} ms, duration {}, "
             "size cap {}, profiler API range {}\n",
             c.flush_period_ms(), c.buffer_count(), format_bytes(c.buffer_size_bytes()), yes_no(c.per_thread_buffers()),
             c.start_delay_ms(), c.duration_ms() ? fmt::format("{} ms", c.duration_ms()) : "until exit",
             c.size_cap_bytes() ? format_bytes(c.size_cap_bytes()) : "none", yes_no(c.profiler_api_range()));
  fmt::print("  enabled kinds: {}\n", c.enabled_kinds().empty() ? "?" : join(c.enabled_kinds(), ","));
  for (const auto& left_out : not_recorded(c)) fmt::print("  not recorded (settings): {}\n", left_out);
  fmt::print("  endings: loss bound {}; final flush on {}\n",
             c.max_loss_ms() ? fmt::format("{} ms", c.max_loss_ms()) : "none",
             c.final_flush_signals().empty() ? "exit only" : "exit, " + join(c.final_flush_signals(), ", "));
}

void print_counts(const TraceSummary& s) {
  std::string counts;
  for (RecordKind kind : all_record_kinds()) {
    if (s.count(kind) == 0) continue;
    counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", record_kind_name(kind), s.count(kind));
  }
  fmt::print("  records: {}\n", counts.empty() ? "none" : counts);
  fmt::print("  copies: {} ({} memcpy, {} peer, {} moved; {} memset)\n", s.copies(), s.count(RecordKind::memcpy),
             s.peer_copies, format_bytes(s.copy_bytes), s.count(RecordKind::memset));
  if (s.first_ns) {
    fmt::print("  time span: {:.3f} ms (first {} ns, last {} ns)\n", interval_us(s.first_ns, s.last_ns) / 1e3,
               s.first_ns, s.last_ns);
  } else {
    fmt::print("  time span: no timed records\n");
  }
  if (s.gpu_first_ns && s.gpu_last_ns) {
    fmt::print("  GPU work: {:.3f} ms (first start {} ns, last end {} ns)\n",
               interval_us(s.gpu_first_ns, s.gpu_last_ns) / 1e3, s.gpu_first_ns, s.gpu_last_ns);
  }
}

void print_health(const TraceSummary& s) {
  const auto& h = s.health;
  fmt::print("  health: {} records written, {} dropped, {} zero-timestamp, {} unknown\n", h.records(),
             h.dropped_records(), h.zero_timestamp_records(), h.unknown_records());
  for (const auto& d : h.dropped()) {
    fmt::print("    dropped in ctx {} stream {}: {}\n", d.context_id(), d.stream_id(), d.count());
  }
  fmt::print("  buffers: {} requested, {} completed, {} denied; {} callback events dropped\n", h.buffers_requested(),
             h.buffers_completed(), h.buffers_denied(), h.callback_events_dropped());
  fmt::print("  other subscriber: {}, activity callbacks lost: {}, capture stopped: {}\n", yes_no(h.other_subscriber()),
             yes_no(h.activity_callbacks_lost()), yes_no(h.capture_stopped()));
  std::string kinds;
  for (const auto& k : h.incomplete()) kinds += fmt::format("{}{} {}", kinds.empty() ? " (" : ", ", k.count(), k.kind());
  if (!kinds.empty()) kinds += ")";
  fmt::print("  flushes: {} forced, {} incomplete records{}, {} buffers cut short; ended: {}\n", h.forced_flushes(),
             h.incomplete_records(), kinds, h.buffers_cut_short(),
             h.final_flush_signal() ? fmt::format("by {} after a final flush", signal_text(h.final_flush_signal()))
             : h.final_chunk()      ? std::string("final flush at exit")
                                    : std::string("no final chunk (killed, or still running)"));
  fmt::print("  file: {} chunks, {} bytes read, torn tail: {}, sequence gaps: {}, chunks failed: {}\n", s.read.chunks,
             s.read.bytes, s.read.torn_tail ? fmt::format("yes ({} bytes)", s.read.torn_bytes) : "no",
             s.read.sequence_gaps, h.chunks_failed());
  fmt::print("  checksums: {}\n",
             s.read.verified_chunks > 0 || s.read.damaged_chunks > 0
                 ? fmt::format("{} chunks verified, {} damaged ({} bytes skipped)", s.read.verified_chunks,
                               s.read.damaged_chunks, s.read.damaged_bytes)
                 : std::string("none (a recorder from before 2026-12-07): chunks read unverified"));
}

void print_notes(const TraceSummary& s) {
  if (s.notes.empty()) return;
  fmt::print("  notes:\n");
  for (const auto& n : s.notes) {
    const auto* severity = proto::Note::Severity_descriptor()->FindValueByNumber(n.severity());
    std::string when = n.time_ns() && s.first_ns ? fmt::format(" (at {:+.3f} ms)", interval_us(s.first_ns, n.time_ns()) / 1e3) : "";
    fmt::print("    {} {}: {}{}\n", severity ? severity->name() : "NOTE", n.code(), n.message(), when);
  }
  if (s.notes_omitted) fmt::print("    ... {} more notes not shown\n", s.notes_omitted);
}

void print_text(const TraceSummary& s) {
  fmt::print("trace: {}\n", s.path);
  if (s.has_header) print_header(s.header);
  if (s.read.chunks > 0) {
    print_counts(s);
    print_health(s);
    print_notes(s);
  }
  auto warnings = trace_warnings(s);
  for (const auto& w : warnings) fmt::print("WARNING: {}\n", w);
  if (warnings.empty()) fmt::print("  complete: nothing lost\n");
}

nlohmann::json message_json(const google::protobuf::Message& message) {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  if (!google::protobuf::util::MessageToJsonString(message, &text, options).ok()) return nullptr;
  return nlohmann::json::parse(text, nullptr, false);
}

nlohmann::json summary_json(const TraceSummary& s) {
  nlohmann::json j;
  j["path"] = s.path;
  j["ok"] = s.ok();
  if (!s.ok()) j["error"] = s.error();
  if (s.has_header) j["header"] = message_json(s.header);
  nlohmann::json counts = nlohmann::json::object();
  for (RecordKind kind : all_record_kinds()) counts[std::string(record_kind_name(kind))] = s.count(kind);
  j["counts"] = counts;
  j["copies"] = s.copies();
  j["peer_copies"] = s.peer_copies;
  j["copy_bytes"] = s.copy_bytes;
  j["first_ns"] = s.first_ns;
  j["last_ns"] = s.last_ns;
  j["gpu_first_ns"] = s.gpu_first_ns;
  j["gpu_last_ns"] = s.gpu_last_ns;
  j["health"] = message_json(s.health);
  j["chunks"] = s.read.chunks;
  j["bytes"] = s.read.bytes;
  j["torn_tail"] = s.read.torn_tail;
  j["torn_bytes"] = s.read.torn_bytes;
  j["sequence_gaps"] = s.read.sequence_gaps;
  j["verified_chunks"] = s.read.verified_chunks;
  j["damaged_chunks"] = s.read.damaged_chunks;
  j["damaged_bytes"] = s.read.damaged_bytes;
  nlohmann::json notes = nlohmann::json::array();
  for (const auto& n : s.notes) notes.push_back(message_json(n));
  j["notes"] = notes;
  j["warnings"] = trace_warnings(s);
  j["not_recorded"] = s.has_header ? not_recorded(s.header.config()) : std::vector<std::string>{};
  return j;
}

void setup_info(CLI::App& app, int& exit_code) {
  auto* verb = app.add_subcommand("info", "Show who wrote a trace, what it holds and what was lost");
  auto traces = std::make_shared<std::vector<std::string>>();
  auto json = std::make_shared<bool>(false);
  verb->add_option("TRACE", *traces, "Trace files (holdup-*.trace)")->required();
  verb->add_flag("--json", *json, "Print one JSON array with an object per trace");
  verb->footer("Exit status: 0, or 2 when a file cannot be read (missing, not a trace, corrupt).\n"
               "A torn last chunk (process killed while writing) is a warning, not an error.");
  verb->callback([traces, json, &exit_code] {
    exit_code = 0;
    nlohmann::json all = nlohmann::json::array();
    bool first = true;
    for (const auto& path : *traces) {
      TraceSummary summary = summarize_trace(path);
      if (!summary.ok()) {
        exit_code = kExitUnreadable;
        std::cerr << "holdup info: " << summary.error() << "\n";
      }
      if (*json) {
        all.push_back(summary_json(summary));
        continue;
      }
      if (!summary.ok() && summary.read.chunks == 0) continue;  // nothing to show beyond the error
      if (!first) fmt::print("\n");
      first = false;
      print_text(summary);
    }
    if (*json) std::cout << all.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    std::cout.flush();
  });
}

}  // namespace
}  // namespace holdup::cli

HOLDUP_REGISTER_VERB(info, 20, holdup::cli::setup_info);
