#pragma once
// The recorder's health counters, as kept in the process (RecorderHealth in
// the trace schema); src/trace/recorder_health.h is their one reading.

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

#include "config.h"

namespace holdup::inject {

struct DroppedCount {
  uint32_t context_id = 0;
  uint32_t stream_id = 0;
  uint64_t count = 0;
};

// A counter bumped on many app threads at once: one cache line per stripe,
// each thread keeps to one stripe (no line shared between launching
// threads); the writer sums the stripes.
class StripedCounter {
 public:
  void increment(uint64_t n = 1) noexcept {
    static thread_local uint32_t stripe = 0;  // 0: not chosen yet
    if (stripe == 0) stripe = 1 + next_.fetch_add(1, std::memory_order_relaxed) % kStripes;
    stripes_[stripe - 1].n.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t sum() const noexcept {
    uint64_t total = 0;
    for (const auto& s : stripes_) total += s.n.load(std::memory_order_relaxed);
    return total;
  }

 private:
  static constexpr uint32_t kStripes = 16;
  struct alignas(64) Stripe {
    std::atomic<uint64_t> n{0};
  };
  std::array<Stripe, kStripes> stripes_{};
  std::atomic<uint32_t> next_{0};
};

// Counters bumped on the app's threads (CUPTI callbacks): atomics only.
struct SharedCounters {
  std::atomic<uint64_t> buffers_requested{0};
  std::atomic<uint64_t> buffers_denied{0};
  std::atomic<uint64_t> buffer_bytes_handed_out{0};
  std::atomic<uint64_t> callback_events_dropped{0};
  // Kernel launches of functions already launched, counted without a
  // Launch record (Config::all_launches off): the takeover check's input.
  StripedCounter launches_counted;
};

// Everything else: owned by the writer thread.
struct Health {
  uint64_t records = 0;
  uint64_t dropped_records = 0;
  std::vector<DroppedCount> dropped;
  uint64_t zero_timestamp_records = 0;
  uint64_t unknown_records = 0;
  uint64_t buffers_completed = 0;
  uint64_t bytes_written = 0;
  uint64_t chunks_failed = 0;
  bool other_subscriber = false;
  bool activity_callbacks_lost = false;
  bool capture_stopped = false;
  // Forced flushes made while running (the loss bound), not the final one.
  uint64_t forced_flushes = 0;
  // Records with a zero start or end in a buffer a forced flush returned,
  // in all and per kind (index: ActivityKind).
  uint64_t incomplete_records = 0;
  std::array<uint64_t, static_cast<size_t>(ActivityKind::kCount)> incomplete_by_kind{};
  // GPU records in buffers forced back (RecorderHealth.forced_gpu_records).
  uint64_t forced_gpu_records = 0;
  // The signal whose handler asked for the final flush (0: none).
  int final_flush_signal = 0;
  // Buffers whose record walk stopped before their valid bytes ended.
  uint64_t buffers_cut_short = 0;
  uint64_t unread_bytes = 0;
};

}  // namespace holdup::inject
