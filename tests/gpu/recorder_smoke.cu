// GPU proof program for the recorder: a little of everything holdup must
// record, and a JSON of what it did for the checker to compare against.
//
//   recorder_smoke OUT.json
//
// Two non-blocking streams with kernels on both, a device-to-device
// cudaMemcpyAsync, a pinned host-to-device copy, a cudaMemsetAsync, a
// cudaMemcpyPeerAsync to the same device, an event recorded on one stream
// and waited on by the other, an NVTX range, named threads, and a second
// host thread issuing a copy on its own stream.

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <cuda_runtime.h>
#include <nvtx3/nvToolsExt.h>

#define PROBE_NAME "recorder_smoke"
#include "probe_check.h"

__global__ void spin_kernel(long long cycles) {
  long long start = clock64();
  while (clock64() - start < cycles) {
  }
}

__global__ void fill_kernel(float* data, size_t n, float value) {
  size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i < n) data[i] = value;
}

static uint32_t tid() { return static_cast<uint32_t>(syscall(SYS_gettid)); }

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT.json\n", argv[0]);
    return 2;
  }
  pthread_setname_np(pthread_self(), "smoke-main");
  // CUDA first: the recorder starts at CUDA's initialization, so an NVTX
  // range opened before it has no start record (a documented limit).
  CHECK(cudaFree(nullptr));
  nvtxNameOsThreadA(tid(), "smoke-main");
  nvtxRangePushA("smoke");

  const size_t bytes = 16 << 20;
  const size_t n = bytes / sizeof(float);
  float *a = nullptr, *b = nullptr, *c = nullptr, *host = nullptr;
  CHECK(cudaMalloc(&a, bytes));
  CHECK(cudaMalloc(&b, bytes));
  CHECK(cudaMalloc(&c, bytes));
  CHECK(cudaMallocHost(&host, bytes));
  cudaStream_t compute, copy, proxy_stream;
  CHECK(cudaStreamCreateWithFlags(&compute, cudaStreamNonBlocking));
  CHECK(cudaStreamCreateWithFlags(&copy, cudaStreamNonBlocking));
  CHECK(cudaStreamCreateWithFlags(&proxy_stream, cudaStreamNonBlocking));
  cudaEvent_t ready;
  CHECK(cudaEventCreateWithFlags(&ready, cudaEventDisableTiming));

  int kernels = 0;
  fill_kernel<<<(n + 255) / 256, 256, 0, compute>>>(a, n, 1.0f);
  ++kernels;
  spin_kernel<<<1, 32, 0, compute>>>(1'000'000);
  ++kernels;
  spin_kernel<<<1, 32, 0, copy>>>(500'000);
  ++kernels;
  CHECK(cudaEventRecord(ready, compute));
  CHECK(cudaStreamWaitEvent(copy, ready, 0));
  CHECK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, copy));           // D2D
  CHECK(cudaMemcpyAsync(c, host, bytes, cudaMemcpyHostToDevice, copy));          // pinned H2D
  CHECK(cudaMemsetAsync(c, 0, bytes, compute));                                  // memset
  CHECK(cudaMemcpyPeerAsync(c, 0, b, 0, bytes, copy));                           // "peer" on one device

  std::thread proxy([&] {
    pthread_setname_np(pthread_self(), "smoke-proxy");
    nvtxNameOsThreadA(tid(), "smoke-proxy");
    CHECK(cudaMemcpyAsync(a, b, bytes, cudaMemcpyDeviceToDevice, proxy_stream));
    CHECK(cudaStreamSynchronize(proxy_stream));
  });
  proxy.join();
  fill_kernel<<<(n + 255) / 256, 256, 0, compute>>>(b, n, 2.0f);
  ++kernels;
  CHECK(cudaDeviceSynchronize());
  nvtxRangePop();

  FILE* out = std::fopen(argv[1], "w");
  if (out == nullptr) {
    std::perror(argv[1]);
    return 1;
  }
  std::fprintf(out,
               "{\n"
               "  \"pid\": %d,\n"
               "  \"kernels\": %d,\n"
               "  \"kernel_names\": [\"spin_kernel\", \"fill_kernel\"],\n"
               "  \"copies\": 4,\n"
               "  \"copy_kinds\": {\"dtod\": 2, \"htod\": 1, \"peer_same_device\": 1},\n"
               "  \"memsets\": 1,\n"
               "  \"bytes_per_copy\": %zu,\n"
               "  \"streams_created\": 3,\n"
               "  \"events_recorded\": 1,\n"
               "  \"stream_waits\": 1,\n"
               "  \"nvtx_ranges\": [\"smoke\"],\n"
               "  \"threads\": [\"smoke-main\", \"smoke-proxy\"]\n"
               "}\n",
               static_cast<int>(getpid()), kernels, bytes);
  std::fclose(out);
  CHECK(cudaFreeHost(host));
  CHECK(cudaFree(a));
  CHECK(cudaFree(b));
  CHECK(cudaFree(c));
  return 0;
}
