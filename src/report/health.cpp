// The recorder's health for each trace: nothing lost silently.

#include <fmt/format.h>

#include "holdup/report.h"

namespace holdup::report {

std::vector<std::string> trace_problems(const analysis::Process& p) {
  std::vector<std::string> out;
  const auto& h = p.health;
  if (!p.input.error.empty()) out.push_back("read error: " + p.input.error);
  if (!p.has_header) out.push_back("no process header (not the start of a holdup trace?)");
  if (p.input.torn_tail) {
    out.push_back(fmt::format("torn tail: the last {} bytes (a chunk cut short, e.g. the process was killed) "
                              "were not read",
                              p.input.torn_bytes));
  }
  if (p.input.sequence_gaps) out.push_back(fmt::format("{} chunk sequence gap(s)", p.input.sequence_gaps));
  if (h.dropped_records()) out.push_back(fmt::format("{} records dropped by CUPTI", h.dropped_records()));
  if (h.buffers_denied()) out.push_back(fmt::format("{} activity buffer request(s) denied", h.buffers_denied()));
  if (h.chunks_failed()) out.push_back(fmt::format("{} chunk(s) could not be written", h.chunks_failed()));
  if (h.zero_timestamp_records()) {
    out.push_back(fmt::format("{} records with a zero timestamp", h.zero_timestamp_records()));
  }
  if (h.unknown_records()) out.push_back(fmt::format("{} records of unknown layout", h.unknown_records()));
  if (p.incomplete_ops()) {
    // Counted by the model (any kernel, copy or memset without a start or
    // an end), so traces from before the recorder marked them count too.
    out.push_back(fmt::format("{} incomplete GPU records ({} kernels, {} copies, {} memsets) without a start or "
                              "end (cut in flight by a forced flush or the final flush, or a timestamp CUPTI could "
                              "not take): left out of the analysis",
                              p.incomplete_ops(), p.incomplete_kernels, p.incomplete_copies, p.incomplete_memsets));
  }
  uint64_t other_incomplete = 0;  // API, synchronization, overhead records cut in flight
  for (const auto& k : h.incomplete()) {
    if (k.kind() != "CONCURRENT_KERNEL" && k.kind() != "MEMCPY" && k.kind() != "MEMCPY2" && k.kind() != "MEMSET")
      other_incomplete += k.count();
  }
  if (other_incomplete) {
    out.push_back(fmt::format("{} other incomplete records (API, synchronization, overhead)", other_incomplete));
  }
  if (h.buffers_cut_short()) {
    out.push_back(fmt::format("{} activity buffer(s) only partly readable: {} bytes of records lost",
                              h.buffers_cut_short(), h.unread_bytes()));
  }
  if (p.has_header && !h.final_chunk() && h.final_flush_signal() == 0 &&
      h.buffers_requested() > h.buffers_completed()) {
    out.push_back(fmt::format("ended without a final flush (killed?): {} activity buffer(s) never came back, "
                              "their records are missing",
                              h.buffers_requested() - h.buffers_completed()));
  }
  if (h.callback_events_dropped()) {
    out.push_back(fmt::format("{} callback events (launches, module loads) dropped", h.callback_events_dropped()));
  }
  if (h.other_subscriber()) {
    out.push_back("another CUPTI client (Nsight, compute-sanitizer, torch.profiler, ...) held CUPTI: nothing "
                  "was recorded");
  }
  if (h.activity_callbacks_lost()) {
    out.push_back("another CUPTI client took over the activity callbacks: records stop there");
  }
  if (h.capture_stopped()) out.push_back("capture stopped early (size cap or duration)");
  for (const auto& note : p.notes) {
    if (note.severity() >= proto::Note::WARNING) out.push_back(fmt::format("note {}: {}", note.code(), note.message()));
  }
  return out;
}

}  // namespace holdup::report
