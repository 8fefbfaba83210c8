#pragma once
// One process of the workload: compute stream running the kernel pattern,
// proxy thread serving Kernel0's requests with copies on the copy stream,
// and the event-based view of when each ran.

#include "workload_config.h"

namespace holdup::workload {

// Sets CUDA_MODULE_LOADING / CUDA_DEVICE_MAX_CONNECTIONS as the config asks.
// Must run before the first CUDA call of the process.
void apply_cuda_environment(const WorkloadConfig& config);

// Runs the process's part (rank config.rank). Returns the exit code; every
// failure has been printed.
int run_worker(const WorkloadConfig& config);

}  // namespace holdup::workload
