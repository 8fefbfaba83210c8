// The loss bound's decision (flush_policy.h): when the writer forces CUPTI's
// buffers back. A pure function of times and counters.

#include "flush_policy.h"

#include <gtest/gtest.h>

namespace holdup::inject {
namespace {

constexpr FlushPolicy kDefault{100, 1000};

FlushKind at(uint64_t now, uint64_t last_back, uint64_t last_forced = 0, uint64_t outstanding = 1,
             FlushPolicy policy = kDefault) {
  return decide_flush(policy, FlushState{now, last_back, last_forced, outstanding});
}

TEST(FlushPolicy, ThresholdLeavesOneTickForTheBound) {
  EXPECT_EQ(kDefault.force_after_ms(), 900u);
  EXPECT_EQ((FlushPolicy{100, 150}.force_after_ms()), 100u) << "never below one period";
  EXPECT_EQ((FlushPolicy{100, 50}.force_after_ms()), 100u);
  EXPECT_EQ((FlushPolicy{250, 1000}.force_after_ms()), 750u);
}

TEST(FlushPolicy, ForcesOnlyWhenNoBufferCameBackForTheThreshold) {
  EXPECT_EQ(at(10'000, 10'000), FlushKind::kCompleted);
  EXPECT_EQ(at(10'899, 10'000), FlushKind::kCompleted);
  EXPECT_EQ(at(10'900, 10'000), FlushKind::kForced);
  EXPECT_EQ(at(60'000, 10'000), FlushKind::kForced);
}

TEST(FlushPolicy, BuffersComingBackOnTheirOwnNeverForce) {
  // High rates: full buffers come back every few tens of ms.
  for (uint64_t now = 1000; now < 100'000; now += 100) EXPECT_EQ(at(now, now - 40), FlushKind::kCompleted);
}

TEST(FlushPolicy, NothingOutstandingNothingToForce) {
  // CUPTI holds no buffer of ours (idle app, or everything came back).
  EXPECT_EQ(at(60'000, 0, 0, /*outstanding*/ 0), FlushKind::kCompleted);
}

TEST(FlushPolicy, ZeroBoundNeverForces) {
  EXPECT_EQ(at(60'000, 0, 0, 3, FlushPolicy{100, 0}), FlushKind::kCompleted);
}

TEST(FlushPolicy, AForcedFlushThatBroughtNothingIsNotRepeatedAtOnce) {
  // Forced at 10'900 (last buffer at 10'000) but nothing came back.
  EXPECT_EQ(at(11'000, 10'000, 10'900), FlushKind::kCompleted);
  EXPECT_EQ(at(11'799, 10'000, 10'900), FlushKind::kCompleted);
  EXPECT_EQ(at(11'800, 10'000, 10'900), FlushKind::kForced);
}

TEST(FlushPolicy, DueTimeIsWhenTheDecisionTurns) {
  const FlushState s{0, 10'000, 0, 1};
  EXPECT_EQ(forced_flush_due_ms(kDefault, s), 10'900u);
  EXPECT_EQ(forced_flush_due_ms(kDefault, FlushState{0, 10'000, 10'950, 1}), 11'850u);
  EXPECT_EQ(forced_flush_due_ms(kDefault, FlushState{0, 10'000, 0, 0}), kNeverMs);
  EXPECT_EQ(forced_flush_due_ms(FlushPolicy{100, 0}, s), kNeverMs);
}

// A GPU never idle, buffers that never fill: the writer ticks every period
// or at the due time, whichever is first, each time up to `late_ms` late;
// a forced flush brings the buffer back `flush_ms` later. The age of the
// oldest record not yet back, sampled at every tick, stays within the bound.
void simulate(const FlushPolicy& policy, uint64_t late_ms, uint64_t flush_ms, uint64_t* worst, uint64_t* forced) {
  uint64_t last_back = 0, last_forced = 0, next = policy.period_ms;
  *worst = *forced = 0;
  for (int i = 0; i < 100'000 && next < 60'000; ++i) {
    const uint64_t now = next + (i * 7) % (late_ms + 1);
    *worst = std::max(*worst, now - last_back);
    FlushState state{now, last_back, last_forced, 1};
    if (decide_flush(policy, state) == FlushKind::kForced) {
      ++*forced;
      last_forced = now;
      *worst = std::max(*worst, now + flush_ms - last_back);
      last_back = now + flush_ms;  // the forced buffer came back
    }
    state = FlushState{now + flush_ms, last_back, last_forced, 1};
    next = std::min(now + flush_ms + policy.period_ms, forced_flush_due_ms(policy, state));
  }
}

TEST(FlushPolicy, SimulatedLowRateRunStaysWithinTheBound) {
  uint64_t worst = 0, forced = 0;
  simulate(FlushPolicy{100, 1000}, /*late*/ 30, /*flush*/ 20, &worst, &forced);
  EXPECT_LE(worst, 1000u);
  EXPECT_GE(forced, 60u);  // about one per 0.9 s over 60 s, never more
  EXPECT_LE(forced, 67u);
  simulate(FlushPolicy{100, 300}, 30, 20, &worst, &forced);
  EXPECT_LE(worst, 300u);
  simulate(FlushPolicy{20, 1000}, 5, 5, &worst, &forced);
  EXPECT_LE(worst, 1000u);
}

TEST(FlushPolicy, ForcedFlushesThatCutMoreThanTheySaveBackOff) {
  // A 2 s kernel in flight at every forced flush: each one cuts it and
  // brings back little; the wait doubles up to 8 times the threshold.
  uint32_t backoff = 1;
  backoff = next_force_backoff(backoff, /*complete*/ 0, /*cut*/ 1);
  EXPECT_EQ(backoff, 2u);
  backoff = next_force_backoff(backoff, 0, 1);
  backoff = next_force_backoff(backoff, 0, 1);
  EXPECT_EQ(backoff, 8u);
  EXPECT_EQ(next_force_backoff(backoff, 0, 5), kMaxForceBackoff) << "never past the maximum";
  // One that brought back much and cut little halves it again.
  EXPECT_EQ(next_force_backoff(8, 100, 3), 4u);
  EXPECT_EQ(next_force_backoff(1, 100, 0), 1u);
  // In between: unchanged.
  EXPECT_EQ(next_force_backoff(4, 10, 5), 4u);
}

TEST(FlushPolicy, TheBackoffStretchesTheWaitBeforeForcing) {
  FlushState s{0, 10'000, 0, 1, 4};
  EXPECT_EQ(forced_flush_due_ms(kDefault, s), 10'000u + 4 * 900u);
  s.now_ms = 13'500;
  EXPECT_EQ(decide_flush(kDefault, s), FlushKind::kCompleted);
  s.now_ms = 13'600;
  EXPECT_EQ(decide_flush(kDefault, s), FlushKind::kForced);
  s.force_backoff = 0;  // read as 1
  EXPECT_EQ(forced_flush_due_ms(kDefault, s), 10'900u);
}

}  // namespace
}  // namespace holdup::inject
