// Kernel2 compiled on its own into a fatbin and embedded in the workload
// (--module-loading separate): the launching thread loads it with the driver
// API, as libraries that ship their own modules do.
#include "device_code.cuh"

extern "C" __global__ void holdup_kernel2_module(const float* input, std::size_t count, float* partials,
                                                 float* result) {
  holdup::workload::device::reduce_sum(input, count, partials, result);
}
