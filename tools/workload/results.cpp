#include "results.h"

#include <algorithm>

#include <fmt/format.h>

namespace holdup::workload {

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

void judge_iteration(IterationResult& iteration, std::size_t trigger_position, std::optional<double> copy_alone_us) {
  if (!iteration.copy_end_us || !iteration.issue_us) return;
  iteration.finish_after_issue_us = *iteration.copy_end_us - *iteration.issue_us;
  if (copy_alone_us) {
    iteration.hold_us = std::max(0.0, *iteration.finish_after_issue_us - *copy_alone_us);
    iteration.held = *iteration.hold_us > std::max(kHeldMinimumUs, kHeldFractionOfCopy * *copy_alone_us);
  }
  if (trigger_position < iteration.kernels.size()) {
    iteration.overlap = *iteration.copy_end_us <= iteration.kernels[trigger_position].end_us;
  }
}

ProcessSummary summarize(const ProcessResult& process) {
  ProcessSummary summary;
  std::vector<double> finish_after_issue;
  std::vector<double> holds;
  for (const IterationResult& iteration : process.iterations) {
    if (iteration.finish_after_issue_us) finish_after_issue.push_back(*iteration.finish_after_issue_us);
    if (iteration.hold_us) holds.push_back(*iteration.hold_us);
    if (iteration.held) {
      ++summary.judged_iterations;
      if (*iteration.held) ++summary.held_iterations;
    }
    if (iteration.overlap && *iteration.overlap) ++summary.overlapped_iterations;
  }
  if (!finish_after_issue.empty()) summary.finish_after_issue_median_us = median(finish_after_issue);
  if (!holds.empty()) summary.hold_median_us = median(holds);
  return summary;
}

namespace {

std::string optional_us(const std::optional<double>& value) {
  return value ? fmt::format("{:.1f}", *value) : std::string("?");
}

nlohmann::json optional_json(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json optional_json(const std::optional<bool>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

std::string format_iteration(int rank, const IterationResult& iteration) {
  std::string line = fmt::format("[rank {}] iter {}:", rank, iteration.index);
  for (const KernelTiming& kernel : iteration.kernels) {
    line += fmt::format(" K{} {:.1f}..{:.1f} |", kernel.kernel, kernel.start_us, kernel.end_us);
  }
  if (iteration.copy_end_us) {
    line += fmt::format(" copy {}..{} |", optional_us(iteration.copy_start_us), optional_us(iteration.copy_end_us));
  }
  line += fmt::format(" issued {} us ({}), host: seen +{:.1f} issued +{:.1f} after K0 launch, issuing calls {:.1f} us",
                      optional_us(iteration.issue_us), iteration.issue_source, iteration.request_seen_host_us,
                      iteration.issue_host_us, iteration.copy_api_us);
  if (iteration.signal_api_us > 0) line += fmt::format(", signal call {:.1f} us", iteration.signal_api_us);
  if (iteration.held) {
    line += fmt::format(" | finished {} us after issue, {}", optional_us(iteration.finish_after_issue_us),
                        *iteration.held ? fmt::format("HELD {} us", optional_us(iteration.hold_us)) : "not held");
  }
  return line;
}

std::string format_summary(int rank, const ProcessResult& process) {
  const ProcessSummary summary = summarize(process);
  if (!summary.finish_after_issue_median_us) {
    return fmt::format("[rank {}] copy finished ? after issue (no events: run without --no-events)", rank);
  }
  const int measured = static_cast<int>(process.iterations.size());
  const bool overlap_always = summary.overlapped_iterations == measured;
  return fmt::format(
      "[rank {}] copy finished {:.1f} µs after issue (median), overlap with compute: {}{}; held in {} of {} "
      "iterations (copy alone {} µs, median hold {} µs)",
      rank, *summary.finish_after_issue_median_us, overlap_always ? "yes" : "no",
      overlap_always ? "" : fmt::format(" ({} of {} overlapped)", summary.overlapped_iterations, measured),
      summary.held_iterations, summary.judged_iterations, optional_us(process.copy_alone_us),
      optional_us(summary.hold_median_us));
}

nlohmann::json to_json(const ProcessResult& process) {
  nlohmann::json iterations = nlohmann::json::array();
  for (const IterationResult& iteration : process.iterations) {
    nlohmann::json kernels = nlohmann::json::array();
    for (const KernelTiming& kernel : iteration.kernels) {
      kernels.push_back({{"kernel", kernel.kernel}, {"start_us", kernel.start_us}, {"end_us", kernel.end_us}});
    }
    iterations.push_back({
        {"index", iteration.index},
        {"kernels", kernels},
        {"copy_start_us", optional_json(iteration.copy_start_us)},
        {"copy_end_us", optional_json(iteration.copy_end_us)},
        {"issue_us", optional_json(iteration.issue_us)},
        {"issue_source", iteration.issue_source},
        {"request_seen_host_us", iteration.request_seen_host_us},
        {"request_seen_since_start_us", iteration.request_seen_since_start_us},
        {"issue_host_us", iteration.issue_host_us},
        {"copy_api_us", iteration.copy_api_us},
        {"signal_api_us", iteration.signal_api_us},
        {"finish_after_issue_us", optional_json(iteration.finish_after_issue_us)},
        {"hold_us", optional_json(iteration.hold_us)},
        {"held", optional_json(iteration.held)},
        {"overlap", optional_json(iteration.overlap)},
    });
  }
  const ProcessSummary summary = summarize(process);
  return {
      {"rank", process.rank},
      {"pid", process.pid},
      {"device", process.device},
      {"device_name", process.device_name},
      {"sm_count", process.sm_count},
      {"copy_path", process.copy_path},
      {"copy_alone_us", optional_json(process.copy_alone_us)},
      {"reductions_checked", process.reductions_checked},
      {"reductions_wrong", process.reductions_wrong},
      {"iterations", iterations},
      {"summary",
       {{"finish_after_issue_median_us", optional_json(summary.finish_after_issue_median_us)},
        {"hold_median_us", optional_json(summary.hold_median_us)},
        {"held_iterations", summary.held_iterations},
        {"judged_iterations", summary.judged_iterations},
        {"overlapped_iterations", summary.overlapped_iterations},
        {"held", summary.held_iterations > 0}}},
  };
}

nlohmann::json config_to_json(const WorkloadConfig& config) {
  nlohmann::json json = {
      {"procs", config.procs},
      {"gpus", config.gpus},
      {"pattern", config.pattern},
      {"iterations", config.iterations},
      {"warmup", config.warmup},
      {"bytes", config.bytes},
      {"kernel_us", config.kernel_us},
      {"blocks_per_sm", config.blocks_per_sm},
      {"threads", config.threads},
      {"reduce_elements", config.reduce_elements},
      {"copy_path", option_name(config.copy_path)},
      {"copy_api", option_name(config.copy_api)},
      {"module_loading", option_name(config.module_loading)},
      {"signal", option_name(config.signal)},
      {"sync_beside_k2", option_name(config.sync_beside_k2)},
      {"max_connections", config.max_connections},
      {"priority_compute", config.priority_compute ? nlohmann::json(*config.priority_compute) : nullptr},
      {"priority_copy", config.priority_copy ? nlohmann::json(*config.priority_copy) : nullptr},
      {"default_stream", config.default_stream},
      {"blocking_copy_stream", config.blocking_copy_stream},
      {"thread_per_iteration", config.thread_per_iteration},
      {"events", config.events},
      {"timeout_s", config.timeout_s},
  };
  return json;
}

nlohmann::json make_document(const WorkloadConfig& config, const std::vector<nlohmann::json>& processes) {
  return {
      {"tool", "holdup-workload"},
      {"format", 1},
      {"scenario", config.scenario},
      {"config", config_to_json(config)},
      {"processes", processes},
  };
}

}  // namespace holdup::workload
