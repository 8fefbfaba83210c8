#pragma once
// Host entry points for the workload's three kernels. Kernel0, Kernel1 and
// Kernel2 are distinct __global__ functions on purpose: lazy loading loads
// (and stalls the device for) each function separately at its first launch.

#include <cstddef>

#include <cuda_runtime_api.h>

#include "mailbox.h"

namespace holdup::workload {

inline constexpr int kReduceThreads = 256;

// `slot` (device pointer into the mapped mailbox) is null for a Kernel0 that
// does not trigger the copy.
cudaError_t launch_kernel0(cudaStream_t stream, int blocks, int threads, unsigned long long spin_ns,
                           MailboxSlot* slot, unsigned long long request);
cudaError_t launch_kernel1(cudaStream_t stream, int blocks, int threads, unsigned long long spin_ns);
cudaError_t launch_kernel2(cudaStream_t stream, int blocks, const float* input, std::size_t count, float* partials,
                           float* result);

}  // namespace holdup::workload
