#pragma once
// The CUDA calls whose API activity records holdup leaves out by default
// (HOLDUP_ALL_API_RECORDS=1 records them): queries that read state the
// caller's thread, the device or a stream already holds. None of them
// enqueues work, allocates, loads code, waits for the device or for another
// thread, so none can issue a copy, be a device-wide barrier, hold a lock a
// copy waits behind, or stall inside a copy's burst (src/analysis: split.cpp
// burst_before, causes_barrier.cpp barrier_kind, the host-lock search) — and
// no cause, export or report reads them by name. Calls that may load code
// under lazy loading (cuFuncGetAttribute, cuKernelGetAttribute,
// cudaFuncGetAttributes, the occupancy calculators, symbol lookups) and
// calls that may wait for the context (cudaPointerGetAttributes, event and
// stream queries) are not here. In the PyTorch corpus programs they are most of the API
// calls (cudaGetDevice alone: 1464 of 4214 in the gemm-side-copy fixture).
//
// Names are base names: without CUPTI's _vN version suffix and without the
// _ptsz/_ptds per-thread-stream suffix (every variant of a name is left out).
// No CUPTI dependency: the what-if bench (bench/whatif_records.cpp) applies
// the same list to recorded traces.

#include <algorithm>
#include <iterator>
#include <string_view>

#include "api_base_name.h"

namespace holdup::cuda_names {

inline constexpr std::string_view kQuietApis[] = {
    // Runtime: device, error and version queries.
    "cudaGetDevice", "cudaGetDeviceCount", "cudaGetDeviceProperties", "cudaDeviceGetAttribute",
    "cudaDeviceGetStreamPriorityRange", "cudaDeviceGetLimit", "cudaGetLastError", "cudaPeekAtLastError",
    "cudaDriverGetVersion", "cudaRuntimeGetVersion", "cudaGetDriverEntryPoint", "cudaGetDriverEntryPointByVersion",
    // Runtime: stream state queries.
    "cudaStreamIsCapturing", "cudaStreamGetCaptureInfo", "cudaStreamGetPriority", "cudaStreamGetFlags",
    "cudaStreamGetId", "cudaStreamGetDevice",
    // Driver: entry points, device, context and version queries.
    "cuGetProcAddress", "cuDriverGetVersion", "cuDeviceGet", "cuDeviceGetCount", "cuDeviceGetName",
    "cuDeviceGetUuid", "cuDeviceTotalMem", "cuDeviceGetAttribute", "cuDeviceGetPCIBusId",
    "cuDevicePrimaryCtxGetState", "cuCtxGetCurrent", "cuCtxGetDevice", "cuCtxGetApiVersion", "cuCtxGetFlags",
    "cuCtxGetId", "cuCtxGetLimit", "cuCtxGetStreamPriorityRange", "cuModuleGetLoadingMode",
    // Driver: stream state queries and names.
    "cuStreamIsCapturing", "cuStreamGetCaptureInfo", "cuStreamGetPriority", "cuStreamGetFlags", "cuStreamGetId",
    "cuStreamGetCtx", "cuStreamGetDevice", "cuKernelGetName", "cuFuncGetName"};

// True for every variant of a quiet call ("cuGetProcAddress_v2",
// "cudaStreamGetCaptureInfo_v2_ptsz").
constexpr bool is_quiet_api(std::string_view name) {
  const std::string_view base = api_base_name(name);
  return std::find(std::begin(kQuietApis), std::end(kQuietApis), base) != std::end(kQuietApis);
}

}  // namespace holdup::cuda_names
