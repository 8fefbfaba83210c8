#include "device_code.cuh"
#include "kernels.h"

namespace holdup::workload {

// Stand-in for the report's CUTLASS kernel A.
__global__ void Kernel0(unsigned long long spin_ns, MailboxSlot* slot, unsigned long long request) {
  device::spin(spin_ns, slot, request);
}

// Stand-in for the report's CUTLASS kernel B.
__global__ void Kernel1(unsigned long long spin_ns) { device::spin(spin_ns, nullptr, 0); }

// The report's "user reduction kernel".
__global__ void Kernel2(const float* input, std::size_t count, float* partials, float* result) {
  device::reduce_sum(input, count, partials, result);
}

cudaError_t launch_kernel0(cudaStream_t stream, int blocks, int threads, unsigned long long spin_ns,
                           MailboxSlot* slot, unsigned long long request) {
  Kernel0<<<blocks, threads, 0, stream>>>(spin_ns, slot, request);
  return cudaGetLastError();
}

cudaError_t launch_kernel1(cudaStream_t stream, int blocks, int threads, unsigned long long spin_ns) {
  Kernel1<<<blocks, threads, 0, stream>>>(spin_ns);
  return cudaGetLastError();
}

cudaError_t launch_kernel2(cudaStream_t stream, int blocks, const float* input, std::size_t count, float* partials,
                           float* result) {
  Kernel2<<<blocks, kReduceThreads, 0, stream>>>(input, count, partials, result);
  return cudaGetLastError();
}

}  // namespace holdup::workload
