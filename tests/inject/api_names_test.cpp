#include "api_names.h"

#include <cupti.h>
#include <gtest/gtest.h>

namespace holdup::inject {
namespace {

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

}  // namespace
}  // namespace holdup::inject
