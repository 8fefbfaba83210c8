#pragma once
// The proxy's copy and signal, as MSCCL++'s putWithSignal issues them: the
// data copy with the API chosen by --copy-api, then a small host-to-device
// copy on the same stream that tells the peer the data is there.

#include <cstddef>
#include <cstdint>
#include <vector>

#include <cuda_runtime_api.h>

#include "workload_config.h"

namespace holdup::workload {

struct CopyPlan {
  void* destination = nullptr;
  const void* source = nullptr;
  std::size_t bytes = 0;
  cudaMemcpyKind kind = cudaMemcpyDeviceToDevice;
  int destination_device = 0;  // for cudaMemcpyPeerAsync
  int source_device = 0;
  CopyApi api = CopyApi::kMemcpyAsync;
};

// Issues the data copy on `stream`. Throws CudaError.
void issue_copy(const CopyPlan& plan, cudaStream_t stream);

class Signaller {
 public:
  // `device_slots`: device memory with one 8-byte slot per iteration.
  Signaller(SignalKind kind, std::uint64_t* device_slots, int iterations);
  ~Signaller();
  Signaller(const Signaller&) = delete;
  Signaller& operator=(const Signaller&) = delete;

  // Writes iteration+1 into slot `iteration` with an 8-byte H2D copy. Returns
  // false when the kind is none.
  bool signal(int iteration, cudaStream_t stream);

 private:
  SignalKind kind_;
  std::uint64_t* device_slots_;
  std::vector<std::uint64_t> pageable_values_;  // ordinary heap memory
  std::uint64_t* pinned_values_ = nullptr;      // cudaMallocHost
};

}  // namespace holdup::workload
