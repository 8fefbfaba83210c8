#pragma once
// The workload's own view of each measured iteration, the verdict drawn from
// it (held or not), and its text and JSON forms. Host-only, so the verdict
// rules are unit-tested without a GPU.
//
// Time axis: microseconds relative to the iteration's triggering Kernel0
// start, i.e. the CUDA event recorded on the compute stream just before the
// first Kernel0 of the pattern. Host times are steady_clock microseconds
// relative to the host time at which that Kernel0 was launched.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "workload_config.h"

namespace holdup::workload {

struct KernelTiming {
  int kernel = 0;  // 0, 1 or 2
  double start_us = 0;
  double end_us = 0;
};

struct IterationResult {
  int index = 0;  // among the measured iterations

  // From events (absent with --no-events).
  std::vector<KernelTiming> kernels;   // in pattern order
  std::optional<double> copy_start_us;  // event recorded on the copy stream just before the copy
  std::optional<double> copy_end_us;    // event recorded just after it

  // When the proxy began issuing (its first CUDA call for the request: the
  // copy-begin event record, or the copy itself with --no-events). "gpu": Kernel0 itself saw the
  // proxy's "issuing" flag and read %globaltimer (exact to ~1 us); "host":
  // Kernel0 had ended first, estimated as the proxy's delay between seeing the
  // request and issuing (assumes the request was seen as soon as posted).
  std::optional<double> issue_us;
  std::string issue_source;

  double request_seen_host_us = 0;  // proxy saw Kernel0's request (host clock, vs Kernel0 launch)
  // The same moment against the first iteration's Kernel0 launch (warm-up
  // included): successive iterations' differences are the loop's period as
  // the GPU runs it (bench/overhead.py measures recording overhead by it).
  double request_seen_since_start_us = 0;
  double issue_host_us = 0;         // proxy began the copy call (host clock, vs Kernel0 launch)
  double copy_api_us = 0;           // issuing on the proxy thread: event record + copy call
  double signal_api_us = 0;         // duration of the signal copy call (0 without a signal)

  // Verdict (filled by judge_iteration).
  std::optional<double> finish_after_issue_us;
  std::optional<double> hold_us;  // finish_after_issue minus the copy's duration alone
  std::optional<bool> held;
  std::optional<bool> overlap;  // copy finished before the triggering Kernel0 ended
};

struct ProcessResult {
  int rank = 0;
  int pid = 0;
  int device = 0;
  std::string device_name;
  int sm_count = 0;
  std::string copy_path;
  std::optional<double> copy_alone_us;  // the same copy on an idle GPU, fastest of a few
  int reductions_checked = 0;
  int reductions_wrong = 0;
  std::vector<IterationResult> iterations;
};

struct ProcessSummary {
  std::optional<double> finish_after_issue_median_us;
  std::optional<double> hold_median_us;
  int held_iterations = 0;
  int judged_iterations = 0;
  int overlapped_iterations = 0;
};

// A copy counts as held when it finished this much later than it takes alone:
// more than 100 us, and more than half its own duration.
inline constexpr double kHeldMinimumUs = 100.0;
inline constexpr double kHeldFractionOfCopy = 0.5;

// Fills the verdict fields of `iteration`; `trigger_position` is the index in
// `kernels` of the Kernel0 that posted the request.
void judge_iteration(IterationResult& iteration, std::size_t trigger_position,
                     std::optional<double> copy_alone_us);
ProcessSummary summarize(const ProcessResult& process);

// "[rank 0] iter 1: K0 0.0..4001.2 | K1 ... | copy 5.1..70.3 | issued +3.2 us (gpu) ..." lines.
std::string format_iteration(int rank, const IterationResult& iteration);
// "[rank 0] copy finished X us after issue (median), overlap with compute: yes".
std::string format_summary(int rank, const ProcessResult& process);

nlohmann::json to_json(const ProcessResult& process);
nlohmann::json config_to_json(const WorkloadConfig& config);
// The document --json writes: {"tool", "format", "scenario", "config", "processes": [...]}.
nlohmann::json make_document(const WorkloadConfig& config, const std::vector<nlohmann::json>& processes);

double median(std::vector<double> values);

}  // namespace holdup::workload
