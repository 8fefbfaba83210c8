#include "api_names.h"

#include <cupti.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "config.h"
#include "cuda_names/quiet_apis.h"

namespace holdup::inject {
namespace {

using cuda_names::api_base_name;
using cuda_names::is_quiet_api;
using cuda_names::kQuietApis;

TEST(ApiNames, RuntimeNamesLoseTheVersionSuffix) {
  EXPECT_EQ(api_name(ApiDomain::kRuntime, CUPTI_RUNTIME_TRACE_CBID_cudaMemcpyAsync_v3020), "cudaMemcpyAsync");
  EXPECT_EQ(api_name(ApiDomain::kRuntime, CUPTI_RUNTIME_TRACE_CBID_cudaMemcpyAsync_ptsz_v7000),
            "cudaMemcpyAsync_ptsz");
  EXPECT_EQ(api_name(ApiDomain::kRuntime, CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_v7000), "cudaLaunchKernel");
}

TEST(ApiNames, BothMemcpyBatchAsyncVariantsMap) {
  EXPECT_EQ(api_name(ApiDomain::kRuntime, CUPTI_RUNTIME_TRACE_CBID_cudaMemcpyBatchAsync_v12080),
            "cudaMemcpyBatchAsync");
  EXPECT_EQ(api_name(ApiDomain::kRuntime, CUPTI_RUNTIME_TRACE_CBID_cudaMemcpyBatchAsync_v13000),
            "cudaMemcpyBatchAsync");
  EXPECT_EQ(api_name(ApiDomain::kRuntime, CUPTI_RUNTIME_TRACE_CBID_cudaMemcpyBatchAsync_ptsz_v13000),
            "cudaMemcpyBatchAsync_ptsz");
}

TEST(ApiNames, DriverNamesKeepRealSuffixes) {
  EXPECT_EQ(api_name(ApiDomain::kDriver, CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel), "cuLaunchKernel");
  EXPECT_EQ(api_name(ApiDomain::kDriver, CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel_ptsz), "cuLaunchKernel_ptsz");
  EXPECT_EQ(api_name(ApiDomain::kDriver, CUPTI_DRIVER_TRACE_CBID_cuMemcpyHtoD_v2), "cuMemcpyHtoD_v2");
}

TEST(ApiNames, UnknownIsEmpty) {
  EXPECT_TRUE(api_name(ApiDomain::kRuntime, 999999).empty());
  EXPECT_TRUE(api_name(ApiDomain::kDriver, 0).empty());
}

// Issue 12: the queries whose API records holdup leaves out by default.
TEST(QuietApis, EveryVariantOfAQuietCallIsQuiet) {
  EXPECT_TRUE(is_quiet_api("cudaGetDevice"));
  EXPECT_TRUE(is_quiet_api("cudaGetLastError"));
  EXPECT_TRUE(is_quiet_api("cuGetProcAddress_v2"));
  EXPECT_TRUE(is_quiet_api("cudaStreamGetCaptureInfo_v2_ptsz"));
  EXPECT_TRUE(is_quiet_api("cuDevicePrimaryCtxGetState"));
  EXPECT_EQ(api_base_name("cuStreamGetCaptureInfo_v3_ptsz"), "cuStreamGetCaptureInfo");
  EXPECT_EQ(api_base_name("cuMemcpyHtoD_v2"), "cuMemcpyHtoD");
}

TEST(QuietApis, NoCallACauseOrTheSplitReadsIsQuiet) {
  // Calls that issue, wait for, allocate, load or may hold the context: the
  // analysis reads them (issuing calls, bursts, barriers, host locks), so
  // they are never left out. The lazy-loading ones (attributes, occupancy)
  // may load a function.
  for (const char* name :
       {"cudaMemcpyAsync", "cudaMemcpyAsync_ptsz", "cudaMemcpy", "cudaMemsetAsync", "cudaLaunchKernel",
        "cudaLaunchKernelExC", "cudaEventRecord", "cudaEventRecordWithFlags", "cudaStreamWaitEvent",
        "cudaEventSynchronize", "cudaStreamSynchronize", "cudaDeviceSynchronize", "cudaEventQuery", "cudaStreamQuery",
        "cudaMalloc", "cudaFree", "cudaHostAlloc", "cudaMallocAsync", "cudaFreeAsync", "cudaDeviceSetLimit",
        "cudaSetDevice", "cudaStreamCreateWithPriority", "cudaFuncGetAttributes", "cudaFuncSetAttribute",
        "cudaOccupancyMaxActiveClusters", "cudaOccupancyMaxActiveBlocksPerMultiprocessor", "cudaPointerGetAttributes",
        "cudaGraphLaunch", "cudaIpcOpenMemHandle", "cudaProfilerStart", "cudaDeviceReset", "cuLaunchKernel",
        "cuLaunchKernelEx", "cuMemcpyHtoDAsync_v2", "cuMemAlloc_v2", "cuMemFree_v2", "cuMemCreate", "cuMemMap",
        "cuModuleLoadData", "cuLibraryLoadData", "cuLibraryGetKernel", "cuFuncGetAttribute", "cuKernelGetAttribute",
        "cuKernelSetAttribute", "cuCtxSetLimit", "cuCtxSynchronize", "cuStreamWaitEvent", "cuEventRecord",
        "cuEventQuery", "cuInit", "cuDevicePrimaryCtxRetain", "cuCtxSetCurrent", "cuPointerGetAttributes"}) {
    EXPECT_FALSE(is_quiet_api(name)) << name;
  }
}

TEST(QuietApis, CbidsCoverEveryVariantInTheTables) {
  const auto runtime = quiet_api_cbids(ApiDomain::kRuntime);
  const auto driver = quiet_api_cbids(ApiDomain::kDriver);
  auto has = [](const std::vector<uint32_t>& v, uint32_t cbid) { return std::find(v.begin(), v.end(), cbid) != v.end(); };
  EXPECT_TRUE(has(runtime, CUPTI_RUNTIME_TRACE_CBID_cudaGetDevice_v3020));
  EXPECT_TRUE(has(runtime, CUPTI_RUNTIME_TRACE_CBID_cudaGetLastError_v3020));
  EXPECT_TRUE(has(runtime, CUPTI_RUNTIME_TRACE_CBID_cudaStreamIsCapturing_v10000));
  EXPECT_TRUE(has(runtime, CUPTI_RUNTIME_TRACE_CBID_cudaStreamIsCapturing_ptsz_v10000));
  EXPECT_FALSE(has(runtime, CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_v7000));
  EXPECT_TRUE(has(driver, CUPTI_DRIVER_TRACE_CBID_cuGetProcAddress));
  EXPECT_TRUE(has(driver, CUPTI_DRIVER_TRACE_CBID_cuGetProcAddress_v2));
  EXPECT_TRUE(has(driver, CUPTI_DRIVER_TRACE_CBID_cuDeviceGetAttribute));
  EXPECT_FALSE(has(driver, CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel));
  // Every cbid found is quiet by its table name, and every listed name
  // exists in this CUPTI's tables (a typo would leave a call recorded).
  std::map<std::string, int> found;
  for (uint32_t cbid : runtime) {
    EXPECT_TRUE(is_quiet_api(api_name(ApiDomain::kRuntime, cbid)));
    ++found[std::string(api_base_name(api_name(ApiDomain::kRuntime, cbid)))];
  }
  for (uint32_t cbid : driver) {
    EXPECT_TRUE(is_quiet_api(api_name(ApiDomain::kDriver, cbid)));
    ++found[std::string(api_base_name(api_name(ApiDomain::kDriver, cbid)))];
  }
  for (std::string_view name : kQuietApis) EXPECT_TRUE(found.count(std::string(name))) << name << " is in no cbid table";
}

TEST(QuietApis, SettingsRecordEverythingOnRequest) {
  auto parse = [](std::map<std::string, std::string> env) {
    std::vector<std::string> warnings;
    Config c = parse_config(
        [&](const char* name) -> const char* {
          auto it = env.find(name);
          return it == env.end() ? nullptr : it->second.c_str();
        },
        &warnings);
    EXPECT_TRUE(warnings.empty());
    return c;
  };
  const Config lean = parse({});
  EXPECT_FALSE(lean.all_api_records);
  EXPECT_FALSE(lean.all_launches);
  const Config all = parse({{"HOLDUP_ALL_API_RECORDS", "1"}, {"HOLDUP_ALL_LAUNCHES", "yes"}});
  EXPECT_TRUE(all.all_api_records);
  EXPECT_TRUE(all.all_launches);
}

}  // namespace
}  // namespace holdup::inject
