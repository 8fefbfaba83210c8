#pragma once
// CUDA runtime errors as exceptions inside the workload's own code (never
// thrown across a CUDA callback): the message names the call that failed.

#include <stdexcept>
#include <string>

#include <cuda_runtime_api.h>

namespace holdup::workload {

struct CudaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline void cuda_check(cudaError_t error, const char* call) {
  if (error != cudaSuccess) {
    throw CudaError(std::string(call) + " failed: " + cudaGetErrorString(error) + " (" + cudaGetErrorName(error) +
                    ")");
  }
}

}  // namespace holdup::workload
