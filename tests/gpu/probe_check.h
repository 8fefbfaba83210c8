#pragma once
// The CUDA check every GPU probe of tests/gpu uses: names the program and
// the failed call, and exits 1 (these are test programs, not the recorder).

#include <cstdio>
#include <cstdlib>

#include <cuda_runtime.h>

// PROBE_NAME: the program's name in error messages (defined before the include).
#define CHECK(call)                                                                          \
  do {                                                                                       \
    cudaError_t e_ = (call);                                                                 \
    if (e_ != cudaSuccess) {                                                                 \
      std::fprintf(stderr, PROBE_NAME ": %s failed: %s\n", #call, cudaGetErrorString(e_));   \
      std::exit(1);                                                                          \
    }                                                                                        \
  } while (0)
