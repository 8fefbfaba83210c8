// The HTML report: one self-contained page (inline CSS and SVG, no script,
// nothing fetched) with what `holdup report` says: the summary and the
// recorder's health of every trace, held time by cause, the patterns, each
// of the worst copies with a small timeline (its issue, its API call, its
// stream and channel, the blockers on theirs, the held interval shaded) and
// its cause, evidence and remedy, the cold copies, and the delay histograms.

#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "common.h"
#include "holdup/version.h"
#include "svg.h"

namespace holdup::exporting {

using analysis::Cause;
using analysis::RecordRef;
using analysis::TimeNs;
using svg::escape;

namespace {

constexpr const char* kStyle = R"CSS(
:root { --fg: #1d2330; --muted: #5b6475; --line: #e3e6eb; --bg: #ffffff; --card: #f7f8fa;
        --held: #c0392b; --ok: #1e7d43; --warn: #b35c00; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0 0 2px; }
h2 { font-size: 18px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 0 0 4px; }
.sub { color: var(--muted); margin: 0 0 16px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
code { white-space: nowrap; background: #eef1f5; padding: 1px 4px; border-radius: 3px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 10px 0 12px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 130px; }
.card .n { font-size: 24px; font-weight: 650; }
.card .l { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card.held .n { color: var(--held); }
.note { color: var(--muted); margin: 4px 0; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
.ok { color: var(--ok); font-weight: 600; }
.bad { color: var(--held); font-weight: 600; }
ul.problems { margin: 4px 0 0 0; padding-left: 18px; color: var(--held); }
.bar { background: #eceff3; border-radius: 3px; height: 12px; min-width: 120px; }
.bar > span { display: block; height: 12px; border-radius: 3px; background: var(--held); }
.copy { border: 1px solid var(--line); border-radius: 10px; padding: 14px 18px 12px; margin: 16px 0; background: #fff;
        box-shadow: 0 1px 2px rgba(0,0,0,.04); }
.copy .meta { color: var(--muted); margin: 2px 0 8px; }
.copy .held { color: var(--held); font-weight: 650; }
.copy svg { display: block; margin: 8px 0; max-width: 100%; height: auto; }
.cause { background: #fbf6f5; border-left: 4px solid var(--held); padding: 8px 12px; margin: 10px 0 6px; border-radius: 4px; }
.cause.unknown { background: #f6f6f6; border-left-color: #999; }
.cause ul { margin: 4px 0; padding-left: 18px; }
.cause li { margin: 3px 0; }
.remedy { background: #f1f8f3; border-left: 4px solid var(--ok); padding: 7px 12px; margin: 6px 0; border-radius: 4px; }
.also { color: var(--muted); margin: 6px 0 0; }
.blockers td { font-size: 13px; }
.legend { color: var(--muted); font-size: 12px; margin: -4px 0 8px 230px; }
.legend span { margin-right: 14px; white-space: nowrap; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.hists { display: flex; flex-wrap: wrap; gap: 18px 28px; }
.hists figure { margin: 0; }
.hists figcaption { color: var(--muted); font-size: 12px; max-width: 520px; }
details > summary { cursor: pointer; color: var(--muted); margin: 6px 0; }
footer { color: var(--muted); font-size: 12px; margin-top: 40px; border-top: 1px solid var(--line); padding-top: 8px; }
)CSS";

constexpr const char* kApiColor = "#3b6fb6";
constexpr const char* kCopyColor = "#e8871e";
constexpr const char* kKernelColor = "#7d5ba6";
constexpr const char* kOtherColor = "#8c96a3";
constexpr const char* kEvidenceColor = "#a7b3c2";

std::string plural(uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

class Html {
 public:
  Html(const Input& input, const report::ReportOptions& options)
      : a_(*input.analysis),
        model_(*a_.model),
        selection_(input.selection),
        options_(options),
        summary_(report::summarize(a_, selection_, options.top)) {}

  std::string render() {
    out_ += "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
    out_ += "<title>holdup report</title><style>";
    out_ += kStyle;
    out_ += "</style></head><body><main>\n";
    header();
    traces();
    causes();
    patterns();
    worst();
    cold();
    if (options_.histograms) histograms();
    out_ += fmt::format("<footer>holdup {} &middot; schema holdup-html/1 &middot; times count from the first record "
                        "(+0 = {} ns on CUPTI's clock)</footer>\n",
                        HOLDUP_VERSION, model_.origin_ns);
    out_ += "</main></body></html>\n";
    return std::move(out_);
  }

 private:
  std::string at(TimeNs t) const {
    return t >= model_.origin_ns ? "+" + format_duration(t - model_.origin_ns) : "?";
  }

  std::string record_text(const RecordRef& r) const {
    std::string name = r.kind == RecordKind::kernel ? detail::demangle(r.name) : r.name;
    std::string s = fmt::format("{} <b>{}</b> <span class=\"note\">[pid {}", escape(record_kind_name(r.kind)),
                                escape(name.empty() ? "<unnamed>" : name), r.pid);
    if (r.thread_id) s += fmt::format(" thread {}", r.thread_id);
    if (is_gpu_work(r.kind)) {
      s += fmt::format(" stream {} channel {}{}", r.stream_id, r.channel_id,
                       r.channel_type.empty() ? "" : " " + escape(r.channel_type));
    }
    if (r.correlation_id) s += fmt::format(" corr {}", r.correlation_id);
    s += fmt::format(" at {}", at(r.start_ns));
    if (r.end_ns > r.start_ns) s += fmt::format(" for {}", format_duration(r.end_ns - r.start_ns));
    return s + "]</span>";
  }

  void header() {
    const auto& s = summary_;
    out_ += "<h1>holdup report</h1><p class=\"sub\">Why did these copies start when they did?</p>\n";
    out_ += "<div class=\"cards\">";
    auto card = [&](const std::string& n, std::string_view label, bool held = false) {
      out_ += fmt::format("<div class=\"card{}\"><div class=\"n\">{}</div><div class=\"l\">{}</div></div>",
                          held ? " held" : "", escape(n), label);
    };
    card(std::to_string(model_.processes.size()), model_.processes.size() == 1 ? "process" : "processes");
    card(std::to_string(model_.gpus.size()), model_.gpus.size() == 1 ? "GPU" : "GPUs");
    card(std::to_string(s.copies), "copies selected");
    card(std::to_string(s.flagged), "flagged (held)", s.flagged > 0);
    card(format_duration(s.held_flagged_ns), "held in all", s.flagged > 0);
    card(std::to_string(s.cold), "cold (not held)");
    uint64_t problems = 0;
    for (const auto& p : model_.processes) problems += p.problems.empty() ? 0 : 1;
    card(problems ? plural(problems, "trace", "traces") : std::string("ok"),
         problems ? "lost records" : "recorder health", problems > 0);
    out_ += "</div>\n";
    if (a_.options.threshold_ns == analysis::AnalysisOptions::kDefaultThresholdNs) {
      out_ += fmt::format("<p class=\"note\">Flagged: held &gt; {} (threshold from H100 controls: p99 {:.1f} us + "
                          "margin).",
                          format_duration(a_.options.threshold_ns),
                          analysis::AnalysisOptions::kControlHeldP99Ns / 1e3);
    } else {
      out_ += fmt::format("<p class=\"note\">Flagged: held &gt; {} (--threshold-us).",
                          format_duration(a_.options.threshold_ns));
    }
    out_ += fmt::format(" A copy follows what let it go within {}; a burst's calls are at most {} apart.</p>\n",
                        format_duration(a_.options.adjacency_ns), format_duration(a_.options.burst_gap_ns));
    if (s.without_issue) {
      out_ += fmt::format("<p class=\"note\">{} without an API record (issue time unknown): not explained.</p>\n",
                          plural(s.without_issue, "copy", "copies"));
    }
    for (const auto& w : model_.warnings) out_ += "<p class=\"bad\">warning: " + escape(w) + "</p>\n";
  }

  void traces() {
    out_ += "<h2>Traces and recorder health</h2><table><tr><th>pid</th><th>host</th><th>trace</th>"
            "<th class=\"num\">chunks</th><th>recorder health</th></tr>\n";
    for (uint32_t p = 0; p < model_.processes.size(); ++p) {
      const auto& process = model_.processes[p];
      const auto problems = process.problems;
      std::string health = problems.empty() ? "<span class=\"ok\">ok, nothing lost</span>"
                                            : fmt::format("<span class=\"bad\">{}</span><ul class=\"problems\">",
                                                          plural(problems.size(), "problem", "problems"));
      for (const auto& text : problems) health += "<li>" + escape(text) + "</li>";
      if (!problems.empty()) health += "</ul>";
      if (!process.not_recorded.empty()) {
        health += "<div class=\"note\">not recorded (settings):</div><ul>";
        for (const auto& text : process.not_recorded) health += "<li>" + escape(text) + "</li>";
        health += "</ul>";
      }
      out_ += fmt::format("<tr><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"num\">{}</td><td>{}</td>"
                          "</tr>\n",
                          process.pid, escape(process.hostname.empty() ? "?" : process.hostname),
                          escape(process.trace_path), process.input.chunks, health);
    }
    out_ += "</table>\n<table><tr><th>GPU</th><th>name</th><th>processes (CUDA device)</th></tr>\n";
    for (const auto& g : model_.gpus) {
      std::string members;
      for (const auto& [p, d] : g.members) {
        members += fmt::format("{}pid {} (device {})", members.empty() ? "" : ", ", model_.processes[p].pid, d);
      }
      out_ += fmt::format("<tr><td class=\"mono\">{}</td><td>{}</td><td>{}</td></tr>\n", escape(g.label),
                          escape(g.name), members);
    }
    out_ += "</table>\n";
  }

  void causes() {
    const auto& s = summary_;
    out_ += "<h2>Held time by cause</h2>\n";
    if (s.by_cause_totals.empty()) {
      out_ += "<p class=\"note\">No copy was held past the threshold.</p>\n";
      return;
    }
    out_ += "<table><tr><th>cause</th><th class=\"num\">copies</th><th class=\"num\">held</th><th>share</th></tr>\n";
    for (const auto& t : s.by_cause_totals) {
      const double share = s.held_flagged_ns ? 100.0 * double(t.held_ns) / double(s.held_flagged_ns) : 0.0;
      out_ += fmt::format("<tr><td>{} <code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                          "<td><div class=\"bar\"><span style=\"width:{:.1f}%\"></span></div> {:.0f}%</td></tr>\n",
                          escape(analysis::cause_title(t.cause)), analysis::cause_id(t.cause), t.copies,
                          format_duration(t.held_ns), share, share);
    }
    out_ += "</table>\n";
  }

  void patterns() {
    const auto& s = summary_;
    out_ += "<h2>Patterns</h2><p class=\"note\">Flagged copies issued by the same thread on the same stream, held for "
            "the same cause behind the same blocker: what a loop repeats.</p>\n";
    if (s.patterns.empty()) {
      out_ += "<p class=\"note\">none</p>\n";
      return;
    }
    out_ += "<table><tr><th class=\"num\">copies</th><th class=\"num\">total held</th><th class=\"num\">max</th>"
            "<th>cause</th><th>where</th><th>behind</th><th>worst</th></tr>\n";
    constexpr size_t kShown = 20;
    for (size_t i = 0; i < s.patterns.size() && i < kShown; ++i) {
      const auto& p = s.patterns[i];
      const auto& k = p.key;
      const uint32_t pid = k.process < model_.processes.size() ? model_.processes[k.process].pid : 0;
      std::string worst;
      for (uint32_t index : p.worst) {
        const auto& v = a_.copies[index];
        worst += fmt::format("{}corr {} ({})", worst.empty() ? "" : ", ", model_.ops[v.op].correlation_id,
                             format_duration(v.split.held));
      }
      const std::string blocker =
          !k.blocker_kind
              ? std::string("no recorded blocker")
              : escape(record_kind_name(*k.blocker_kind)) + " <b>" +
                    escape(k.blocker_kind == RecordKind::kernel ? detail::short_name(detail::demangle(k.blocker_name))
                                                                : k.blocker_name) +
                    "</b>";
      out_ += fmt::format("<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                          "<td><code>{}</code></td><td>pid {} thread {} stream {}</td><td>{}</td><td>{}</td></tr>\n",
                          p.copies, format_duration(p.held_ns), format_duration(p.max_held_ns),
                          analysis::cause_id(k.cause), pid, k.thread_id, k.stream_id, blocker, worst);
    }
    out_ += "</table>\n";
    if (s.patterns.size() > kShown) {
      out_ += fmt::format("<p class=\"note\">... {} more patterns.</p>\n", s.patterns.size() - kShown);
    }
  }

  // Lanes of a copy's timeline, keyed by where a record runs.
  struct Lanes {
    std::vector<svg::Lane> lanes;
    std::map<std::tuple<int, uint32_t, uint32_t, uint32_t>, size_t> index;  // (kind, pid, stream|thread, channel)
    size_t lane(int kind, uint32_t pid, uint32_t id, uint32_t channel, std::string label, std::string sublabel) {
      auto [it, added] = index.try_emplace({kind, pid, id, channel}, lanes.size());
      if (added) lanes.push_back({std::move(label), std::move(sublabel), {}});
      return it->second;
    }
  };

  std::string thread_label(uint32_t process, uint32_t thread) const {
    const auto& names = model_.processes[process].thread_names;
    auto it = names.find(thread);
    const auto name = it == names.end() ? std::string_view{} : model_.name(it->second);
    return name.empty() ? fmt::format("thread {}", thread) : fmt::format("thread {} ({})", thread, name);
  }

  uint32_t process_of(uint32_t pid) const {
    for (uint32_t p = 0; p < model_.processes.size(); ++p) {
      if (model_.processes[p].pid == pid) return p;
    }
    return analysis::kNone;
  }

  // Where a record named by a verdict runs, as a lane.
  size_t lane_of(Lanes& lanes, const RecordRef& r, uint32_t copy_pid) {
    const std::string other = r.pid != copy_pid ? fmt::format(" · pid {}", r.pid) : std::string();
    if (is_gpu_work(r.kind)) {
      return lanes.lane(1, r.pid, r.stream_id, r.channel_id, fmt::format("stream {}{}", r.stream_id, other),
                        fmt::format("channel {} {}", r.channel_id, r.channel_type));
    }
    if (r.kind == RecordKind::overhead) {
      return lanes.lane(3, r.pid, r.thread_id, 0, "CUPTI overhead" + other,
                        r.thread_id ? fmt::format("on thread {}", r.thread_id) : std::string());
    }
    if (r.thread_id) {
      const auto process = process_of(r.pid);
      return lanes.lane(0, r.pid, r.thread_id, 0,
                        (process != analysis::kNone ? thread_label(process, r.thread_id)
                                                    : fmt::format("thread {}", r.thread_id)) + other,
                        "host thread");
    }
    return lanes.lane(2, r.pid, 0, 0, "other records" + other, "");
  }

  svg::Box box_of(const RecordRef& r, const std::string& extra, const char* color) const {
    const std::string name = r.kind == RecordKind::kernel ? detail::demangle(r.name) : r.name;
    const std::string shown = r.kind == RecordKind::kernel ? detail::short_name(name) : name;
    svg::Box b;
    b.start = r.start_ns;
    b.end = r.end_ns;
    b.label = shown + extra;
    b.tooltip = fmt::format("{} {} (corr {}) at {} for {}{}", record_kind_name(r.kind), name, r.correlation_id, at(r.start_ns),
                            format_duration(r.end_ns > r.start_ns ? r.end_ns - r.start_ns : 0), extra);
    b.color = color;
    return b;
  }

  std::string copy_timeline(uint32_t index, const detail::HeldCopy& held) {
    const auto& v = a_.copies[index];
    const auto& op = model_.ops[v.op];
    const auto& call = model_.api_calls[op.api];
    const uint32_t pid = model_.processes[op.process].pid;
    const auto copy_ref = analysis::ref_op(model_, v.op);
    Lanes lanes;
    const size_t issuing = lanes.lane(0, pid, call.thread_id, 0, thread_label(op.process, call.thread_id),
                                      fmt::format("pid {} · issued the copy", pid));
    const size_t own = lanes.lane(1, pid, op.stream_id, op.channel_id, fmt::format("stream {}", op.stream_id),
                                  fmt::format("channel {} {} · the copy", op.channel_id, copy_ref.channel_type));
    TimeNs from = std::min(op.issue_ns, v.split.intent_ns ? v.split.intent_ns : op.issue_ns);
    TimeNs to = op.end_ns;
    if (v.split.intent_ns && v.split.intent_ns < op.issue_ns) {
      lanes.lanes[issuing].boxes.push_back({v.split.intent_ns, op.issue_ns, "burst", "earlier calls of the thread's burst",
                                            kOtherColor});
    }
    lanes.lanes[issuing].boxes.push_back(box_of(analysis::ref_api(model_, op.api), "", kApiColor));
    if (v.split.stream_predecessor != analysis::kNone) {
      lanes.lanes[own].boxes.push_back(
          box_of(analysis::ref_op(model_, v.split.stream_predecessor), " (before it on its stream)", kOtherColor));
    }
    lanes.lanes[own].boxes.push_back(box_of(copy_ref, "", kCopyColor));
    TimeNs lo = from, hi = to;
    // Blockers (most held first) on their lanes; past kMaxLanes lanes the
    // rest are only in the table below the drawing.
    constexpr size_t kMaxLanes = 10;
    size_t not_drawn = 0;
    for (const auto& b : held.blockers) {
      const size_t before = lanes.lanes.size();
      const size_t lane = lane_of(lanes, b.record, pid);
      if (lane >= kMaxLanes) {
        if (lanes.lanes.size() > before) {  // made for it: taken back
          lanes.lanes.pop_back();
          std::erase_if(lanes.index, [&](const auto& entry) { return entry.second == lane; });
        }
        ++not_drawn;
        continue;
      }
      const char* color = b.record.kind == RecordKind::api ? kApiColor : b.record.kind == RecordKind::kernel ? kKernelColor : kOtherColor;
      lanes.lanes[lane].boxes.push_back(box_of(b.record, " · held " + format_duration(b.held_behind_ns), color));
      lo = std::min(lo, b.record.start_ns);
      hi = std::max(hi, b.record.end_ns);
    }
    // The primary finding's other evidence (an overhead inside a call, ...).
    if (!held.detail->findings.empty() && held.detail->findings.front().claimed) {
      for (const auto& s : held.detail->findings.front().signals) {
        for (const auto& r : s.records) {
          if (lanes.lanes.size() >= kMaxLanes) break;
          const bool is_blocker = std::any_of(held.blockers.begin(), held.blockers.end(), [&](const auto& b) {
            return b.record.kind == r.kind && b.record.start_ns == r.start_ns && b.record.correlation_id == r.correlation_id;
          });
          const bool is_copy_or_call = (r.kind == copy_ref.kind && r.start_ns == copy_ref.start_ns) ||
                                       (r.kind == RecordKind::api && r.start_ns == call.start_ns && r.thread_id == call.thread_id);
          if (is_blocker || is_copy_or_call || r.end_ns < from) continue;
          lanes.lanes[lane_of(lanes, r, pid)].boxes.push_back(box_of(r, " (evidence)", kEvidenceColor));
        }
      }
    }
    // The window: the copy from its issue to its end, widened to show the
    // blockers, but never more than twice its span on either side.
    const TimeNs span = std::max<TimeNs>(to - from, 1000);
    from = std::max(lo, from > 2 * span ? from - 2 * span : 0);
    to = std::min(hi, to + span / 2);
    const TimeNs pad = std::max<TimeNs>((to - from) / 40, 200);
    svg::Timeline t;
    t.from = from > pad ? from - pad : 0;
    t.to = to + pad;
    t.origin = op.issue_ns;
    t.shade_from = detail::held_from(v, op);
    t.shade_to = op.start_ns;
    t.shade_label = "held " + format_duration(v.split.held);
    if (not_drawn) {
      lanes.lanes.push_back({fmt::format("+ {} more blocker{}", not_drawn, not_drawn == 1 ? "" : "s"),
                             "in the table below", {}});
    }
    t.lanes = std::move(lanes.lanes);
    t.marks.push_back({op.issue_ns, "issue"});
    t.marks.push_back({op.start_ns, "GPU start"});
    return svg::timeline(t, 1100) + legend();
  }

  static std::string legend() {
    std::string out = "<div class=\"legend\">";
    for (const auto& [color, label] : std::initializer_list<std::pair<const char*, const char*>>{
             {kApiColor, "API call"},
             {kCopyColor, "the copy"},
             {kKernelColor, "kernel it was held behind"},
             {kOtherColor, "other work"},
             {kEvidenceColor, "evidence"},
             {"rgba(228,87,86,.25)", "held"}}) {
      out += fmt::format("<span><i style=\"background:{}\"></i>{}</span>", color, label);
    }
    return out + "</div>";
  }

  void finding_html(const analysis::Finding& f, bool primary) {
    if (primary) {
      out_ += fmt::format("<div class=\"cause\"><b>Cause: {}</b> <code>{}</code> &middot; explains {}",
                          escape(analysis::cause_title(f.cause)), analysis::cause_id(f.cause),
                          format_duration(f.explains_ns));
    } else {
      out_ += fmt::format("<div class=\"cause unknown\"><b>{}: {}</b> <code>{}</code>{}",
                          f.claimed ? "Also" : "Not claimed (one signal only)", escape(analysis::cause_title(f.cause)),
                          analysis::cause_id(f.cause),
                          f.claimed ? " &middot; explains " + format_duration(f.explains_ns) : std::string());
    }
    out_ += "<ul>";
    for (const auto& s : f.signals) {
      out_ += "<li>" + (s.code.empty() ? std::string() : "<code>" + escape(s.code) + "</code> ") + escape(s.text) +
              "</li>";
    }
    for (const auto& c : f.corroboration) out_ += "<li class=\"note\">note: " + escape(c) + "</li>";
    out_ += "</ul></div>\n";
    if (f.claimed && !f.blockers.empty()) {
      out_ += "<table class=\"blockers\"><tr><th class=\"num\">held behind</th><th>record</th></tr>";
      for (const auto& b : f.blockers) {
        out_ += fmt::format("<tr><td class=\"num\">{}</td><td>{}</td></tr>", format_duration(b.held_behind_ns),
                            record_text(b.record));
      }
      out_ += "</table>\n";
    }
    if (f.claimed && !f.remedy.empty()) out_ += "<div class=\"remedy\"><b>Remedy:</b> " + escape(f.remedy) + "</div>\n";
  }

  void worst() {
    const auto& s = summary_;
    if (s.worst.empty()) return;
    out_ += fmt::format("<h2>Worst flagged copies (top {})</h2>\n", s.worst.size());
    int rank = 0;
    for (uint32_t index : s.worst) {
      const auto& v = a_.copies[index];
      const auto& op = model_.ops[v.op];
      const auto& call = model_.api_calls[op.api];
      const auto ref = analysis::ref_op(model_, v.op);
      detail::HeldCopy held;
      detail::held_copy(a_, index, &held);
      out_ += "<section class=\"copy\">";
      out_ += fmt::format("<h3>{}. {} &mdash; <span class=\"held\">held {}</span> &mdash; {}</h3>", ++rank,
                          escape(model_.describe(op)), format_duration(v.split.held),
                          escape(v.cause == Cause::unknown ? std::string("cause unknown")
                                                           : std::string(analysis::cause_title(v.cause))));
      out_ += fmt::format("<div class=\"meta\">pid {} &middot; {} &middot; stream {} &middot; channel {} {} &middot; "
                          "corr {} &middot; GPU {} &middot; started at {} for {}</div>",
                          ref.pid, escape(thread_label(op.process, call.thread_id)), op.stream_id, op.channel_id,
                          escape(ref.channel_type), op.correlation_id, escape(ref.gpu), at(op.start_ns),
                          format_duration(op.end_ns - op.start_ns));
      out_ += fmt::format("<p>Issued by <b>{}</b> (corr {}) at {}, which returned after {}; the GPU started it at {}: "
                          "<b>{}</b> from issue to start.</p>",
                          escape(model_.name(call.name)), call.correlation_id, at(op.issue_ns),
                          format_duration(call.duration()), at(op.start_ns), format_duration(v.split.issue_to_start));
      const auto& sp = v.split;
      std::vector<svg::Part> parts;
      if (sp.burst) parts.push_back({"burst", sp.burst, kOtherColor});
      parts.push_back({"api", sp.api, kApiColor});
      parts.push_back({"stream order", sp.stream_order, "#4c9f9a"});
      parts.push_back({"dependency", sp.dependency, "#d4a72c"});
      parts.push_back({"held", sp.held, "#e45756"});
      out_ += svg::stacked_bar(parts, 1100);
      out_ += copy_timeline(index, held);
      const auto& findings = held.detail->findings;
      if (v.cause == Cause::unknown) {
        out_ += "<div class=\"cause unknown\"><b>Cause: unknown</b> &middot; " +
                escape(analysis::unknown_reason(a_, index)) + "</div>\n";
      }
      for (size_t i = 0; i < findings.size(); ++i) finding_html(findings[i], i == 0 && v.cause != Cause::unknown);
      out_ += "</section>\n";
    }
  }

  void cold() {
    const auto& s = summary_;
    if (!s.cold) return;
    out_ += fmt::format("<h2>Cold copies ({})</h2><p class=\"note\">Late with no recorded work on their GPU ahead "
                        "of them (first use of a mapping, cold start): not held, never flagged.</p>\n"
                        "<table><tr><th>copy</th><th class=\"num\">issue to start</th></tr>\n",
                        s.cold);
    for (uint32_t index : s.cold_worst) {
      const auto& v = a_.copies[index];
      out_ += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td></tr>\n",
                          record_text(analysis::ref_op(model_, v.op)), format_duration(v.split.issue_to_start));
    }
    out_ += "</table>\n";
    if (s.cold > s.cold_worst.size()) out_ += fmt::format("<p class=\"note\">... {} more.</p>\n", s.cold - s.cold_worst.size());
  }

  void stats_pair(const std::string& key, const report::Stats& issue, const report::Stats& held) {
    auto caption = [](const report::Stats& st) {
      return fmt::format("n={} &middot; p50 {} &middot; p90 {} &middot; p99 {} &middot; max {}", st.count,
                         format_duration(st.p50), format_duration(st.p90), format_duration(st.p99),
                         format_duration(st.max));
    };
    out_ += "<div class=\"hists\">";
    out_ += "<figure>" + svg::histogram(issue, key + ": issue to start", "#3b6fb6") + "<figcaption>" + caption(issue) +
            "</figcaption></figure>";
    out_ += "<figure>" + svg::histogram(held, key + ": held", "#e45756") + "<figcaption>" + caption(held) +
            "</figcaption></figure>";
    out_ += "</div>\n";
  }

  void histograms() {
    const auto& s = summary_;
    out_ += "<h2>Delays</h2><p class=\"note\">Copies per delay bucket (log scale: each bucket doubles).</p>\n";
    stats_pair("all selected copies", s.issue_to_start, s.held);
    auto groups = [&](const char* title, const std::vector<report::Group>& list, bool open) {
      out_ += fmt::format("<details{}><summary>Per {} ({})</summary>\n", open ? " open" : "", title, list.size());
      for (const auto& g : list) {
        out_ += fmt::format("<h3>{} <span class=\"note\">({} flagged)</span></h3>\n", escape(g.key), g.flagged);
        stats_pair(g.key, g.issue_to_start, g.held);
      }
      out_ += "</details>\n";
    };
    groups("copy kind", s.by_kind, false);
    groups("cause", s.by_cause, false);
    groups("stream", s.by_stream, false);
    groups("hardware channel", s.by_channel, false);
  }

  const analysis::Analysis& a_;
  const analysis::Model& model_;
  const std::vector<uint32_t>& selection_;
  const report::ReportOptions& options_;
  const report::Summary summary_;
  std::string out_;
};

}  // namespace

std::string render_html(const Input& input, const report::ReportOptions& options) {
  return Html(input, options).render();
}

}  // namespace holdup::exporting
