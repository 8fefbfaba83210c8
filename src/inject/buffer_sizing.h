#pragma once
// How large a buffer holdup hands CUPTI: sized so that a buffer holds about
// BufferSizing::target_fill_ns of the work the GPU gets through.
//
// Why: CUPTI's normal flush returns a buffer only when every record in it is
// complete. With a deep launch queue (the host enqueues seconds of work
// ahead) a large buffer holds seconds of GPU work; nothing comes back within
// the loss bound, which then forces buffers back and cuts every record
// still in flight (on the H200: 2629 of 3603 kernel records of a deep-queue
// probe, 78 of 2401 in a GEMM loop 20 deep). A buffer that holds a fraction
// of the bound's worth of GPU work comes back by itself as soon as the GPU
// has run it, wherever the host is.
//
// The rate is the one CUPTI returns buffers at: a buffer comes back only
// once its records are complete, so the bytes returned per second follow
// the GPU's pace, not the host's bursts. Sizing by how fast the host filled
// the previous buffer (the first version, c25fece) did not: on an H100 a
// host that enqueued 1500 iterations in a burst got large buffers, and 57 %
// of kernel records were still cut (tests/gpu/results/integrity-h100-
// 2026-12-07). With nothing returned yet the size is the minimum.
//
// Pure arithmetic here (tests/inject/buffer_sizing_test.cpp); the writer
// calls BufferSizer::update() each tick, the request callback reads one
// atomic.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace holdup::inject {

struct BufferSizing {
  // The pool's buffer size: the largest a buffer can be.
  size_t max_bytes = 4u << 20;
  // Smallest size handed out (HOLDUP_BUFFER_MIN_KB).
  size_t min_bytes = 64u << 10;
  // How much GPU work a buffer should hold: a quarter of the loss bound, at
  // least one flush period (0: adaptive sizing off, every buffer max_bytes).
  uint64_t target_fill_ns = 250'000'000;
  // Grow at most this factor per update: one burst of completions does not
  // set the size for long.
  uint32_t max_growth = 4;
};

inline constexpr size_t kBufferSizeStep = 4096;

// The size for buffers returned at `bytes_per_s`, given the size before
// (`previous`): multiples of 4 KiB within [min_bytes, max_bytes].
inline size_t buffer_size_for_rate(const BufferSizing& s, double bytes_per_s, size_t previous) {
  const size_t low = std::min(s.min_bytes, s.max_bytes);
  if (s.target_fill_ns == 0) return s.max_bytes;
  double wanted = bytes_per_s * static_cast<double>(s.target_fill_ns) / 1e9;
  if (previous > 0) wanted = std::min(wanted, static_cast<double>(previous) * s.max_growth);
  wanted = std::clamp(wanted, static_cast<double>(low), static_cast<double>(s.max_bytes));
  const size_t rounded = (static_cast<size_t>(wanted) + kBufferSizeStep - 1) / kBufferSizeStep * kBufferSizeStep;
  return std::clamp(rounded, low, s.max_bytes);
}

class BufferSizer {
 public:
  explicit BufferSizer(BufferSizing sizing)
      : sizing_(sizing), size_(sizing.target_fill_ns == 0 ? sizing.max_bytes : std::min(sizing.min_bytes, sizing.max_bytes)) {}

  // Writer thread, each tick: `returned_bytes` is the running total of the
  // valid bytes of every buffer CUPTI returned. The rate is taken over the
  // last second (kWindow ticks).
  void update(uint64_t now_ns, uint64_t returned_bytes) {
    const Sample oldest = window_[next_ % kWindow];
    window_[next_ % kWindow] = {now_ns, returned_bytes};
    ++next_;
    if (next_ < 2) return;
    const Sample first = next_ > kWindow ? oldest : window_[0];
    if (now_ns <= first.ns) return;
    const double rate = static_cast<double>(returned_bytes - first.bytes) * 1e9 / static_cast<double>(now_ns - first.ns);
    size_.store(buffer_size_for_rate(sizing_, rate, size_.load(std::memory_order_relaxed)), std::memory_order_relaxed);
  }

  // Request callback (any thread): the size to offer. With `pool_short`
  // (few free buffers left in the pool) every buffer is max_bytes: fewer,
  // larger buffers rather than records denied.
  size_t on_request(bool pool_short) const {
    return pool_short ? sizing_.max_bytes : size_.load(std::memory_order_relaxed);
  }

  const BufferSizing& sizing() const { return sizing_; }

 private:
  struct Sample {
    uint64_t ns = 0;
    uint64_t bytes = 0;
  };
  static constexpr size_t kWindow = 10;
  const BufferSizing sizing_;
  std::atomic<size_t> size_;
  std::array<Sample, kWindow> window_{};  // writer thread only
  uint64_t next_ = 0;
};

}  // namespace holdup::inject
