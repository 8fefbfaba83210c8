// GPU program for tests/gpu/run_crash_checks.sh: keeps the GPU busy at a low
// or a high record rate until it is killed, ends after a time, or ends
// itself by a crash signal.
//
//   crash_probe low|high --seconds S [--marker FILE] [--raise segv|abort]
//
// low:  per iteration, two 2 ms kernels and a 1 MiB device-to-host copy on
//       one stream, the host at most two iterations ahead (the GPU is never
//       idle, so a record is always in flight): ~5 ms per iteration.
// high: empty kernels launched back to back from one thread, a stream
//       synchronize every 4096 (well over 100k activity records/s).
// After the first iteration (CUDA initialized, modules loaded) it writes
// "loop_start_ns <CLOCK_REALTIME ns>" to FILE; the loop then runs S seconds
// (fractions allowed). With --raise it ends by raising SIGSEGV or calling
// abort() after S seconds, having appended "raise_ns <ns>" to FILE; without,
// it synchronizes and exits 0, printing one JSON line (mode, iterations,
// kernels, copies, seconds).

#include <signal.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <cuda_runtime.h>

#define PROBE_NAME "crash_probe"
#include "probe_common.cuh"

__global__ void empty_kernel() {}

static void append_marker(const char* path, const char* key, unsigned long long value) {
  if (path == nullptr) return;
  if (FILE* f = std::fopen(path, "a")) {
    std::fprintf(f, "%s %llu\n", key, value);
    std::fclose(f);
  }
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s low|high --seconds S [--marker FILE] [--raise segv|abort]\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  double seconds = 10;
  const char* marker = nullptr;
  std::string raise_kind;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string opt = argv[i];
    if (opt == "--seconds") seconds = std::atof(argv[i + 1]);
    else if (opt == "--marker") marker = argv[i + 1];
    else if (opt == "--raise") raise_kind = argv[i + 1];
    else {
      std::fprintf(stderr, "crash_probe: unknown option %s\n", opt.c_str());
      return 2;
    }
  }
  if ((mode != "low" && mode != "high") || (!raise_kind.empty() && raise_kind != "segv" && raise_kind != "abort")) {
    std::fprintf(stderr, "crash_probe: mode is low or high, --raise is segv or abort\n");
    return 2;
  }

  cudaStream_t stream;
  CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  const size_t copy_bytes = 1 << 20;
  void* device = nullptr;
  void* host = nullptr;
  CHECK(cudaMalloc(&device, copy_bytes));
  CHECK(cudaMallocHost(&host, copy_bytes));
  cudaEvent_t done[2];
  for (auto& e : done) CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));

  unsigned long long iterations = 0, kernels = 0, copies = 0;
  double loop_start = 0;
  for (;;) {
    if (mode == "low") {
      // At most two iterations queued: wait for the one before the last.
      CHECK(cudaEventSynchronize(done[iterations % 2]));
      spin_kernel<<<1, 32, 0, stream>>>(2'000'000ull);
      spin_kernel<<<1, 32, 0, stream>>>(2'000'000ull);
      CHECK(cudaMemcpyAsync(host, device, copy_bytes, cudaMemcpyDeviceToHost, stream));
      CHECK(cudaEventRecord(done[iterations % 2], stream));
      kernels += 2;
      copies += 1;
    } else {
      for (int i = 0; i < 4096; ++i) empty_kernel<<<1, 32, 0, stream>>>();
      CHECK(cudaStreamSynchronize(stream));
      kernels += 4096;
    }
    CHECK(cudaGetLastError());
    ++iterations;
    if (iterations == 1) {
      CHECK(cudaStreamSynchronize(stream));
      loop_start = monotonic_s();
      append_marker(marker, "loop_start_ns", realtime_ns());
      continue;
    }
    if (monotonic_s() - loop_start >= seconds) break;
  }
  if (!raise_kind.empty()) {
    append_marker(marker, "raise_ns", realtime_ns());
    if (raise_kind == "abort") std::abort();
    ::raise(SIGSEGV);
    return 99;
  }
  CHECK(cudaStreamSynchronize(stream));
  std::printf("{\"mode\": \"%s\", \"iterations\": %llu, \"kernels\": %llu, \"copies\": %llu, \"seconds\": %.3f}\n",
              mode.c_str(), iterations, kernels, copies, monotonic_s() - loop_start);
  return 0;
}
