#include "driver_modules.h"

#include <stdexcept>

namespace holdup::workload {
namespace {

template <typename Function>
void fetch(const char* symbol, Function& function) {
  void* address = nullptr;
  cudaDriverEntryPointQueryResult status{};
  const cudaError_t error = cudaGetDriverEntryPointByVersion(symbol, &address, CUDA_VERSION, cudaEnableDefault, &status);
  if (error != cudaSuccess || status != cudaDriverEntryPointSuccess || address == nullptr) {
    throw std::runtime_error(std::string("cannot get the driver function ") + symbol +
                             " (cudaGetDriverEntryPointByVersion: " + cudaGetErrorString(error) +
                             "); --module-loading separate/reload need a driver of CUDA " +
                             std::to_string(CUDA_VERSION / 1000) + " or newer");
  }
  function = reinterpret_cast<Function>(address);
}

}  // namespace

DriverModules::DriverModules() {
  fetch("cuModuleLoadData", module_load_data_);
  fetch("cuModuleUnload", module_unload_);
  fetch("cuModuleGetFunction", module_get_function_);
  fetch("cuLaunchKernel", launch_kernel_);
  fetch("cuGetErrorString", get_error_string_);
}

void DriverModules::check(CUresult result, const char* call) {
  if (result == CUDA_SUCCESS) return;
  const char* text = nullptr;
  if (get_error_string_(result, &text) != CUDA_SUCCESS || text == nullptr) text = "unknown error";
  throw std::runtime_error(std::string(call) + " failed: " + text + " (error " + std::to_string(result) + ")");
}

CUfunction DriverModules::kernel2_function() {
  if (kernel2_function_ != nullptr) return kernel2_function_;
  check(module_load_data_(&kernel2_module_, embedded::kernel2_module_fatbin), "cuModuleLoadData(Kernel2 fatbin)");
  check(module_get_function_(&kernel2_function_, kernel2_module_, "holdup_kernel2_module"),
        "cuModuleGetFunction(holdup_kernel2_module)");
  return kernel2_function_;
}

void DriverModules::launch_kernel2(CUfunction function, cudaStream_t stream, int blocks, int threads,
                                   const float* input, std::size_t count, float* partials, float* result) {
  void* arguments[] = {&input, &count, &partials, &result};
  check(launch_kernel_(function, static_cast<unsigned>(blocks), 1, 1, static_cast<unsigned>(threads), 1, 1, 0,
                       reinterpret_cast<CUstream>(stream), arguments, nullptr),
        "cuLaunchKernel(holdup_kernel2_module)");
}

void DriverModules::reload_probe_module() {
  CUmodule module = nullptr;
  check(module_load_data_(&module, embedded::reload_probe_ptx), "cuModuleLoadData(reload probe PTX)");
  CUfunction function = nullptr;
  const CUresult lookup = module_get_function_(&function, module, "holdup_reload_probe");
  const CUresult unload = module_unload_(module);
  check(lookup, "cuModuleGetFunction(holdup_reload_probe)");
  check(unload, "cuModuleUnload(reload probe)");
}

void DriverModules::unload_all() noexcept {
  if (kernel2_module_ != nullptr) module_unload_(kernel2_module_);
  kernel2_module_ = nullptr;
  kernel2_function_ = nullptr;
}

}  // namespace holdup::workload
