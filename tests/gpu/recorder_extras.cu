// GPU proofs of recorder features the smoke program does not touch; each
// mode is run under holdup by run_recorder_extras.sh, which checks the trace.
//   holdup_recorder_extras graph           a captured graph (kernel + copy) launched 3 times
//   holdup_recorder_extras profiler-range  kernels before, inside and after cudaProfilerStart/Stop
//   holdup_recorder_extras fork            a child initializes CUDA after fork; the parent after it
#include <cuda_profiler_api.h>
#include <cuda_runtime.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#define PROBE_NAME "recorder_extras"
#include "probe_check.h"

__global__ void graph_kernel(float* p) { p[threadIdx.x] += 1.0f; }
__global__ void before_range_kernel(float* p) { p[threadIdx.x] = 1.0f; }
__global__ void inside_range_kernel(float* p) { p[threadIdx.x] = 2.0f; }
__global__ void after_range_kernel(float* p) { p[threadIdx.x] = 3.0f; }
__global__ void child_kernel(float* p) { p[threadIdx.x] = 4.0f; }
__global__ void parent_kernel(float* p) { p[threadIdx.x] = 5.0f; }

static int run_graph() {
  float *a = nullptr, *b = nullptr;
  CHECK(cudaMalloc(&a, 1 << 20));
  CHECK(cudaMalloc(&b, 1 << 20));
  cudaStream_t s;
  CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  graph_kernel<<<1, 32, 0, s>>>(a);
  CHECK(cudaMemcpyAsync(b, a, 1 << 20, cudaMemcpyDeviceToDevice, s));
  CHECK(cudaStreamEndCapture(s, &graph));
  CHECK(cudaGraphInstantiate(&exec, graph, 0));
  for (int i = 0; i < 3; ++i) CHECK(cudaGraphLaunch(exec, s));
  CHECK(cudaStreamSynchronize(s));
  std::printf("graph: 3 launches of (graph_kernel, 1 MiB D2D copy)\n");
  return 0;
}

static int run_profiler_range() {
  float* a = nullptr;
  CHECK(cudaMalloc(&a, 4096));
  for (int i = 0; i < 3; ++i) before_range_kernel<<<1, 32>>>(a);
  CHECK(cudaDeviceSynchronize());
  CHECK(cudaProfilerStart());
  for (int i = 0; i < 3; ++i) inside_range_kernel<<<1, 32>>>(a);
  CHECK(cudaDeviceSynchronize());
  CHECK(cudaProfilerStop());
  for (int i = 0; i < 3; ++i) after_range_kernel<<<1, 32>>>(a);
  CHECK(cudaDeviceSynchronize());
  std::printf("profiler-range: 3 kernels before, 3 inside, 3 after\n");
  return 0;
}

static int run_fork() {
  // No CUDA in the parent before fork: the child initializes CUDA itself.
  pid_t child = fork();
  if (child < 0) return 1;
  if (child == 0) {
    float* a = nullptr;
    CHECK(cudaMalloc(&a, 4096));
    child_kernel<<<1, 32>>>(a);
    CHECK(cudaDeviceSynchronize());
    std::exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  float* a = nullptr;
  CHECK(cudaMalloc(&a, 4096));
  parent_kernel<<<1, 32>>>(a);
  CHECK(cudaDeviceSynchronize());
  std::printf("fork: child %d exited %d; parent %d ran its kernel\n", child, WEXITSTATUS(status), getpid());
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (std::strcmp(mode, "graph") == 0) return run_graph();
  if (std::strcmp(mode, "profiler-range") == 0) return run_profiler_range();
  if (std::strcmp(mode, "fork") == 0) return run_fork();
  std::fprintf(stderr, "usage: %s graph|profiler-range|fork\n", argv[0]);
  return 2;
}
