#include "proxy.h"

#include <atomic>
#include <stdexcept>

#include "cuda_check.h"

namespace holdup::workload {
namespace {

struct StopRequested {};

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

Proxy::Proxy(ProxySetup setup) : setup_(std::move(setup)), times_(static_cast<std::size_t>(setup_.total_iterations)) {}

Proxy::~Proxy() {
  if (thread_.joinable()) {
    stop();
    thread_.join();
  }
}

void Proxy::start() { thread_ = std::thread([this] { run(); }); }

std::string Proxy::join() {
  if (thread_.joinable()) thread_.join();
  return error_;
}

void Proxy::run() noexcept {
  try {
    if (setup_.thread_per_iteration) {
      // A fresh thread per request: each one is a thread the CUDA runtime
      // (and a profiler) has never seen before.
      for (int iteration = 0; iteration < setup_.total_iterations; ++iteration) {
        std::string iteration_error;
        std::thread worker([this, iteration, &iteration_error] {
          try {
            set_device();
            serve(iteration);
          } catch (const StopRequested&) {
            iteration_error = "stopped";
          } catch (const std::exception& error) {
            iteration_error = error.what();
          }
        });
        worker.join();
        if (iteration_error == "stopped") return;
        if (!iteration_error.empty()) throw std::runtime_error(iteration_error);
      }
    } else {
      set_device();
      for (int iteration = 0; iteration < setup_.total_iterations; ++iteration) serve(iteration);
    }
  } catch (const StopRequested&) {
    // The launching side failed and reports it.
  } catch (const std::exception& error) {
    error_ = std::string("proxy thread: ") + error.what();
  }
}

void Proxy::wait_for_request(int iteration) {
  std::atomic_ref<unsigned long long> request(setup_.mailbox[iteration].request);
  const auto wanted = static_cast<unsigned long long>(iteration) + 1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(setup_.timeout_s);
  for (unsigned spins = 0;; ++spins) {
    if (request.load(std::memory_order_acquire) == wanted) return;
    if ((spins & 1023u) == 0) {
      if (stop_requested_.load()) throw StopRequested{};
      if (std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error("Kernel0 of iteration " + std::to_string(iteration) +
                                 " posted no request in the mapped mailbox within " +
                                 std::to_string(setup_.timeout_s) +
                                 " s (--timeout-s): the compute stream is stuck or slower than the timeout");
      }
    }
    cpu_relax();
  }
}

void Proxy::serve(int iteration) {
  wait_for_request(iteration);
  ProxyTimes& times = times_[static_cast<std::size_t>(iteration)];
  times.request_seen = std::chrono::steady_clock::now();
  // Tell Kernel0 (still spinning) that the proxy starts issuing now: it
  // stamps the moment with %globaltimer, on the same axis as the GPU work.
  // Raised before the first CUDA call for this request, so that a call
  // blocked on the host (context lock) counts as part of the delay.
  std::atomic_ref<unsigned long long>(setup_.mailbox[iteration].issue_begin).store(1, std::memory_order_release);
  times.issue_begin = std::chrono::steady_clock::now();
  const cudaStream_t stream = setup_.copy_stream;
  if (setup_.copy_begin_events != nullptr) {
    cuda_check(cudaEventRecord(setup_.copy_begin_events[iteration], stream), "cudaEventRecord(copy begin)");
  }
  issue_copy(setup_.plan, stream);
  times.issue_end = std::chrono::steady_clock::now();
  if (setup_.copy_end_events != nullptr) {
    cuda_check(cudaEventRecord(setup_.copy_end_events[iteration], stream), "cudaEventRecord(copy end)");
  }
  times.signal_begin = std::chrono::steady_clock::now();
  times.signal_end = times.signal_begin;
  if (setup_.signaller != nullptr && setup_.signaller->signal(iteration, stream)) {
    times.signal_end = std::chrono::steady_clock::now();
  }
  times.served = true;
}

void Proxy::set_device() {
  // CUDA's current device is per thread: a new thread starts on device 0.
  cuda_check(cudaSetDevice(setup_.device), "cudaSetDevice (proxy thread)");
}

}  // namespace holdup::workload
