#include "callback_events.h"

namespace holdup::inject {
namespace {

size_t round_up_pow2(size_t n) {
  size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

CallbackRing::CallbackRing(size_t capacity)
    : cells_(new Cell[round_up_pow2(capacity < 2 ? 2 : capacity)]), mask_(round_up_pow2(capacity < 2 ? 2 : capacity) - 1) {
  for (size_t i = 0; i <= mask_; ++i) cells_[i].sequence.store(i, std::memory_order_relaxed);
}

bool CallbackRing::try_push(const CallbackEvent& event) {
  size_t pos = enqueue_pos_.load(std::memory_order_relaxed);
  for (;;) {
    Cell& cell = cells_[pos & mask_];
    size_t seq = cell.sequence.load(std::memory_order_acquire);
    auto diff = static_cast<intptr_t>(seq) - static_cast<intptr_t>(pos);
    if (diff == 0) {
      if (enqueue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
        cell.event = event;
        cell.sequence.store(pos + 1, std::memory_order_release);
        return true;
      }
    } else if (diff < 0) {
      return false;  // full
    } else {
      pos = enqueue_pos_.load(std::memory_order_relaxed);
    }
  }
}

bool CallbackRing::try_pop(CallbackEvent* event) {
  size_t pos = dequeue_pos_.load(std::memory_order_relaxed);
  for (;;) {
    Cell& cell = cells_[pos & mask_];
    size_t seq = cell.sequence.load(std::memory_order_acquire);
    auto diff = static_cast<intptr_t>(seq) - static_cast<intptr_t>(pos + 1);
    if (diff == 0) {
      if (dequeue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
        *event = cell.event;
        cell.sequence.store(pos + mask_ + 1, std::memory_order_release);
        return true;
      }
    } else if (diff < 0) {
      return false;  // empty
    } else {
      pos = dequeue_pos_.load(std::memory_order_relaxed);
    }
  }
}

SeenFunctionSet::SeenFunctionSet(size_t capacity)
    : slots_(new std::atomic<uint64_t>[round_up_pow2(capacity)]), mask_(round_up_pow2(capacity) - 1) {
  for (size_t i = 0; i <= mask_; ++i) slots_[i].store(0, std::memory_order_relaxed);
}

SeenFunctionSet::Result SeenFunctionSet::insert(uint64_t handle) {
  if (handle == 0) return Result::kFull;  // 0 marks empty slots: cannot be stored
  uint64_t h = handle * 0x9E3779B97F4A7C15ull;
  h ^= h >> 29;
  constexpr size_t kMaxProbes = 64;
  for (size_t n = 0; n < kMaxProbes; ++n) {
    std::atomic<uint64_t>& slot = slots_[(h + n) & mask_];
    uint64_t current = slot.load(std::memory_order_acquire);
    if (current == handle) return Result::kSeen;
    if (current == 0) {
      if (slot.compare_exchange_strong(current, handle, std::memory_order_acq_rel)) return Result::kNew;
      if (current == handle) return Result::kSeen;
    }
  }
  return Result::kFull;
}

}  // namespace holdup::inject
