#pragma once
// The two-process run: the launcher starts both workers before any CUDA call
// (each worker is this program again, with the hidden --role worker), hands
// them the two ends of a socketpair, collects both exit codes and merges their
// JSON parts. It never touches CUDA itself, so a profiler sees only workers.

#include <string>
#include <vector>

#include "workload_config.h"

namespace holdup::workload {

// Returns the program's exit code: 0 when both workers succeeded.
int run_launcher(const WorkloadConfig& config, const std::vector<std::string>& user_args);

}  // namespace holdup::workload
