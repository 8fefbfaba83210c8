#pragma once
// Activity buffers for CUPTI, handed out on the app's thread in ~tens of ns.
//
// CUPTI asks for a buffer on the app's own thread (inside a CUDA call). By
// default it then zeroes the buffer there, which took 9-17 ms for 16 MiB on
// the H100 and made every copy look held. So the pool hands out buffers that
// are already zero (fresh mmap pages, or zeroed by the writer thread after
// use) and the recorder sets CUPTI_ACTIVITY_ATTR_ZEROED_OUT_ACTIVITY_BUFFER.
//
// The free list is a fixed array of atomic slots: lock-free, no allocation,
// and safe in a forked child where another thread may have been mid-call.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace holdup::inject {

class BufferPool {
 public:
  // `initial` buffers are allocated by preallocate(); the pool grows up to
  // `max` buffers through top_up() on the writer thread.
  BufferPool(size_t buffer_size, uint32_t initial, uint32_t max);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // Allocates the initial buffers, pages populated (zero). Returns the
  // number allocated (fewer than asked if memory is short).
  uint32_t preallocate();

  // Any thread: a zeroed buffer of buffer_size() bytes, or nullptr when none
  // is free. Never blocks, never allocates.
  uint8_t* acquire();

  // Writer thread: zeroes a buffer CUPTI returned and makes it available.
  // Buffers this pool does not own are ignored (returns false).
  bool release(uint8_t* buffer);

  // Writer thread: adds buffers while fewer than `low_water` are free and
  // the pool is below its maximum. Returns the number added.
  uint32_t top_up(uint32_t low_water);

  bool owns(const uint8_t* buffer) const;
  size_t buffer_size() const { return buffer_size_; }
  uint32_t free_count() const;
  uint32_t total_count() const { return total_.load(std::memory_order_acquire); }
  uint32_t max_count() const { return max_; }

 private:
  uint8_t* allocate_one();
  void push_free(uint8_t* buffer);

  const size_t buffer_size_;
  const uint32_t initial_;
  const uint32_t max_;
  // Every buffer ever allocated (index < total_), for owns() and cleanup.
  std::unique_ptr<std::atomic<uint8_t*>[]> all_;
  std::atomic<uint32_t> total_{0};
  // Free buffers; nullptr marks an empty slot.
  std::unique_ptr<std::atomic<uint8_t*>[]> free_;
  std::atomic<uint32_t> scan_hint_{0};
};

}  // namespace holdup::inject
