#include "takeover_detector.h"

#include <gtest/gtest.h>

namespace holdup::inject {
namespace {

TEST(TakeoverDetector, QuietWhileBuffersCouldStillHoldTheLaunches) {
  TakeoverDetector d(/*buffer_size_bytes=*/1 << 20, /*min_bytes_per_launch=*/256);
  d.on_launches(4096);  // exactly one buffer's worth
  EXPECT_FALSE(d.check(/*buffers_outstanding=*/1));
  d.on_launches(4096 * 2);
  EXPECT_FALSE(d.check(1));  // 12288 <= 2 * 2 * 4096
}

TEST(TakeoverDetector, FiresOnceWhenLaunchesOutgrowEveryBufferHandedOut) {
  TakeoverDetector d(1 << 20, 256);
  d.on_launches(2 * 2 * 4096 + 1);
  EXPECT_TRUE(d.check(1));
  d.on_launches(100000);
  EXPECT_FALSE(d.check(1)) << "reported once";
}

TEST(TakeoverDetector, ACompletedBufferResetsTheCount) {
  TakeoverDetector d(1 << 20, 256);
  d.on_launches(10000);
  d.on_buffer_completed();
  d.on_launches(100);
  EXPECT_FALSE(d.check(0));
  EXPECT_EQ(d.launches_since_completed(), 100u);
}

}  // namespace
}  // namespace holdup::inject
