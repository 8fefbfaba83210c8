#include "worker.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <cuda_runtime.h>  // the typed cudaMalloc/cudaHostAlloc templates
#include <fmt/format.h>

#include "command_line.h"
#include "copy_issuer.h"
#include "cuda_check.h"
#include "driver_modules.h"
#include "kernels.h"
#include "mailbox.h"
#include "peer_link.h"
#include "proxy.h"
#include "results.h"
#include "watchdog.h"

namespace holdup::workload {
namespace {

using Clock = std::chrono::steady_clock;

double microseconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::micro>(to - from).count();
}

std::size_t round_up(std::size_t value, std::size_t alignment) { return (value + alignment - 1) / alignment * alignment; }

// The first run-time failure that is the user's doing (exit 2, not 1).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// No usable GPU: the one failure reported with the fixed "no CUDA device" text.
struct NoDevice : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct HelloMessage {
  std::int32_t rank;
  std::int32_t device;
  std::int32_t pid;
  std::int32_t procs;
  std::uint64_t bytes;
};

struct IpcHandleMessage {
  cudaIpcMemHandle_t handle;
};

class Worker {
 public:
  explicit Worker(const WorkloadConfig& config)
      : config_(config),
        total_iterations_(config.warmup + config.iterations),
        pattern_size_(static_cast<int>(config.pattern.size())),
        trigger_position_(static_cast<int>(std::find(config.pattern.begin(), config.pattern.end(), 0) -
                                           config.pattern.begin())) {}
  ~Worker() { release(); }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void run();
  // Best effort: tells the peer why this process stops.
  void notify_peer(const std::string& text) noexcept {
    if (link_) link_->send_error(text);
  }

 private:
  void open_device();
  void greet_peer();
  void create_streams();
  void allocate();
  void exchange_ipc_handles();
  void plan_copy();
  void measure_copy_alone();
  void create_events();
  void barrier(MessageType type);
  void run_iterations();
  void launch_iteration(int iteration);
  void launch_reduction(int iteration, int position);
  ProcessResult collect_results(const std::vector<ProxyTimes>& proxy_times);
  void check_reductions(ProcessResult& result);
  void report(const ProcessResult& result);
  void release() noexcept;

  const WorkloadConfig& config_;
  const int total_iterations_;
  const int pattern_size_;
  const int trigger_position_;

  int device_ = 0;
  int sm_count_ = 0;
  std::string device_name_;
  HelloMessage peer_hello_{};
  std::unique_ptr<PeerLink> link_;

  cudaStream_t compute_stream_ = nullptr;  // cudaStreamLegacy with --default-stream
  bool own_compute_stream_ = false;
  cudaStream_t copy_stream_ = nullptr;

  std::byte* receive_buffer_ = nullptr;  // device: copies from the peer land here, then signal slots
  std::size_t signal_offset_ = 0;
  std::byte* source_device_ = nullptr;
  std::byte* source_pinned_ = nullptr;
  std::vector<std::byte> source_pageable_;
  std::byte* destination_pinned_ = nullptr;
  std::byte* peer_receive_buffer_ = nullptr;  // opened with cudaIpcOpenMemHandle

  float* reduce_input_ = nullptr;
  float* reduce_partials_ = nullptr;
  float* reduce_results_ = nullptr;  // one per Kernel2 launch
  int reduce_blocks_ = 0;
  int reductions_per_iteration_ = 0;
  int spin_blocks_ = 0;

  MailboxSlot* mailbox_ = nullptr;  // host view
  MailboxSlot* mailbox_device_ = nullptr;

  std::vector<cudaEvent_t> compute_events_;  // (pattern size + 1) per iteration
  std::vector<cudaEvent_t> copy_begin_events_;
  std::vector<cudaEvent_t> copy_end_events_;

  CopyPlan plan_;
  std::unique_ptr<Signaller> signaller_;
  std::optional<double> copy_alone_us_;
  std::unique_ptr<DriverModules> driver_modules_;
  std::vector<Clock::time_point> kernel0_launch_times_;
};

void Worker::run() {
  open_device();
  if (config_.procs == 2) {
    link_ = std::make_unique<PeerLink>(config_.peer_fd, config_.timeout_s);
    greet_peer();
  }
  create_streams();
  allocate();
  if (config_.copy_path == CopyPath::kPeer && config_.procs == 2) exchange_ipc_handles();
  plan_copy();
  if (config_.module_loading == ModuleLoading::kSeparate || config_.module_loading == ModuleLoading::kReload) {
    driver_modules_ = std::make_unique<DriverModules>();
  }
  measure_copy_alone();
  create_events();
  if (link_) barrier(MessageType::kReady);
  run_iterations();
}

void Worker::open_device() {
  int count = 0;
  const cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess) throw NoDevice(cudaGetErrorString(error));
  if (count == 0) throw NoDevice("cudaGetDeviceCount found 0 devices");
  device_ = config_.gpus.empty() ? config_.rank % count : config_.gpus[static_cast<std::size_t>(config_.rank)];
  if (device_ >= count) {
    throw UsageError(fmt::format("--gpus names device {} but this process sees {} device(s) (0..{})", device_, count,
                                 count - 1));
  }
  cuda_check(cudaSetDevice(device_), "cudaSetDevice");
  cudaDeviceProp properties{};
  cuda_check(cudaGetDeviceProperties(&properties, device_), "cudaGetDeviceProperties");
  device_name_ = properties.name;
  sm_count_ = properties.multiProcessorCount;
  cuda_check(cudaFree(nullptr), "cudaFree(nullptr) (context creation)");
}

void Worker::greet_peer() {
  const HelloMessage hello{config_.rank, device_, static_cast<std::int32_t>(::getpid()), config_.procs, config_.bytes};
  link_->send_pod(MessageType::kHello, hello);
  peer_hello_ = link_->receive_pod<HelloMessage>(MessageType::kHello);
  if (peer_hello_.procs != config_.procs || peer_hello_.bytes != config_.bytes) {
    throw PeerError("the peer process runs with other options (procs/bytes differ): both must be started by one "
                    "holdup-workload command");
  }
}

void Worker::create_streams() {
  int least = 0;
  int greatest = 0;
  cuda_check(cudaDeviceGetStreamPriorityRange(&least, &greatest), "cudaDeviceGetStreamPriorityRange");
  auto checked_priority = [&](const std::optional<int>& priority, const char* option) {
    if (priority && (*priority > least || *priority < greatest)) {
      std::fprintf(stderr, "holdup-workload: [rank %d] note: %s %d is outside the device's range [%d (highest), %d]; "
                   "CUDA clamps it\n", config_.rank, option, *priority, greatest, least);
    }
    return priority.value_or(0);
  };
  const int compute_priority = checked_priority(config_.priority_compute, "--priority-compute");
  const int copy_priority = checked_priority(config_.priority_copy, "--priority-copy");
  if (config_.default_stream) {
    compute_stream_ = cudaStreamLegacy;
  } else {
    cuda_check(cudaStreamCreateWithPriority(&compute_stream_, cudaStreamNonBlocking, compute_priority),
               "cudaStreamCreateWithPriority(compute)");
    own_compute_stream_ = true;
  }
  cuda_check(cudaStreamCreateWithPriority(&copy_stream_,
                                          config_.blocking_copy_stream ? cudaStreamDefault : cudaStreamNonBlocking,
                                          copy_priority),
             "cudaStreamCreateWithPriority(copy)");
}

void Worker::allocate() {
  const std::size_t bytes = config_.bytes;
  signal_offset_ = round_up(bytes, 256);
  const std::size_t signal_bytes = round_up(sizeof(std::uint64_t) * static_cast<std::size_t>(total_iterations_), 256);
  cuda_check(cudaMalloc(&receive_buffer_, signal_offset_ + signal_bytes), "cudaMalloc(receive buffer)");
  cuda_check(cudaMemset(receive_buffer_, 0, signal_offset_ + signal_bytes), "cudaMemset(receive buffer)");

  switch (config_.copy_path) {
    case CopyPath::kPeer:
    case CopyPath::kLocal:
      cuda_check(cudaMalloc(&source_device_, bytes), "cudaMalloc(copy source)");
      cuda_check(cudaMemset(source_device_, 0x5a, bytes), "cudaMemset(copy source)");
      break;
    case CopyPath::kD2H:
      cuda_check(cudaMalloc(&source_device_, bytes), "cudaMalloc(copy source)");
      cuda_check(cudaMemset(source_device_, 0x5a, bytes), "cudaMemset(copy source)");
      cuda_check(cudaMallocHost(&destination_pinned_, bytes), "cudaMallocHost(copy destination)");
      break;
    case CopyPath::kH2D:
      cuda_check(cudaMallocHost(&source_pinned_, bytes), "cudaMallocHost(copy source)");
      std::memset(source_pinned_, 0x5a, bytes);
      break;
    case CopyPath::kPageableH2D:
      source_pageable_.assign(bytes, std::byte{0x5a});  // touched: no page faults inside the timed copies
      break;
  }

  reduce_blocks_ = std::max(1, sm_count_ * 2);
  spin_blocks_ = sm_count_ * config_.blocks_per_sm;
  reductions_per_iteration_ = static_cast<int>(std::count(config_.pattern.begin(), config_.pattern.end(), 2));
  const std::vector<float> ones(config_.reduce_elements, 1.0f);
  cuda_check(cudaMalloc(&reduce_input_, sizeof(float) * ones.size()), "cudaMalloc(reduction input)");
  cuda_check(cudaMemcpy(reduce_input_, ones.data(), sizeof(float) * ones.size(), cudaMemcpyHostToDevice),
             "cudaMemcpy(reduction input)");
  cuda_check(cudaMalloc(&reduce_partials_, sizeof(float) * static_cast<std::size_t>(reduce_blocks_)),
             "cudaMalloc(reduction partials)");
  const std::size_t result_count =
      std::max<std::size_t>(1, static_cast<std::size_t>(total_iterations_) * static_cast<std::size_t>(pattern_size_));
  cuda_check(cudaMalloc(&reduce_results_, sizeof(float) * result_count), "cudaMalloc(reduction results)");
  cuda_check(cudaMemset(reduce_results_, 0, sizeof(float) * result_count), "cudaMemset(reduction results)");

  cuda_check(cudaHostAlloc(&mailbox_, sizeof(MailboxSlot) * static_cast<std::size_t>(total_iterations_),
                           cudaHostAllocMapped),
             "cudaHostAlloc(mailbox, cudaHostAllocMapped)");
  std::memset(static_cast<void*>(mailbox_), 0, sizeof(MailboxSlot) * static_cast<std::size_t>(total_iterations_));
  cuda_check(cudaHostGetDevicePointer(&mailbox_device_, mailbox_, 0), "cudaHostGetDevicePointer(mailbox)");
  kernel0_launch_times_.resize(static_cast<std::size_t>(total_iterations_));
}

void Worker::exchange_ipc_handles() {
  IpcHandleMessage mine{};
  cuda_check(cudaIpcGetMemHandle(&mine.handle, receive_buffer_), "cudaIpcGetMemHandle(receive buffer)");
  link_->send_pod(MessageType::kIpcHandle, mine);
  const auto theirs = link_->receive_pod<IpcHandleMessage>(MessageType::kIpcHandle);
  void* opened = nullptr;
  cuda_check(cudaIpcOpenMemHandle(&opened, theirs.handle, cudaIpcMemLazyEnablePeerAccess),
             "cudaIpcOpenMemHandle(peer receive buffer)");
  peer_receive_buffer_ = static_cast<std::byte*>(opened);
}

void Worker::plan_copy() {
  plan_.bytes = config_.bytes;
  plan_.api = config_.copy_api;
  plan_.source_device = device_;
  plan_.destination_device = device_;
  std::byte* signal_base = receive_buffer_ + signal_offset_;
  switch (config_.copy_path) {
    case CopyPath::kPeer:
      plan_.source = source_device_;
      plan_.kind = cudaMemcpyDeviceToDevice;
      if (peer_receive_buffer_ != nullptr) {
        plan_.destination = peer_receive_buffer_;
        plan_.destination_device = peer_hello_.device;
        signal_base = peer_receive_buffer_ + signal_offset_;  // the peer's flag, as putWithSignal
      } else {
        plan_.destination = receive_buffer_;  // --procs 1: the "peer" buffer is ours
      }
      break;
    case CopyPath::kLocal:
      plan_.source = source_device_;
      plan_.destination = receive_buffer_;
      plan_.kind = cudaMemcpyDeviceToDevice;
      break;
    case CopyPath::kH2D:
      plan_.source = source_pinned_;
      plan_.destination = receive_buffer_;
      plan_.kind = cudaMemcpyHostToDevice;
      break;
    case CopyPath::kD2H:
      plan_.source = source_device_;
      plan_.destination = destination_pinned_;
      plan_.kind = cudaMemcpyDeviceToHost;
      break;
    case CopyPath::kPageableH2D:
      plan_.source = source_pageable_.data();
      plan_.destination = receive_buffer_;
      plan_.kind = cudaMemcpyHostToDevice;
      break;
  }
  signaller_ = std::make_unique<Signaller>(config_.signal, reinterpret_cast<std::uint64_t*>(signal_base),
                                           total_iterations_);
}

// The same copy on an otherwise idle stream: what "not held" looks like. Also
// warms the copy path (and the signal's staging) so the timed loop does not
// pay first-use costs that are not the mechanism under study. No kernel is
// launched here: their first launches belong to the timed loop.
void Worker::measure_copy_alone() {
  issue_copy(plan_, copy_stream_);
  signaller_->signal(0, copy_stream_);
  cuda_check(cudaStreamSynchronize(copy_stream_), "cudaStreamSynchronize(copy, warm-up)");
  if (!config_.events) return;
  cudaEvent_t begin = nullptr;
  cudaEvent_t end = nullptr;
  cuda_check(cudaEventCreate(&begin), "cudaEventCreate");
  cuda_check(cudaEventCreate(&end), "cudaEventCreate");
  float fastest_ms = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    cuda_check(cudaEventRecord(begin, copy_stream_), "cudaEventRecord");
    issue_copy(plan_, copy_stream_);
    cuda_check(cudaEventRecord(end, copy_stream_), "cudaEventRecord");
    cuda_check(cudaEventSynchronize(end), "cudaEventSynchronize(copy alone)");
    float ms = 0;
    cuda_check(cudaEventElapsedTime(&ms, begin, end), "cudaEventElapsedTime(copy alone)");
    fastest_ms = attempt == 0 ? ms : std::min(fastest_ms, ms);
  }
  cudaEventDestroy(begin);
  cudaEventDestroy(end);
  copy_alone_us_ = fastest_ms * 1000.0;
}

void Worker::create_events() {
  if (!config_.events) return;
  auto create = [](std::vector<cudaEvent_t>& events, std::size_t count) {
    events.assign(count, nullptr);
    for (cudaEvent_t& event : events) cuda_check(cudaEventCreate(&event), "cudaEventCreate");
  };
  create(compute_events_, static_cast<std::size_t>(total_iterations_) * static_cast<std::size_t>(pattern_size_ + 1));
  create(copy_begin_events_, static_cast<std::size_t>(total_iterations_));
  create(copy_end_events_, static_cast<std::size_t>(total_iterations_));
}

void Worker::barrier(MessageType type) {
  link_->send(type);
  link_->receive(type);
}

void Worker::run_iterations() {
  ProxySetup setup;
  setup.device = device_;
  setup.mailbox = mailbox_;
  setup.total_iterations = total_iterations_;
  setup.timeout_s = config_.timeout_s;
  setup.thread_per_iteration = config_.thread_per_iteration;
  setup.copy_stream = copy_stream_;
  setup.plan = plan_;
  setup.signaller = signaller_.get();
  if (config_.events) {
    setup.copy_begin_events = copy_begin_events_.data();
    setup.copy_end_events = copy_end_events_.data();
  }
  Proxy proxy(setup);
  proxy.start();
  try {
    // Everything is enqueued back to back, no synchronization until the end,
    // as in the report.
    for (int iteration = 0; iteration < total_iterations_; ++iteration) launch_iteration(iteration);
    cuda_check(cudaStreamSynchronize(compute_stream_), "cudaStreamSynchronize(compute)");
  } catch (...) {
    proxy.stop();
    proxy.join();
    throw;
  }
  if (const std::string error = proxy.join(); !error.empty()) throw std::runtime_error(error);
  cuda_check(cudaStreamSynchronize(copy_stream_), "cudaStreamSynchronize(copy)");

  ProcessResult result = collect_results(proxy.times());
  check_reductions(result);
  report(result);
  if (link_) barrier(MessageType::kDone);  // after this the peer no longer writes into our buffer
  if (result.reductions_wrong > 0) {
    throw std::runtime_error(fmt::format("{} of {} Kernel2 reductions computed a wrong sum", result.reductions_wrong,
                                         result.reductions_checked));
  }
}

void Worker::launch_iteration(int iteration) {
  const unsigned long long spin_ns = static_cast<unsigned long long>(config_.kernel_us) * 1000ull;
  for (int position = 0; position < pattern_size_; ++position) {
    if (config_.events) {
      cuda_check(cudaEventRecord(compute_events_[static_cast<std::size_t>(iteration * (pattern_size_ + 1) + position)],
                                 compute_stream_),
                 "cudaEventRecord(compute)");
    }
    switch (config_.pattern[static_cast<std::size_t>(position)]) {
      case 0:
        if (position == trigger_position_) {
          kernel0_launch_times_[static_cast<std::size_t>(iteration)] = Clock::now();
          cuda_check(launch_kernel0(compute_stream_, spin_blocks_, config_.threads, spin_ns, mailbox_device_ + iteration,
                                    static_cast<unsigned long long>(iteration) + 1),
                     "Kernel0<<<>>> (triggering)");
        } else {
          cuda_check(launch_kernel0(compute_stream_, spin_blocks_, config_.threads, spin_ns, nullptr, 0),
                     "Kernel0<<<>>>");
        }
        break;
      case 1:
        cuda_check(launch_kernel1(compute_stream_, spin_blocks_, config_.threads, spin_ns), "Kernel1<<<>>>");
        break;
      default:
        launch_reduction(iteration, position);
        break;
    }
  }
  if (config_.events) {
    cuda_check(cudaEventRecord(compute_events_[static_cast<std::size_t>(iteration * (pattern_size_ + 1) + pattern_size_)],
                               compute_stream_),
               "cudaEventRecord(compute)");
  }
}

void Worker::launch_reduction(int iteration, int position) {
  float* result = reduce_results_ + iteration * pattern_size_ + position;
  float* partials = reduce_partials_;
  void* temporary = nullptr;
  switch (config_.sync_beside_k2) {
    case SyncBesideK2::kNone: break;
    case SyncBesideK2::kMalloc:
      // As CUB-style reductions do when no allocator is cached: temp storage
      // allocated right before the reduction and freed right after.
      cuda_check(cudaMalloc(&temporary, std::max<std::size_t>(2u << 20, sizeof(float) * reduce_blocks_)),
                 "cudaMalloc(reduction temp storage)");
      partials = static_cast<float*>(temporary);
      break;
    case SyncBesideK2::kSetLimit:
      cuda_check(cudaDeviceSetLimit(cudaLimitStackSize, iteration % 2 == 0 ? 2048 : 4096),
                 "cudaDeviceSetLimit(cudaLimitStackSize)");
      break;
  }
  if (config_.module_loading == ModuleLoading::kReload) driver_modules_->reload_probe_module();
  if (config_.module_loading == ModuleLoading::kSeparate) {
    // Loaded here, by the launching thread, at Kernel2's first launch.
    const CUfunction function = driver_modules_->kernel2_function();
    driver_modules_->launch_kernel2(function, compute_stream_, reduce_blocks_, kReduceThreads, reduce_input_,
                                    config_.reduce_elements, partials, result);
  } else {
    cuda_check(launch_kernel2(compute_stream_, reduce_blocks_, reduce_input_, config_.reduce_elements, partials, result),
               "Kernel2<<<>>>");
  }
  if (temporary != nullptr) cuda_check(cudaFree(temporary), "cudaFree(reduction temp storage)");
}

ProcessResult Worker::collect_results(const std::vector<ProxyTimes>& proxy_times) {
  ProcessResult result;
  result.rank = config_.rank;
  result.pid = static_cast<int>(::getpid());
  result.device = device_;
  result.device_name = device_name_;
  result.sm_count = sm_count_;
  result.copy_path = std::string(option_name(config_.copy_path));
  result.copy_alone_us = copy_alone_us_;
  auto elapsed_us = [](cudaEvent_t from, cudaEvent_t to) {
    float ms = 0;
    cuda_check(cudaEventElapsedTime(&ms, from, to), "cudaEventElapsedTime");
    return static_cast<double>(ms) * 1000.0;
  };
  for (int iteration = config_.warmup; iteration < total_iterations_; ++iteration) {
    IterationResult measured;
    measured.index = iteration - config_.warmup;
    const auto slot = static_cast<std::size_t>(iteration);
    if (config_.events) {
      const std::size_t base = slot * static_cast<std::size_t>(pattern_size_ + 1);
      const cudaEvent_t origin = compute_events_[base + static_cast<std::size_t>(trigger_position_)];
      for (int position = 0; position < pattern_size_; ++position) {
        measured.kernels.push_back({config_.pattern[static_cast<std::size_t>(position)],
                                    elapsed_us(origin, compute_events_[base + static_cast<std::size_t>(position)]),
                                    elapsed_us(origin, compute_events_[base + static_cast<std::size_t>(position) + 1])});
      }
      measured.copy_start_us = elapsed_us(origin, copy_begin_events_[slot]);
      measured.copy_end_us = elapsed_us(origin, copy_end_events_[slot]);
    }
    const MailboxSlot& mailbox = mailbox_[slot];
    const ProxyTimes& times = proxy_times[slot];
    if (mailbox.saw_issue_globaltimer_ns != 0 && mailbox.post_globaltimer_ns != 0) {
      measured.issue_us = static_cast<double>(mailbox.saw_issue_globaltimer_ns - mailbox.post_globaltimer_ns) / 1000.0;
      measured.issue_source = "gpu";
    } else {
      measured.issue_us = microseconds_between(times.request_seen, times.issue_begin);
      measured.issue_source = "host";
    }
    const Clock::time_point launch = kernel0_launch_times_[slot];
    measured.request_seen_host_us = microseconds_between(launch, times.request_seen);
    measured.request_seen_since_start_us = microseconds_between(kernel0_launch_times_.front(), times.request_seen);
    measured.issue_host_us = microseconds_between(launch, times.issue_begin);
    measured.copy_api_us = microseconds_between(times.issue_begin, times.issue_end);
    measured.signal_api_us = microseconds_between(times.signal_begin, times.signal_end);
    judge_iteration(measured, static_cast<std::size_t>(trigger_position_), copy_alone_us_);
    result.iterations.push_back(std::move(measured));
  }
  return result;
}

void Worker::check_reductions(ProcessResult& result) {
  const std::size_t count = static_cast<std::size_t>(total_iterations_) * static_cast<std::size_t>(pattern_size_);
  std::vector<float> sums(count);
  cuda_check(cudaMemcpy(sums.data(), reduce_results_, sizeof(float) * count, cudaMemcpyDeviceToHost),
             "cudaMemcpy(reduction results)");
  const double expected = static_cast<double>(config_.reduce_elements);
  for (int iteration = 0; iteration < total_iterations_; ++iteration) {
    for (int position = 0; position < pattern_size_; ++position) {
      if (config_.pattern[static_cast<std::size_t>(position)] != 2) continue;
      ++result.reductions_checked;
      const double sum = sums[static_cast<std::size_t>(iteration * pattern_size_ + position)];
      // Sums of ones are exact in float up to 2^24; allow rounding beyond.
      if (std::abs(sum - expected) > expected * 1e-6 + 0.5) ++result.reductions_wrong;
    }
  }
}

void Worker::report(const ProcessResult& result) {
  std::string text = fmt::format(
      "[rank {}] pid {} device {} ({}, {} SMs); scenario {}; pattern {}; copy {} {} bytes via {}; signal {}; "
      "kernels {} us x {} blocks x {} threads; {} warm-up + {} measured iterations\n",
      config_.rank, result.pid, device_, device_name_, sm_count_, config_.scenario.empty() ? "-" : config_.scenario,
      format_pattern(config_.pattern), option_name(config_.copy_path), config_.bytes, option_name(config_.copy_api),
      option_name(config_.signal), config_.kernel_us, spin_blocks_, config_.threads, config_.warmup, config_.iterations);
  for (const IterationResult& iteration : result.iterations) text += format_iteration(config_.rank, iteration) + '\n';
  text += format_summary(config_.rank, result) + '\n';
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);

  const std::string path = config_.role == Role::kWorker ? config_.json_part_path : config_.json_path;
  if (path.empty()) return;
  const nlohmann::json json = config_.role == Role::kWorker ? to_json(result) : make_document(config_, {to_json(result)});
  std::ofstream out(path);
  out << json.dump(2) << '\n';
  if (!out) throw std::runtime_error("cannot write the results to " + path + ": " + std::strerror(errno));
}

void Worker::release() noexcept {
  // Errors are ignored here: this runs after the result or the failure has
  // been reported, and a failed free must not hide it.
  for (auto* events : {&compute_events_, &copy_begin_events_, &copy_end_events_}) {
    for (cudaEvent_t event : *events) {
      if (event != nullptr) cudaEventDestroy(event);
    }
    events->clear();
  }
  if (driver_modules_) driver_modules_->unload_all();
  signaller_.reset();
  if (peer_receive_buffer_ != nullptr) cudaIpcCloseMemHandle(peer_receive_buffer_);
  for (void* device_memory : {static_cast<void*>(receive_buffer_), static_cast<void*>(source_device_),
                              static_cast<void*>(reduce_input_), static_cast<void*>(reduce_partials_),
                              static_cast<void*>(reduce_results_)}) {
    if (device_memory != nullptr) cudaFree(device_memory);
  }
  for (void* host_memory : {static_cast<void*>(source_pinned_), static_cast<void*>(destination_pinned_),
                            static_cast<void*>(mailbox_)}) {
    if (host_memory != nullptr) cudaFreeHost(host_memory);
  }
  if (copy_stream_ != nullptr) cudaStreamDestroy(copy_stream_);
  if (own_compute_stream_) cudaStreamDestroy(compute_stream_);
  peer_receive_buffer_ = receive_buffer_ = source_device_ = source_pinned_ = destination_pinned_ = nullptr;
  reduce_input_ = reduce_partials_ = reduce_results_ = nullptr;
  mailbox_ = nullptr;
  copy_stream_ = compute_stream_ = nullptr;
}

}  // namespace

void apply_cuda_environment(const WorkloadConfig& config) {
  switch (config.module_loading) {
    case ModuleLoading::kLazy: ::setenv("CUDA_MODULE_LOADING", "LAZY", 1); break;
    case ModuleLoading::kEager: ::setenv("CUDA_MODULE_LOADING", "EAGER", 1); break;
    case ModuleLoading::kInherit:
    case ModuleLoading::kSeparate:
    case ModuleLoading::kReload: break;
  }
  if (config.max_connections > 0) {
    ::setenv("CUDA_DEVICE_MAX_CONNECTIONS", std::to_string(config.max_connections).c_str(), 1);
  }
}

int run_worker(const WorkloadConfig& config) {
  const std::string who = fmt::format("[rank {}]", config.rank);
  Watchdog watchdog(watchdog_seconds(config), who, kExitWatchdog);
  Worker worker(config);
  try {
    worker.run();
    return kExitOk;
  } catch (const NoDevice& error) {
    std::fprintf(stderr, "holdup-workload: no CUDA device: %s (%s)\n", error.what(), who.c_str());
    worker.notify_peer(std::string("no CUDA device: ") + error.what());
    return kExitFailure;
  } catch (const UsageError& error) {
    std::fprintf(stderr, "holdup-workload: %s error: %s\n", who.c_str(), error.what());
    worker.notify_peer(error.what());
    return kExitUsage;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "holdup-workload: %s error: %s\n", who.c_str(), error.what());
    worker.notify_peer(error.what());
    return kExitFailure;
  }
}

}  // namespace holdup::workload
