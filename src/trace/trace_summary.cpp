#include "holdup/trace_summary.h"

#include <algorithm>
#include <limits>

namespace holdup {
namespace {

// Widens [first, last] by a record's time; zero means "not recorded".
class TimeSpan {
 public:
  void add(uint64_t start_ns, uint64_t end_ns) {
    if (start_ns != 0) first_ = std::min(first_, start_ns);
    if (end_ns != 0) last_ = std::max(last_, end_ns);
    if (start_ns != 0) last_ = std::max(last_, start_ns);
    if (end_ns != 0) first_ = std::min(first_, end_ns);
  }
  uint64_t first() const { return first_ == kNone ? 0 : first_; }
  uint64_t last() const { return last_; }

 private:
  static constexpr uint64_t kNone = std::numeric_limits<uint64_t>::max();
  uint64_t first_ = kNone;
  uint64_t last_ = 0;
};

void add_times(const proto::Chunk& chunk, TimeSpan& span) {
  for (const auto& r : chunk.kernel()) span.add(r.start_ns(), r.end_ns());
  for (const auto& r : chunk.memcpy()) span.add(r.start_ns(), r.end_ns());
  for (const auto& r : chunk.memset()) span.add(r.start_ns(), r.end_ns());
  for (const auto& r : chunk.api()) span.add(r.start_ns(), r.end_ns());
  for (const auto& r : chunk.synchronization()) span.add(r.start_ns(), r.end_ns());
  for (const auto& r : chunk.cuda_event()) span.add(r.device_timestamp_ns(), 0);
  for (const auto& r : chunk.overhead()) span.add(r.start_ns(), r.end_ns());
  for (const auto& r : chunk.marker()) span.add(r.timestamp_ns(), 0);
  for (const auto& r : chunk.launch()) span.add(r.api_enter_ns(), 0);
  for (const auto& r : chunk.module()) span.add(r.time_ns(), 0);
}

std::string plural(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// "12 CONCURRENT_KERNEL, 3 MEMCPY"
std::string kind_counts(const proto::RecorderHealth& h) {
  std::string text;
  for (const auto& k : h.incomplete()) text += (text.empty() ? "" : ", ") + std::to_string(k.count()) + " " + k.kind();
  return text;
}

}  // namespace

uint64_t TraceSummary::activity_records() const {
  uint64_t total = 0;
  for (RecordKind kind : {RecordKind::kernel, RecordKind::memcpy, RecordKind::memset, RecordKind::api,
                          RecordKind::sync, RecordKind::event, RecordKind::overhead, RecordKind::marker}) {
    total += count(kind);
  }
  return total;
}

TraceSummary summarize_trace(const std::string& path) {
  TraceSummary summary;
  summary.path = path;
  auto reader = TraceReader::open(path, &summary.open_error);
  if (!reader) return summary;

  proto::Chunk chunk;
  TimeSpan span;
  TimeSpan gpu;
  while (reader->next(&chunk)) {
    if (chunk.has_header() && !summary.has_header) {
      summary.has_header = true;
      summary.header = chunk.header();
    }
    if (chunk.has_health()) summary.health = chunk.health();
    for (const auto& note : chunk.note()) {
      if (summary.notes.size() < TraceSummary::kMaxNotes) {
        summary.notes.push_back(note);
      } else {
        ++summary.notes_omitted;
      }
    }
    for (RecordKind kind : all_record_kinds()) {
      summary.counts[static_cast<size_t>(kind)] += record_count(chunk, kind);
    }
    for (const auto& copy : chunk.memcpy()) {
      summary.copy_bytes += copy.bytes();
      if (copy.is_peer()) ++summary.peer_copies;
      if (copy.incomplete()) ++summary.incomplete_gpu_records;
    }
    for (const auto& k : chunk.kernel()) summary.incomplete_gpu_records += k.incomplete() ? 1 : 0;
    for (const auto& m : chunk.memset()) summary.incomplete_gpu_records += m.incomplete() ? 1 : 0;
    add_times(chunk, span);
    for (const auto& r : chunk.kernel()) gpu.add(r.start_ns(), r.end_ns());
    for (const auto& r : chunk.memcpy()) gpu.add(r.start_ns(), r.end_ns());
    for (const auto& r : chunk.memset()) gpu.add(r.start_ns(), r.end_ns());
  }
  summary.read = reader->status();
  summary.first_ns = span.first();
  summary.last_ns = span.last();
  summary.gpu_first_ns = gpu.first();
  summary.gpu_last_ns = gpu.last();
  return summary;
}

std::vector<std::string> trace_warnings(const TraceSummary& s) {
  std::vector<std::string> out;
  if (!s.ok()) {
    out.push_back(s.error());
    if (s.read.chunks == 0) return out;
  }
  const auto& h = s.health;
  if (s.read.torn_tail) {
    out.push_back("the last chunk is torn (" + plural(s.read.torn_bytes, "byte", "bytes") +
                  " not decoded): the process ended while the recorder was writing (killed?); "
                  "everything before byte " + std::to_string(s.read.bytes) + " was read");
  }
  if (s.read.sequence_gaps > 0 || h.chunks_failed() > 0) {
    out.push_back(plural(std::max(s.read.sequence_gaps, h.chunks_failed()), "chunk", "chunks") +
                  " missing (the recorder could not write them: disk full, size cap?): their records are lost");
  }
  for (const auto& warning : s.read.warnings) out.push_back(warning);
  if (h.other_subscriber()) {
    out.push_back("another CUPTI client (Nsight Systems, Nsight Compute, compute-sanitizer, "
                  "torch.profiler, ...) held CUPTI: the recorder could not subscribe; run without it");
  }
  if (h.activity_callbacks_lost()) {
    out.push_back("another CUPTI client took over the activity buffers during the run (e.g. "
                  "torch.profiler started): records stop there; disable that profiler");
  }
  if (h.dropped_records() > 0) {
    std::string where;
    for (const auto& d : h.dropped()) {
      where += (where.empty() ? " (" : ", ") + std::string("context ") + std::to_string(d.context_id()) +
               (d.stream_id() ? " stream " + std::to_string(d.stream_id()) : "") + ": " +
               std::to_string(d.count());
    }
    if (!where.empty()) where += ")";
    out.push_back("CUPTI dropped " + plural(h.dropped_records(), "record", "records") + where +
                  ": a copy's or kernel's record may be missing; raise the buffer size or flush more often (--flush-ms)");
  }
  if (h.buffers_denied() > 0) {
    out.push_back(plural(h.buffers_denied(), "activity buffer request", "activity buffer requests") +
                  " denied (pool empty): CUPTI dropped the records it could not store; flush more often");
  }
  if (h.buffers_requested() > h.buffers_completed() && s.read.chunks > 0) {
    const uint32_t bound = s.header.config().max_loss_ms();
    out.push_back(plural(h.buffers_requested() - h.buffers_completed(), "activity buffer", "activity buffers") +
                  " never came back from CUPTI by the last chunk: the process may have ended without a "
                  "final flush (_exit, killed); their records are missing" +
                  (bound > 0 && !h.final_chunk()
                       ? " (the recorder forces buffers back when none came back for " + std::to_string(bound) +
                             " ms: at most about that much recording time before the end is missing)"
                       : std::string()));
  }
  if (h.incomplete_records() > 0 || s.incomplete_gpu_records > 0) {
    const uint64_t n = std::max(h.incomplete_records(), s.incomplete_gpu_records);
    const std::string kinds = kind_counts(h);
    out.push_back(plural(n, "record", "records") + " incomplete" + (kinds.empty() ? "" : " (" + kinds + ")") +
                  ": work in flight when a forced flush or the final flush took its buffer (no start or end); "
                  "kept in the trace, left out of the analysis");
  }
  if (h.buffers_cut_short() > 0) {
    out.push_back(plural(h.buffers_cut_short(), "activity buffer", "activity buffers") +
                  " could not be read to the end (CUPTI reported a record incomplete or invalid): " +
                  plural(h.unread_bytes(), "byte", "bytes") + " of records after it are lost");
  }
  if (h.zero_timestamp_records() > 0) {
    out.push_back(plural(h.zero_timestamp_records(), "record", "records") +
                  " with a zero timestamp (CUPTI ran out of device buffers): they are kept but cannot be placed in time");
  }
  if (h.unknown_records() > 0) {
    out.push_back(plural(h.unknown_records(), "record", "records") +
                  " of kinds or layouts this recorder does not decode were skipped (a newer CUPTI?)");
  }
  if (h.callback_events_dropped() > 0) {
    out.push_back(plural(h.callback_events_dropped(), "callback event", "callback events") +
                  " (launches, module loads) dropped: first-launch evidence may be missing");
  }
  if (h.capture_stopped()) {
    out.push_back("capture stopped early (size cap or duration): later work is not in the trace");
  }
  if (s.ok() && s.read.chunks > 0 && s.activity_records() == 0) {
    out.push_back("no activity records: the process may not have used CUDA, or ended before a flush (_exit?)");
  }
  return out;
}

std::vector<std::string> trace_warning_tags(const TraceSummary& s) {
  std::vector<std::string> tags;
  const auto& h = s.health;
  if (!s.ok()) tags.push_back("unreadable");
  if (s.read.torn_tail) tags.push_back("torn tail");
  if (s.read.sequence_gaps > 0 || h.chunks_failed() > 0) {
    tags.push_back("missing chunks " + std::to_string(std::max(s.read.sequence_gaps, h.chunks_failed())));
  }
  if (h.other_subscriber()) tags.push_back("other subscriber");
  if (h.activity_callbacks_lost()) tags.push_back("callbacks lost");
  if (h.buffers_denied() > 0) tags.push_back("buffers denied " + std::to_string(h.buffers_denied()));
  if (h.buffers_requested() > h.buffers_completed() && s.read.chunks > 0) {
    tags.push_back("buffers not returned " + std::to_string(h.buffers_requested() - h.buffers_completed()));
  }
  if (h.zero_timestamp_records() > 0) tags.push_back("zero timestamps " + std::to_string(h.zero_timestamp_records()));
  if (h.incomplete_records() > 0 || s.incomplete_gpu_records > 0)
    tags.push_back("incomplete " + std::to_string(std::max(h.incomplete_records(), s.incomplete_gpu_records)));
  if (h.buffers_cut_short() > 0) tags.push_back("buffers cut short " + std::to_string(h.buffers_cut_short()));
  if (h.unknown_records() > 0) tags.push_back("unknown records " + std::to_string(h.unknown_records()));
  if (h.callback_events_dropped() > 0) tags.push_back("callback events dropped " + std::to_string(h.callback_events_dropped()));
  if (h.capture_stopped()) tags.push_back("capture stopped");
  if (s.ok() && s.read.chunks > 0 && s.activity_records() == 0) tags.push_back("no activity");
  return tags;
}

}  // namespace holdup
