// GPU program for tests/gpu/run_fault_checks.sh: the process-level faults
// the recorder must survive. Each mode prints only what does not depend on
// timing or pids (stdout is compared with and without holdup), and exits 0
// unless a CUDA call fails (or as the mode says).
//
//   fault_probe work [--iterations N | --seconds S] [--marker FILE] [--launches K] [--show-ids 1]
//       N iterations (default 20), or S seconds, of a kernel filling a
//       buffer and a copy back, checked; K empty kernels more per iteration
//       (a high record rate). After the first iteration it writes
//       "loop_start_ns <ns>" to FILE. --show-ids: AT_SECURE and the user
//       ids on stderr (the set-user-id check).
//   fault_probe fork-nocuda     CUDA work, fork; the child uses no CUDA and
//                               exits (atexit handlers run); the parent works on
//   fault_probe fork-exec SELF  CUDA work, fork; the child execs SELF work (a
//                               CUDA child of its own); the parent works on
//   fault_probe exec            CUDA work, then exec of /bin/sh (no CUDA),
//                               which prints a line and exits 3
//   fault_probe threads N       N threads (64 alive at a time), each launches a
//                               kernel on its per-thread stream and syncs it
//   fault_probe reset           CUDA work, cudaDeviceReset, CUDA work again

#include <sys/auxv.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <cuda_runtime.h>

#define PROBE_NAME "fault_probe"
#include "probe_check.h"

__global__ void fill_kernel(unsigned* out, unsigned n, unsigned salt) {
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = i * 2654435761u + salt;
}

__global__ void empty_kernel() {}

__global__ void count_kernel(unsigned long long* counter) { atomicAdd(counter, 1ull); }

static double monotonic_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

static unsigned long long realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<unsigned long long>(ts.tv_sec) * 1000000000ull + static_cast<unsigned long long>(ts.tv_nsec);
}

// `iterations` rounds (or until `seconds` passed, if > 0) of fill + copy
// back + check; returns a checksum that depends only on the data.
static unsigned long long work(int iterations, double seconds, const char* marker, int launches) {
  const unsigned n = 1 << 16;
  unsigned* device = nullptr;
  unsigned* host = nullptr;
  CHECK(cudaMalloc(&device, n * sizeof(unsigned)));
  CHECK(cudaMallocHost(&host, n * sizeof(unsigned)));
  cudaStream_t stream;
  CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  const double start = monotonic_s();
  unsigned long long checksum = 0;
  for (int it = 0;; ++it) {
    if (seconds > 0 ? (it > 0 && monotonic_s() - start >= seconds) : it >= iterations) break;
    fill_kernel<<<(n + 255) / 256, 256, 0, stream>>>(device, n, 7);
    for (int k = 0; k < launches; ++k) empty_kernel<<<1, 32, 0, stream>>>();
    CHECK(cudaMemcpyAsync(host, device, n * sizeof(unsigned), cudaMemcpyDeviceToHost, stream));
    CHECK(cudaStreamSynchronize(stream));
    checksum = 0;
    for (unsigned i = 0; i < n; ++i) {
      if (host[i] != i * 2654435761u + 7) {
        std::fprintf(stderr, "fault_probe: wrong value at %u\n", i);
        std::exit(1);
      }
      checksum = checksum * 31 + host[i];
    }
    if (it == 0 && marker != nullptr) {
      if (FILE* f = std::fopen(marker, "a")) {
        std::fprintf(f, "loop_start_ns %llu\n", realtime_ns());
        std::fclose(f);
      }
    }
  }
  CHECK(cudaStreamDestroy(stream));
  CHECK(cudaFreeHost(host));
  CHECK(cudaFree(device));
  return checksum;
}

static int run_work(int argc, char** argv) {
  int iterations = 20, launches = 0;
  double seconds = 0;
  const char* marker = nullptr;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string opt = argv[i];
    if (opt == "--iterations") iterations = std::atoi(argv[i + 1]);
    else if (opt == "--seconds") seconds = std::atof(argv[i + 1]);
    else if (opt == "--marker") marker = argv[i + 1];
    else if (opt == "--launches") launches = std::atoi(argv[i + 1]);
    else if (opt == "--show-ids")
      std::fprintf(stderr, "fault_probe: AT_SECURE=%lu uid=%d euid=%d\n", getauxval(AT_SECURE),
                   static_cast<int>(getuid()), static_cast<int>(geteuid()));
    else {
      std::fprintf(stderr, "fault_probe: unknown option %s\n", opt.c_str());
      return 2;
    }
  }
  std::printf("work: checksum %llx\n", work(iterations, seconds, marker, launches));
  return 0;
}

static int run_fork_nocuda() {
  std::printf("before fork: checksum %llx\n", work(5, 0, nullptr, 0));
  std::fflush(stdout);
  const pid_t child = fork();
  if (child < 0) return 1;
  if (child == 0) {
    // No CUDA here; exit() runs the atexit handlers (holdup's among them).
    std::printf("child: no CUDA, exits 0\n");
    std::exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  std::printf("child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  std::printf("after fork: checksum %llx\n", work(5, 0, nullptr, 0));
  return 0;
}

static int run_fork_exec(const char* self) {
  std::printf("before fork: checksum %llx\n", work(5, 0, nullptr, 0));
  std::fflush(stdout);
  const pid_t child = fork();
  if (child < 0) return 1;
  if (child == 0) {
    execl(self, self, "work", "--iterations", "10", static_cast<char*>(nullptr));
    std::perror("fault_probe: exec");
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  std::printf("child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  std::printf("after fork: checksum %llx\n", work(5, 0, nullptr, 0));
  return 0;
}

static int run_exec() {
  std::printf("before exec: checksum %llx\n", work(5, 0, nullptr, 0));
  std::fflush(stdout);
  execl("/bin/sh", "sh", "-c", "echo 'exec: sh ran'; exit 3", static_cast<char*>(nullptr));
  std::perror("fault_probe: exec");
  return 127;
}

static int run_threads(int total) {
  unsigned long long* counter = nullptr;
  CHECK(cudaMalloc(&counter, sizeof *counter));
  CHECK(cudaMemset(counter, 0, sizeof *counter));
  CHECK(cudaDeviceSynchronize());
  std::atomic<int> failures{0};
  const int wave = 64;
  for (int done = 0; done < total; done += wave) {
    std::vector<std::thread> threads;
    for (int i = 0; i < wave && done + i < total; ++i) {
      threads.emplace_back([&failures, counter, i] {
        // Each launches a kernel; every other one also makes a plain API call.
        count_kernel<<<1, 1, 0, cudaStreamPerThread>>>(counter);
        if (cudaStreamSynchronize(cudaStreamPerThread) != cudaSuccess) ++failures;
        if (i % 2 == 1) {
          int device = -1;
          if (cudaGetDevice(&device) != cudaSuccess) ++failures;
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  unsigned long long launched = 0;
  CHECK(cudaMemcpy(&launched, counter, sizeof launched, cudaMemcpyDeviceToHost));
  std::printf("threads: %d created and joined, %llu kernels counted, %d failures\n", total, launched,
              failures.load());
  return launched == static_cast<unsigned long long>(total) && failures.load() == 0 ? 0 : 1;
}

static int run_reset() {
  std::printf("before reset: checksum %llx\n", work(10, 0, nullptr, 1000));
  CHECK(cudaDeviceReset());
  std::printf("after reset: checksum %llx\n", work(10, 0, nullptr, 1000));
  CHECK(cudaDeviceReset());
  std::printf("after second reset: checksum %llx\n", work(10, 0, nullptr, 0));
  return 0;
}

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "work") return run_work(argc, argv);
  if (mode == "fork-nocuda") return run_fork_nocuda();
  if (mode == "fork-exec" && argc > 2) return run_fork_exec(argv[2]);
  if (mode == "exec") return run_exec();
  if (mode == "threads") return run_threads(argc > 2 ? std::atoi(argv[2]) : 2000);
  if (mode == "reset") return run_reset();
  std::fprintf(stderr, "usage: %s work|fork-nocuda|fork-exec SELF|exec|threads N|reset\n", argv[0]);
  return 2;
}
