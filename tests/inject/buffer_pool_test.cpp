#include "buffer_pool.h"

#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "callback_events.h"

namespace holdup::inject {
namespace {

TEST(BufferPool, HandsOutZeroedBuffersAndDeniesWhenEmpty) {
  BufferPool pool(64 * 1024, 2, 3);
  EXPECT_EQ(pool.preallocate(), 2u);
  uint8_t* a = pool.acquire();
  uint8_t* b = pool.acquire();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  EXPECT_EQ(pool.acquire(), nullptr);
  for (size_t i = 0; i < pool.buffer_size(); ++i) ASSERT_EQ(a[i], 0);
  a[0] = 0xff;
  a[pool.buffer_size() - 1] = 0xff;
  EXPECT_TRUE(pool.release(a));
  uint8_t* again = pool.acquire();
  ASSERT_EQ(again, a);
  EXPECT_EQ(again[0], 0);
  EXPECT_EQ(again[pool.buffer_size() - 1], 0);
  uint8_t foreign[16];
  EXPECT_FALSE(pool.release(foreign));
  EXPECT_FALSE(pool.owns(foreign));
}

TEST(BufferPool, GrowsUpToItsMaximum) {
  BufferPool pool(64 * 1024, 1, 3);
  pool.preallocate();
  EXPECT_EQ(pool.top_up(4), 2u);
  EXPECT_EQ(pool.total_count(), 3u);
  EXPECT_EQ(pool.free_count(), 3u);
  EXPECT_EQ(pool.top_up(4), 0u);
}

TEST(BufferPool, ConcurrentAcquireNeverHandsOutABufferTwice) {
  BufferPool pool(64 * 1024, 16, 16);
  pool.preallocate();
  std::vector<std::vector<uint8_t*>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 8; ++i)
        if (uint8_t* b = pool.acquire()) got[t].push_back(b);
    });
  for (auto& t : threads) t.join();
  std::set<uint8_t*> all;
  for (auto& v : got)
    for (auto* b : v) EXPECT_TRUE(all.insert(b).second);
  EXPECT_EQ(all.size(), 16u);
}

TEST(CallbackRing, PushPopAndFull) {
  CallbackRing ring(4);
  CallbackEvent e;
  for (uint32_t i = 0; i < 4; ++i) {
    e.correlation_id = i;
    EXPECT_TRUE(ring.try_push(e));
  }
  EXPECT_FALSE(ring.try_push(e));
  CallbackEvent out;
  for (uint32_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(ring.try_pop(&out));
    EXPECT_EQ(out.correlation_id, i);
  }
  EXPECT_FALSE(ring.try_pop(&out));
}

TEST(CallbackRing, ManyProducers) {
  CallbackRing ring(1 << 12);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&ring, t] {
      CallbackEvent e;
      e.thread_id = static_cast<uint32_t>(t);
      for (uint32_t i = 0; i < 1000; ++i) {
        e.correlation_id = i;
        ASSERT_TRUE(ring.try_push(e));
      }
    });
  for (auto& t : threads) t.join();
  std::vector<uint32_t> next(4, 0);
  CallbackEvent out;
  int n = 0;
  while (ring.try_pop(&out)) {
    EXPECT_EQ(out.correlation_id, next[out.thread_id]++);  // per-producer order kept
    ++n;
  }
  EXPECT_EQ(n, 4000);
}

TEST(SeenFunctionSet, NewSeenFull) {
  SeenFunctionSet set(4);
  EXPECT_EQ(set.insert(0x1000), SeenFunctionSet::Result::kNew);
  EXPECT_EQ(set.insert(0x1000), SeenFunctionSet::Result::kSeen);
  EXPECT_EQ(set.insert(0x2000), SeenFunctionSet::Result::kNew);
  EXPECT_EQ(set.insert(0x3000), SeenFunctionSet::Result::kNew);
  EXPECT_EQ(set.insert(0x4000), SeenFunctionSet::Result::kNew);
  EXPECT_EQ(set.insert(0x5000), SeenFunctionSet::Result::kFull);
  EXPECT_EQ(set.insert(0x2000), SeenFunctionSet::Result::kSeen);
}

}  // namespace
}  // namespace holdup::inject
