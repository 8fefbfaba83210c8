// Overhead check from the H100 facts: a new proxy thread per iteration
// issues one copy. With a naive recorder, CUPTI's buffer request on each new
// thread delayed every copy by milliseconds. Prints, for the current
// process (run once without and once with holdup), how long after the main
// thread marked the iteration's start the copy finished (CUDA events):
//
//   thread_per_iteration [ITERATIONS]
//   -> {"iterations": N, "median_ms": x, "p99_ms": y, "max_ms": z}

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include <cuda_runtime.h>

#define PROBE_NAME "thread_per_iteration"
#include "probe_check.h"

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 200;
  const size_t bytes = 1 << 20;
  void *src = nullptr, *dst = nullptr;
  CHECK(cudaMalloc(&src, bytes));
  CHECK(cudaMalloc(&dst, bytes));
  cudaStream_t stream;
  CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  cudaEvent_t begin, end;
  CHECK(cudaEventCreate(&begin));
  CHECK(cudaEventCreate(&end));
  // Warm-up: first copy, lazy loading, first buffer requests.
  CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream));
  CHECK(cudaStreamSynchronize(stream));

  std::vector<float> ms;
  for (int i = 0; i < iterations; ++i) {
    CHECK(cudaEventRecord(begin, stream));
    std::thread proxy([&] {
      CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream));
      CHECK(cudaEventRecord(end, stream));
    });
    proxy.join();
    CHECK(cudaEventSynchronize(end));
    float t = 0;
    CHECK(cudaEventElapsedTime(&t, begin, end));
    ms.push_back(t);
  }
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))]; };
  std::printf("{\"iterations\": %d, \"median_ms\": %.4f, \"p99_ms\": %.4f, \"max_ms\": %.4f}\n", iterations,
              at(0.5), at(0.99), ms.back());
  return 0;
}
