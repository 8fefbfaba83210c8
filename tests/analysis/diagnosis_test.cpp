// The diagnosis classes real programs showed (issue: diagnosis on real
// applications), one synthetic scenario each: a persistent library kernel
// holding an SM-executed copy, a stall in the issuing thread's earlier
// calls, a host wait issued after the copy, a cold copy on an idle GPU,
// and the patterns a loop repeats.

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


bool has_code(const Analysis& a, const CopyVerdict& v, const std::string& code) {
  if (v.detail == analysis::kNone) return false;
  for (const auto& f : a.details[v.detail].findings) {
    if (!f.claimed) continue;
    for (const auto& s : f.signals) {
      if (s.code == code) return true;
    }
  }
  return false;
}

// A cuBLAS-like persistent GEMM: one block of 384 threads per SM (168
// registers), whose blocks retire at different times: the copy starts
// 120 us before its recorded end.
proto::Kernel& gemm(SyntheticTrace& t, double start, double end, uint32_t corr) {
  return t.kernel("nvjet_sm90_tst_256x128_64x4_2x1_v_bz_coopA_NNT", start, end, kComputeStream, 2, corr, 132, 384, 168);
}

TEST(Diagnosis, PersistentKernelHoldsSmCopyInItsLastWave) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5);
  gemm(t, 0, 1500, t.launch(-20, -15));
  gemm(t, 1500, 3000, t.launch(-14, -9));
  const uint32_t copy = t.api("cudaMemcpyAsync", 10, 15);
  t.memcpy(proto::DTOD, 1380, 1420, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, copy, 8 << 20);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::sm_waiting);
  EXPECT_TRUE(has_code(a, v, "sm.device-full"));
  EXPECT_TRUE(has_code(a, v, "sm.last-wave"));
  const auto& f = a.details[v.detail].findings.front();
  ASSERT_FALSE(f.blockers.empty());
  EXPECT_EQ(f.blockers.front().record.kind, RecordKind::kernel);
}

TEST(Diagnosis, MetDependencyThenNextKernelTookTheSms) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5);
  gemm(t, 0, 1500, t.launch(-20, -15));
  const uint32_t record = t.api("cudaEventRecord", -14, -13);
  auto* e = t.chunk().add_cuda_event();
  e->set_correlation_id(record);
  e->set_context_id(kContext);
  e->set_stream_id(kComputeStream);
  e->set_cuda_event_sync_id(9);
  const uint32_t wait = t.api("cudaStreamWaitEvent", -12, -11);
  auto* s = t.chunk().add_synchronization();
  s->set_type(proto::STREAM_WAIT_EVENT);
  s->set_start_ns(at_us(-12));
  s->set_end_ns(at_us(-11));
  s->set_context_id(kContext);
  s->set_stream_id(kCopyStream);
  s->set_correlation_id(wait);
  s->set_cuda_event_sync_id(9);
  const uint32_t copy = t.api("cudaMemcpyAsync", -10, -5);
  gemm(t, 1502, 3000, t.launch(-4, 0));
  t.memcpy(proto::DTOD, 2880, 2920, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, copy, 8 << 20);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  EXPECT_EQ(v.split.dependency_ready_ns, at_us(1500));
  EXPECT_GT(v.split.dependency, us(1400));
  EXPECT_EQ(v.split.held, us(2880) - us(1500));
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::sm_waiting);
}

TEST(Diagnosis, SmHeadroomDuringTheHoldIsNotClaimed) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5);
  gemm(t, 0, 500, t.launch(-20, -15));
  const uint32_t copy = t.api("cudaMemcpyAsync", 10, 15);
  // The device was free from 500 to 1380: something else held the copy.
  gemm(t, 1300, 2000, t.launch(-14, -9));
  t.memcpy(proto::DTOD, 1380, 1420, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, copy, 8 << 20);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::unknown);
}

TEST(Diagnosis, StallInAnEarlierCallOfTheBurstIsAHostLock) {
  SyntheticTrace t(100);
  t.normal_calls("cudaEventRecord", 5, 3, 2);
  t.normal_calls("cudaMemcpyAsync", 5, 5, 2);
  t.normal_calls("cudaFree", 3, 20, 1);
  t.kernel("work", 0, 6000, kComputeStream, 2, t.launch(-10, -5));
  // Thread 1 frees memory: a device-wide wait holding the context.
  const uint32_t free_call = t.api("cudaFree", 90, 6050, 1);
  // The proxy thread sets out at 100: its event record waits for the lock.
  t.api("cudaEventRecord", 100, 6060, 2);
  const uint32_t copy = t.api("cudaMemcpyAsync", 6062, 6067, 2);
  t.memcpy(proto::DTOD, 6080, 6120, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, copy, 8 << 20);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  EXPECT_EQ(v.split.intent_ns, at_us(100));
  EXPECT_EQ(v.split.held_in_burst, us(5960) - us(3));
  EXPECT_EQ(v.split.issue_to_start, us(5980));
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::host_lock);
  EXPECT_TRUE(has_code(a, v, "host.burst-stall"));
  EXPECT_TRUE(has_code(a, v, "host.lock-holder"));
  const auto& f = a.details[v.detail].findings.front();
  ASSERT_FALSE(f.blockers.empty());
  EXPECT_EQ(f.blockers.front().record.kind, RecordKind::api);
  EXPECT_EQ(f.blockers.front().record.correlation_id, free_call);
}

// Every event record of the proxy waited for another thread's limit change
// (the probe's context-hold case): the median event record is the wait
// itself, so the wait is read from the holder's span, not from the median.
TEST(Diagnosis, EveryIterationHeldByTheLockIsStillAHostLock) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 5, 5, 2);
  std::vector<uint32_t> copies, holders;
  for (int it = 0; it < 4; ++it) {
    const double base = it * 10000.0;
    holders.push_back(t.api("cudaDeviceSetLimit", base + 0, base + 6000, 1));
    t.api("cudaEventRecord", base + 300, base + 6030, 2);  // entered while held, returned 30 us after
    copies.push_back(t.api("cudaMemcpyAsync", base + 6032, base + 6037, 2));
    t.memcpy(proto::DTOD, base + 6050, base + 6060, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, copies.back(), 8 << 20);
  }
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  for (size_t it = 0; it < copies.size(); ++it) {
    const auto& v = verdict(a, copies[it]);
    SCOPED_TRACE(it);
    EXPECT_EQ(v.split.held_in_burst, us(5700));
    ASSERT_TRUE(v.flagged());
    EXPECT_EQ(v.cause, Cause::host_lock);
    const auto& f = a.details[v.detail].findings.front();
    ASSERT_FALSE(f.blockers.empty());
    EXPECT_EQ(f.blockers.front().record.correlation_id, holders[it]);
  }
}

// A long call that started before the other thread's call, and lasts as
// long as its kind usually does, did not wait for it.
TEST(Diagnosis, LongCallStartedBeforeTheHolderIsNotAWait) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 5, 5, 2);
  t.normal_calls("cudaGraphInstantiate", 5, 6000, 2);
  t.api("cudaDeviceSetLimit", 300, 6000, 1);
  t.api("cudaGraphInstantiate", 0, 6030, 2);
  const uint32_t copy = t.api("cudaMemcpyAsync", 6032, 6037, 2);
  t.memcpy(proto::DTOD, 6050, 6060, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, copy, 8 << 20);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  EXPECT_EQ(v.split.held_in_burst, 0u);
  EXPECT_FALSE(v.flagged());
}

TEST(Diagnosis, BurstEndsAtASynchronize) {
  SyntheticTrace t(100);
  t.normal_calls("cudaStreamSynchronize", 5, 3, 2);
  t.normal_calls("cudaMemcpyAsync", 5, 5, 2);
  t.normal_calls("cudaFree", 3, 20, 1);
  t.api("cudaFree", 90, 6050, 1);
  // A synchronize waits by intent: not a stall of the copy's burst.
  t.api("cudaStreamSynchronize", 100, 6060, 2);
  const uint32_t copy = t.api("cudaMemcpyAsync", 6062, 6067, 2);
  t.memcpy(proto::DTOD, 6075, 6120, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, copy, 8 << 20);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  EXPECT_EQ(v.split.held_in_burst, 0u);
  EXPECT_FALSE(v.flagged());
}

TEST(Diagnosis, SynchronizeIssuedAfterTheCopyIsNoBarrier) {
  SyntheticTrace t(100);
  t.env("CUDA_DEVICE_MAX_CONNECTIONS", "1");
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  // Everything on channel 0: the copy queued behind the other stream's kernels.
  t.kernel("k0", 0, 2500, kComputeStream, 0, t.launch(-20, -15), 1320, 256);
  t.kernel("k1", 2500, 5000, kComputeStream, 0, t.launch(-14, -9), 1320, 256);
  const uint32_t copy = t.api("cudaMemcpyAsync", 100, 105, 2);
  t.api("cudaDeviceSynchronize", 200, 5020, 1);
  t.memcpy(proto::DTOD, 5010, 5050, kCopyStream, 0, proto::CHANNEL_TYPE_COMPUTE, copy, 8 << 20);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::shared_hardware_queue);
  for (const auto& f : a.details[v.detail].findings) EXPECT_NE(f.cause, Cause::device_barrier);
}

TEST(Diagnosis, BarrierBeganAfterTheCopyWasSubmittedHoldsNothing) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  t.kernel("k0", 0, 3000, kComputeStream, 2, t.launch(-20, -15), 132, 128);
  const uint32_t copy = t.api("cudaMemcpyAsync", 100, 105, 2);
  t.api("cudaMalloc", 200, 3010, 1);  // after the copy's call returned
  t.memcpy(proto::DTOD, 3012, 3050, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, copy, 8 << 20);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  ASSERT_TRUE(v.flagged());
  for (const auto& f : a.details[v.detail].findings) EXPECT_NE(f.cause, Cause::device_barrier);
}

TEST(Diagnosis, ColdCopyOnAnIdleGpuIsNotHeld) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  const uint32_t copy = t.api("cudaMemcpyAsync", 100, 105, 2);
  t.memcpy(proto::DTOD, 235, 300, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, copy, 8 << 20);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  EXPECT_EQ(v.split.held, us(130));
  EXPECT_FALSE(v.flagged());
  EXPECT_TRUE(v.cold());
  EXPECT_EQ(v.cause, Cause::none);
  EXPECT_EQ(v.pattern, analysis::kNone);
}

TEST(Diagnosis, LocalMemoryGrowthIsABarrier) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  t.normal_calls("cudaLaunchKernel", 6, 4, 1);
  t.kernel("small", -500, -400, kComputeStream, 2, t.launch(-600, -595), 132, 128).set_local_memory_total(1 << 20);
  t.kernel("k0", 0, 3000, kComputeStream, 2, t.launch(-20, -15), 132, 128).set_local_memory_total(1 << 20);
  const uint32_t copy = t.api("cudaMemcpyAsync", 100, 105, 2);
  const uint32_t big = t.launch(50, 3005);  // the launch that grew local memory
  t.kernel("needs_stack", 3010, 3500, kComputeStream, 2, big, 132, 128).set_local_memory_total(64 << 20);
  t.memcpy(proto::DTOD, 3015, 3050, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, copy, 8 << 20);
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  const auto& v = verdict(a, copy);
  ASSERT_TRUE(v.flagged());
  EXPECT_EQ(v.cause, Cause::device_barrier);
  EXPECT_TRUE(has_code(a, v, "barrier.local-memory-resize"));
}

TEST(Diagnosis, RepeatedHoldsFormOnePattern) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5);
  std::vector<uint32_t> copies;
  for (int i = 0; i < 5; ++i) {
    const double base = i * 4000.0;
    gemm(t, base, base + 1500, t.launch(base - 20, base - 15));
    const uint32_t copy = t.api("cudaMemcpyAsync", base + 10, base + 15);
    t.memcpy(proto::DTOD, base + 1380 + i, base + 1420, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, copy, 8 << 20);
    copies.push_back(copy);
  }
  auto model = build_model({{t.chunk()}});
  auto a = analysis::analyze(model);
  ASSERT_EQ(a.pattern_keys.size(), 1u);
  EXPECT_EQ(a.pattern_keys[0].cause, Cause::sm_waiting);
  EXPECT_EQ(a.pattern_keys[0].blocker_kind, RecordKind::kernel);
  for (uint32_t c : copies) EXPECT_EQ(verdict(a, c).pattern, 0u);
}

}  // namespace
}  // namespace holdup::testing
