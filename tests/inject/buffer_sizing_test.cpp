// Buffers sized by the rate CUPTI returns them at (buffer_sizing.h): a
// buffer holds about the target's worth of the GPU's work, so full buffers
// keep coming back without a forced flush however far ahead the host is.

#include "buffer_sizing.h"

#include <gtest/gtest.h>

namespace holdup::inject {
namespace {

constexpr uint64_t kMs = 1'000'000;
const BufferSizing kSizing{4u << 20, 64u << 10, 250 * kMs, 4};

TEST(BufferSizing, SizeIsTheTargetsWorthOfTheReturnedRate) {
  // 2 MiB/s returned: 512 KiB per 250 ms.
  EXPECT_EQ(buffer_size_for_rate(kSizing, 2.0 * (1 << 20), 0), 512u << 10);
  EXPECT_EQ(buffer_size_for_rate(kSizing, 1e6, 0), 253'952u) << "250 kB rounded up to 4 KiB";
}

TEST(BufferSizing, StaysWithinTheLimitsAndGrowsAtMostFourfold) {
  EXPECT_EQ(buffer_size_for_rate(kSizing, 1e12, 0), 4u << 20) << "never above the pool's buffer size";
  EXPECT_EQ(buffer_size_for_rate(kSizing, 0, 0), 64u << 10) << "nothing returned: the minimum";
  EXPECT_EQ(buffer_size_for_rate(kSizing, 1e12, 64u << 10), 256u << 10) << "at most 4x the size before";
  for (double rate : {1.0, 3e5, 7.7e6, 9.9e8}) {
    const size_t size = buffer_size_for_rate(kSizing, rate, 300'000);
    EXPECT_EQ(size % kBufferSizeStep, 0u);
    EXPECT_GE(size, kSizing.min_bytes);
    EXPECT_LE(size, kSizing.max_bytes);
  }
  BufferSizing fixed = kSizing;
  fixed.target_fill_ns = 0;
  EXPECT_EQ(buffer_size_for_rate(fixed, 0, 0), 4u << 20);
  EXPECT_EQ(BufferSizer(fixed).on_request(false), 4u << 20);
}

// Ticks of 100 ms; `bytes_per_tick` returned in each.
size_t after_ticks(BufferSizer& sizer, uint64_t* now, uint64_t* total, int ticks, uint64_t bytes_per_tick) {
  for (int i = 0; i < ticks; ++i) {
    *now += 100 * kMs;
    *total += bytes_per_tick;
    sizer.update(*now, *total);
  }
  return sizer.on_request(false);
}

TEST(BufferSizer, StartsSmallAndFollowsTheGpusPace) {
  BufferSizer sizer(kSizing);
  EXPECT_EQ(sizer.on_request(false), 64u << 10) << "nothing returned yet: the minimum, whatever the host enqueues";
  uint64_t now = 1'000 * kMs, total = 0;
  // A deep queue: the GPU completes ~240 kB/s of records (the H100 probe's
  // pace): 60 kB per 250 ms, so the minimum.
  EXPECT_EQ(after_ticks(sizer, &now, &total, 20, 24'000), 64u << 10);
  // The launch bench: ~50 MB/s returned: the largest.
  EXPECT_EQ(after_ticks(sizer, &now, &total, 20, 5'000'000), 4u << 20);
  // Returns stop (a host that waits): back to the minimum within a second.
  EXPECT_EQ(after_ticks(sizer, &now, &total, 11, 0), 64u << 10);
}

TEST(BufferSizer, AShortPoolHandsOutWholeBuffers) {
  BufferSizer sizer(kSizing);
  EXPECT_EQ(sizer.on_request(true), 4u << 20);
}

}  // namespace
}  // namespace holdup::inject
