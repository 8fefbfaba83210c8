// `holdup diff`: two holdup-report/1 documents compared (diff.h).

#include "report/diff.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "holdup/format.h"
#include "report/report.h"

namespace holdup::report {

using nlohmann::json;

namespace {

uint64_t number(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return 0;
  return it->is_number_unsigned() ? it->get<uint64_t>() : static_cast<uint64_t>(std::max<int64_t>(it->get<int64_t>(), 0));
}

std::string text(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> strings(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

// A report of an older holdup has no process/thread labels: pid and thread
// id stand in (they match only within one recording).
PatternDiffKey pattern_key(const json& p) {
  PatternDiffKey k;
  k.process = p.contains("process") ? text(p, "process") : "pid " + std::to_string(number(p, "pid"));
  k.thread = p.contains("thread") ? text(p, "thread") : "thread " + std::to_string(number(p, "thread_id"));
  k.stream_id = number(p, "stream_id");
  k.cause = text(p, "cause");
  if (auto b = p.find("blocker"); b != p.end() && b->is_object()) {
    k.blocker_kind = text(*b, "kind");
    k.blocker_name = text(*b, "name");
  }
  return k;
}

struct PatternSide {
  DiffCounts counts;
  uint64_t max_held_ns = 0;
  std::vector<std::string> signals;
};

std::map<PatternDiffKey, PatternSide> patterns_of(const json& report) {
  std::map<PatternDiffKey, PatternSide> out;
  for (const auto& p : report.value("patterns", json::array())) {
    PatternSide& side = out[pattern_key(p)];
    side.counts.flagged += number(p, "copies");
    side.counts.copies += number(p, "copies");
    side.counts.held_ns += number(p, "held_ns");
    side.max_held_ns = std::max(side.max_held_ns, number(p, "max_held_ns"));
    if (side.signals.empty()) side.signals = strings(p, "signals");
  }
  return out;
}

DiffCounts summary_counts(const json& report) {
  const json summary = report.value("summary", json::object());
  return {number(summary, "copies"), number(summary, "flagged"), number(summary, "cold"),
          number(summary, "held_flagged_ns")};
}

std::map<std::string, DiffCounts> causes_of(const json& report) {
  std::map<std::string, DiffCounts> out;
  for (const auto& c : report.value("held_by_cause", json::array())) {
    DiffCounts& d = out[text(c, "cause")];
    d.flagged += number(c, "copies");
    d.held_ns += number(c, "held_ns");
  }
  return out;
}

PatternDiff::Change change_of(const DiffCounts& before, const DiffCounts& after) {
  if (after.flagged == 0) return PatternDiff::Change::vanished;
  if (before.flagged == 0) return PatternDiff::Change::appeared;
  if (after.held_ns < before.held_ns) return PatternDiff::Change::fewer;
  if (after.held_ns > before.held_ns) return PatternDiff::Change::more;
  return PatternDiff::Change::same;
}

// "problems" and "not_recorded" lines of all traces, counted.
std::map<std::string, uint64_t> recording_lines(const json& report) {
  std::map<std::string, uint64_t> out;
  for (const auto& t : report.value("traces", json::array())) {
    for (const auto& line : strings(t, "problems")) ++out["problem: " + line];
    for (const auto& line : strings(t, "not_recorded")) ++out["not recorded: " + line];
  }
  return out;
}

std::vector<std::string> recording_differences(const json& before, const json& after) {
  const auto b = recording_lines(before), a = recording_lines(after);
  std::vector<std::string> out;
  for (const auto& [line, n] : b)
    if (!a.contains(line)) out.push_back("before only: " + line);
  for (const auto& [line, n] : a)
    if (!b.contains(line)) out.push_back("after only: " + line);
  return out;
}

// Threads and streams whose patterns all changed cause: pair the causes of
// vanished patterns with those of appeared ones on the same thread and stream.
std::vector<CauseChange> cause_changes(const std::vector<PatternDiff>& patterns) {
  using Place = std::tuple<std::string, std::string, uint64_t>;
  std::map<Place, std::vector<const PatternDiff*>> gone, came;
  for (const auto& p : patterns) {
    const Place place{p.key.process, p.key.thread, p.key.stream_id};
    if (p.change == PatternDiff::Change::vanished) gone[place].push_back(&p);
    if (p.change == PatternDiff::Change::appeared) came[place].push_back(&p);
  }
  std::vector<CauseChange> out;
  for (const auto& [place, olds] : gone) {
    auto it = came.find(place);
    if (it == came.end()) continue;
    for (const PatternDiff* o : olds) {
      for (const PatternDiff* n : it->second) {
        if (o->key.cause == n->key.cause) continue;
        CauseChange c{std::get<0>(place), std::get<1>(place), std::get<2>(place), o->key.cause, n->key.cause, {}, {}};
        const std::set<std::string> sb(o->signals_before.begin(), o->signals_before.end());
        const std::set<std::string> sa(n->signals_after.begin(), n->signals_after.end());
        std::set_difference(sb.begin(), sb.end(), sa.begin(), sa.end(), std::back_inserter(c.signals_gone));
        std::set_difference(sa.begin(), sa.end(), sb.begin(), sb.end(), std::back_inserter(c.signals_new));
        out.push_back(std::move(c));
      }
    }
  }
  return out;
}

bool is_report(const json& j) { return j.is_object() && j.value("schema", "") == kJsonSchema; }

}  // namespace

std::string_view change_id(PatternDiff::Change change) {
  switch (change) {
    case PatternDiff::Change::vanished: return "vanished";
    case PatternDiff::Change::appeared: return "new";
    case PatternDiff::Change::fewer: return "less";
    case PatternDiff::Change::more: return "more";
    case PatternDiff::Change::same: return "same";
  }
  return "same";
}

ReportDiff diff_reports(const json& before, const json& after, std::string before_label, std::string after_label,
                        std::string* error) {
  ReportDiff d;
  for (const auto& [doc, label] : {std::pair{&before, &before_label}, std::pair{&after, &after_label}}) {
    if (!is_report(*doc)) {
      *error = fmt::format("{} is not a holdup report ({} JSON expected: `holdup report --json`, or traces)", *label,
                           kJsonSchema);
      return {};
    }
  }
  d.before_label = std::move(before_label);
  d.after_label = std::move(after_label);
  d.before = summary_counts(before);
  d.after = summary_counts(after);
  d.before_traces = before.value("traces", json::array()).size();
  d.after_traces = after.value("traces", json::array()).size();

  const auto cb = causes_of(before), ca = causes_of(after);
  std::set<std::string> causes;
  for (const auto& [c, n] : cb) causes.insert(c);
  for (const auto& [c, n] : ca) causes.insert(c);
  for (const auto& c : causes) {
    CauseDiff cd{c, cb.contains(c) ? cb.at(c) : DiffCounts{}, ca.contains(c) ? ca.at(c) : DiffCounts{}};
    d.by_cause.push_back(cd);
  }
  std::stable_sort(d.by_cause.begin(), d.by_cause.end(), [](const CauseDiff& x, const CauseDiff& y) {
    return std::max(x.before.held_ns, x.after.held_ns) > std::max(y.before.held_ns, y.after.held_ns);
  });

  const auto pb = patterns_of(before), pa = patterns_of(after);
  std::set<PatternDiffKey> keys;
  for (const auto& [k, s] : pb) keys.insert(k);
  for (const auto& [k, s] : pa) keys.insert(k);
  for (const auto& k : keys) {
    PatternDiff p;
    p.key = k;
    if (auto it = pb.find(k); it != pb.end()) {
      p.before = it->second.counts;
      p.max_held_before_ns = it->second.max_held_ns;
      p.signals_before = it->second.signals;
    }
    if (auto it = pa.find(k); it != pa.end()) {
      p.after = it->second.counts;
      p.max_held_after_ns = it->second.max_held_ns;
      p.signals_after = it->second.signals;
    }
    p.change = change_of(p.before, p.after);
    d.patterns.push_back(std::move(p));
  }
  std::stable_sort(d.patterns.begin(), d.patterns.end(), [](const PatternDiff& x, const PatternDiff& y) {
    if (x.change != y.change) return x.change < y.change;
    return std::max(x.before.held_ns, x.after.held_ns) > std::max(y.before.held_ns, y.after.held_ns);
  });
  d.cause_changes = cause_changes(d.patterns);
  d.recording_differences = recording_differences(before, after);
  return d;
}

namespace {

std::string signed_count(uint64_t before, uint64_t after) {
  if (after == before) return "=";
  return after > before ? fmt::format("+{}", after - before) : fmt::format("-{}", before - after);
}

std::string signed_duration(uint64_t before, uint64_t after) {
  if (after == before) return "=";
  std::string out = after > before ? "+" + format_duration(after - before) : "-" + format_duration(before - after);
  if (before > 0) out += fmt::format(" ({:+.0f} %)", 100.0 * (static_cast<double>(after) - before) / before);
  return out;
}

std::string pattern_place(const PatternDiffKey& k) {
  std::string out = fmt::format("{} / {}  stream {}  {}", k.process, k.thread, k.stream_id, k.cause);
  out += k.blocker_kind.empty() ? "  no recorded blocker" : fmt::format("  behind {} {}", k.blocker_kind,
                                                                          k.blocker_name.size() > 60
                                                                              ? k.blocker_name.substr(0, 57) + "..."
                                                                              : k.blocker_name);
  return out;
}

std::string side_text(uint64_t copies, uint64_t held_ns) {
  return copies == 0 ? "none" : fmt::format("{} held {}", copies == 1 ? "1 copy" : fmt::format("{} copies", copies),
                                            format_duration(held_ns));
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

}  // namespace

std::string render_diff_text(const ReportDiff& d) {
  std::string out = fmt::format("holdup diff\n  before: {} ({} trace{})\n  after:  {} ({} trace{})\n\n",
                                d.before_label, d.before_traces, d.before_traces == 1 ? "" : "s", d.after_label,
                                d.after_traces, d.after_traces == 1 ? "" : "s");
  out += fmt::format("  {:<22}{:>14}{:>14}   {}\n", "", "before", "after", "change");
  out += fmt::format("  {:<22}{:>14}{:>14}   {}\n", "copies", d.before.copies, d.after.copies,
                     signed_count(d.before.copies, d.after.copies));
  out += fmt::format("  {:<22}{:>14}{:>14}   {}\n", "flagged", d.before.flagged, d.after.flagged,
                     signed_count(d.before.flagged, d.after.flagged));
  out += fmt::format("  {:<22}{:>14}{:>14}   {}\n", "held (flagged)", format_duration(d.before.held_ns),
                     format_duration(d.after.held_ns), signed_duration(d.before.held_ns, d.after.held_ns));
  out += fmt::format("  {:<22}{:>14}{:>14}   {}\n", "cold", d.before.cold, d.after.cold,
                     signed_count(d.before.cold, d.after.cold));

  out += "\nHeld by cause\n";
  if (d.by_cause.empty()) out += "  none flagged on either side\n";
  for (const auto& c : d.by_cause) {
    out += fmt::format("  {:<22}{:>24}  ->  {:<24}  {}\n", c.cause, side_text(c.before.flagged, c.before.held_ns),
                       side_text(c.after.flagged, c.after.held_ns), signed_duration(c.before.held_ns, c.after.held_ns));
  }

  out += "\nPatterns (process / thread, stream, cause, blocker)\n";
  if (d.patterns.empty()) out += "  none on either side\n";
  uint64_t counts[5] = {};
  for (const auto& p : d.patterns) {
    ++counts[static_cast<int>(p.change)];
    out += fmt::format("  {:<9} {}\n", change_id(p.change), pattern_place(p.key));
    out += fmt::format("            {}  ->  {}\n", side_text(p.before.flagged, p.before.held_ns),
                       side_text(p.after.flagged, p.after.held_ns));
  }
  if (!d.cause_changes.empty()) {
    out += "\nJudged otherwise (same thread and stream, another cause)\n";
    for (const auto& c : d.cause_changes) {
      out += fmt::format("  {} / {}  stream {}: {} -> {}\n", c.process, c.thread, c.stream_id, c.cause_before,
                         c.cause_after);
      out += fmt::format("      signals only before: {}\n      signals only after:  {}\n", join(c.signals_gone),
                         join(c.signals_new));
    }
  }
  if (!d.recording_differences.empty()) {
    out += "\nRecorded differently (can explain a change in verdicts)\n";
    for (const auto& line : d.recording_differences) out += "  " + line + "\n";
  }
  out += fmt::format("\nheld time of flagged copies {} -> {}, {}; patterns: {} vanished, {} new, {} less, {} more, "
                     "{} unchanged\n",
                     format_duration(d.before.held_ns), format_duration(d.after.held_ns),
                     signed_duration(d.before.held_ns, d.after.held_ns), counts[0], counts[1], counts[2], counts[3],
                     counts[4]);
  return out;
}

json render_diff_json(const ReportDiff& d) {
  const auto counts = [](const DiffCounts& c) {
    return json{{"copies", c.copies}, {"flagged", c.flagged}, {"cold", c.cold}, {"held_flagged_ns", c.held_ns}};
  };
  json j;
  j["schema"] = kDiffJsonSchema;
  j["before"] = {{"input", d.before_label}, {"traces", d.before_traces}, {"summary", counts(d.before)}};
  j["after"] = {{"input", d.after_label}, {"traces", d.after_traces}, {"summary", counts(d.after)}};
  json causes = json::array();
  for (const auto& c : d.by_cause) {
    causes.push_back({{"cause", c.cause},
                      {"before", {{"copies", c.before.flagged}, {"held_ns", c.before.held_ns}}},
                      {"after", {{"copies", c.after.flagged}, {"held_ns", c.after.held_ns}}}});
  }
  j["held_by_cause"] = causes;
  json patterns = json::array();
  for (const auto& p : d.patterns) {
    patterns.push_back({{"change", change_id(p.change)},
                        {"process", p.key.process},
                        {"thread", p.key.thread},
                        {"stream_id", p.key.stream_id},
                        {"cause", p.key.cause},
                        {"blocker", {{"kind", p.key.blocker_kind}, {"name", p.key.blocker_name}}},
                        {"before", {{"copies", p.before.flagged}, {"held_ns", p.before.held_ns},
                                    {"max_held_ns", p.max_held_before_ns}, {"signals", p.signals_before}}},
                        {"after", {{"copies", p.after.flagged}, {"held_ns", p.after.held_ns},
                                   {"max_held_ns", p.max_held_after_ns}, {"signals", p.signals_after}}}});
  }
  j["patterns"] = patterns;
  json changes = json::array();
  for (const auto& c : d.cause_changes) {
    changes.push_back({{"process", c.process},
                       {"thread", c.thread},
                       {"stream_id", c.stream_id},
                       {"cause_before", c.cause_before},
                       {"cause_after", c.cause_after},
                       {"signals_only_before", c.signals_gone},
                       {"signals_only_after", c.signals_new}});
  }
  j["judged_otherwise"] = changes;
  j["recorded_differently"] = d.recording_differences;
  return j;
}

}  // namespace holdup::report
