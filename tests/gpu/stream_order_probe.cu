// GPU program for tests/gpu/run_diagnosis2.sh (issue 22): copies whose
// delay is their own stream's order, which CUPTI records only in part.
//
//   stream_order_probe host-func [--iterations N]
//   stream_order_probe graph-copy [--iterations N]
//   stream_order_probe time-slice [--iterations N]
//   stream_order_probe context-hold [--iterations N]
//
// host-func: per iteration, on a copy stream, a 100 us kernel, then a host
// function (cudaLaunchHostFunc) that sleeps 4 ms, then a 64 MiB
// device-to-device copy; meanwhile a compute stream runs a 6 ms kernel
// that fills every SM (work the copy does not depend on). The host
// function notes CLOCK_REALTIME (CUPTI's clock) when it returns: the truth
// of when the copy could start.
//
// graph-copy: a CUDA graph of a 48 MiB device-to-device copy node and a
// kernel node after it, replayed N times on one stream, with CUDA events
// around each replay's copy (a graph event-record node before and after);
// the program's own timing of each copy is the truth a record that
// contradicts its stream is checked against.
//
// time-slice: a forked second process (traced too, under `holdup run`)
// runs full-grid 2 ms kernels back to back on the same GPU while this one,
// per iteration, runs a one-block sentinel kernel for 8 ms that reads the
// GPU's global timer in a loop and notes every gap over 20 us (its
// context was switched out: the GPU ran the other process), and 1 ms in
// issues a 64 MiB device-to-device copy on another stream. The sentinel's
// gaps, as offsets from its first read (its kernel record's start), are
// the truth of when this process was time-sliced out; the copy's events
// time it (they wait out a time-slice too). Also printed: when the sentinel
// was launched (CLOCK_REALTIME) and its first global-timer read: a sentinel
// that starts late on its idle stream shows the context was off the GPU.
//
// context-hold: per iteration the main thread runs a 6 ms kernel of one
// 128-thread block per SM (a copy can run beside it) and wakes a holder
// thread, which calls a device-wide operation (cudaDeviceSetLimit of the
// stack size on even iterations, cudaMalloc + cudaFree on odd ones); 300 us
// after the holder entered it, a proxy thread records an event on its own
// stream and issues a 16 MiB device-to-device copy there. The program's
// own host clocks around each call (CLOCK_REALTIME) are the truth of which
// call held the proxy and for how long. Every iteration is held, the first
// and the last included.
//
// Prints one JSON line: per iteration, the truth.

#include <sys/wait.h>
#include <atomic>
#include <thread>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#define PROBE_NAME "stream_order_probe"
#include "probe_common.cuh"

namespace {

struct HostFuncNote {
  unsigned long long returned_ns = 0;
};

void CUDART_CB sleep_4ms(void* data) {
  usleep(4000);
  static_cast<HostFuncNote*>(data)->returned_ns = realtime_ns();
}

int host_func(long iterations) {
  int sms = 0;
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  cudaStream_t compute, copy;
  two_streams(&compute, &copy);
  const size_t bytes = size_t{64} << 20;
  const CopyBuffers buffers = copy_buffers(bytes, 1);
  void* const src = buffers.src;
  void* const dst = buffers.dst;
  // Every kernel loaded and run once before the loop (no lazy-loading barrier).
  spin_kernel<<<1, 32, 0, compute>>>(1000);
  CHECK(cudaDeviceSynchronize());
  std::vector<HostFuncNote> notes(iterations);
  std::vector<unsigned long long> issued(iterations);
  for (long it = 0; it < iterations; ++it) {
    spin_kernel<<<sms * 8, 256, 0, compute>>>(6'000'000ull);
    spin_kernel<<<sms, 128, 0, copy>>>(100'000ull);
    CHECK(cudaLaunchHostFunc(copy, sleep_4ms, &notes[it]));
    issued[it] = realtime_ns();
    CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, copy));
    CHECK(cudaDeviceSynchronize());
  }
  std::printf("{\"case\": \"host-func\", \"iterations\": [");
  for (long it = 0; it < iterations; ++it)
    std::printf("%s{\"copy_issued_ns\": %llu, \"host_func_returned_ns\": %llu}", it ? ", " : "", issued[it],
                notes[it].returned_ns);
  std::printf("]}\n");
  return 0;
}

int graph_copy(long iterations) {
  int sms = 0;
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  cudaStream_t stream, compute;
  two_streams(&stream, &compute);
  const size_t bytes = size_t{48} << 20;
  const CopyBuffers buffers = copy_buffers(bytes, 2);
  void* const src = buffers.src;
  void* const dst = buffers.dst;
  cudaEvent_t before, after;
  CHECK(cudaEventCreate(&before));
  CHECK(cudaEventCreate(&after));
  // Captured: event, copy, event, a short kernel.
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  // External: an event record node (a plain record in capture is only a
  // dependency edge, and the event is never recorded).
  CHECK(cudaEventRecordWithFlags(before, stream, cudaEventRecordExternal));
  CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream));
  CHECK(cudaEventRecordWithFlags(after, stream, cudaEventRecordExternal));
  spin_kernel<<<sms, 128, 0, stream>>>(200'000ull);
  CHECK(cudaStreamEndCapture(stream, &graph));
  CHECK(cudaGraphInstantiate(&exec, graph, 0));
  spin_kernel<<<1, 32, 0, compute>>>(1000);
  CHECK(cudaDeviceSynchronize());
  std::vector<float> copy_ms(iterations);
  for (long it = 0; it < iterations; ++it) {
    spin_kernel<<<sms * 8, 256, 0, compute>>>(4'000'000ull);
    CHECK(cudaGraphLaunch(exec, stream));
    CHECK(cudaStreamSynchronize(stream));
    CHECK(cudaEventElapsedTime(&copy_ms[it], before, after));
    CHECK(cudaDeviceSynchronize());
  }
  std::printf("{\"case\": \"graph-copy\", \"bytes\": %zu, \"iterations\": [", bytes);
  for (long it = 0; it < iterations; ++it) std::printf("%s{\"copy_ms_by_events\": %.4f}", it ? ", " : "", copy_ms[it]);
  std::printf("]}\n");
  return 0;
}

constexpr int kMaxGaps = 64;
struct SentinelLog {
  unsigned long long first_ns;
  unsigned int gaps;
  unsigned long long gap_begin[kMaxGaps];  // offsets from first_ns
  unsigned long long gap_end[kMaxGaps];
};

__global__ void sentinel(SentinelLog* log, unsigned long long run_ns) {
  const unsigned long long first = global_ns();
  unsigned long long last = first;
  unsigned int gaps = 0;
  while (last - first < run_ns) {
    const unsigned long long now = global_ns();
    if (now - last > 20'000ull && gaps < kMaxGaps) {
      log->gap_begin[gaps] = last - first;
      log->gap_end[gaps] = now - first;
      ++gaps;
    }
    last = now;
  }
  log->first_ns = first;
  log->gaps = gaps;
}

// The other process: full-grid kernels back to back until `seconds` pass.
int other_process(double seconds) {
  int sms = 0;
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  const double end = monotonic_s() + seconds;
  while (monotonic_s() < end) {
    for (int k = 0; k < 8; ++k) spin_kernel<<<sms * 8, 256>>>(2'000'000ull);
    CHECK(cudaDeviceSynchronize());
  }
  return 0;
}

int time_slice(long iterations) {
  const double seconds = 3.0 + iterations * 0.03;
  const pid_t child = fork();  // before this process touches CUDA
  if (child == 0) std::exit(other_process(seconds));
  cudaStream_t watch, copy;
  two_streams(&watch, &copy);
  const size_t bytes = size_t{64} << 20;
  const CopyBuffers buffers = copy_buffers(bytes, 3);
  void* const src = buffers.src;
  void* const dst = buffers.dst;
  SentinelLog* log = nullptr;
  CHECK(cudaMallocHost(&log, sizeof(SentinelLog) * iterations));
  cudaEvent_t before, after;
  CHECK(cudaEventCreate(&before));
  CHECK(cudaEventCreate(&after));
  sentinel<<<1, 1, 0, watch>>>(log, 1000);
  CHECK(cudaDeviceSynchronize());
  usleep(500'000);  // the other process is running
  std::vector<unsigned long long> issued(iterations), launched(iterations);
  std::vector<float> copy_ms(iterations);
  for (long it = 0; it < iterations; ++it) {
    launched[it] = realtime_ns();
    sentinel<<<1, 1, 0, watch>>>(&log[it], 8'000'000ull);
    usleep(1000);
    issued[it] = realtime_ns();
    CHECK(cudaEventRecord(before, copy));
    CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, copy));
    CHECK(cudaEventRecord(after, copy));
    CHECK(cudaDeviceSynchronize());
    CHECK(cudaEventElapsedTime(&copy_ms[it], before, after));
  }
  int status = 0;
  waitpid(child, &status, 0);
  std::printf("{\"case\": \"time-slice\", \"other_process_exit\": %d, \"iterations\": [",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  for (long it = 0; it < iterations; ++it) {
    const SentinelLog& l = log[it];
    std::printf("%s{\"copy_issued_ns\": %llu, \"sentinel_launched_ns\": %llu, \"copy_ms_by_events\": %.4f, "
                "\"sentinel_first_globaltimer_ns\": %llu, \"sentinel_gaps_ns\": [",
                it ? ", " : "", issued[it], launched[it], copy_ms[it], l.first_ns);
    for (unsigned g = 0; g < l.gaps; ++g) std::printf("%s[%llu, %llu]", g ? ", " : "", l.gap_begin[g], l.gap_end[g]);
    std::printf("]}");
  }
  std::printf("]}\n");
  return 0;
}

struct HoldNote {
  unsigned long long holder_begin_ns = 0, holder_end_ns = 0;
  unsigned long long record_begin_ns = 0, record_end_ns = 0;
  unsigned long long copy_begin_ns = 0, copy_end_ns = 0;
};

int context_hold(long iterations) {
  int sms = 0;
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  cudaStream_t compute, proxy;
  two_streams(&compute, &proxy);
  const size_t bytes = size_t{16} << 20;
  const CopyBuffers buffers = copy_buffers(bytes, 4);
  cudaEvent_t ready;
  CHECK(cudaEventCreateWithFlags(&ready, cudaEventDisableTiming));
  spin_kernel<<<1, 32, 0, compute>>>(1000);
  CHECK(cudaDeviceSynchronize());
  std::vector<HoldNote> notes(iterations);
  std::atomic<long> go{-1}, entered{-1}, holder_done{-1}, proxy_done{-1};
  std::thread holder([&] {
    for (long it = 0; it < iterations; ++it) {
      while (go.load() < it) std::this_thread::yield();
      notes[it].holder_begin_ns = realtime_ns();
      entered.store(it);
      if (it % 2 == 0) {
        CHECK(cudaDeviceSetLimit(cudaLimitStackSize, (it / 2) % 2 == 0 ? 4096 : 2048));
      } else {
        void* p = nullptr;
        CHECK(cudaMalloc(&p, size_t{64} << 20));
        CHECK(cudaFree(p));
      }
      notes[it].holder_end_ns = realtime_ns();
      holder_done.store(it);
    }
  });
  std::thread proxy_thread([&] {
    for (long it = 0; it < iterations; ++it) {
      while (entered.load() < it) std::this_thread::yield();
      usleep(300);
      HoldNote& n = notes[it];
      n.record_begin_ns = realtime_ns();
      CHECK(cudaEventRecord(ready, proxy));
      n.record_end_ns = n.copy_begin_ns = realtime_ns();
      CHECK(cudaMemcpyAsync(buffers.dst, buffers.src, bytes, cudaMemcpyDeviceToDevice, proxy));
      n.copy_end_ns = realtime_ns();
      proxy_done.store(it);
    }
  });
  for (long it = 0; it < iterations; ++it) {
    spin_kernel<<<sms, 128, 0, compute>>>(6'000'000ull);
    go.store(it);
    while (holder_done.load() < it || proxy_done.load() < it) std::this_thread::yield();
    CHECK(cudaDeviceSynchronize());
  }
  holder.join();
  proxy_thread.join();
  std::printf("{\"case\": \"context-hold\", \"iterations\": [");
  for (long it = 0; it < iterations; ++it) {
    const HoldNote& n = notes[it];
    std::printf("%s{\"holder\": \"%s\", \"holder_begin_ns\": %llu, \"holder_end_ns\": %llu, "
                "\"record_begin_ns\": %llu, \"record_end_ns\": %llu, \"copy_begin_ns\": %llu, \"copy_end_ns\": %llu}",
                it ? ", " : "", it % 2 == 0 ? "cudaDeviceSetLimit" : "cudaMalloc+cudaFree", n.holder_begin_ns,
                n.holder_end_ns, n.record_begin_ns, n.record_end_ns, n.copy_begin_ns, n.copy_end_ns);
  }
  std::printf("]}\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s host-func|graph-copy|time-slice|context-hold [--iterations N]\n", argv[0]);
    return 2;
  }
  const std::string which = argv[1];
  long iterations = 12;
  for (int i = 2; i + 1 < argc; i += 2)
    if (std::strcmp(argv[i], "--iterations") == 0) iterations = std::atol(argv[i + 1]);
  if (which == "host-func") return host_func(iterations);
  if (which == "graph-copy") return graph_copy(iterations);
  if (which == "time-slice") return time_slice(iterations);
  if (which == "context-hold") return context_hold(iterations);
  std::fprintf(stderr, "usage: %s host-func|graph-copy|time-slice|context-hold [--iterations N]\n", argv[0]);
  return 2;
}
