#pragma once
// The recorder's health counters (RecorderHealth in the trace schema).

#include <atomic>
#include <cstdint>
#include <vector>

namespace holdup::inject {

struct DroppedCount {
  uint32_t context_id = 0;
  uint32_t stream_id = 0;
  uint64_t count = 0;
};

// Counters bumped on the app's threads (CUPTI callbacks): atomics only.
struct SharedCounters {
  std::atomic<uint64_t> buffers_requested{0};
  std::atomic<uint64_t> buffers_denied{0};
  std::atomic<uint64_t> callback_events_dropped{0};
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
};

}  // namespace holdup::inject
