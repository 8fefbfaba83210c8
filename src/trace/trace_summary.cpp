#include "trace/trace_summary.h"
#include "trace/recorder_health.h"

#include <algorithm>
#include <limits>

namespace holdup {
namespace {

// Widens [first, last] by a record's time; zero (and 2^64-1, CUPTI's other
// unknown time) means "not recorded".
class TimeSpan {
 public:
  void add(uint64_t start_ns, uint64_t end_ns) {
    if (start_ns == kNone) start_ns = 0;
    if (end_ns == kNone) end_ns = 0;
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

// An incomplete record's times are not times: CUPTI hands back work cut by a
// forced flush with a zero and, at times, 2^64-1 (seen on an H200: a kernel
// with start 2^64-1, end 0), so it never widens a span.
template <typename Record>
void add_record(const Record& r, TimeSpan& span) {
  if (!r.incomplete()) span.add(r.start_ns(), r.end_ns());
}

template <typename Records>
void add_records(const Records& records, TimeSpan& span) {
  for (const auto& r : records) add_record(r, span);
}

void add_times(const proto::Chunk& chunk, TimeSpan& span) {
  add_records(chunk.kernel(), span);
  add_records(chunk.memcpy(), span);
  add_records(chunk.memset(), span);
  add_records(chunk.api(), span);
  add_records(chunk.synchronization(), span);
  for (const auto& r : chunk.cuda_event()) span.add(r.device_timestamp_ns(), 0);
  add_records(chunk.overhead(), span);
  for (const auto& r : chunk.marker()) span.add(r.timestamp_ns(), 0);
  for (const auto& r : chunk.launch()) span.add(r.api_enter_ns(), 0);
  for (const auto& r : chunk.event_call()) span.add(r.time_ns(), 0);
  for (const auto& r : chunk.module()) span.add(r.time_ns(), 0);
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
  std::string open_error;
  auto reader = TraceReader::open(path, &open_error);
  if (!reader) {
    TraceSummary summary;
    summary.path = path;
    summary.open_error = std::move(open_error);
    return summary;
  }
  return summarize_trace(*reader);
}

TraceSummary summarize_trace(TraceReader& reader) {
  TraceSummary summary;
  summary.path = reader.path();
  proto::Chunk chunk;
  TimeSpan span;
  TimeSpan gpu;
  while (reader.next(&chunk)) {
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
    add_records(chunk.kernel(), gpu);
    add_records(chunk.memcpy(), gpu);
    add_records(chunk.memset(), gpu);
  }
  summary.read = reader.status();
  summary.first_ns = span.first();
  summary.last_ns = span.last();
  summary.gpu_first_ns = gpu.first();
  summary.gpu_last_ns = gpu.last();
  return summary;
}

namespace {

HealthFacts health_facts(const TraceSummary& s) {
  HealthFacts facts;
  facts.read = &s.read;
  facts.health = &s.health;
  facts.has_header = s.has_header;
  facts.max_loss_ms = s.header.config().max_loss_ms();
  facts.incomplete_gpu_records = s.incomplete_gpu_records;
  facts.notes = &s.notes;
  return facts;
}

// Not said of a trace whose recorder could not subscribe: the other-subscriber
// problem already says why it holds nothing.
bool no_activity(const TraceSummary& s) {
  return s.ok() && s.read.chunks > 0 && s.activity_records() == 0 && !s.health.other_subscriber();
}

}  // namespace

std::vector<std::string> trace_warnings(const TraceSummary& s) {
  std::vector<std::string> out;
  if (!s.ok()) {
    out.push_back(s.error());
    if (s.read.chunks == 0) return out;
  }
  for (auto& problem : recorder_problems(health_facts(s))) out.push_back(std::move(problem));
  if (no_activity(s)) {
    out.push_back("no activity records: the process may not have used CUDA, or ended before a flush (_exit?)");
  }
  return out;
}

std::vector<std::string> trace_warning_tags(const TraceSummary& s) {
  std::vector<std::string> tags;
  if (!s.ok()) {
    tags.push_back("unreadable");
    if (s.read.chunks == 0) return tags;
  }
  for (auto& tag : recorder_problem_tags(health_facts(s))) tags.push_back(std::move(tag));
  if (no_activity(s)) tags.push_back("no activity");
  return tags;
}

}  // namespace holdup
