#include "copy_issuer.h"

#include "cuda_check.h"

namespace holdup::workload {

void issue_copy(const CopyPlan& plan, cudaStream_t stream) {
  switch (plan.api) {
    case CopyApi::kMemcpyAsync:
      cuda_check(cudaMemcpyAsync(plan.destination, plan.source, plan.bytes, plan.kind, stream), "cudaMemcpyAsync");
      return;
    case CopyApi::kMemcpyPeerAsync:
      cuda_check(cudaMemcpyPeerAsync(plan.destination, plan.destination_device, plan.source, plan.source_device,
                                     plan.bytes, stream),
                 "cudaMemcpyPeerAsync");
      return;
    case CopyApi::kBatch: {
      void* destinations[] = {plan.destination};
      const void* sources[] = {plan.source};
      std::size_t sizes[] = {plan.bytes};
      cudaMemcpyAttributes attributes{};
      attributes.srcAccessOrder = cudaMemcpySrcAccessOrderStream;
      attributes.flags = cudaMemcpyFlagPreferOverlapWithCompute;
      std::size_t attribute_indices[] = {0};
      cuda_check(cudaMemcpyBatchAsync(destinations, sources, sizes, 1, &attributes, attribute_indices, 1, stream),
                 "cudaMemcpyBatchAsync(cudaMemcpyFlagPreferOverlapWithCompute)");
      return;
    }
  }
}

Signaller::Signaller(SignalKind kind, std::uint64_t* device_slots, int iterations)
    : kind_(kind), device_slots_(device_slots) {
  if (kind_ == SignalKind::kPageable) pageable_values_.assign(static_cast<std::size_t>(iterations), 0);
  if (kind_ == SignalKind::kPinned) {
    cuda_check(cudaMallocHost(reinterpret_cast<void**>(&pinned_values_), sizeof(std::uint64_t) * iterations),
               "cudaMallocHost(signal values)");
  }
}

Signaller::~Signaller() {
  if (pinned_values_ != nullptr) cudaFreeHost(pinned_values_);
}

bool Signaller::signal(int iteration, cudaStream_t stream) {
  // One source value per iteration: a pinned source must stay unchanged until
  // its copy has run, which may be long after the call returns.
  std::uint64_t* source = nullptr;
  switch (kind_) {
    case SignalKind::kNone: return false;
    case SignalKind::kPageable: source = &pageable_values_[static_cast<std::size_t>(iteration)]; break;
    case SignalKind::kPinned: source = &pinned_values_[iteration]; break;
  }
  *source = static_cast<std::uint64_t>(iteration) + 1;
  cuda_check(cudaMemcpyAsync(device_slots_ + iteration, source, sizeof(std::uint64_t), cudaMemcpyHostToDevice, stream),
             kind_ == SignalKind::kPageable ? "cudaMemcpyAsync(signal from pageable memory)"
                                            : "cudaMemcpyAsync(signal from pinned memory)");
  return true;
}

}  // namespace holdup::workload
