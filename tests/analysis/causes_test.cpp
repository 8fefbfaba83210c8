// One synthetic scenario per cause and per non-cause, with exact splits.
// Times in the scenarios are microseconds; splits are checked in ns.

#include <gtest/gtest.h>

#include "holdup/analysis.h"
#include "synthetic_trace.h"
#include "verdict_lookup.h"
#include "holdup/trace.pb.h"

namespace holdup::testing {
namespace {

using analysis::Analysis;
using analysis::Cause;
using analysis::CopyVerdict;
using analysis::Finding;


const Finding& primary(const Analysis& a, const CopyVerdict& v) {
  static Finding none;
  if (v.detail == analysis::kNone || a.details[v.detail].findings.empty()) {
    ADD_FAILURE() << "no finding";
    return none;
  }
  return a.details[v.detail].findings.front();
}

void expect_split(const CopyVerdict& v, uint64_t api, uint64_t stream_order, uint64_t dependency, uint64_t held,
                  uint64_t held_host) {
  EXPECT_TRUE(v.has_issue());
  EXPECT_EQ(v.split.api, api);
  EXPECT_EQ(v.split.stream_order, stream_order);
  EXPECT_EQ(v.split.dependency, dependency);
  EXPECT_EQ(v.split.held, held);
  EXPECT_EQ(v.split.held_host, held_host);
  EXPECT_EQ(v.split.api + v.split.stream_order + v.split.dependency + v.split.held, v.split.issue_to_start);
}

// --- Non-causes ------------------------------------------------------------

TEST(Split, OwnStreamOrderIsNotHeld) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  const uint32_t first = t.api("cudaMemcpyAsync", 90, 95, 2);
  t.memcpy(proto::HTOD, 100, 400, kCopyStream, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, first);
  const uint32_t copy = t.api("cudaMemcpyAsync", 110, 115, 2);
  t.memcpy(proto::HTOD, 402, 500, kCopyStream, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, copy);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  expect_split(v, us(5), us(285), 0, us(2), 0);
  EXPECT_FALSE(v.flagged());
  EXPECT_EQ(v.cause, Cause::none);
}

class DependencyTest : public ::testing::TestWithParam<bool> {};

TEST_P(DependencyTest, StreamWaitEventIsADeclaredDependency) {
  const bool device_timestamp = GetParam();
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  t.kernel("producer", 100, 600, kComputeStream, 2, t.launch(90, 95));
  const uint32_t record = t.api("cudaEventRecord", 105, 106);
  auto* e = t.chunk().add_cuda_event();
  e->set_correlation_id(record);
  e->set_context_id(kContext);
  e->set_stream_id(kComputeStream);
  e->set_cuda_event_sync_id(9);
  if (device_timestamp) e->set_device_timestamp_ns(at_us(600));
  t.stream_wait_record(110, 111, t.api("cudaStreamWaitEvent", 110, 111, 2), kCopyStream, 9);
  const uint32_t copy = t.api("cudaMemcpyAsync", 120, 125, 2);
  t.memcpy(proto::DTOH, 603, 700, kCopyStream, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, copy);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  expect_split(v, us(5), 0, us(475), us(3), 0);
  EXPECT_FALSE(v.flagged());
}
INSTANTIATE_TEST_SUITE_P(WithAndWithoutDeviceTimestamp, DependencyTest, ::testing::Bool());

// Recorded the lean way (issue 12): no SYNCHRONIZATION records, the waits
// from the recorder's event-call callbacks. The same split as above, with
// and without the CUDA_EVENT record of the event waited for.
class EventCallDependencyTest : public ::testing::TestWithParam<bool> {};

TEST_P(EventCallDependencyTest, StreamWaitFromEventCallsIsADeclaredDependency) {
  const bool cuda_event_records = GetParam();
  SyntheticTrace t(100);
  auto* config = t.header().mutable_config();
  for (const char* kind : {"CONCURRENT_KERNEL", "MEMCPY", "MEMSET", "RUNTIME", "DRIVER"}) config->add_enabled_kinds(kind);
  if (cuda_event_records) config->add_enabled_kinds("CUDA_EVENT");
  config->set_event_calls(true);
  constexpr uint64_t kEvent = 0x7f00e1;
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  t.kernel("producer", 100, 600, kComputeStream, 2, t.launch(90, 95));
  const uint32_t record = t.api("cudaEventRecord", 105, 106);
  t.event_call(proto::EventCall::RECORD, 105, kComputeStream, kEvent, record);
  // The runtime's own driver call inside it (the same correlation id): the same record, once.
  t.event_call(proto::EventCall::RECORD, 105.5, kComputeStream, kEvent, record, 1, proto::ApiCall::DRIVER);
  if (cuda_event_records) {
    auto* e = t.chunk().add_cuda_event();
    e->set_correlation_id(record);
    e->set_context_id(kContext);
    e->set_stream_id(kComputeStream);
    e->set_cuda_event_sync_id(9);
  }
  const uint32_t wait = t.api("cudaStreamWaitEvent", 110, 111, 2);
  t.event_call(proto::EventCall::STREAM_WAIT, 110, kCopyStream, kEvent, wait, 2);
  // Its driver call with the runtime call's correlation id (as CUPTI 13.0 gives it), here even on another
  // thread id: the same wait, once.
  t.event_call(proto::EventCall::STREAM_WAIT, 110.2, kCopyStream, kEvent, wait, 3, proto::ApiCall::DRIVER);
  const uint32_t copy = t.api("cudaMemcpyAsync", 120, 125, 2);
  t.memcpy(proto::DTOH, 603, 700, kCopyStream, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, copy);
  // The event recorded again later on another stream: the wait above was
  // for the record before it.
  const uint32_t again = t.api("cudaEventRecord", 130, 131);
  t.event_call(proto::EventCall::RECORD, 130, kNullStream, kEvent, again);

  auto model = build_model({{t.chunk()}});
  ASSERT_TRUE(model.processes[0].waits_from_event_calls);
  EXPECT_FALSE(model.processes[0].waits_unrecorded);
  ASSERT_EQ(model.synchronizations.size(), 1u) << "one wait: the driver call inside the runtime one is not another";
  EXPECT_EQ(model.synchronizations[0].stream_id, kCopyStream);
  EXPECT_EQ(model.synchronizations[0].correlation_id, wait);
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  expect_split(v, us(5), 0, us(475), us(3), 0);
  EXPECT_FALSE(v.flagged());
  ASSERT_NE(v.split.dependency_wait, analysis::kNone);
}
INSTANTIATE_TEST_SUITE_P(WithAndWithoutCudaEventRecords, EventCallDependencyTest, ::testing::Bool());

// SYNCHRONIZATION records, when recorded, are the waits; event calls beside
// them add none.
TEST(Split, SynchronizationRecordsWinOverEventCalls) {
  SyntheticTrace t(100);
  t.header().mutable_config()->set_event_calls(true);  // every kind on (no list: all)
  const uint32_t wait = t.api("cudaStreamWaitEvent", 110, 111, 2);
  t.event_call(proto::EventCall::STREAM_WAIT, 110, kCopyStream, 0x7f00e1, wait, 2);
  t.stream_wait_record(110, 111, wait, kCopyStream);
  auto model = build_model({{t.chunk()}});
  EXPECT_FALSE(model.processes[0].waits_from_event_calls);
  EXPECT_EQ(model.synchronizations.size(), 1u);
}

TEST(Split, NormalApiCostIsNotHeld) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpy", 4, 200, 2);  // a synchronous copy's normal cost
  const uint32_t copy = t.api("cudaMemcpy", 100, 300, 2);
  t.memcpy(proto::HTOD, 290, 300, kCopyStream, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, copy);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  expect_split(v, us(190), 0, 0, 0, 0);
  EXPECT_FALSE(v.flagged());
}

// --- Joining copies to their issuing call ----------------------------------

TEST(Join, OutermostApiCallIsTheIssue) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  // Runtime and driver calls with one correlation id: the runtime one.
  const uint32_t shared = t.api("cudaMemcpyAsync", 200, 205, 2);
  t.api("cuMemcpyAsync", 201, 204, 2, shared, proto::ApiCall::DRIVER);
  t.memcpy(proto::HTOD, 210, 220, kCopyStream, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, shared);
  // Separate ids: the driver call's id on the copy, the runtime call found
  // around it on the same thread.
  t.api("cudaMemcpyAsync", 300, 305, 2, 500);
  t.api("cuMemcpyAsync", 301, 304, 2, 501, proto::ApiCall::DRIVER);
  t.memcpy(proto::HTOD, 310, 320, kCopyStream, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, 501);
  // No API record with the copy's id: runtime_correlation_id.
  t.api("cudaMemcpyAsync", 400, 405, 2, 600);
  t.memcpy(proto::HTOD, 410, 420, kCopyStream, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, 601)
      .set_runtime_correlation_id(600);
  // A graph-launched copy carries the graph launch's id.
  const uint32_t graph = t.api("cudaGraphLaunch", 500, 520, 2);
  t.memcpy(proto::DTOD, 530, 540, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, graph).set_graph_id(3);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  EXPECT_EQ(model.ops[verdict(a, shared).op].issue_ns, at_us(200));
  EXPECT_EQ(model.ops[verdict(a, 501).op].issue_ns, at_us(300));
  EXPECT_EQ(model.ops[verdict(a, 601).op].issue_ns, at_us(400));
  EXPECT_EQ(model.ops[verdict(a, graph).op].issue_ns, at_us(500));
  EXPECT_EQ(model.name(model.api_calls[model.ops[verdict(a, 501).op].api].name), "cudaMemcpyAsync");
}

TEST(Join, CopyWithoutApiRecordIsNotSplit) {
  SyntheticTrace t(100);
  t.memcpy(proto::HTOD, 410, 420, kCopyStream, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, 777);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  ASSERT_EQ(a.copies.size(), 1u);
  EXPECT_FALSE(a.copies[0].has_issue());
  EXPECT_FALSE(a.copies[0].flagged());
}

// --- Causes ----------------------------------------------------------------

TEST(Causes, SharedHardwareQueue) {
  SyntheticTrace t(100);
  t.env("CUDA_DEVICE_MAX_CONNECTIONS", "1");
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  t.kernel("k1", 100, 5100, kComputeStream, 0, t.launch(90, 95));
  t.kernel("k2", 5100, 10100, kComputeStream, 0, t.launch(96, 98));
  const uint32_t copy = t.api("cudaMemcpyAsync", 200, 205, 2);
  t.memcpy(proto::DTOD, 10105, 10200, kCopyStream, 0, proto::CHANNEL_TYPE_COMPUTE, copy);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  expect_split(v, us(5), 0, 0, us(9900), 0);
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::shared_hardware_queue);
  const auto& f = primary(a, v);
  EXPECT_TRUE(f.claimed);
  EXPECT_EQ(f.signals.size(), 2u);
  ASSERT_EQ(f.blockers.size(), 2u);
  EXPECT_EQ(f.blockers[0].record.name, "k2");
  EXPECT_EQ(f.blockers[0].held_behind_ns, us(5000));
  EXPECT_EQ(f.blockers[1].record.name, "k1");
  EXPECT_EQ(f.blockers[1].held_behind_ns, us(4895));
  EXPECT_EQ(f.explains_ns, us(9895));
  EXPECT_NE(f.remedy.find("CUDA_DEVICE_MAX_CONNECTIONS"), std::string::npos);
  ASSERT_FALSE(f.corroboration.empty());
  EXPECT_NE(f.corroboration[0].find("=1"), std::string::npos);
}

// A trace recorded without SYNCHRONIZATION/CUDA_EVENT (HOLDUP_KINDS) cannot
// see a stream's wait for an event: a copy issued after a cudaStreamWaitEvent
// may have waited for it, so its cause is unknown, whatever else agrees.
void sm_saturated_copy_after_a_wait(SyntheticTrace& t, bool kinds_off, uint32_t* copy, uint32_t* later) {
  if (kinds_off) {
    for (const char* kind : {"CONCURRENT_KERNEL", "MEMCPY", "MEMSET", "RUNTIME", "DRIVER"})
      t.header().mutable_config()->add_enabled_kinds(kind);
  }
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  t.kernel("fill", 100, 4100, kComputeStream, 2, t.launch(90, 95), 132 * 8, 256);
  t.api("cudaStreamWaitEvent", 150, 152, 2);
  *copy = t.api("cudaMemcpyAsync", 200, 205, 2);
  t.memcpy(proto::DTOD, 4050, 4150, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, *copy);
  // The same again later, no wait call in between: the rule does not reach it.
  t.kernel("fill", 5000, 9000, kComputeStream, 2, t.launch(4990, 4995), 132 * 8, 256);
  *later = t.api("cudaMemcpyAsync", 5100, 5105, 2);
  t.memcpy(proto::DTOD, 8950, 9050, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, *later);
}

TEST(Causes, UnseenStreamWaitMakesTheCauseUnknown) {
  SyntheticTrace t(100);
  uint32_t copy = 0, later = 0;
  sm_saturated_copy_after_a_wait(t, true, &copy, &later);
  auto model = build_model({{t.chunk()}});
  ASSERT_TRUE(model.processes[0].waits_unrecorded);
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::unknown);
  EXPECT_NE(v.split.unseen_wait, analysis::kNone);
  const uint32_t index = static_cast<uint32_t>(&v - a.copies.data());
  const std::string reason = analysis::unknown_reason(a, index);
  EXPECT_NE(reason.find("cudaStreamWaitEvent on thread 2"), std::string::npos) << reason;
  EXPECT_NE(reason.find("HOLDUP_KINDS"), std::string::npos) << reason;
  // The evidence for what it would otherwise be stays listed.
  ASSERT_FALSE(a.details[v.detail].findings.empty());
  EXPECT_EQ(a.details[v.detail].findings.front().cause, Cause::sm_waiting);
  const auto& w = verdict(a, later);
  ASSERT_TRUE(w.flagged());
  EXPECT_EQ(w.cause, Cause::sm_waiting);
  EXPECT_EQ(w.split.unseen_wait, analysis::kNone);
}

TEST(Causes, StreamWaitCallsAreSeenThroughEventCalls) {
  SyntheticTrace t(100);
  uint32_t copy = 0, later = 0;
  sm_saturated_copy_after_a_wait(t, true, &copy, &later);
  t.header().mutable_config()->set_event_calls(true);  // the wait call has no EventCall: nothing recorded it
  auto model = build_model({{t.chunk()}});
  EXPECT_FALSE(model.processes[0].waits_unrecorded);
  EXPECT_TRUE(model.processes[0].waits_from_event_calls);
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::sm_waiting);
  EXPECT_EQ(v.split.unseen_wait, analysis::kNone);
}

TEST(Causes, StreamWaitCallsDoNotMatterWhenWaitsAreRecorded) {
  SyntheticTrace t(100);
  uint32_t copy = 0, later = 0;
  sm_saturated_copy_after_a_wait(t, false, &copy, &later);
  auto model = build_model({{t.chunk()}});
  EXPECT_FALSE(model.processes[0].waits_unrecorded);
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::sm_waiting);
  EXPECT_EQ(v.split.unseen_wait, analysis::kNone);
  EXPECT_EQ(analysis::unknown_reason(a, static_cast<uint32_t>(&v - a.copies.data())), "");
}

TEST(Causes, SmExecutedCopyWaitsForSms) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  // 8 blocks of 256 threads per SM fill an H100 (64 warps per SM).
  t.kernel("fill", 100, 4100, kComputeStream, 2, t.launch(90, 95), 132 * 8, 256);
  const uint32_t copy = t.api("cudaMemcpyAsync", 200, 205, 2);
  t.memcpy(proto::DTOD, 4050, 4150, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, copy);
  // Control: one block of 128 threads per SM leaves room; the copy starts.
  t.kernel("light", 5000, 9000, kComputeStream, 2, t.launch(4990, 4995), 132, 128);
  const uint32_t control = t.api("cudaMemcpyAsync", 5100, 5105, 2);
  t.memcpy(proto::DTOD, 5110, 5210, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, control);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  expect_split(v, us(5), 0, 0, us(3845), 0);
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::sm_waiting);
  const auto& f = primary(a, v);
  EXPECT_TRUE(f.claimed);
  EXPECT_EQ(f.explains_ns, us(3845));
  ASSERT_EQ(f.blockers.size(), 1u);
  EXPECT_EQ(f.blockers[0].record.name, "fill");
  EXPECT_NE(f.signals[0].text.find("1056 blocks"), std::string::npos);
  EXPECT_NE(f.remedy.find("cudaMemcpyFlagPreferOverlapWithCompute"), std::string::npos);
  const auto& c = verdict(a, control);
  expect_split(c, us(5), 0, 0, us(5), 0);
  EXPECT_FALSE(c.flagged());
}

// The seed pattern: K0, K1, K2's first launch, and the proxy's copy issued
// while that launch is in flight (a barrier holds only work submitted after
// it began).
SyntheticTrace barrier_scenario(bool lazy_load) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  t.kernel("k0", 100, 1100, kComputeStream, 2, t.launch(90, 95));
  const uint32_t copy = t.api("cudaMemcpyAsync", 222, 227, 2, 20);
  t.memcpy(proto::DTOD, 2110, 2200, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, copy);
  t.kernel("k1", 1100, 2100, kComputeStream, 2, t.launch(210, 215));
  if (lazy_load) {
    const uint32_t k2 = t.launch(220, 260);
    t.overhead(proto::LAZY_FUNCTION_LOADING, 225, 255, k2, 1);
    t.kernel("k2", 2100, 3100, kComputeStream, 2, k2);
  } else {
    t.api("cudaMalloc", 220, 260, 1, 30);
  }
  return t;
}

TEST(Causes, BarrierViaLazyFunctionLoad) {
  auto t = barrier_scenario(true);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, 20);
  expect_split(v, us(5), 0, 0, us(1883), 0);
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::device_barrier);
  const auto& f = primary(a, v);
  EXPECT_TRUE(f.claimed);
  EXPECT_EQ(f.explains_ns, us(1873));
  ASSERT_GE(f.blockers.size(), 3u);
  EXPECT_EQ(f.blockers[0].record.kind, RecordKind::api);
  EXPECT_EQ(f.blockers[0].record.name, "cudaLaunchKernel");
  EXPECT_EQ(f.blockers[0].record.thread_id, 1u);
  EXPECT_EQ(f.blockers[1].record.name, "k1");  // drained work, most-held first
  EXPECT_EQ(f.blockers[1].held_behind_ns, us(1000));
  EXPECT_EQ(f.blockers[2].record.name, "k0");
  EXPECT_EQ(f.blockers[2].held_behind_ns, us(873));
  EXPECT_NE(f.signals[0].text.find("lazy-function-load"), std::string::npos);
  EXPECT_NE(f.signals[1].text.find("started 10 us after"), std::string::npos);
  EXPECT_NE(f.remedy.find("CUDA_MODULE_LOADING=EAGER"), std::string::npos);
  EXPECT_NE(f.remedy.find("k2"), std::string::npos);
}

// The H100 seed pattern: Kernel2's first launch on thread 1 starts before
// the proxy's copy call and loads the function while the copy's call is in
// flight; the copy's call returns right after the load, so the copy is
// submitted after the barrier and waits for k0 and k1 (submitted before it).
TEST(Causes, BarrierOverlappingTheCopysCall) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  t.kernel("k0", 100, 1100, kComputeStream, 2, t.launch(90, 95));
  t.kernel("k1", 1100, 2100, kComputeStream, 2, t.launch(150, 155));
  const uint32_t k2 = t.launch(195, 260);
  t.overhead(proto::LAZY_FUNCTION_LOADING, 200, 255, k2, 1);
  t.kernel("k2", 2100, 3100, kComputeStream, 2, k2);
  const uint32_t copy = t.api("cudaMemcpyAsync", 198, 262, 2, 20);
  t.memcpy(proto::DTOD, 2110, 2200, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, copy);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, 20);
  expect_split(v, us(5), 0, 0, us(1907), us(59));
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::device_barrier);
  const auto& f = primary(a, v);
  EXPECT_TRUE(f.claimed);
  ASSERT_GE(f.blockers.size(), 3u);
  EXPECT_EQ(f.blockers[0].record.kind, RecordKind::api);
  EXPECT_EQ(f.blockers[0].record.name, "cudaLaunchKernel");
  EXPECT_EQ(f.blockers[1].record.name, "k1");
  EXPECT_NE(f.signals[0].text.find("before and during"), std::string::npos) << f.signals[0].text;
  EXPECT_NE(f.signals[1].text.find("started 10 us after"), std::string::npos) << f.signals[1].text;
}

TEST(Causes, BarrierViaCudaMalloc) {
  auto t = barrier_scenario(false);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, 20);
  expect_split(v, us(5), 0, 0, us(1883), 0);
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::device_barrier);
  const auto& f = primary(a, v);
  EXPECT_EQ(f.blockers[0].record.name, "cudaMalloc");
  EXPECT_EQ(f.blockers[0].record.correlation_id, 30u);
  EXPECT_NE(f.signals[0].text.find("allocation"), std::string::npos);
  EXPECT_NE(f.remedy.find("memory pool"), std::string::npos);
}

TEST(Causes, HostSideLock) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  t.api("cuModuleLoadData", 300, 6300, 1, 30, proto::ApiCall::DRIVER);
  const uint32_t copy = t.api("cudaMemcpyAsync", 310, 6310, 2);
  t.memcpy(proto::HTOD, 6320, 6400, kCopyStream, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, copy);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  expect_split(v, us(5), 0, 0, us(6005), us(5995));
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::host_lock);
  const auto& f = primary(a, v);
  EXPECT_TRUE(f.claimed);
  EXPECT_EQ(f.explains_ns, us(5985));
  ASSERT_EQ(f.blockers.size(), 1u);
  EXPECT_EQ(f.blockers[0].record.name, "cuModuleLoadData");
  EXPECT_EQ(f.blockers[0].record.thread_id, 1u);
  EXPECT_NE(f.remedy.find("start-up"), std::string::npos);
}

TEST(Causes, AnotherProcessOnTheSameGpu) {
  SyntheticTrace mine(100);
  mine.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  const uint32_t copy = mine.api("cudaMemcpyAsync", 200, 205, 2);
  mine.memcpy(proto::DTOD, 2010, 2100, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, copy);
  SyntheticTrace other(200);
  other.kernel("their_kernel", 100, 2000, kComputeStream, 2, other.launch(90, 95));
  auto model = build_model({{mine.chunk()}, {other.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  expect_split(v, us(5), 0, 0, us(1805), 0);
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::other_process);
  const auto& f = primary(a, v);
  EXPECT_TRUE(f.claimed);
  EXPECT_EQ(f.explains_ns, us(1795));
  ASSERT_EQ(f.blockers.size(), 1u);
  EXPECT_EQ(f.blockers[0].record.pid, 200u);
  EXPECT_NE(f.remedy.find("MPS"), std::string::npos);
}

// Time-slicing seen from the copy's own context: its other work, issued
// before the copy on an idle stream, started only with it, while nothing
// of the context ran and the other process's (stretched) kernels ran
// through the hold. Their usual length is no guide here: every one of
// them is stretched.
TEST(Causes, AnotherProcessWhileTheWholeContextWasOff) {
  SyntheticTrace mine(100);
  mine.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  const uint32_t sentinel = mine.launch(0, 10);
  const uint32_t copy = mine.api("cudaMemcpyAsync", 1000, 1005, 2);
  mine.kernel("sentinel", 2300, 9000, kComputeStream, 2, sentinel, 1, 1);
  mine.memcpy(proto::DTOD, 2302, 2350, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, copy);
  SyntheticTrace other(200);
  for (int k = 0; k < 4; ++k) {
    other.kernel("their_kernel", -4500 + k * 4500.0, k * 4500.0, kComputeStream, 2, other.launch(-5000, -4990));
  }
  auto model = build_model({{mine.chunk()}, {other.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::other_process);
  const auto& f = primary(a, v);
  bool resumed = false;
  for (const auto& s : f.signals) resumed = resumed || s.code == "other-process.context-resumed";
  EXPECT_TRUE(resumed);
}

// The same, but the copy's own context ran a kernel through the hold: it
// was on the GPU, and the other process's kernels alone prove nothing.
TEST(Causes, OwnContextRunningIsNotTimeSlicing) {
  SyntheticTrace mine(100);
  mine.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  const uint32_t sentinel = mine.launch(0, 10);
  const uint32_t copy = mine.api("cudaMemcpyAsync", 1000, 1005, 2);
  mine.kernel("sentinel", 20, 9000, kComputeStream, 2, sentinel, 1, 1);
  mine.kernel("late", 2300, 2400, 15, 4, mine.launch(500, 510), 1, 1);
  mine.memcpy(proto::DTOD, 2302, 2350, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, copy);
  SyntheticTrace other(200);
  for (int k = 0; k < 4; ++k) {
    other.kernel("their_kernel", -4500 + k * 4500.0, k * 4500.0, kComputeStream, 2, other.launch(-5000, -4990));
  }
  auto model = build_model({{mine.chunk()}, {other.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  ASSERT_TRUE(v.flagged());
  EXPECT_NE(v.cause, Cause::other_process);
}

TEST(Causes, LegacyDefaultStream) {
  SyntheticTrace t(100);
  t.stream(kCopyStream, 1);  // blocking
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  t.kernel("on_null_stream", 100, 3100, kNullStream, 2, t.launch(90, 95));
  const uint32_t copy = t.api("cudaMemcpyAsync", 200, 205, 2);
  t.memcpy(proto::HTOD, 3105, 3200, kCopyStream, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, copy);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  expect_split(v, us(5), 0, 0, us(2900), 0);
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::legacy_default_stream);
  const auto& f = primary(a, v);
  EXPECT_TRUE(f.claimed);
  EXPECT_EQ(f.explains_ns, us(2895));
  EXPECT_EQ(f.blockers[0].record.stream_id, kNullStream);
  EXPECT_NE(f.remedy.find("cudaStreamNonBlocking"), std::string::npos);
}

TEST(Causes, LegacyDefaultStreamNeedsABlockingStream) {
  SyntheticTrace t(100);  // the copy stream is non-blocking
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  t.kernel("on_null_stream", 100, 3100, kNullStream, 2, t.launch(90, 95));
  const uint32_t copy = t.api("cudaMemcpyAsync", 200, 205, 2);
  t.memcpy(proto::HTOD, 3105, 3200, kCopyStream, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, copy);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::unknown);
}

TEST(Causes, CopyChannelSharedWithOtherStreamsCopies) {
  SyntheticTrace t(100);
  t.stream(15, 2);
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  const uint32_t bulk = t.api("cudaMemcpyAsync", 90, 95, 1);
  t.memcpy(proto::HTOD, 100, 5100, 15, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, bulk, 1ull << 30);
  const uint32_t copy = t.api("cudaMemcpyAsync", 200, 205, 2);
  t.memcpy(proto::HTOD, 5102, 5200, kCopyStream, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, copy, 1 << 20);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  expect_split(v, us(5), 0, 0, us(4897), 0);
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::copy_channel_shared);
  const auto& f = primary(a, v);
  EXPECT_TRUE(f.claimed);
  EXPECT_EQ(f.explains_ns, us(4895));
  EXPECT_EQ(f.blockers[0].record.stream_id, 15u);
  EXPECT_EQ(f.blockers[0].record.name, "htod 1 GiB");
}

TEST(Causes, ProfilerOverheadIsReportedAsOurs) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  const uint32_t copy = t.api("cudaMemcpyAsync", 200, 13205, 2);
  t.overhead(proto::ACTIVITY_BUFFER_REQUEST, 201, 13201, 0, 2);
  t.memcpy(proto::HTOD, 13210, 13300, kCopyStream, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, copy);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  expect_split(v, us(5), 0, 0, us(13005), us(13000));
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::profiler_overhead);
  const auto& f = primary(a, v);
  EXPECT_TRUE(f.claimed);
  EXPECT_EQ(f.explains_ns, us(12996));
  EXPECT_NE(f.remedy.find("holdup's own"), std::string::npos);
  // The long call alone is one signal of a host lock: kept, not claimed.
  const auto& all = a.details[v.detail].findings;
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].cause, Cause::host_lock);
  EXPECT_FALSE(all[1].claimed);
}

// A copy held 1 ms while a small kernel ran on another stream (so the copy
// is not cold) and nothing in the trace explains the hold; its API record.
uint32_t add_unexplained_copy(SyntheticTrace& t) {
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  t.kernel("small", 300, 900, kComputeStream, 2, t.launch(290, 295), 1);
  const uint32_t copy = t.api("cudaMemcpyAsync", 200, 205, 2);
  t.memcpy(proto::HTOD, 1205, 1300, kCopyStream, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, copy);
  return copy;
}

TEST(Causes, UnknownWhenNothingExplainsIt) {
  SyntheticTrace t(100);
  const uint32_t copy = add_unexplained_copy(t);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  expect_split(v, us(5), 0, 0, us(1000), 0);
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::unknown);
  EXPECT_TRUE(a.details[v.detail].findings.empty());
}

// A neighbour's kernels cut by a flush (no end) cannot be placed in time:
// the unknown says so, naming how many and whose (a GPU-bound neighbour's
// forced flushes cut 16 kernels in a two-process run on the H200).
TEST(Causes, UnknownNamesCutKernelsOfTheSameGpu) {
  SyntheticTrace t(100);
  const uint32_t copy = add_unexplained_copy(t);
  SyntheticTrace other(200);
  other.kernel("gemm", 150, 0, kComputeStream, 2, other.launch(140, 145)).set_end_ns(0);  // cut: no end
  other.kernel("later", 0, 0, kComputeStream, 2, other.launch(1400, 1405)).set_start_ns(0);  // after the copy started
  auto model = build_model({{t.chunk()}, {other.chunk()}});
  ASSERT_EQ(model.processes[1].incomplete_kernels, 2u);
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  ASSERT_TRUE(v.flagged());
  ASSERT_EQ(v.cause, Cause::unknown);
  const std::string reason = analysis::unknown_reason(a, static_cast<uint32_t>(&v - a.copies.data()));
  EXPECT_NE(reason.find("1 kernel record(s) of pid 200 on this GPU"), std::string::npos) << reason;
}

TEST(Causes, ThresholdIsAnOption) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  // The channel ran a copy before (the held one is not a cold first copy).
  const uint32_t warm = t.api("cudaMemcpyAsync", 50, 55, 2);
  t.memcpy(proto::HTOD, 60, 150, kCopyStream, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, warm);
  const uint32_t copy = t.api("cudaMemcpyAsync", 200, 205, 2);
  t.kernel("busy", 100, 1200, kComputeStream, 2, t.launch(90, 95));
  t.memcpy(proto::HTOD, 1205, 1300, kCopyStream, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, copy);
  auto model = build_model({{t.chunk()}});
  ASSERT_TRUE(verdict(analysis::analyze(model), copy).flagged()) << "the default threshold flags the 1 ms hold";
  analysis::AnalysisOptions options;
  options.threshold_ns = us(2000);
  auto a = analysis::analyze(model, options);
  EXPECT_FALSE(verdict(a, copy).flagged());
}

}  // namespace
}  // namespace holdup::testing
