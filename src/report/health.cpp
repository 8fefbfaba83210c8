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
