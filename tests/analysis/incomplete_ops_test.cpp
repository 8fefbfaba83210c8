// GPU records without a start or an end (cut in flight by a forced flush,
// or with a zero timestamp): set apart and counted by the model builder,
// never 0-length ops, never looked at by the causes.

#include <gtest/gtest.h>

#include "holdup/analysis.h"
#include "synthetic_trace.h"
#include "holdup/trace.pb.h"

namespace holdup::testing {
namespace {

using analysis::GpuOp;

// A kernel and a copy that completed, then a kernel cut in flight (the
// recorder marked it; start known, no end), a copy cut before it started
// (marked, both zero), and a memset with a zero end from an older recorder
// (not marked).
SyntheticTrace trace_with_incomplete_ops() {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5);
  t.kernel("done", 100, 200, kComputeStream, 2, t.launch(90, 95));
  t.memcpy(proto::DTOD, 210, 260, kCopyStream, 3, proto::CHANNEL_TYPE_COMPUTE, t.api("cudaMemcpyAsync", 205, 209));
  auto& running = t.kernel("running", 300, 0, kComputeStream, 2, t.launch(290, 295));
  running.set_end_ns(0);
  running.set_incomplete(true);
  auto& queued = t.memcpy(proto::DTOD, 0, 0, kCopyStream, 3, proto::CHANNEL_TYPE_COMPUTE,
                          t.api("cudaMemcpyAsync", 296, 299));
  queued.set_start_ns(0);
  queued.set_end_ns(0);
  queued.set_incomplete(true);
  auto* memset = t.chunk().add_memset();
  memset->set_start_ns(at_us(400));
  memset->set_end_ns(0);
  memset->set_context_id(kContext);
  memset->set_stream_id(kCopyStream);
  memset->set_correlation_id(t.api("cudaMemsetAsync", 390, 395));
  return t;
}

TEST(IncompleteOps, AreSetApartAndCountedPerProcess) {
  auto t = trace_with_incomplete_ops();
  auto model = build_model({{t.chunk()}});
  ASSERT_EQ(model.ops.size(), 2u);
  for (const auto& op : model.ops) {
    EXPECT_FALSE(op.incomplete());
    EXPECT_GT(op.start_ns, 0u);
    EXPECT_GT(op.end_ns, op.start_ns);
  }
  ASSERT_EQ(model.incomplete_ops.size(), 3u);
  for (const auto& op : model.incomplete_ops) {
    EXPECT_TRUE(op.incomplete());
    EXPECT_EQ(op.gpu, 0u) << "still placed on its GPU";
  }
  const auto& p = model.processes[0];
  EXPECT_EQ(p.incomplete_kernels, 1u);
  EXPECT_EQ(p.incomplete_copies, 1u);
  EXPECT_EQ(p.incomplete_memsets, 1u);
  EXPECT_EQ(p.incomplete_ops(), 3u);
}

TEST(IncompleteOps, AreInNoIndexTheCausesUse) {
  auto t = trace_with_incomplete_ops();
  auto model = build_model({{t.chunk()}});
  size_t indexed = 0;
  for (const auto& [key, list] : model.ops_by_stream) {
    for (uint32_t i : list) EXPECT_LT(i, model.ops.size());
    indexed += list.size();
  }
  EXPECT_EQ(indexed, 2u);
  indexed = 0;
  for (const auto& [key, list] : model.ops_by_channel) indexed += list.size();
  EXPECT_EQ(indexed, 2u);
  EXPECT_EQ(model.gpus[0].ops_by_start.size(), 2u);
  // The longest op is a real one, not "running to the end of time".
  EXPECT_EQ(model.gpus[0].max_op_duration_ns, 100'000u);
  EXPECT_EQ(model.origin_ns, at_us(-10000.0));
}

TEST(IncompleteOps, NoCopyVerdictForAnIncompleteCopy) {
  auto t = trace_with_incomplete_ops();
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  ASSERT_EQ(a.copies.size(), 1u) << "only the completed copy is judged";
  EXPECT_EQ(model.ops[a.copies[0].op].start_ns, at_us(210));
}

TEST(IncompleteOps, ACompleteTraceHasNone) {
  SyntheticTrace t(100);
  t.kernel("done", 100, 200, kComputeStream, 2, t.launch(90, 95));
  auto model = build_model({{t.chunk()}});
  EXPECT_TRUE(model.incomplete_ops.empty());
  EXPECT_EQ(model.processes[0].incomplete_ops(), 0u);
  EXPECT_EQ(model.ops.size(), 1u);
}

}  // namespace
}  // namespace holdup::testing
