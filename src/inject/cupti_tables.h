#pragma once
// What holdup asks of CUPTI: the activity kind behind each ActivityKind and
// the callbacks it enables. Shared with the bare CUPTI floor in bench/, which
// must make exactly the same requests.

#include <cupti.h>

#include <array>
#include <cstddef>

#include "config.h"

namespace holdup::inject {

// Same order as ActivityKind.
inline constexpr std::array<CUpti_ActivityKind, static_cast<size_t>(ActivityKind::kCount)> kCuptiKinds = {
    CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL, CUPTI_ACTIVITY_KIND_MEMCPY,          CUPTI_ACTIVITY_KIND_MEMCPY2,
    CUPTI_ACTIVITY_KIND_MEMSET,            CUPTI_ACTIVITY_KIND_RUNTIME,         CUPTI_ACTIVITY_KIND_DRIVER,
    CUPTI_ACTIVITY_KIND_SYNCHRONIZATION,   CUPTI_ACTIVITY_KIND_CUDA_EVENT,      CUPTI_ACTIVITY_KIND_STREAM,
    CUPTI_ACTIVITY_KIND_DEVICE,            CUPTI_ACTIVITY_KIND_CONTEXT,         CUPTI_ACTIVITY_KIND_OVERHEAD,
    CUPTI_ACTIVITY_KIND_MARKER,            CUPTI_ACTIVITY_KIND_NAME};

// Driver launch APIs whose callback records which function a launch runs.
inline constexpr CUpti_CallbackId kLaunchCbids[] = {
    CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel,           CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel_ptsz,
    CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx,         CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx_ptsz,
    CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel, CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel_ptsz};

// Runtime APIs with a callback: flush before a device reset, capture range.
inline constexpr CUpti_CallbackId kRuntimeCbids[] = {CUPTI_RUNTIME_TRACE_CBID_cudaDeviceReset_v3020,
                                                     CUPTI_RUNTIME_TRACE_CBID_cudaProfilerStart_v4000,
                                                     CUPTI_RUNTIME_TRACE_CBID_cudaProfilerStop_v4000};

// Calls that record a CUDA event or make a stream wait for one: an
// EventCall each (Config::event_calls). Both domains, since an app may call
// either; the analysis keeps the outermost of a runtime call and the driver
// call inside it.
inline constexpr CUpti_CallbackId kEventCallRuntimeCbids[] = {
    CUPTI_RUNTIME_TRACE_CBID_cudaEventRecord_v3020,          CUPTI_RUNTIME_TRACE_CBID_cudaEventRecord_ptsz_v7000,
    CUPTI_RUNTIME_TRACE_CBID_cudaEventRecordWithFlags_v11010, CUPTI_RUNTIME_TRACE_CBID_cudaEventRecordWithFlags_ptsz_v11010,
    CUPTI_RUNTIME_TRACE_CBID_cudaStreamWaitEvent_v3020,      CUPTI_RUNTIME_TRACE_CBID_cudaStreamWaitEvent_ptsz_v7000};
inline constexpr CUpti_CallbackId kEventCallDriverCbids[] = {
    CUPTI_DRIVER_TRACE_CBID_cuEventRecord,          CUPTI_DRIVER_TRACE_CBID_cuEventRecord_ptsz,
    CUPTI_DRIVER_TRACE_CBID_cuEventRecordWithFlags, CUPTI_DRIVER_TRACE_CBID_cuEventRecordWithFlags_ptsz,
    CUPTI_DRIVER_TRACE_CBID_cuStreamWaitEvent,      CUPTI_DRIVER_TRACE_CBID_cuStreamWaitEvent_ptsz};

// Calls that enqueue a host function on a stream: an EventCall of kind
// HOST_FUNC each (with Config::event_calls). Kept apart from the event
// calls: if these cannot be enabled, the waits are still known.
inline constexpr CUpti_CallbackId kHostFuncRuntimeCbids[] = {
    CUPTI_RUNTIME_TRACE_CBID_cudaLaunchHostFunc_v10000,   CUPTI_RUNTIME_TRACE_CBID_cudaLaunchHostFunc_ptsz_v10000,
    CUPTI_RUNTIME_TRACE_CBID_cudaStreamAddCallback_v5000, CUPTI_RUNTIME_TRACE_CBID_cudaStreamAddCallback_ptsz_v7000};
inline constexpr CUpti_CallbackId kHostFuncDriverCbids[] = {
    CUPTI_DRIVER_TRACE_CBID_cuLaunchHostFunc,    CUPTI_DRIVER_TRACE_CBID_cuLaunchHostFunc_ptsz,
    CUPTI_DRIVER_TRACE_CBID_cuStreamAddCallback, CUPTI_DRIVER_TRACE_CBID_cuStreamAddCallback_ptsz};

}  // namespace holdup::inject
