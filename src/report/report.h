#pragma once
// Reports on an Analysis: which copies (filters), what to say about them
// (Summary), and how (terminal text, JSON "holdup-report/1" documented in
// src/report/JSON.md), plus the limits `holdup check` enforces.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "holdup/analysis.h"
#include "holdup/format.h"

namespace holdup::report {

inline constexpr const char* kJsonSchema = "holdup-report/1";

struct Filters {
  std::vector<uint32_t> pids;
  // CUDA ordinal ("0") or a prefix of the GPU uuid ("GPU-3f2").
  std::vector<std::string> devices;
  std::vector<uint32_t> streams;
  // Copies issued inside an NVTX range of this name (same process).
  std::string nvtx;
  // Copies issued in [from, to], microseconds after the first record.
  std::optional<double> from_us;
  std::optional<double> to_us;
  // "htod", "dtoh", "dtod", "ptop", "memset", ... (analysis::op_kind_name).
  std::vector<std::string> kinds;
  // Skip the first N copies (by issue time) of each stream: warm-up.
  uint32_t skip_iterations = 0;
};

// Indexes into analysis.copies of the copies that pass. *error is set (and
// the result empty) for a filter that cannot be understood.
std::vector<uint32_t> select_copies(const analysis::Analysis& analysis, const Filters& filters, std::string* error);

// The filters that alone select no copy, one message each ("--pid 999
// matches no copy (processes in the traces: ...)").
std::vector<std::string> unmatched_filters(const analysis::Analysis& analysis, const Filters& filters);

// Log-scale histogram of delays: bucket 0 is < 1 us, bucket i >= 1 covers
// [2^(i-1), 2^i) us; the last bucket is open-ended.
inline constexpr int kBuckets = 26;
struct Stats {
  uint64_t count = 0;
  analysis::TimeNs p50 = 0, p90 = 0, p99 = 0, max = 0, total = 0;
  std::array<uint64_t, kBuckets> buckets{};
};
Stats make_stats(std::vector<analysis::TimeNs> values);
// "<1us", "1-2us", ..., "16.8s+" for bucket i.
std::string bucket_label(int bucket);

struct Group {
  std::string key;  // e.g. "pid 100 ctx 1 stream 14", "dtod", "device-wide-barrier"
  uint64_t flagged = 0;
  Stats issue_to_start;
  Stats held;
};

struct CauseTotal {
  analysis::Cause cause = analysis::Cause::unknown;
  uint64_t copies = 0;
  analysis::TimeNs held_ns = 0;
};

struct Summary {
  uint64_t copies = 0;            // selected
  uint64_t without_issue = 0;     // no API record joined: not split
  uint64_t contradicting = 0;     // records contradict their stream: not judged
  // Waited in stream order behind a host function (Split::host_func), and
  // their stream order in all.
  uint64_t behind_host_func = 0;
  analysis::TimeNs host_func_wait_ns = 0;
  uint64_t flagged = 0;
  // Late with no recorded work on their GPU ahead of them (CopyVerdict::cold):
  // not held, never counted as flagged.
  uint64_t cold = 0;
  analysis::TimeNs held_flagged_ns = 0;
  std::vector<CauseTotal> by_cause_totals;  // flagged copies, most held first
  Stats issue_to_start;
  Stats held;
  std::vector<Group> by_stream, by_channel, by_kind, by_cause;
  std::vector<uint32_t> worst;  // indexes into analysis.copies, most held first (top N)
  // Cold copies, largest issue-to-start first (top N); indexes into analysis.copies.
  std::vector<uint32_t> cold_worst;
  // The flagged copies by pattern (analysis::find_patterns), most held first,
  // each with its 3 most-held copies; all patterns (a report shows the first few).
  std::vector<analysis::Pattern> patterns;
  uint64_t dropped_records = 0; // over all traces
};

Summary summarize(const analysis::Analysis& analysis, const std::vector<uint32_t>& selection, size_t top);

struct ReportOptions {
  Filters filters;
  size_t top = 10;
  bool histograms = true;
};

std::string render_text(const analysis::Analysis& analysis, const std::vector<uint32_t>& selection,
                        const ReportOptions& options);
nlohmann::json render_json(const analysis::Analysis& analysis, const std::vector<uint32_t>& selection,
                           const ReportOptions& options);



struct CheckLimits {
  std::optional<double> max_held_us;
  std::optional<uint64_t> max_flagged;
  std::optional<uint64_t> max_dropped;
  // --allow-empty: no copy selected, or a filter matching none, passes.
  bool allow_empty = false;
};
struct CheckResult {
  int exit_code = 0;                  // 0 within limits, 1 a limit broken
  std::vector<std::string> messages;  // one per broken limit, then a summary line
};
CheckResult check_limits(const analysis::Analysis& analysis, const std::vector<uint32_t>& selection,
                         const CheckLimits& limits);

}  // namespace holdup::report
