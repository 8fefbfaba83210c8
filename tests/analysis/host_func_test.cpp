// A copy behind a host function on its own stream (cudaLaunchHostFunc):
// stream order, not a hold behind unrelated work.

#include <gtest/gtest.h>

#include "holdup/analysis.h"
#include "synthetic_trace.h"
#include "verdict_lookup.h"

namespace holdup::testing {
namespace {

using analysis::Cause;

// A kernel on the copy stream (100..200 us), then a host function enqueued
// on that stream at 210 us (it runs ~4 ms, unrecorded), then the copy,
// issued at 220 us, starts at 4230 us. A full-grid kernel runs on another
// stream meanwhile (unrelated work).
SyntheticTrace trace_with_host_func(uint32_t host_func_stream, uint32_t* copy) {
  SyntheticTrace t(100);
  t.header().mutable_config()->set_event_calls(true);
  t.normal_calls("cudaMemcpyAsync", 4, 5);
  t.kernel("before", 100, 200, kCopyStream, 3, t.launch(90, 95));
  const uint32_t hf = t.api("cudaLaunchHostFunc", 210, 214);
  t.event_call(proto::EventCall::HOST_FUNC, 210, host_func_stream, 0, hf);
  t.kernel("fill", 150, 6000, kComputeStream, 2, t.launch(140, 145), 132 * 8, 256);
  *copy = t.api("cudaMemcpyAsync", 220, 225);
  t.memcpy(proto::DTOD, 4230, 4300, kCopyStream, 3, proto::CHANNEL_TYPE_COMPUTE, *copy);
  return t;
}

TEST(HostFunc, CopyBehindAHostFunctionOnItsStreamIsStreamOrder) {
  uint32_t copy = 0;
  auto t = trace_with_host_func(kCopyStream, &copy);
  auto model = build_model({{t.chunk()}});
  ASSERT_EQ(model.host_funcs_by_stream.size(), 1u);
  EXPECT_TRUE(model.synchronizations.empty()) << "a host function is no stream wait";
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  EXPECT_FALSE(v.flagged());
  EXPECT_EQ(v.split.held, 0u);
  EXPECT_EQ(v.split.stream_order, us(4230 - 225));
  ASSERT_NE(v.split.host_func, analysis::kNone);
  EXPECT_EQ(model.event_calls[v.split.host_func].stream_id, kCopyStream);
}

// The same host function on another stream does not explain the copy.
TEST(HostFunc, OnAnotherStreamItExplainsNothing) {
  uint32_t copy = 0;
  auto t = trace_with_host_func(kComputeStream, &copy);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  EXPECT_EQ(v.split.host_func, analysis::kNone);
  EXPECT_TRUE(v.flagged());
  EXPECT_GT(v.split.held, us(3900));
}

// A host function enqueued before the work that precedes the copy on its
// stream ran before that work: it does not hold the copy.
TEST(HostFunc, BeforeThePrecedingWorkItExplainsNothing) {
  SyntheticTrace t(100);
  t.header().mutable_config()->set_event_calls(true);
  t.normal_calls("cudaMemcpyAsync", 4, 5);
  const uint32_t hf = t.api("cudaLaunchHostFunc", 50, 54);
  t.event_call(proto::EventCall::HOST_FUNC, 50, kCopyStream, 0, hf);
  t.kernel("before", 100, 200, kCopyStream, 3, t.launch(90, 95));
  t.kernel("fill", 150, 6000, kComputeStream, 2, t.launch(140, 145), 132 * 8, 256);
  const uint32_t copy = t.api("cudaMemcpyAsync", 220, 225);
  t.memcpy(proto::DTOD, 4230, 4300, kCopyStream, 3, proto::CHANNEL_TYPE_COMPUTE, copy);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  EXPECT_EQ(verdict(a, copy).split.host_func, analysis::kNone);
}

}  // namespace
}  // namespace holdup::testing
