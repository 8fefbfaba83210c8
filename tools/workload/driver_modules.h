#pragma once
// Driver-API module handling for --module-loading separate|reload. The
// driver functions are fetched through cudaGetDriverEntryPointByVersion, so
// the executable does not link libcuda.so and still starts (and reports "no
// CUDA device") on machines without a driver.

#include <cstddef>
#include <string>

#include <cuda.h>
#include <cuda_runtime_api.h>

namespace holdup::workload {

namespace embedded {
// Kernel2 compiled alone (kernel2_module.cu) as a fatbin; holds holdup_kernel2_module.
extern const unsigned char kernel2_module_fatbin[];
extern const std::size_t kernel2_module_fatbin_size;
// reload_probe.cu as PTX text; holds holdup_reload_probe.
extern const unsigned char reload_probe_ptx[];
extern const std::size_t reload_probe_ptx_size;
}  // namespace embedded

class DriverModules {
 public:
  // Fetches the entry points; throws std::runtime_error naming the missing one.
  DriverModules();

  // Loads the Kernel2 fatbin and returns its function (once; later calls
  // return the same function).
  CUfunction kernel2_function();
  // Launches the module's Kernel2 with the runtime kernel's arguments.
  void launch_kernel2(CUfunction function, cudaStream_t stream, int blocks, int threads, const float* input,
                      std::size_t count, float* partials, float* result);
  // Loads the PTX probe module (JIT), looks its function up, unloads it.
  void reload_probe_module();
  void unload_all() noexcept;

 private:
  void check(CUresult result, const char* call);

  using ModuleLoadData = CUresult (*)(CUmodule*, const void*);
  using ModuleUnload = CUresult (*)(CUmodule);
  using ModuleGetFunction = CUresult (*)(CUfunction*, CUmodule, const char*);
  using LaunchKernel = CUresult (*)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                                    CUstream, void**, void**);
  using GetErrorString = CUresult (*)(CUresult, const char**);

  ModuleLoadData module_load_data_ = nullptr;
  ModuleUnload module_unload_ = nullptr;
  ModuleGetFunction module_get_function_ = nullptr;
  LaunchKernel launch_kernel_ = nullptr;
  GetErrorString get_error_string_ = nullptr;
  CUmodule kernel2_module_ = nullptr;
  CUfunction kernel2_function_ = nullptr;
};

}  // namespace holdup::workload
