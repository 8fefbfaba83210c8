#pragma once
// `holdup diff BEFORE AFTER`: two reports of one program (before and after a
// remedy, or two recordings) compared pattern by pattern. Works on the
// report JSON (holdup-report/1), so either side may be traces analysed now
// or a report saved earlier. A pattern is matched across the two by what
// stays the same between recordings: process and thread labels (not pids
// or thread ids), stream id, cause and blocker kind and name.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace holdup::report {

inline constexpr const char* kDiffJsonSchema = "holdup-diff/1";

struct DiffCounts {
  uint64_t copies = 0;
  uint64_t flagged = 0;
  uint64_t cold = 0;
  uint64_t held_ns = 0;  // held time of the flagged copies
};

struct PatternDiffKey {
  std::string process, thread;
  uint64_t stream_id = 0;
  std::string cause, blocker_kind, blocker_name;
  auto operator<=>(const PatternDiffKey&) const = default;
};

struct PatternDiff {
  enum class Change { vanished, appeared, fewer, more, same };
  PatternDiffKey key;
  Change change = Change::same;
  DiffCounts before, after;  // copies/flagged: the pattern's copies; held_ns its total
  uint64_t max_held_before_ns = 0, max_held_after_ns = 0;
  std::vector<std::string> signals_before, signals_after;
};

// A thread and stream whose flagged copies changed cause between the two:
// the same copies judged otherwise (two recordings that disagree), with
// the signals that differ.
struct CauseChange {
  std::string process, thread;
  uint64_t stream_id = 0;
  std::string cause_before, cause_after;
  std::vector<std::string> signals_gone, signals_new;
};

struct CauseDiff {
  std::string cause;
  DiffCounts before, after;
};

struct ReportDiff {
  std::string before_label, after_label;
  DiffCounts before, after;
  std::vector<CauseDiff> by_cause;      // most held (before or after) first
  std::vector<PatternDiff> patterns;    // vanished, appeared, then changed; most held first
  std::vector<CauseChange> cause_changes;
  // Recorder problems and settings left out that differ (one line each,
  // "before: ..." / "after: ..."): a change in what was recorded can explain
  // a change in verdicts.
  std::vector<std::string> recording_differences;
  uint64_t before_traces = 0, after_traces = 0;
};

// Compares two holdup-report/1 documents. *error is set (and the result
// empty) when one is not such a document.
ReportDiff diff_reports(const nlohmann::json& before, const nlohmann::json& after, std::string before_label,
                        std::string after_label, std::string* error);

std::string render_diff_text(const ReportDiff& diff);
nlohmann::json render_diff_json(const ReportDiff& diff);
std::string_view change_id(PatternDiff::Change change);

}  // namespace holdup::report
