#pragma once
// What the GPU probe programs of tests/gpu share: a CUDA check that names
// the program, a kernel that spins on the GPU's global timer, and the host
// clocks their markers and timings use.

#include <time.h>

#include <cstdio>
#include <cstdlib>

#include <cuda_runtime.h>

#include "probe_check.h"

__device__ inline unsigned long long global_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

// Spins for `ns` on the GPU's global timer (independent of clock speed).
__global__ void spin_kernel(unsigned long long ns) {
  const unsigned long long start = global_ns();
  while (global_ns() - start < ns) {
  }
}

inline unsigned long long realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<unsigned long long>(ts.tv_sec) * 1000000000ull + static_cast<unsigned long long>(ts.tv_nsec);
}

inline double monotonic_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// A copy's two device buffers of `bytes`, the source filled with `fill`.
struct CopyBuffers {
  void* src = nullptr;
  void* dst = nullptr;
};
inline CopyBuffers copy_buffers(size_t bytes, int fill) {
  CopyBuffers b;
  CHECK(cudaMalloc(&b.src, bytes));
  CHECK(cudaMalloc(&b.dst, bytes));
  CHECK(cudaMemset(b.src, fill, bytes));
  return b;
}

// Two non-blocking streams (a compute and a copy stream, say).
inline void two_streams(cudaStream_t* a, cudaStream_t* b) {
  CHECK(cudaStreamCreateWithFlags(a, cudaStreamNonBlocking));
  CHECK(cudaStreamCreateWithFlags(b, cudaStreamNonBlocking));
}
