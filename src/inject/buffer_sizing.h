#pragma once
// How large a buffer holdup hands CUPTI: sized by the recent record rate so
// that a buffer fills in about BufferSizing::target_fill_ns.
//
// Why: CUPTI's normal flush returns a buffer only when every record in it is
// complete. With a deep launch queue (the host enqueues seconds of work
// ahead) the buffer CUPTI is filling always holds launched-but-not-run
// work; a large buffer then fills slowly, nothing comes back, and the loss
// bound had to force it back, cutting every record still in flight (on the
// H200: 2629 of 3603 kernel records of a deep-queue probe, 78 of 2401 in a
// GEMM loop 20 deep). A buffer that fills in a fraction of the bound is
// soon full, and a full buffer comes back by itself as soon as the GPU has
// run its records: nothing needs forcing, nothing is cut.
//
// The rate is read off the buffers themselves: on CUPTI's request for a new
// buffer, the previous one (normally) just filled, so its size over the
// time since it was handed out is the current fill rate. Pure arithmetic
// here (tested without CUPTI, tests/inject/buffer_sizing_test.cpp); the
// request callback keeps two atomics (BufferSizer).

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace holdup::inject {

struct BufferSizing {
  // The pool's buffer size: the largest a buffer can be.
  size_t max_bytes = 4u << 20;
  // Smallest size handed out (HOLDUP_BUFFER_MIN_KB).
  size_t min_bytes = 64u << 10;
  // How long a buffer should take to fill: a quarter of the loss bound, at
  // least one flush period (0: adaptive sizing off, every buffer max_bytes).
  uint64_t target_fill_ns = 250'000'000;
  // Grow at most this factor per buffer: one burst does not set the size
  // for the quiet time after it.
  uint32_t max_growth = 4;
};

inline constexpr size_t kBufferSizeStep = 4096;

// The size for the next buffer, given the previous one's size and how long
// it took to fill (0: unknown or instantaneous). Multiples of 4 KiB within
// [min_bytes, max_bytes].
inline size_t next_buffer_size(const BufferSizing& s, size_t previous, uint64_t fill_ns) {
  const size_t low = std::min(s.min_bytes, s.max_bytes);
  if (s.target_fill_ns == 0) return s.max_bytes;
  if (previous == 0) previous = low;
  const double grown = static_cast<double>(previous) * s.max_growth;
  double wanted = grown;
  if (fill_ns > 0) wanted = std::min(grown, static_cast<double>(previous) * s.target_fill_ns / fill_ns);
  wanted = std::clamp(wanted, static_cast<double>(low), static_cast<double>(s.max_bytes));
  const size_t rounded = (static_cast<size_t>(wanted) + kBufferSizeStep - 1) / kBufferSizeStep * kBufferSizeStep;
  return std::clamp(rounded, low, s.max_bytes);
}

// The request callback's state: lock-free, two relaxed atomics. Concurrent
// requests (several contexts) only blur the estimate.
class BufferSizer {
 public:
  explicit BufferSizer(BufferSizing sizing) : sizing_(sizing) {}

  // The size to hand out for a request at `now_ns` (CLOCK_MONOTONIC). With
  // `pool_short` (few free buffers left in the pool) every buffer is
  // max_bytes: fewer, larger buffers rather than records denied.
  size_t on_request(uint64_t now_ns, bool pool_short) {
    const uint64_t last = last_request_ns_.exchange(now_ns, std::memory_order_relaxed);
    const size_t previous = last_size_.load(std::memory_order_relaxed);
    size_t size = pool_short ? sizing_.max_bytes
                             : next_buffer_size(sizing_, previous, last != 0 && now_ns > last ? now_ns - last : 0);
    if (last == 0 && !pool_short) size = std::clamp<size_t>(sizing_.max_bytes / 4, sizing_.min_bytes, sizing_.max_bytes);
    last_size_.store(size, std::memory_order_relaxed);
    return size;
  }

  const BufferSizing& sizing() const { return sizing_; }

 private:
  const BufferSizing sizing_;
  std::atomic<uint64_t> last_request_ns_{0};
  std::atomic<size_t> last_size_{0};
};

}  // namespace holdup::inject
