// holdup-bench-launch: a launch-bound microbenchmark for recording overhead.
//
// N host threads, each with its own non-blocking stream, loop as fast as
// they go for a fixed time over: a tiny kernel, a small pinned H2D copy, a
// small pinned D2H copy and a cudaEventRecord (4 operations). Every
// --sync-every loops a thread synchronizes its stream, so the queue stays
// bounded and the count measures completed work, not a filling push buffer.
// Prints one JSON object on stdout: operations per second (steady state)
// and start-up time (main entry to the first timed operation) separately.
//
// --floor-sweep "SET;SET;..." (under libholdup_floor.so, issue 12): while
// the threads run, the main thread switches the floor's CUPTI set-up
// (holdup_floor_select) round by round, each set for --sweep-phase-s after
// --sweep-settle-s, each round in its own shuffled order (seeded by process
// and round: a rotated order gives every set the same predecessor, and a
// set's cost can linger after a switch), and reports ops/s per
// set ("sweep" in the JSON): what each CUPTI kind or callback adds, in one
// process, side by side.
//
// Exit: 0, 1 on a CUDA error, 2 on a bad command line, 77 when there is no
// CUDA device (scripts treat it as "skipped").

#include <cuda_runtime.h>
#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace {

using Clock = std::chrono::steady_clock;

__global__ void tiny_kernel(unsigned* counter) {
  if (threadIdx.x == 0) atomicAdd(counter, 1u);
}

struct Options {
  int threads = 4;
  double seconds = 3.0;
  size_t bytes = 4096;
  int sync_every = 64;
  std::string floor_sweep;  // ';'-separated floor sets
  int sweep_rounds = 4;
  double sweep_phase_s = 0.25;
  double sweep_settle_s = 0.05;
};

// The loop count of one thread, on a cache line of its own.
struct alignas(64) Progress {
  std::atomic<uint64_t> loops{0};
};

using SelectFn = int (*)(const char*);

// holdup_floor_select of the injected floor library, or nullptr.
SelectFn floor_select() {
  const char* path = std::getenv("CUDA_INJECTION64_PATH");
  if (path == nullptr) return nullptr;
  void* handle = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
  return handle ? reinterpret_cast<SelectFn>(dlsym(handle, "holdup_floor_select")) : nullptr;
}

struct ThreadResult {
  uint64_t loops = 0;
  cudaError_t error = cudaSuccess;
  std::string failed_call;
};

// Per-thread resources, created before the timed region.
struct Lane {
  cudaStream_t stream = nullptr;
  cudaEvent_t event = nullptr;
  void* host_in = nullptr;
  void* host_out = nullptr;
  void* device = nullptr;
  unsigned* counter = nullptr;
};

bool check(cudaError_t e, const char* call, ThreadResult& r) {
  if (e == cudaSuccess) return true;
  if (r.error == cudaSuccess) {
    r.error = e;
    r.failed_call = call;
  }
  return false;
}

bool create_lane(Lane& lane, const Options& o, ThreadResult& r) {
  return check(cudaStreamCreateWithFlags(&lane.stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags", r) &&
         check(cudaEventCreateWithFlags(&lane.event, cudaEventDisableTiming), "cudaEventCreateWithFlags", r) &&
         check(cudaHostAlloc(&lane.host_in, o.bytes, cudaHostAllocDefault), "cudaHostAlloc", r) &&
         check(cudaHostAlloc(&lane.host_out, o.bytes, cudaHostAllocDefault), "cudaHostAlloc", r) &&
         check(cudaMalloc(&lane.device, o.bytes), "cudaMalloc", r) &&
         check(cudaMalloc(reinterpret_cast<void**>(&lane.counter), sizeof(unsigned)), "cudaMalloc", r);
}

// One loop: 4 operations. Returns false on the first error.
bool one_loop(Lane& lane, const Options& o, ThreadResult& r) {
  tiny_kernel<<<1, 32, 0, lane.stream>>>(lane.counter);
  return check(cudaGetLastError(), "tiny_kernel launch", r) &&
         check(cudaMemcpyAsync(lane.device, lane.host_in, o.bytes, cudaMemcpyHostToDevice, lane.stream),
               "cudaMemcpyAsync(H2D)", r) &&
         check(cudaMemcpyAsync(lane.host_out, lane.device, o.bytes, cudaMemcpyDeviceToHost, lane.stream),
               "cudaMemcpyAsync(D2H)", r) &&
         check(cudaEventRecord(lane.event, lane.stream), "cudaEventRecord", r);
}

}  // namespace

int main(int argc, char** argv) {
  const auto main_entry = Clock::now();
  Options o;
  CLI::App app{"Launch-bound microbenchmark: tiny kernels, small pinned copies and event records from several "
               "host threads, as fast as they go, for a fixed time. Prints JSON."};
  app.add_option("--threads", o.threads, "Host threads, each with its own stream")->check(CLI::Range(1, 256))->capture_default_str();
  app.add_option("--seconds", o.seconds, "Length of the timed region")->check(CLI::Range(0.1, 600.0))->capture_default_str();
  app.add_option("--bytes", o.bytes, "Bytes per copy")->check(CLI::Range(size_t{1}, size_t{1} << 30))->capture_default_str();
  app.add_option("--sync-every", o.sync_every, "Loops between stream synchronizations")->check(CLI::Range(1, 1 << 20))->capture_default_str();
  app.add_option("--floor-sweep", o.floor_sweep, "Floor sets to switch between, ';'-separated (under libholdup_floor.so)");
  app.add_option("--sweep-rounds", o.sweep_rounds, "Rounds over the sets")->check(CLI::Range(1, 1000))->capture_default_str();
  app.add_option("--sweep-phase-s", o.sweep_phase_s, "Seconds measured per set and round")->check(CLI::Range(0.01, 60.0))->capture_default_str();
  app.add_option("--sweep-settle-s", o.sweep_settle_s, "Seconds after each switch before measuring")->check(CLI::Range(0.0, 60.0))->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::fprintf(stderr, "holdup-bench-launch: no CUDA device: skipped\n");
    return 77;
  }
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);

  std::vector<Lane> lanes(o.threads);
  std::vector<ThreadResult> results(o.threads);
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  std::vector<Progress> progress(o.threads);

  auto worker = [&](int index) {
    Lane& lane = lanes[index];
    ThreadResult& r = results[index];
    // Set-up and one untimed loop (first launch loads the kernel) count as start-up.
    bool ok = check(cudaSetDevice(0), "cudaSetDevice", r) && create_lane(lane, o, r) && one_loop(lane, o, r) &&
              check(cudaStreamSynchronize(lane.stream), "cudaStreamSynchronize", r);
    ready.fetch_add(1);
    while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
    if (!ok) return;
    uint64_t loops = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      if (!one_loop(lane, o, r)) return;
      ++loops;
      progress[index].loops.store(loops, std::memory_order_relaxed);
      if (loops % static_cast<uint64_t>(o.sync_every) == 0 &&
          !check(cudaStreamSynchronize(lane.stream), "cudaStreamSynchronize", r))
        return;
    }
    check(cudaStreamSynchronize(lane.stream), "cudaStreamSynchronize", r);
    r.loops = loops;
  };

  std::vector<std::thread> threads;
  for (int i = 0; i < o.threads; ++i) threads.emplace_back(worker, i);
  while (ready.load() < o.threads) std::this_thread::sleep_for(std::chrono::microseconds(100));
  std::vector<std::string> sets;
  for (std::stringstream in(o.floor_sweep); in.good();) {
    std::string set;
    std::getline(in, set, ';');
    if (!set.empty()) sets.push_back(set);
  }
  if (std::find(sets.begin(), sets.end(), "detached") != sets.end()) {
    // cuptiFinalize needs the app's CUDA work synchronized; these threads launch through every switch.
    std::fprintf(stderr, "holdup-bench-launch: the floor's `detached` set needs a quiescent app; not in this bench\n");
    stop.store(true);
    go.store(true, std::memory_order_release);
    for (auto& t : threads) t.join();
    return 2;
  }
  SelectFn select = sets.empty() ? nullptr : floor_select();
  if (!sets.empty() && select == nullptr) {
    std::fprintf(stderr, "holdup-bench-launch: --floor-sweep needs CUDA_INJECTION64_PATH=libholdup_floor.so\n");
    stop.store(true);
    go.store(true, std::memory_order_release);
    for (auto& t : threads) t.join();
    return 2;
  }
  std::map<std::string, std::vector<double>> sweep;  // set -> ops/s per round
  auto total_loops = [&] {
    uint64_t n = 0;
    for (const auto& p : progress) n += p.loops.load(std::memory_order_relaxed);
    return n;
  };
  const auto start = Clock::now();
  go.store(true, std::memory_order_release);
  if (sets.empty()) {
    std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  } else {
    for (int round = 0; round < o.sweep_rounds; ++round) {
      std::vector<std::string> order = sets;
      std::mt19937 shuffle(static_cast<uint32_t>(getpid()) * 1000u + static_cast<uint32_t>(round));
      std::shuffle(order.begin(), order.end(), shuffle);
      for (const std::string& set : order) {
        if (int rc = select(set.c_str()); rc != 0) {
          std::fprintf(stderr, "holdup-bench-launch: holdup_floor_select(%s) = %d\n", set.c_str(), rc);
          sweep[set].push_back(0.0);
          continue;
        }
        std::this_thread::sleep_for(std::chrono::duration<double>(o.sweep_settle_s));
        const uint64_t before = total_loops();
        const auto t0 = Clock::now();
        std::this_thread::sleep_for(std::chrono::duration<double>(o.sweep_phase_s));
        const uint64_t after = total_loops();
        const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
        sweep[set].push_back(static_cast<double>(after - before) * 4 / dt);
      }
    }
  }
  stop.store(true);
  for (auto& t : threads) t.join();
  const auto end = Clock::now();  // every thread's last work completed

  uint64_t loops = 0;
  for (int i = 0; i < o.threads; ++i) {
    if (results[i].error != cudaSuccess) {
      std::fprintf(stderr, "holdup-bench-launch: thread %d: %s failed: %s\n", i, results[i].failed_call.c_str(),
                   cudaGetErrorString(results[i].error));
      return 1;
    }
    loops += results[i].loops;
  }
  const double duration_s = std::chrono::duration<double>(end - start).count();
  const uint64_t ops = loops * 4;
  nlohmann::json out = {
      {"tool", "holdup-bench-launch"},
      {"device", prop.name},
      {"threads", o.threads},
      {"bytes", o.bytes},
      {"sync_every", o.sync_every},
      {"seconds_requested", o.seconds},
      {"duration_s", duration_s},
      {"ops", ops},
      {"ops_per_s", static_cast<double>(ops) / duration_s},
      {"ops_by_kind", {{"kernels", loops}, {"h2d", loops}, {"d2h", loops}, {"event_records", loops}}},
      {"startup_s", std::chrono::duration<double>(start - main_entry).count()},
  };
  if (!sweep.empty()) out["sweep"] = sweep;
  std::printf("%s\n", out.dump().c_str());
  for (auto& lane : lanes) {
    cudaStreamDestroy(lane.stream);
    cudaEventDestroy(lane.event);
    cudaFreeHost(lane.host_in);
    cudaFreeHost(lane.host_out);
    cudaFree(lane.device);
    cudaFree(lane.counter);
  }
  return 0;
}
