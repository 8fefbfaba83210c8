#pragma once
// The workload's whole configuration, as parsed from the command line and
// scenario presets. Host-only (no CUDA headers), so option parsing and the
// presets can be unit-tested on machines without a GPU.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace holdup::workload {

// Where the proxy's copy goes (and which engine is expected to run it).
enum class CopyPath {
  kPeer,         // into the peer process's buffer, opened with CUDA IPC
  kLocal,        // device-to-device inside this process's GPU
  kH2D,          // pinned host -> device
  kD2H,          // device -> pinned host
  kPageableH2D,  // malloc'd host -> device
};

enum class CopyApi {
  kMemcpyAsync,      // cudaMemcpyAsync, as the report
  kMemcpyPeerAsync,  // cudaMemcpyPeerAsync (device-to-device paths only)
  kBatch,            // cudaMemcpyBatchAsync + cudaMemcpyFlagPreferOverlapWithCompute
};

enum class ModuleLoading {
  kInherit,   // leave CUDA_MODULE_LOADING as the environment has it
  kLazy,      // CUDA_MODULE_LOADING=LAZY (the driver default)
  kEager,     // CUDA_MODULE_LOADING=EAGER
  kSeparate,  // Kernel2 from its own module, loaded by the launching thread
  kReload,    // a PTX module loaded and unloaded next to Kernel2, every iteration
};

enum class SignalKind {
  kPageable,  // 8-byte host-to-device copy from pageable memory (MSCCL++ default)
  kPinned,    // the same from pinned memory
  kNone,
};

enum class SyncBesideK2 {
  kNone,
  kMalloc,    // cudaMalloc/cudaFree of temp storage around Kernel2 (CUB style)
  kSetLimit,  // cudaDeviceSetLimit(cudaLimitStackSize), alternating values
};

enum class Role {
  kLauncher,  // the command the user runs: spawns the workers (or is one, with --procs 1)
  kWorker,    // hidden: one of the two processes, started by the launcher
};

struct WorkloadConfig {
  std::string scenario;  // empty when no preset was used

  int procs = 2;
  std::vector<int> gpus;  // empty: rank r uses device r % device count
  std::vector<int> pattern = {0, 1, 2};
  int iterations = 5;
  int warmup = 1;
  std::size_t bytes = std::size_t{64} << 20;
  std::uint32_t kernel_us = 4000;
  int blocks_per_sm = 8;
  int threads = 256;
  std::size_t reduce_elements = std::size_t{1} << 20;

  CopyPath copy_path = CopyPath::kPeer;
  CopyApi copy_api = CopyApi::kMemcpyAsync;
  ModuleLoading module_loading = ModuleLoading::kInherit;
  SignalKind signal = SignalKind::kPageable;
  SyncBesideK2 sync_beside_k2 = SyncBesideK2::kNone;

  int max_connections = 0;  // 0: leave CUDA_DEVICE_MAX_CONNECTIONS alone
  std::optional<int> priority_compute;
  std::optional<int> priority_copy;
  bool default_stream = false;        // compute on the legacy default stream
  bool blocking_copy_stream = false;  // copy stream created without cudaStreamNonBlocking
  bool thread_per_iteration = false;  // a new proxy thread for every iteration
  bool events = true;                 // --no-events turns the event-based view off

  double timeout_s = 30.0;
  std::string json_path;

  // Hidden, set by the launcher for its workers.
  Role role = Role::kLauncher;
  int rank = 0;
  int peer_fd = -1;
  std::string json_part_path;  // where a worker writes its part of --json
};

std::string_view option_name(CopyPath value);
std::string_view option_name(CopyApi value);
std::string_view option_name(ModuleLoading value);
std::string_view option_name(SignalKind value);
std::string_view option_name(SyncBesideK2 value);

// "0,1,2" -> {0,1,2}. Throws std::invalid_argument naming the bad element.
std::vector<int> parse_pattern(std::string_view text);
std::string format_pattern(const std::vector<int>& pattern);
// "0,1" -> {0,1}. Throws std::invalid_argument.
std::vector<int> parse_gpu_list(std::string_view text);

// Consistency checks that one option alone cannot make (pattern must hold
// Kernel0, --gpus must name one device per process, ...). Returns the first
// problem as a message for the user, or nullopt.
std::optional<std::string> validate(const WorkloadConfig& config);

// Total time after which a run is declared hung: every iteration (warm-up
// included) gets --timeout-s, plus two for set-up and tear-down.
double watchdog_seconds(const WorkloadConfig& config);

}  // namespace holdup::workload
