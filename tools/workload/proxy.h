#pragma once
// The CPU proxy: waits for Kernel0's request in the mapped mailbox (bounded
// by --timeout-s), then issues the copy and the signal on the copy stream,
// as MSCCL++'s port-channel proxy does. One long-lived thread, or a new
// thread per iteration (--thread-per-iteration).

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <cuda_runtime_api.h>

#include "copy_issuer.h"
#include "mailbox.h"

namespace holdup::workload {

struct ProxyTimes {
  using TimePoint = std::chrono::steady_clock::time_point;
  TimePoint request_seen;
  TimePoint issue_begin;  // before the proxy's first CUDA call for the request (event record, copy)
  TimePoint issue_end;    // the copy call returned
  TimePoint signal_begin;  // just before the signal call
  TimePoint signal_end;    // the signal call returned (== signal_begin without a signal)
  bool served = false;
};

struct ProxySetup {
  int device = 0;
  MailboxSlot* mailbox = nullptr;  // host view of the mapped slots
  int total_iterations = 0;
  double timeout_s = 30;
  bool thread_per_iteration = false;
  cudaStream_t copy_stream = nullptr;
  CopyPlan plan;
  Signaller* signaller = nullptr;
  // One per iteration each, or null with --no-events.
  const cudaEvent_t* copy_begin_events = nullptr;
  const cudaEvent_t* copy_end_events = nullptr;
};

class Proxy {
 public:
  explicit Proxy(ProxySetup setup);
  ~Proxy();
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  void start();
  // Makes a waiting proxy give up soon (the launching side failed).
  void stop() { stop_requested_.store(true); }
  // Waits for the proxy to end; returns its error, empty on success.
  std::string join();
  const std::vector<ProxyTimes>& times() const { return times_; }

 private:
  void run() noexcept;
  void set_device();
  void serve(int iteration);
  void wait_for_request(int iteration);

  ProxySetup setup_;
  std::vector<ProxyTimes> times_;
  std::atomic<bool> stop_requested_{false};
  std::thread thread_;
  std::string error_;
};

}  // namespace holdup::workload
