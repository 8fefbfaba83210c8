// Buffers sized by the record rate (buffer_sizing.h): a buffer fills in about
// the target time, so full buffers keep coming back without a forced flush.

#include "buffer_sizing.h"

#include <gtest/gtest.h>

namespace holdup::inject {
namespace {

constexpr uint64_t kMs = 1'000'000;
const BufferSizing kSizing{4u << 20, 64u << 10, 250 * kMs, 4};

TEST(BufferSizing, SizeFollowsTheRateTowardsTheTargetFillTime) {
  // 1 MiB filled in 500 ms: 2 MiB/s, so 512 KiB fill in 250 ms.
  EXPECT_EQ(next_buffer_size(kSizing, 1u << 20, 500 * kMs), 512u << 10);
  // 64 KiB in 62.5 ms (1 MiB/s) -> 256 KiB: within the growth limit of 4.
  EXPECT_EQ(next_buffer_size(kSizing, 64u << 10, 62'500'000), 256u << 10);
}

TEST(BufferSizing, GrowthIsLimitedPerBuffer) {
  // Filled at once (a burst): at most four times larger.
  EXPECT_EQ(next_buffer_size(kSizing, 64u << 10, 1), 256u << 10);
  EXPECT_EQ(next_buffer_size(kSizing, 64u << 10, 0), 256u << 10);
}

TEST(BufferSizing, StaysWithinTheLimits) {
  EXPECT_EQ(next_buffer_size(kSizing, 4u << 20, 1), 4u << 20) << "never above the pool's buffer size";
  EXPECT_EQ(next_buffer_size(kSizing, 64u << 10, 60'000 * kMs), 64u << 10) << "never below the minimum";
  for (uint64_t fill : {uint64_t{1}, 3 * kMs, 77 * kMs, 999 * kMs}) {
    const size_t size = next_buffer_size(kSizing, 300'000, fill);
    EXPECT_EQ(size % kBufferSizeStep, 0u);
    EXPECT_GE(size, kSizing.min_bytes);
    EXPECT_LE(size, kSizing.max_bytes);
  }
}

TEST(BufferSizing, FixedWhenTheMinimumIsTheMaximumOrTheTargetIsOff) {
  BufferSizing fixed = kSizing;
  fixed.target_fill_ns = 0;
  EXPECT_EQ(next_buffer_size(fixed, 64u << 10, 5000 * kMs), 4u << 20);
}

TEST(BufferSizer, ASteadyRateSettlesAtTheTargetFillTime) {
  // 40 MB/s of records (the launch bench's rate): each buffer fills in
  // size / rate; the sizer converges to the size that takes 250 ms, capped
  // at 4 MiB (100 ms at that rate).
  BufferSizer sizer(kSizing);
  const double bytes_per_ns = 0.04;
  uint64_t now = 1'000 * kMs;
  size_t size = sizer.on_request(now, false);
  EXPECT_EQ(size, 1u << 20) << "the first buffer: a quarter of the largest";
  for (int i = 0; i < 20; ++i) {
    now += static_cast<uint64_t>(size / bytes_per_ns);
    size = sizer.on_request(now, false);
  }
  EXPECT_EQ(size, 4u << 20);

  // 100 KB/s (a slow loop): 25 KB per 250 ms, so the minimum.
  const double slow = 0.0001;
  for (int i = 0; i < 20; ++i) {
    now += static_cast<uint64_t>(size / slow);
    size = sizer.on_request(now, false);
  }
  EXPECT_EQ(size, 64u << 10);

  // 1 MB/s: 250 KB per buffer, within a step of 4 KiB.
  const double medium = 0.001;
  for (int i = 0; i < 20; ++i) {
    now += static_cast<uint64_t>(size / medium);
    size = sizer.on_request(now, false);
  }
  EXPECT_NEAR(static_cast<double>(size), 250'000.0, 4096.0);
}

TEST(BufferSizer, AShortPoolHandsOutWholeBuffers) {
  BufferSizer sizer(kSizing);
  sizer.on_request(1, false);
  EXPECT_EQ(sizer.on_request(10'000 * kMs, true), 4u << 20);
}

}  // namespace
}  // namespace holdup::inject
