#pragma once
// One pass over a trace file: what it holds (records per kind, copies, time
// span), who wrote it (the header), and what was lost (the recorder's last
// health, torn tail, missing chunks). Used by `holdup info`, by the line
// `holdup run` prints per trace, and by anything that wants to warn before
// analysing.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "trace/record_kind.h"
#include "holdup/trace.pb.h"
#include "trace/trace_reader.h"

namespace holdup {

struct TraceSummary {
  std::string path;
  // How reading went: chunks, bytes, torn tail, sequence gaps, reader
  // warnings, and the error that stopped it (if any; the counts below then
  // cover what was read before it).
  TraceReadStatus read;
  // Set when the file could not be opened (status() never existed).
  std::string open_error;

  bool has_header = false;
  proto::ProcessHeader header;
  // The recorder's cumulative counters from the last chunk read.
  proto::RecorderHealth health;
  // Every note of the file, in order (capped at kMaxNotes; notes_omitted
  // counts the rest).
  std::vector<proto::Note> notes;
  uint64_t notes_omitted = 0;

  // Records per kind (index: RecordKind).
  std::array<uint64_t, kRecordKindCount> counts{};
  // Bytes moved by memcpy records, and how many of those were peer copies.
  uint64_t copy_bytes = 0;
  uint64_t peer_copies = 0;
  // Kernels, memcpys and memsets the recorder marked incomplete (cut in
  // flight by a forced flush): the analysis leaves them out, as it does
  // every GPU record without a start or an end.
  uint64_t incomplete_gpu_records = 0;
  // Earliest start and latest end over timed records (GPU work, API calls,
  // overheads, markers, launches, module events); 0 when none was timed.
  uint64_t first_ns = 0;
  uint64_t last_ns = 0;
  // Earliest start and latest end of GPU work (kernels, memcpys, memsets);
  // 0 when none was timed. How far a trace of a killed process reaches.
  uint64_t gpu_first_ns = 0;
  uint64_t gpu_last_ns = 0;

  static constexpr size_t kMaxNotes = 1000;

  uint64_t count(RecordKind kind) const { return counts[static_cast<size_t>(kind)]; }
  // memcpy + memset records: the "copies" of a run.
  uint64_t copies() const { return count(RecordKind::memcpy) + count(RecordKind::memset); }
  // Activity records (GPU work, API calls, sync, events, overheads, markers).
  uint64_t activity_records() const;
  // False when the file could not be opened or reading stopped on an error
  // (a torn tail alone is not an error).
  bool ok() const { return open_error.empty() && read.error.empty(); }
  // The error text, whichever kind it was.
  const std::string& error() const { return open_error.empty() ? read.error : open_error; }
};

// Reads `path` once. Never throws; problems are in the result.
TraceSummary summarize_trace(const std::string& path);
// Reads what is left of `reader` (opened, not read yet).
TraceSummary summarize_trace(TraceReader& reader);

// Everything the summary says was lost or is suspect, one sentence each,
// saying what it means and what to do (shown as `WARNING:` lines). Empty
// when the trace is complete.
std::vector<std::string> trace_warnings(const TraceSummary& summary);

// Short tags for a one-line summary: "torn tail", "dropped 12", "other
// subscriber", ... Empty when the trace is complete.
std::vector<std::string> trace_warning_tags(const TraceSummary& summary);

}  // namespace holdup
