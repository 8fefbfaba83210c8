#include "buffer_pool.h"

#include <sys/mman.h>

#include <cstring>

namespace holdup::inject {

BufferPool::BufferPool(size_t buffer_size, uint32_t initial, uint32_t max)
    : buffer_size_(buffer_size),
      initial_(initial),
      max_(max < initial ? initial : max),
      all_(new std::atomic<uint8_t*>[max_]),
      free_(new std::atomic<uint8_t*>[max_]) {
  for (uint32_t i = 0; i < max_; ++i) {
    all_[i].store(nullptr, std::memory_order_relaxed);
    free_[i].store(nullptr, std::memory_order_relaxed);
  }
}

BufferPool::~BufferPool() {
  for (uint32_t i = 0; i < total_.load(); ++i) {
    if (uint8_t* b = all_[i].load()) munmap(b, buffer_size_);
  }
}

uint8_t* BufferPool::allocate_one() {
  uint32_t index = total_.load(std::memory_order_relaxed);
  if (index >= max_) return nullptr;
  // Anonymous pages are zero; MAP_POPULATE faults them in now, here, rather
  // than on the app's thread when CUPTI first writes.
  void* p = mmap(nullptr, buffer_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  auto* buffer = static_cast<uint8_t*>(p);
  all_[index].store(buffer, std::memory_order_release);
  total_.store(index + 1, std::memory_order_release);
  return buffer;
}

uint32_t BufferPool::preallocate() {
  uint32_t added = 0;
  while (total_count() < initial_) {
    uint8_t* b = allocate_one();
    if (b == nullptr) break;
    push_free(b);
    ++added;
  }
  return added;
}

uint8_t* BufferPool::acquire() {
  const uint32_t start = scan_hint_.load(std::memory_order_relaxed);
  for (uint32_t n = 0; n < max_; ++n) {
    uint32_t i = (start + n) % max_;
    if (free_[i].load(std::memory_order_relaxed) == nullptr) continue;
    uint8_t* b = free_[i].exchange(nullptr, std::memory_order_acquire);
    if (b != nullptr) {
      scan_hint_.store(i + 1, std::memory_order_relaxed);
      return b;
    }
  }
  return nullptr;
}

void BufferPool::push_free(uint8_t* buffer) {
  // There are as many slots as buffers can exist, so a free slot is found.
  for (uint32_t i = 0; i < max_; ++i) {
    uint8_t* expected = nullptr;
    if (free_[i].compare_exchange_strong(expected, buffer, std::memory_order_release)) return;
  }
}

bool BufferPool::release(uint8_t* buffer) {
  if (!owns(buffer)) return false;
  std::memset(buffer, 0, buffer_size_);
  push_free(buffer);
  return true;
}

uint32_t BufferPool::top_up(uint32_t low_water) {
  uint32_t added = 0;
  while (free_count() < low_water && total_count() < max_) {
    uint8_t* b = allocate_one();
    if (b == nullptr) break;
    push_free(b);
    ++added;
  }
  return added;
}

bool BufferPool::owns(const uint8_t* buffer) const {
  const uint32_t n = total_.load(std::memory_order_acquire);
  for (uint32_t i = 0; i < n; ++i)
    if (all_[i].load(std::memory_order_acquire) == buffer) return true;
  return false;
}

uint32_t BufferPool::free_count() const {
  uint32_t n = 0;
  for (uint32_t i = 0; i < max_; ++i)
    if (free_[i].load(std::memory_order_relaxed) != nullptr) ++n;
  return n;
}

}  // namespace holdup::inject
