// find_patterns on an Analysis built by hand: flagged copies grouped by
// their pattern, totals, the most-held copies first, patterns most held first.

#include <gtest/gtest.h>

#include "holdup/analysis.h"

namespace holdup::testing {
namespace {

using analysis::Analysis;
using analysis::Cause;
using analysis::CopyVerdict;
using analysis::kNone;
using analysis::PatternKey;

PatternKey key(uint32_t thread, Cause cause, std::string blocker) {
  PatternKey k;
  k.process = 0;
  k.thread_id = thread;
  k.stream_id = 14;
  k.cause = cause;
  k.blocker_kind = RecordKind::kernel;
  k.blocker_name = std::move(blocker);
  return k;
}

CopyVerdict verdict(uint32_t op, analysis::TimeNs held, uint32_t pattern, bool flagged = true) {
  CopyVerdict v;
  v.op = op;
  v.state = flagged ? analysis::CopyState::flagged : analysis::CopyState::prompt;
  v.pattern = pattern;
  v.cause = flagged ? Cause::sm_waiting : Cause::none;
  v.split.held = held;
  v.split.issue_to_start = held;
  return v;
}

std::vector<uint32_t> all(const Analysis& a) {
  std::vector<uint32_t> s(a.copies.size());
  for (uint32_t i = 0; i < s.size(); ++i) s[i] = i;
  return s;
}

Analysis two_patterns() {
  Analysis a;
  a.pattern_keys = {key(1, Cause::sm_waiting, "gemm"), key(2, Cause::device_barrier, "cudaMalloc")};
  a.copies = {
      verdict(0, 300, 0),          verdict(1, 500, 1), verdict(2, 200, 0), verdict(3, 900, 0),
      verdict(4, 50, kNone, false),  // not flagged
      verdict(5, 400, 0),          verdict(6, 450, 1),
  };
  CopyVerdict cold = verdict(7, 5000, kNone, false);
  cold.state = analysis::CopyState::cold;
  a.copies.push_back(cold);  // 7: cold, never in a pattern
  return a;
}

TEST(Patterns, GroupsFlaggedCopiesByPattern) {
  const Analysis a = two_patterns();
  const auto patterns = analysis::find_patterns(a, all(a), 2);
  ASSERT_EQ(patterns.size(), 2u);
  // Pattern 0: copies 0, 2, 3, 5: held 300 + 200 + 900 + 400.
  EXPECT_EQ(patterns[0].key, a.pattern_keys[0]);
  EXPECT_EQ(patterns[0].copies, 4u);
  EXPECT_EQ(patterns[0].held_ns, 1800u);
  EXPECT_EQ(patterns[0].max_held_ns, 900u);
  EXPECT_EQ(patterns[0].worst, (std::vector<uint32_t>{3, 5}));
  EXPECT_EQ(patterns[1].key, a.pattern_keys[1]);
  EXPECT_EQ(patterns[1].copies, 2u);
  EXPECT_EQ(patterns[1].held_ns, 950u);
  EXPECT_EQ(patterns[1].max_held_ns, 500u);
  EXPECT_EQ(patterns[1].worst, (std::vector<uint32_t>{1, 6}));
}

TEST(Patterns, OnlyTheSelectionCounts) {
  const Analysis a = two_patterns();
  // Copies 1 and 6 (pattern 1) and 2 (pattern 0): pattern 1 is now the most held.
  const auto patterns = analysis::find_patterns(a, {1, 2, 4, 6, 7}, 3);
  ASSERT_EQ(patterns.size(), 2u);
  EXPECT_EQ(patterns[0].key, a.pattern_keys[1]);
  EXPECT_EQ(patterns[0].worst, (std::vector<uint32_t>{1, 6}));
  EXPECT_EQ(patterns[1].key, a.pattern_keys[0]);
  EXPECT_EQ(patterns[1].copies, 1u);
  EXPECT_EQ(patterns[1].worst, (std::vector<uint32_t>{2}));
  EXPECT_TRUE(analysis::find_patterns(a, {4, 7}, 3).empty());  // unflagged and cold copies only
}

TEST(Patterns, TiesByCountThenKey) {
  Analysis a;
  a.pattern_keys = {key(3, Cause::sm_waiting, "b"), key(3, Cause::sm_waiting, "a"), key(1, Cause::sm_waiting, "c")};
  a.copies = {verdict(0, 100, 0), verdict(1, 100, 1), verdict(2, 50, 2), verdict(3, 50, 2)};
  const auto patterns = analysis::find_patterns(a, all(a), 3);
  ASSERT_EQ(patterns.size(), 3u);
  // All hold 100 ns: two copies first, then the one copies in key order.
  EXPECT_EQ(patterns[0].key.blocker_name, "c");
  EXPECT_EQ(patterns[0].worst, (std::vector<uint32_t>{2, 3}));  // equal held: earlier copy first
  EXPECT_EQ(patterns[1].key.blocker_name, "a");
  EXPECT_EQ(patterns[2].key.blocker_name, "b");
}

TEST(Patterns, SameKeyUnderTwoIndexesIsOnePattern) {
  Analysis a;
  a.pattern_keys = {key(1, Cause::sm_waiting, "gemm"), key(1, Cause::sm_waiting, "gemm")};
  a.copies = {verdict(0, 100, 0), verdict(1, 300, 1), verdict(2, 200, 0)};
  const auto patterns = analysis::find_patterns(a, all(a), 2);
  ASSERT_EQ(patterns.size(), 1u);
  EXPECT_EQ(patterns[0].copies, 3u);
  EXPECT_EQ(patterns[0].held_ns, 600u);
  EXPECT_EQ(patterns[0].max_held_ns, 300u);
  EXPECT_EQ(patterns[0].worst, (std::vector<uint32_t>{1, 2}));
}

TEST(Patterns, WorstZeroKeepsTotalsOnly) {
  const Analysis a = two_patterns();
  const auto patterns = analysis::find_patterns(a, all(a), 0);
  ASSERT_EQ(patterns.size(), 2u);
  EXPECT_TRUE(patterns[0].worst.empty());
  EXPECT_EQ(patterns[0].copies, 4u);
}

}  // namespace
}  // namespace holdup::testing
