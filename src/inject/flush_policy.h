#pragma once
// When the writer thread forces CUPTI's buffers back: the bound on what a
// SIGKILL loses.
//
// CUPTI's normal flush (cuptiActivityFlushAll(0)) returns only buffers whose
// records are all complete. On a GPU that is never idle the buffer CUPTI is
// filling always holds a record in flight, so it only comes back when it is
// full (at high record rates: a 4 MiB buffer holds ~14k kernel launches,
// ~40k records of 216 B per kernel and 40 B per API call, ~0.4 s at 100k
// records/s) or at the forced flush at exit. A process killed before that
// (SIGKILL, OOM) loses everything since the last buffer came back: measured
// on the H200, every kernel and copy of a 6 s run.
//
// So every tick (HOLDUP_FLUSH_MS, and at the moment a forced flush falls
// due) the writer asks decide_flush(): when CUPTI holds one of our buffers
// and none has come back for force_after_ms(), it forces one back
// (FLUSH_FORCED). That cuts the records still in flight in it (they come
// back with a zero start or end, counted and kept as incomplete), which is
// why it is done only when buffers stop coming back on their own, never at
// high rates. Buffers sized by the record rate (buffer_sizing.h) keep
// coming back on their own at any rate and queue depth, so in most programs
// nothing is ever forced.
//
// What is left: a buffer that does not fill because few records come (a
// long kernel, a host that waits). Forcing it returns the completed records
// and cuts the ones in flight. Where that costs more than it saves (a
// forced flush cut more GPU records than it brought back complete: the GPU
// runs long work, records arrive seldom) the wait before the next one
// doubles, up to kMaxForceBackoff times; a forced flush that cut little
// halves it again. So a program of long kernels loses a few records, not
// one per second, and the bound stretches there (to at most 8x) where
// keeping it would cut most of what it keeps.
//
// The decisions are pure functions of times and counters, tested without
// CUPTI (tests/inject/flush_policy_test.cpp).

#include <algorithm>
#include <cstdint>

namespace holdup::inject {

struct FlushPolicy {
  // HOLDUP_FLUSH_MS: how often the writer ticks (normal flush).
  uint64_t period_ms = 100;
  // HOLDUP_MAX_LOSS_MS: 0 never forces.
  uint64_t max_loss_ms = 1000;

  // The age of the oldest record possibly held by CUPTI at which a forced
  // flush is due: the bound less one period, a margin for the writer's
  // lateness and the flush itself. At least one period (a bound below two
  // periods is effectively two periods).
  uint64_t force_after_ms() const { return std::max(period_ms, max_loss_ms > period_ms ? max_loss_ms - period_ms : 0); }
};

struct FlushState {
  uint64_t now_ms = 0;
  // When a buffer last came back from CUPTI, or CUPTI last held none of
  // ours (recording started, or a tick found nothing outstanding): no
  // record CUPTI holds is older.
  uint64_t last_buffer_back_ms = 0;
  // When the writer last forced a flush (0: never).
  uint64_t last_forced_ms = 0;
  // Buffers handed to CUPTI and not returned yet: with none, CUPTI holds no
  // record of ours and there is nothing to lose.
  uint64_t buffers_outstanding = 0;
  // The wait before forcing is force_after_ms() times this (1, 2, 4, 8):
  // see next_force_backoff().
  uint32_t force_backoff = 1;
};

inline constexpr uint32_t kMaxForceBackoff = 8;

// The backoff after a forced flush that brought back `complete` GPU records
// (kernels, copies, memsets) whole and cut `cut` in flight.
inline uint32_t next_force_backoff(uint32_t backoff, uint64_t complete, uint64_t cut) {
  backoff = std::clamp<uint32_t>(backoff, 1, kMaxForceBackoff);
  if (cut > complete) return std::min(backoff * 2, kMaxForceBackoff);
  if (cut * 4 <= complete) return std::max<uint32_t>(backoff / 2, 1);
  return backoff;
}

enum class FlushKind { kCompleted, kForced };

inline constexpr uint64_t kNeverMs = UINT64_MAX;

// When a forced flush becomes due: force_after_ms() (times the backoff)
// after a buffer last came back or a flush was last forced (a forced flush that brought nothing
// back is not repeated sooner); kNeverMs when CUPTI holds no buffer of ours
// or the bound is off. The writer wakes then if that is before its next
// tick.
inline uint64_t forced_flush_due_ms(const FlushPolicy& policy, const FlushState& s) {
  if (policy.max_loss_ms == 0 || s.buffers_outstanding == 0) return kNeverMs;
  const uint32_t backoff = std::clamp<uint32_t>(s.force_backoff, 1, kMaxForceBackoff);
  return std::max(s.last_buffer_back_ms, s.last_forced_ms) + policy.force_after_ms() * backoff;
}

// kForced once due, else kCompleted (the normal flush).
inline FlushKind decide_flush(const FlushPolicy& policy, const FlushState& s) {
  return s.now_ms >= forced_flush_due_ms(policy, s) ? FlushKind::kForced : FlushKind::kCompleted;
}

}  // namespace holdup::inject
