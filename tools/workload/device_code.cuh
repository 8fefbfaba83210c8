#pragma once
// Device code shared by the runtime-launched kernels (kernels.cu) and the
// separately compiled modules (kernel2_module.cu, reload_probe.cu).

#include <cstddef>

#include "mailbox.h"

namespace holdup::workload::device {

__device__ __forceinline__ unsigned long long globaltimer_ns() {
  unsigned long long now;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
  return now;
}

// Stands for a GEMM that occupies its SMs for `spin_ns`. With a slot, thread 0
// of block 0 posts the proxy's request at its start and watches for the
// proxy's "issuing" flag, so the GPU itself timestamps when the copy was
// issued.
__device__ __forceinline__ void spin(unsigned long long spin_ns, MailboxSlot* slot, unsigned long long request) {
  const unsigned long long start = globaltimer_ns();
  if (slot != nullptr && blockIdx.x == 0 && threadIdx.x == 0) {
    volatile MailboxSlot* mailbox = slot;
    mailbox->post_globaltimer_ns = start;
    __threadfence_system();
    mailbox->request = request;
    __threadfence_system();
    bool seen = false;
    unsigned long long now = start;
    while ((now = globaltimer_ns()) - start < spin_ns) {
      if (!seen && mailbox->issue_begin != 0) {
        mailbox->saw_issue_globaltimer_ns = now;
        __threadfence_system();
        seen = true;
      }
    }
    return;
  }
  while (globaltimer_ns() - start < spin_ns) {
  }
}

// A real reduction (sum of `count` floats): grid-stride loads, warp shuffles,
// one partial per block, then one atomic per block into `result`.
__device__ __forceinline__ void reduce_sum(const float* input, std::size_t count, float* partials, float* result) {
  __shared__ float warp_sums[32];
  float sum = 0.0f;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    sum += input[i];
  }
  for (int offset = 16; offset > 0; offset >>= 1) sum += __shfl_down_sync(0xffffffffu, sum, offset);
  const unsigned lane = threadIdx.x & 31u;
  const unsigned warp = threadIdx.x >> 5;
  if (lane == 0) warp_sums[warp] = sum;
  __syncthreads();
  if (warp == 0) {
    sum = lane < (blockDim.x + 31) / 32 ? warp_sums[lane] : 0.0f;
    for (int offset = 16; offset > 0; offset >>= 1) sum += __shfl_down_sync(0xffffffffu, sum, offset);
    if (lane == 0) {
      partials[blockIdx.x] = sum;
      atomicAdd(result, sum);
    }
  }
}

}  // namespace holdup::workload::device
