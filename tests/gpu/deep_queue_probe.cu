// GPU program for tests/gpu/run_integrity_checks.sh (issue 21): a host that
// runs far ahead of the GPU, as benchmarks and inference loops do.
//
//   deep_queue_probe [--iterations N] [--marker FILE]
//
// Per iteration, on one compute stream: two 2 ms full-grid kernels (8
// blocks of 256 threads per SM) and a 1 ms one; on a second non-blocking
// stream, a 64 MiB device-to-device copy. All N iterations (3000 by
// default, ~15 s of GPU work) are enqueued without waiting; the program
// synchronizes once at the end and exits 0, printing one JSON line
// (iterations, kernels, copies, seconds). With the recorder's old fixed
// 4 MiB buffers, the forced flushes of the loss bound cut most kernel
// records of such a run (2629 of 3603 on the H200, issue 21).
//
// After the first iteration was enqueued it writes "loop_start_ns
// <CLOCK_REALTIME ns>" to FILE (run_integrity_checks.sh times a SIGKILL
// from it).

#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <cuda_runtime.h>

#define PROBE_NAME "deep_queue_probe"
#include "probe_common.cuh"

int main(int argc, char** argv) {
  long iterations = 3000;
  const char* marker = nullptr;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string opt = argv[i];
    if (opt == "--iterations") iterations = std::atol(argv[i + 1]);
    else if (opt == "--marker") marker = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: %s [--iterations N] [--marker FILE]\n", argv[0]);
      return 2;
    }
  }
  int sms = 0;
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  cudaStream_t compute, copy;
  two_streams(&compute, &copy);
  const size_t bytes = size_t{64} << 20;
  const CopyBuffers buffers = copy_buffers(bytes, 1);
  void* const src = buffers.src;
  void* const dst = buffers.dst;
  CHECK(cudaDeviceSynchronize());

  const double loop_start = monotonic_s();
  for (long it = 0; it < iterations; ++it) {
    spin_kernel<<<sms * 8, 256, 0, compute>>>(2'000'000ull);
    spin_kernel<<<sms * 8, 256, 0, compute>>>(2'000'000ull);
    spin_kernel<<<sms, 128, 0, compute>>>(1'000'000ull);
    CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, copy));
    if (it == 0 && marker != nullptr) {
      if (FILE* f = std::fopen(marker, "a")) {
        std::fprintf(f, "loop_start_ns %llu\n", realtime_ns());
        std::fclose(f);
      }
    }
  }
  CHECK(cudaGetLastError());
  CHECK(cudaDeviceSynchronize());
  std::printf("{\"iterations\": %ld, \"kernels\": %ld, \"copies\": %ld, \"seconds\": %.3f}\n", iterations,
              iterations * 3, iterations, monotonic_s() - loop_start);
  return 0;
}
