// GPU program for tests/gpu/run_fault_checks.sh: an app that is a CUPTI
// client itself, before or after holdup started (only one subscriber fits
// in a process, up to CUDA 13.2). What the app's own CUPTI calls returned
// goes to stderr (it differs under holdup: that is the fault); stdout holds
// only the work's result, which must not.
//
//   cupti_client_probe before   cuptiSubscribe before any CUDA call (CUDA is
//                               initialized inside it), runtime API callbacks
//                               counted, then CUDA work
//   cupti_client_probe after    CUDA work first (holdup subscribed at CUDA's
//                               initialization), then cuptiSubscribe, and
//                               the activity buffer callbacks taken over
//                               (cuptiActivityRegisterCallbacks, as a
//                               framework profiler does) for 100k launches

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <cuda_runtime.h>
#include <cupti.h>

#define PROBE_NAME "cupti_client_probe"
#include "probe_check.h"

__global__ void empty_kernel() {}
__global__ void add_kernel(int* p, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) p[i] += i;
}

static std::string result_name(CUptiResult r) {
  const char* s = nullptr;
  if (cuptiGetResultString(r, &s) != CUPTI_SUCCESS || s == nullptr) return "CUPTI error " + std::to_string(r);
  return s;
}

static unsigned long long g_callbacks = 0;
static unsigned long long g_kernel_records = 0;
static unsigned long long g_buffers = 0;
static unsigned long long g_foreign_buffers = 0;
// The buffers this client handed out: CUPTI may return buffers another
// client (holdup) gave it to whoever registered last; like Kineto, those are
// left alone.
static uint8_t* g_ours[4096];
static int g_ours_count = 0;

static void CUPTIAPI on_callback(void*, CUpti_CallbackDomain, CUpti_CallbackId, const void*) { ++g_callbacks; }

static void CUPTIAPI on_request(uint8_t** buffer, size_t* size, size_t* max_records) {
  const size_t bytes = 8u << 20;
  *buffer = g_ours_count < 4096 ? static_cast<uint8_t*>(std::aligned_alloc(8, bytes)) : nullptr;
  *size = *buffer != nullptr ? bytes : 0;
  if (*buffer != nullptr) g_ours[g_ours_count++] = *buffer;
  *max_records = 0;
}

static void CUPTIAPI on_complete(CUcontext, uint32_t, uint8_t* buffer, size_t, size_t valid) {
  bool ours = false;
  for (int i = 0; i < g_ours_count && !ours; ++i) ours = g_ours[i] == buffer;
  if (!ours) {
    ++g_foreign_buffers;
    return;
  }
  ++g_buffers;
  CUpti_Activity* record = nullptr;
  while (cuptiActivityGetNextRecord(buffer, valid, &record) == CUPTI_SUCCESS)
    if (record->kind == CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL) ++g_kernel_records;
  std::free(buffer);
}

// A small computation whose result does not depend on timing.
static long long work() {
  const int n = 4096;
  int* device = nullptr;
  CHECK(cudaMalloc(&device, n * sizeof(int)));
  CHECK(cudaMemset(device, 0, n * sizeof(int)));
  for (int r = 0; r < 10; ++r) add_kernel<<<(n + 255) / 256, 256>>>(device, n);
  static int host[4096];
  CHECK(cudaMemcpy(host, device, sizeof host, cudaMemcpyDeviceToHost));
  CHECK(cudaFree(device));
  long long sum = 0;
  for (int i = 0; i < n; ++i) sum += host[i];
  return sum;
}

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "before") {
    CUpti_SubscriberHandle subscriber = nullptr;
    const CUptiResult sub = cuptiSubscribe(&subscriber, reinterpret_cast<CUpti_CallbackFunc>(on_callback), nullptr);
    if (sub == CUPTI_SUCCESS) cuptiEnableDomain(1, subscriber, CUPTI_CB_DOMAIN_RUNTIME_API);
    const long long sum = work();
    std::printf("before: work sum %lld\n", sum);
    std::fprintf(stderr, "cupti_client_probe: app's cuptiSubscribe: %s; runtime callbacks seen: %llu\n",
                 result_name(sub).c_str(), g_callbacks);
    if (sub == CUPTI_SUCCESS) cuptiUnsubscribe(subscriber);
    return 0;
  }
  if (mode == "after") {
    std::printf("after: work sum %lld\n", work());
    CUpti_SubscriberHandle subscriber = nullptr;
    const CUptiResult sub = cuptiSubscribe(&subscriber, reinterpret_cast<CUpti_CallbackFunc>(on_callback), nullptr);
    const CUptiResult reg = cuptiActivityRegisterCallbacks(on_request, on_complete);
    const CUptiResult en = cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
    const int launches = 100000;
    for (int i = 0; i < launches; ++i) {
      empty_kernel<<<1, 32>>>();
      if (i % 4096 == 4095) CHECK(cudaDeviceSynchronize());
    }
    CHECK(cudaDeviceSynchronize());
    cuptiActivityFlushAll(1);
    std::printf("after: %d kernels launched\n", launches);
    std::fprintf(stderr,
                 "cupti_client_probe: app's cuptiSubscribe: %s; cuptiActivityRegisterCallbacks: %s; "
                 "cuptiActivityEnable(CONCURRENT_KERNEL): %s; the app's buffers came back %llu times with %llu "
                 "kernel records; %llu buffers not its own came back to it\n",
                 result_name(sub).c_str(), result_name(reg).c_str(), result_name(en).c_str(), g_buffers,
                 g_kernel_records, g_foreign_buffers);
    if (sub == CUPTI_SUCCESS) cuptiUnsubscribe(subscriber);
    return 0;
  }
  std::fprintf(stderr, "usage: %s before|after\n", argv[0]);
  return 2;
}
