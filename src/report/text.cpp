// The terminal report: summary, recorder health, held time by cause, the
// patterns of the flagged copies, the worst flagged copies with evidence and
// remedy, the cold copies, and delay histograms.

#include <algorithm>
#include <fmt/format.h>

#include "report/report.h"

namespace holdup::report {

using analysis::Cause;
using analysis::Finding;
using analysis::RecordRef;
using analysis::TimeNs;

namespace {

constexpr int kBarWidth = 40;
// Patterns shown; the rest are counted.
constexpr size_t kTextPatterns = 10;
// Names longer than this (mangled C++ kernels) are cut in the middle in
// the text; the JSON keeps them whole.
constexpr size_t kLongName = 100;

std::string shorten(std::string_view name) {
  if (name.size() <= kLongName) return std::string(name);
  constexpr size_t kTail = 30;
  const size_t head = kLongName - kTail - 3;
  return std::string(name.substr(0, head)) + "..." + std::string(name.substr(name.size() - kTail));
}

std::string copies_text(uint64_t n) { return fmt::format("{} cop{}", n, n == 1 ? "y" : "ies"); }

std::string at(const analysis::Model& model, TimeNs t) {
  return t >= model.origin_ns ? "+" + format_duration(t - model.origin_ns) : "?";
}

std::string ref_text(const analysis::Model& model, const RecordRef& r) {
  std::string s = fmt::format("{} {}", record_kind_name(r.kind), r.name.empty() ? "<unnamed>" : r.name);
  s += fmt::format(" [pid {}", r.pid);
  if (r.thread_id) s += fmt::format(" thread {}", r.thread_id);
  if (is_gpu_work(r.kind)) {
    s += fmt::format(" stream {} channel {}{}", r.stream_id, r.channel_id,
                     r.channel_type.empty() ? "" : " " + r.channel_type);
  }
  if (r.correlation_id) s += fmt::format(" corr {}", r.correlation_id);
  if (!r.gpu.empty()) s += " gpu " + r.gpu;
  s += fmt::format(" at {}", at(model, r.start_ns));
  if (r.end_ns > r.start_ns) s += fmt::format(" for {}", format_duration(r.end_ns - r.start_ns));
  return s + "]";
}

void finding_text(std::string& out, const analysis::Model& model, const Finding& f, bool primary) {
  if (primary) {
    out += fmt::format("    cause: {} [{}], explains {}\n", analysis::cause_title(f.cause),
                       analysis::cause_id(f.cause), format_duration(f.explains_ns));
  } else if (f.claimed) {
    out += fmt::format("    also: {} [{}], explains {}\n", analysis::cause_title(f.cause),
                       analysis::cause_id(f.cause), format_duration(f.explains_ns));
  } else {
    out += fmt::format("    not claimed (one signal only): {} [{}]\n", analysis::cause_title(f.cause),
                       analysis::cause_id(f.cause));
  }
  for (const auto& s : f.signals) {
    out += s.code.empty() ? "      signal: " : fmt::format("      signal [{}]: ", s.code);
    out += s.text + "\n";
  }
  for (const auto& c : f.corroboration) out += "      note: " + c + "\n";
  if (!f.claimed) return;
  if (!f.blockers.empty()) out += "      held behind:\n";
  for (const auto& b : f.blockers) {
    out += fmt::format("        {:>9}  {}\n", format_duration(b.held_behind_ns), ref_text(model, b.record));
  }
  if (!f.remedy.empty()) out += "      remedy: " + f.remedy + "\n";
}

void stats_line(std::string& out, const std::string& label, const Stats& s) {
  out += fmt::format("  {}: n={} p50 {} p90 {} p99 {} max {}\n", label, s.count, format_duration(s.p50),
                     format_duration(s.p90), format_duration(s.p99), format_duration(s.max));
}

void histogram(std::string& out, const Stats& s) {
  int first = kBuckets, last = -1;
  uint64_t peak = 0;
  for (int i = 0; i < kBuckets; ++i) {
    if (!s.buckets[i]) continue;
    first = std::min(first, i);
    last = i;
    peak = std::max(peak, s.buckets[i]);
  }
  for (int i = first; i <= last; ++i) {
    const int width = peak ? static_cast<int>((s.buckets[i] * kBarWidth + peak - 1) / peak) : 0;
    out += fmt::format("    {:>14} |{:<{}}| {}\n", bucket_label(i), std::string(static_cast<size_t>(width), '#'),
                       kBarWidth, s.buckets[i]);
  }
}

void group_section(std::string& out, const char* title, const std::vector<Group>& groups) {
  out += fmt::format("\nDelays per {}\n", title);
  for (const auto& g : groups) {
    out += fmt::format(" {} ({} flagged)\n", g.key, g.flagged);
    stats_line(out, "issue-to-start", g.issue_to_start);
    histogram(out, g.issue_to_start);
    stats_line(out, "held", g.held);
    histogram(out, g.held);
  }
}

// "issue-to-start = [burst +] api + stream order + dependency + held (host)",
// and where the burst of calls that ends in the copy's call set out.
void split_text(std::string& out, const analysis::Model& model, const analysis::Split& split) {
  const bool burst = split.burst + split.held_in_burst > 0;
  out += fmt::format("    issue-to-start {} = ", format_duration(split.issue_to_start));
  if (burst) out += fmt::format("burst {} + ", format_duration(split.burst));
  out += fmt::format("api {} + stream order {} + dependency {} + held {} (host {}", format_duration(split.api),
                     format_duration(split.stream_order), format_duration(split.dependency),
                     format_duration(split.held), format_duration(split.held_host));
  if (split.held_in_burst) {
    out += fmt::format(", of it {} in earlier calls of the burst", format_duration(split.held_in_burst));
  }
  out += ")\n";
  if (split.host_func < model.event_calls.size()) {
    const auto& c = model.event_calls[split.host_func];
    out += fmt::format("    stream order behind a host function enqueued on stream {} by thread {} (corr {}) at {}; "
                       "its run is not recorded\n",
                       c.stream_id, c.thread_id, c.correlation_id, at(model, c.time_ns));
  }
  if (!burst) return;
  out += fmt::format("    set out at {}", at(model, split.intent_ns));
  if (split.burst_first_api < model.api_calls.size()) {
    const auto& first = model.api_calls[split.burst_first_api];
    out += fmt::format(" with {} (corr {})", model.name(first.name), first.correlation_id);
  }
  out += ": the thread's burst of CUDA calls that ends in the copy's call\n";
}

// One line per pattern (thread, stream, cause, blocker), most held first,
// with its most-held copies under it.
void patterns_section(std::string& out, const analysis::Analysis& a, const Summary& s) {
  const analysis::Model& model = *a.model;
  out += "\nPatterns (flagged copies by thread, stream, cause and blocker)\n";
  if (s.patterns.empty() && !s.flagged) out += "  none\n";
  uint64_t in_patterns = 0;
  for (const auto& p : s.patterns) in_patterns += p.copies;
  for (size_t i = 0; i < s.patterns.size() && i < kTextPatterns; ++i) {
    const auto& p = s.patterns[i];
    const auto& k = p.key;
    const std::string pid =
        k.process < model.processes.size() ? std::to_string(model.processes[k.process].pid) : std::string("?");
    const std::string blocker =
        k.blocker_kind ? fmt::format("behind {} {}", record_kind_name(*k.blocker_kind), shorten(k.blocker_name))
                       : std::string("no recorded blocker");
    out += fmt::format("  {:>12}  total {:>9}  max {:>9}  {}  pid {} thread {} stream {}  {}\n", copies_text(p.copies),
                       format_duration(p.held_ns), format_duration(p.max_held_ns), analysis::cause_id(k.cause), pid,
                       k.thread_id, k.stream_id, blocker);
    std::string worst;
    for (uint32_t index : p.worst) {
      const auto& v = a.copies[index];
      worst += fmt::format("{}corr {} held {}", worst.empty() ? "" : ", ", model.ops[v.op].correlation_id,
                           format_duration(v.split.held));
    }
    if (!worst.empty()) out += "      worst: " + worst + "\n";
  }
  if (s.patterns.size() > kTextPatterns) {
    uint64_t copies = 0;
    TimeNs held = 0;
    for (size_t i = kTextPatterns; i < s.patterns.size(); ++i) {
      copies += s.patterns[i].copies;
      held += s.patterns[i].held_ns;
    }
    out += fmt::format("  ... {} more pattern{} ({}, held {})\n", s.patterns.size() - kTextPatterns,
                       s.patterns.size() - kTextPatterns == 1 ? "" : "s", copies_text(copies), format_duration(held));
  }
  if (in_patterns < s.flagged) out += fmt::format("  {} flagged in no pattern\n", copies_text(s.flagged - in_patterns));
}

// Late copies with no recorded work on their GPU ahead of them: listed apart,
// not held.
void cold_section(std::string& out, const analysis::Analysis& a, const Summary& s) {
  if (!s.cold) return;
  const analysis::Model& model = *a.model;
  out += fmt::format("\nCold copies ({}, largest issue-to-start first; not flagged)\n", s.cold);
  for (uint32_t index : s.cold_worst) {
    const auto& v = a.copies[index];
    out += fmt::format("  {}: issue-to-start {}, no recorded work on its GPU ahead of it (first use of a mapping or "
                       "cold start): not held\n",
                       ref_text(model, analysis::ref_op(model, v.op)), format_duration(v.split.issue_to_start));
  }
  if (s.cold > s.cold_worst.size()) out += fmt::format("  ... {} more\n", s.cold - s.cold_worst.size());
}

}  // namespace

std::string render_text(const analysis::Analysis& a, const std::vector<uint32_t>& selection,
                        const ReportOptions& options) {
  const analysis::Model& model = *a.model;
  const Summary s = summarize(a, selection, options.top);
  std::string out;
  out += fmt::format("holdup report: {} process{}, {} GPU{}, {} cop{}, {} flagged{}\n", model.processes.size(),
                     model.processes.size() == 1 ? "" : "es", model.gpus.size(), model.gpus.size() == 1 ? "" : "s",
                     s.copies, s.copies == 1 ? "y" : "ies", s.flagged,
                     s.cold ? fmt::format(", {} cold", s.cold) : std::string());
  if (a.options.threshold_ns == analysis::AnalysisOptions::kDefaultThresholdNs) {
    out += fmt::format("flagged: held > {} (threshold from H100 controls: p99 {:.1f} us + margin)\n",
                       format_duration(a.options.threshold_ns),
                       analysis::AnalysisOptions::kControlHeldP99Ns / 1e3);
  } else {
    out += fmt::format("flagged: held > {} (--threshold-us)\n", format_duration(a.options.threshold_ns));
  }
  // The timing windows every cause uses, and what they were derived from
  // (src/report/README.md).
  out += fmt::format("windows: a copy follows what let it go within {} ({} after a kernel's end; held copies in "
                     "the fixtures went within p99 {:.1f} us); a burst's calls are at most {} apart (p99 {:.1f} us)\n",
                     format_duration(a.options.adjacency_ns), format_duration(a.options.drain_after_ns),
                     analysis::AnalysisOptions::kReleaseToStartP99Ns / 1e3, format_duration(a.options.burst_gap_ns),
                     analysis::AnalysisOptions::kBurstGapP99Ns / 1e3);
  if (std::any_of(model.processes.begin(), model.processes.end(), [](const auto& p) { return p.queries_unrecorded; })) {
    out += fmt::format("  ({} apart where query calls were not recorded: p99 {:.1f} us there)\n",
                       format_duration(a.options.burst_gap_lean_ns),
                       analysis::AnalysisOptions::kBurstGapLeanP99Ns / 1e3);
  }
  if (s.without_issue) {
    out += fmt::format("  {} cop{} without an API record (issue time unknown): not explained\n", s.without_issue,
                       s.without_issue == 1 ? "y" : "ies");
  }
  if (s.behind_host_func) {
    out += fmt::format("  {} cop{} waited {} in stream order behind a host function on their stream "
                       "(cudaLaunchHostFunc and the like; its run is not recorded, so it is stream order, not held)\n",
                       s.behind_host_func, s.behind_host_func == 1 ? "y" : "ies", format_duration(s.host_func_wait_ns));
  }
  if (s.contradicting) {
    out += fmt::format("  {} cop{} not judged: {} record{} contradict{} {} own stream (see Traces)\n", s.contradicting,
                       s.contradicting == 1 ? "y" : "ies", s.contradicting == 1 ? "its" : "their",
                       s.contradicting == 1 ? "" : "s", s.contradicting == 1 ? "s" : "",
                       s.contradicting == 1 ? "its" : "their");
  }
  for (const auto& w : model.warnings) out += "warning: " + w + "\n";

  out += "\nTraces\n";
  for (const auto& p : model.processes) {
    const auto problems = p.problems;
    out += fmt::format("  pid {} on {}: {} ({} chunks) - recorder health: {}\n", p.pid,
                       p.hostname.empty() ? "<unknown host>" : p.hostname, p.trace_path, p.input.chunks,
                       problems.empty() ? "ok, nothing lost" : fmt::format("{} problem(s)", problems.size()));
    for (const auto& problem : problems) out += "    ! " + problem + "\n";
    for (const auto& left_out : p.not_recorded) out += "    not recorded (settings): " + left_out + "\n";
  }
  out += "\nGPUs\n";
  for (const auto& g : model.gpus) {
    std::string pids;
    for (const auto& [p, d] : g.members) pids += fmt::format("{}{} (device {})", pids.empty() ? "" : ", ",
                                                              model.processes[p].pid, d);
    out += fmt::format("  {}{}: pid {}\n", g.label, g.name.empty() ? "" : " (" + g.name + ")", pids);
  }

  out += "\nHeld time by cause (flagged copies)\n";
  if (s.by_cause_totals.empty()) out += "  none\n";
  for (const auto& t : s.by_cause_totals) {
    const double share = s.held_flagged_ns ? 100.0 * double(t.held_ns) / double(s.held_flagged_ns) : 0.0;
    out += fmt::format("  {:<24} {:>6} cop{:<3} held {:>9} ({:.0f}%)\n", analysis::cause_id(t.cause), t.copies,
                       t.copies == 1 ? "y" : "ies", format_duration(t.held_ns), share);
  }

  patterns_section(out, a, s);

  if (!s.worst.empty()) out += fmt::format("\nWorst flagged copies (top {})\n", s.worst.size());
  int rank = 0;
  for (uint32_t index : s.worst) {
    const auto& v = a.copies[index];
    const auto& op = model.ops[v.op];
    const auto& call = model.api_calls[op.api];
    out += fmt::format("\n{:>3}. {}\n", ++rank, ref_text(model, analysis::ref_op(model, v.op)));
    out += fmt::format("    issued by {} on thread {} (corr {}) at {}, returned after {}; GPU start at {}\n",
                       model.name(call.name), call.thread_id, call.correlation_id, at(model, op.issue_ns),
                       format_duration(call.duration()), at(model, op.start_ns));
    split_text(out, model, v.split);
    const auto detail = analysis::detail_of(a, index);
    const auto& findings = detail.findings;
    if (v.cause == Cause::unknown) out += "    cause: unknown: " + analysis::unknown_reason(a, index) + "\n";
    for (size_t i = 0; i < findings.size(); ++i) {
      finding_text(out, model, findings[i], i == 0 && v.cause != Cause::unknown);
    }
  }

  cold_section(out, a, s);

  out += "\nDelays, all selected copies\n";
  stats_line(out, "issue-to-start", s.issue_to_start);
  if (options.histograms) histogram(out, s.issue_to_start);
  stats_line(out, "held", s.held);
  if (options.histograms) histogram(out, s.held);
  if (options.histograms) {
    group_section(out, "copy kind", s.by_kind);
    group_section(out, "cause", s.by_cause);
    group_section(out, "stream", s.by_stream);
    group_section(out, "hardware channel", s.by_channel);
  }
  return out;
}

}  // namespace holdup::report
