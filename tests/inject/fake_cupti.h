#pragma once
// A stand-in for CUPTI's activity buffers, for tests of the writer's
// flushing without a GPU. It behaves as CUPTI documents: it keeps the
// buffers it took from the recorder; a normal flush returns those whose
// records are all complete, a forced flush returns every one (records in
// flight included).

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <vector>

#include "synthetic_records.h"
#include "recorder.h"

namespace holdup::inject::testing {

// A kernel still running when its buffer is taken: start known, end 0.
inline void add_in_flight_kernel(SyntheticBuffer& b, uint32_t correlation_id, uint64_t start = 5000) {
  auto& k = b.add<CUpti_ActivityKernel10>();
  k.kind = CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL;
  k.start = start;
  k.end = 0;
  k.contextId = 1;
  k.streamId = 13;
  k.correlationId = correlation_id;
  k.name = "_Z9in_flightv";
}

// A completed API record.
inline void add_api_call(SyntheticBuffer& b, uint32_t correlation_id, uint64_t start = 1000) {
  auto& a = b.add<CUpti_ActivityAPI>();
  a.kind = CUPTI_ACTIVITY_KIND_RUNTIME;
  a.cbid = CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_v7000;
  a.start = start;
  a.end = start + 10;
  a.threadId = 4242;
  a.correlationId = correlation_id;
}

inline uint64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1'000'000;
}

class FakeCupti final : public ActivityControl {
 public:
  Recorder* recorder = nullptr;
  std::atomic<int> normal_flushes{0};
  std::atomic<int> forced_flushes{0};
  std::atomic<uint64_t> first_forced_ms{0};
  // A forced flush hangs for good (a lock held by a crashed thread).
  std::atomic<bool> hang_in_forced_flush{false};
  // The next flush raises SIGSEGV (a crash on the writer thread).
  std::atomic<bool> crash_in_flush{false};

  // Takes a buffer from the recorder (as CUPTI's request would) and fills
  // it with `records`; `complete`: all records complete.
  bool hold(SyntheticBuffer& records, bool complete) {
    size_t size = 0;
    uint8_t* b = recorder->acquire_buffer(&size);
    if (b == nullptr || size < records.size()) return false;
    std::memcpy(b, records.data(), records.size());
    std::lock_guard lock(mutex_);
    held_.push_back({b, records.size(), complete});
    return true;
  }
  size_t held() {
    std::lock_guard lock(mutex_);
    return held_.size();
  }

  void flush(bool forced) override {
    if (crash_in_flush.load()) ::raise(SIGSEGV);
    if (forced) {
      uint64_t expected = 0;
      first_forced_ms.compare_exchange_strong(expected, now_ms());
      ++forced_flushes;
      while (hang_in_forced_flush.load()) ::usleep(10'000);
    } else {
      ++normal_flushes;
    }
    std::vector<Held> back;
    {
      std::lock_guard lock(mutex_);
      for (auto it = held_.begin(); it != held_.end();) {
        if (forced || it->complete) {
          back.push_back(*it);
          it = held_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (const Held& h : back) recorder->on_buffer_completed(h.buffer, h.bytes);
  }
  uint64_t timestamp_ns() override {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
  }
  void dropped_records(std::vector<DroppedCount>*) override {}
  void set_capture(bool) override {}
  uint32_t runtime_api_version() override { return CUPTI_API_VERSION; }
  bool has_cuda() override { return false; }

 private:
  struct Held {
    uint8_t* buffer;
    size_t bytes;
    bool complete;
  };
  std::mutex mutex_;
  std::vector<Held> held_;
};

}  // namespace holdup::inject::testing
