// Records that contradict their own stream: found, counted, shown, and
// never taken as stream order (the H200 CUDA-graph case: a 48 MiB copy
// recorded as 50.8 ms hid the next copy's 4 ms hold behind a full-grid
// kernel).

#include <gtest/gtest.h>

#include "holdup/analysis.h"
#include "holdup/analysis_load.h"
#include "synthetic_trace.h"
#include "verdict_lookup.h"

namespace holdup::testing {
namespace {

using analysis::Cause;
using analysis::Contradiction;

// Copy A (48 MiB) recorded from 100 us to 50.9 ms; copy B, issued on the
// same stream at 1000 us, starts at 4050 us behind a kernel that fills
// every SM (100..4100 us). A's end lies 46.8 ms after B's start.
SyntheticTrace trace_with_impossible_copy(uint32_t* copy_a, uint32_t* copy_b) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  *copy_a = t.api("cudaMemcpyAsync", 90, 95, 2);
  t.memcpy(proto::DTOD, 100, 50'900, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, *copy_a).set_bytes(48ull << 20);
  t.kernel("fill", 100, 4100, kComputeStream, 2, t.launch(90, 95), 132 * 8, 256);
  *copy_b = t.api("cudaMemcpyAsync", 1000, 1005, 2);
  t.memcpy(proto::DTOD, 4050, 4150, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, *copy_b);
  return t;
}

TEST(Contradictions, ACopyEndingAfterLaterWorkOfItsStreamIsNeverStreamOrder) {
  uint32_t a_corr = 0, b_corr = 0;
  auto t = trace_with_impossible_copy(&a_corr, &b_corr);
  auto model = build_model({{t.chunk()}});
  ASSERT_EQ(model.contradictions.size(), 1u);
  const Contradiction& c = model.contradictions[0];
  EXPECT_EQ(model.ops[c.op].correlation_id, a_corr);
  EXPECT_EQ(model.ops[c.witness].correlation_id, b_corr);
  EXPECT_EQ(c.kind, Contradiction::Kind::overlaps_later_work);
  EXPECT_EQ(c.overlap_ns, us(50'900 - 4050));
  EXPECT_TRUE(model.ops[c.op].contradicts());
  EXPECT_EQ(model.processes[0].contradicting_ops, 1u);
  ASSERT_FALSE(model.processes[0].problems.empty());
  EXPECT_NE(model.processes[0].problems.back().find("1 GPU record contradicts its own stream"), std::string::npos)
      << model.processes[0].problems.back();
  // Not in the indexes the causes use.
  for (const auto& [key, ops] : model.ops_by_stream)
    for (uint32_t op : ops) EXPECT_FALSE(model.ops[op].contradicts());

  auto analysis = analysis::analyze(model);
  // B is judged on its own: held behind the full-grid kernel, not in
  // stream order behind A.
  const auto& b = verdict(analysis, b_corr);
  EXPECT_EQ(b.split.stream_order, 0u);
  EXPECT_TRUE(b.flagged());
  EXPECT_EQ(b.cause, Cause::sm_waiting);
  // A itself is not judged.
  const auto& a = verdict(analysis, a_corr);
  EXPECT_TRUE(a.contradicts());
  EXPECT_FALSE(a.flagged());
}

TEST(Contradictions, EndBeforeStart) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5);
  const uint32_t corr = t.api("cudaMemcpyAsync", 90, 95);
  t.memcpy(proto::DTOD, 300, 200, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, corr);
  auto model = build_model({{t.chunk()}});
  ASSERT_EQ(model.contradictions.size(), 1u);
  EXPECT_EQ(model.contradictions[0].kind, Contradiction::Kind::end_before_start);
  EXPECT_EQ(model.contradictions[0].overlap_ns, us(100));
  EXPECT_NE(model.processes[0].problems.back().find("ends 100 us before it starts"), std::string::npos)
      << model.processes[0].problems.back();
}

// What is real: kernels overlapping the kernel before them (programmatic
// dependent launch), and the nodes of one graph launch running together.
TEST(Contradictions, OverlapsThatHappenAreNone) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5);
  t.kernel("primary", 100, 500, kComputeStream, 2, t.launch(90, 95));
  t.kernel("secondary", 400, 900, kComputeStream, 2, t.launch(96, 99));  // PDL
  const uint32_t graph = t.api("cudaGraphLaunch", 1000, 1010);
  t.memcpy(proto::DTOD, 1100, 1500, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, graph);
  t.kernel("node", 1200, 1400, kCopyStream, 2, graph);  // same graph launch
  // Back to back within the slack.
  t.memcpy(proto::DTOD, 1600, 1700, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, t.api("cudaMemcpyAsync", 1550, 1555));
  t.memcpy(proto::DTOD, 1699.5, 1800, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE,
           t.api("cudaMemcpyAsync", 1560, 1565));
  auto model = build_model({{t.chunk()}});
  EXPECT_TRUE(model.contradictions.empty());
  EXPECT_EQ(model.processes[0].contradicting_ops, 0u);
}

// Two threads' calls on one stream that overlap in time may enqueue in
// either order: the later-entered call's op running first is no
// contradiction.
TEST(Contradictions, OverlappingCallsOfTwoThreadsHaveNoOrder) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5);
  const uint32_t first_entered = t.api("cudaMemcpyAsync", 100, 130, 1);
  const uint32_t second_entered = t.api("cudaMemcpyAsync", 105, 110, 2);  // got the stream first
  t.memcpy(proto::DTOD, 120, 200, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, second_entered);
  t.memcpy(proto::DTOD, 200, 300, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, first_entered);
  auto model = build_model({{t.chunk()}});
  EXPECT_TRUE(model.contradictions.empty());
}

// A kernel whose recorded end lies after a later copy of its stream began:
// a copy never starts early, so the kernel's end cannot be true.
TEST(Contradictions, KernelEndingAfterALaterCopyStarted) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5);
  t.kernel("k", 100, 5000, kCopyStream, 2, t.launch(90, 95));
  const uint32_t copy = t.api("cudaMemcpyAsync", 96, 99);
  t.memcpy(proto::DTOD, 300, 400, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, copy);
  auto model = build_model({{t.chunk()}});
  ASSERT_EQ(model.contradictions.size(), 1u);
  EXPECT_EQ(model.ops[model.contradictions[0].op].kind, analysis::OpKind::kernel);
  EXPECT_EQ(model.ops[model.contradictions[0].witness].correlation_id, copy);
}

// Every fixture recorded on a GPU: no record contradicts its stream (a rule
// that fired on real traces would be wrong, or CUPTI would be; either is
// worth a look).
TEST(Contradictions, NoneInTheFixtures) {
  for (const char* folder : {"h100/sm-saturated", "h100/shared-queue", "h200/report", "corpus/h200-corpus/two-process"}) {
    analysis::Model model;
    std::vector<std::string> errors;
    analysis::load_traces({std::string(HOLDUP_TEST_DATA_DIR) + "/" + folder + "/trace"}, &model, &errors);
    ASSERT_TRUE(errors.empty()) << folder << ": " << errors.front();
    ASSERT_FALSE(model.ops.empty()) << folder;
    EXPECT_TRUE(model.contradictions.empty()) << folder;
  }
}

}  // namespace
}  // namespace holdup::testing
