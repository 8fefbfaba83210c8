// The one reading of a trace's recorder health (recorder_health.h).

#include "trace/recorder_health.h"

#include <algorithm>
#include <string_view>

namespace holdup {

namespace {

std::string plural(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string kind_counts(const proto::RecorderHealth& h) {
  std::string text;
  for (const auto& k : h.incomplete()) text += (text.empty() ? "" : ", ") + std::to_string(k.count()) + " " + k.kind();
  return text;
}

}  // namespace

std::vector<RecorderProblem> recorder_problem_list(const HealthFacts& facts) {
  std::vector<RecorderProblem> out;
  const auto& h = *facts.health;
  const auto& read = *facts.read;
  if (!facts.has_header && read.chunks > 0) {
    out.push_back({"no header", "no process header: not the start of a holdup trace (a piece of one?)"});
  }
  if (read.torn_tail) {
    out.push_back({"torn tail", "the last chunk is torn (" + plural(read.torn_bytes, "byte", "bytes") +
                                    " not decoded): the process ended while the recorder was writing (killed?); "
                                    "everything before byte " +
                                    std::to_string(read.bytes) + " was read"});
  }
  if (read.damaged_chunks > 0) {
    out.push_back({"damaged chunks " + std::to_string(read.damaged_chunks),
                   plural(read.damaged_chunks, "chunk", "chunks") + " (" + plural(read.damaged_bytes, "byte", "bytes") +
                       ") did not match " + (read.damaged_chunks == 1 ? "its" : "their") +
                       " checksum (a flipped byte on disk or in a copy?): skipped, their records are missing "
                       "from every verdict; copy the file again from where it was recorded"});
  }
  if (read.sequence_gaps > 0 || h.chunks_failed() > 0) {
    out.push_back({"missing chunks " + std::to_string(std::max(read.sequence_gaps, h.chunks_failed())),
                   plural(std::max(read.sequence_gaps, h.chunks_failed()), "chunk", "chunks") +
                       " missing (the recorder could not write them: disk full, size cap?): their records are lost"});
  }
  for (const auto& warning : read.warnings) out.push_back({"read warning", warning});
  if (h.other_subscriber()) {
    out.push_back({"other subscriber",
                   "another CUPTI client (Nsight Systems, Nsight Compute, compute-sanitizer, "
                   "torch.profiler, ...) held CUPTI: the recorder could not subscribe; run without it"});
  }
  if (h.activity_callbacks_lost()) {
    out.push_back({"callbacks lost",
                   "another CUPTI client took over the activity buffers during the run (e.g. "
                   "torch.profiler started): records stop there; disable that profiler"});
  }
  if (h.dropped_records() > 0) {
    std::string where;
    for (const auto& d : h.dropped()) {
      where += (where.empty() ? " (" : ", ") + std::string("context ") + std::to_string(d.context_id()) +
               (d.stream_id() ? " stream " + std::to_string(d.stream_id()) : "") + ": " + std::to_string(d.count());
    }
    if (!where.empty()) where += ")";
    out.push_back(
        {"dropped " + std::to_string(h.dropped_records()),
         "CUPTI dropped " + plural(h.dropped_records(), "record", "records") + where +
             ": a copy's or kernel's record may be missing; raise the buffer size or flush more often (--flush-ms)"});
  }
  if (h.buffers_denied() > 0) {
    out.push_back({"buffers denied " + std::to_string(h.buffers_denied()),
                   plural(h.buffers_denied(), "activity buffer request", "activity buffer requests") +
                       " denied (pool empty): CUPTI dropped the records it could not store; flush more often"});
  }
  if (h.buffers_requested() > h.buffers_completed() && (read.chunks > 0 || facts.has_header)) {
    const uint32_t bound = facts.max_loss_ms;
    out.push_back({"buffers not returned " + std::to_string(h.buffers_requested() - h.buffers_completed()),
                   plural(h.buffers_requested() - h.buffers_completed(), "activity buffer", "activity buffers") +
                       " never came back from CUPTI by the last chunk: the process may have ended without a "
                       "final flush (_exit, killed); their records are missing" +
                       (bound > 0 && !h.final_chunk()
                            ? " (the recorder forces buffers back when none came back for " + std::to_string(bound) +
                                  " ms: at most about that much recording time before the end is missing)"
                            : std::string())});
  } else if (facts.max_loss_ms > 0 && !h.final_chunk() && read.chunks > 0) {
    // A recorder with a loss bound writes a final chunk at every ending it
    // sees; none means it saw none: every buffer it had came back, but what
    // CUPTI still held (records of the last ticks) is gone.
    out.push_back({"no final chunk",
                   "no final chunk: the process ended without holdup's final flush (SIGKILL, _exit, exec of "
                   "another program) or is still running; about the last " +
                       std::to_string(facts.max_loss_ms) + " ms of records before its end are missing"});
  }
  if (h.incomplete_records() > 0 || facts.incomplete_gpu_records > 0) {
    const uint64_t n = std::max(h.incomplete_records(), facts.incomplete_gpu_records);
    const std::string kinds = kind_counts(h);
    out.push_back({"incomplete " + std::to_string(n),
                   plural(n, "record", "records") + " incomplete" + (kinds.empty() ? "" : " (" + kinds + ")") +
                       ": work in flight when a forced flush or the final flush took its buffer (no start or end); "
                       "kept in the trace, left out of the analysis"});
  }
  if (h.buffers_cut_short() > 0) {
    out.push_back({"buffers cut short " + std::to_string(h.buffers_cut_short()),
                   plural(h.buffers_cut_short(), "activity buffer", "activity buffers") +
                       " could not be read to the end (CUPTI reported a record incomplete or invalid): " +
                       plural(h.unread_bytes(), "byte", "bytes") + " of records after it are lost"});
  }
  if (h.zero_timestamp_records() > 0) {
    out.push_back(
        {"zero timestamps " + std::to_string(h.zero_timestamp_records()),
         plural(h.zero_timestamp_records(), "record", "records") +
             " with a zero timestamp (CUPTI ran out of device buffers): they are kept but cannot be placed in time"});
  }
  if (h.unknown_records() > 0) {
    out.push_back({"unknown records " + std::to_string(h.unknown_records()),
                   plural(h.unknown_records(), "record", "records") +
                       " of kinds or layouts this recorder does not decode were skipped (a newer CUPTI?)"});
  }
  if (h.callback_events_dropped() > 0) {
    out.push_back({"callback events dropped " + std::to_string(h.callback_events_dropped()),
                   plural(h.callback_events_dropped(), "callback event", "callback events") +
                       " (launches, module loads) dropped: first-launch evidence may be missing"});
  }
  if (h.capture_stopped()) {
    out.push_back({"capture stopped", "capture stopped early (size cap or duration): later work is not in the trace"});
  }
  if (facts.notes) {
    for (const auto& note : *facts.notes) {
      if (note.severity() >= proto::Note::WARNING)
        out.push_back({"recorder note " + note.code(), "recorder note " + note.code() + ": " + note.message()});
    }
  }
  return out;
}

std::vector<std::string> not_recorded(const proto::RecorderConfig& config) {
  // CUPTI activity kinds the recorder can enable (src/inject/config.h).
  static constexpr std::string_view kKinds[] = {"CONCURRENT_KERNEL", "MEMCPY",   "MEMCPY2",  "MEMSET", "RUNTIME",
                                                "DRIVER",            "SYNCHRONIZATION", "CUDA_EVENT", "STREAM",
                                                "DEVICE",            "CONTEXT",  "OVERHEAD", "MARKER", "NAME"};
  std::vector<std::string> out;
  if (!config.enabled_kinds().empty()) {
    std::string missing;
    for (std::string_view kind : kKinds) {
      if (std::find(config.enabled_kinds().begin(), config.enabled_kinds().end(), kind) == config.enabled_kinds().end())
        missing += (missing.empty() ? "" : ", ") + std::string(kind);
    }
    if (!missing.empty()) {
      std::string line = "activity kinds not enabled: " + missing + " (HOLDUP_KINDS): their records are missing";
      if (config.event_calls() &&
          (missing.find("SYNCHRONIZATION") != std::string::npos || missing.find("CUDA_EVENT") != std::string::npos))
        line += "; event records and stream waits were recorded by holdup's event-call callbacks instead "
                "(EventCall records), cudaStreamSynchronize and the like by their API records";
      out.push_back(std::move(line));
    }
  }
  std::vector<std::string> apis;
  for (const auto& code : config.not_recorded()) {
    if (code.starts_with("api:")) apis.push_back(code.substr(4));
  }
  if (!apis.empty()) {
    std::string names;
    for (size_t i = 0; i < apis.size() && i < 6; ++i) names += (i ? ", " : "") + apis[i];
    if (apis.size() > 6) names += ", ...";
    out.push_back("API records of " + plural(apis.size(), "query call", "query calls") + " (" + names +
                  ") left out: none issues, waits for or holds work (HOLDUP_ALL_API_RECORDS=1 records them)");
  }
  for (const auto& code : config.not_recorded()) {
    if (code == "launch:repeat") {
      out.push_back("Launch records only for each function's first launch, later launches counted "
                    "(HOLDUP_ALL_LAUNCHES=1 records every launch)");
    } else if (code == "kernel:latency-timestamps") {
      out.push_back("no kernel queued/submitted times (HOLDUP_LATENCY_TIMESTAMPS=1 records them)");
    } else if (code == "event:device-timestamps") {
      out.push_back("no CUDA event device timestamps: an event counts as fired when the work before it on its "
                    "stream ended (HOLDUP_EVENT_DEVICE_TIMESTAMPS=1 records them)");
    } else if (!code.starts_with("api:")) {
      out.push_back("not recorded: " + code);
    }
  }
  return out;
}

std::vector<std::string> recorder_problems(const HealthFacts& facts) {
  std::vector<std::string> texts;
  for (auto& problem : recorder_problem_list(facts)) texts.push_back(std::move(problem.text));
  return texts;
}

std::vector<std::string> recorder_problem_tags(const HealthFacts& facts) {
  std::vector<std::string> tags;
  for (auto& problem : recorder_problem_list(facts)) tags.push_back(std::move(problem.tag));
  return tags;
}

}  // namespace holdup
