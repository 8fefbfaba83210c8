// Records cut in flight and the loss bound, without a GPU: the decoder's
// classification of zero timestamps (forced buffer or not), buffers that
// cannot be read to the end, and the writer forcing a buffer back from a
// CUPTI stand-in (fake_cupti.h) when none came back for HOLDUP_MAX_LOSS_MS.

#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "fake_cupti.h"
#include "raw_dump.h"
#include "raw_replay.h"
#include "trace_test_util.h"
#include "chunk_encoder.h"

namespace holdup::inject {
namespace {

using namespace holdup::inject::testing;
namespace pb = holdup::proto;

// One buffer through a ChunkEncoder; the file read back.
pb::TraceFile write_one(SyntheticBuffer& buffer, bool forced, size_t valid_bytes = 0) {
  const std::string dir = make_temp_dir();
  ChunkEncoder writer(nullptr);
  std::string error;
  EXPECT_TRUE(writer.create(dir, &error)) << error;
  writer.write_header(ProcessHeaderInfo{});
  writer.write_buffer(buffer.data(), valid_bytes ? valid_bytes : buffer.size(), forced);
  const std::string path = writer.path();
  writer.finish();
  auto trace = read_trace(path);
  std::filesystem::remove_all(dir);
  return trace;
}

const pb::RecorderHealth& last_health(const pb::TraceFile& t) { return t.chunk(t.chunk_size() - 1).health(); }

TEST(IncompleteRecords, ZeroTimestampsInAForcedBufferAreIncomplete) {
  SyntheticBuffer buffer;
  add_api_call(buffer, 21);
  add_in_flight_kernel(buffer, 21);
  add_sample_records(buffer);  // its memset has a zero start
  auto trace = write_one(buffer, /*forced*/ true);
  const auto& h = last_health(trace);
  EXPECT_EQ(h.incomplete_records(), 2u);
  EXPECT_EQ(h.zero_timestamp_records(), 0u);
  std::map<std::string, uint64_t> kinds;
  for (const auto& k : h.incomplete()) kinds[k.kind()] = k.count();
  EXPECT_EQ(kinds, (std::map<std::string, uint64_t>{{"CONCURRENT_KERNEL", 1}, {"MEMSET", 1}}));
  EXPECT_TRUE(h.final_chunk());
  int incomplete_kernels = 0, complete_kernels = 0;
  for (const auto& c : trace.chunk()) {
    for (const auto& k : c.kernel()) {
      if (k.incomplete()) {
        ++incomplete_kernels;
        EXPECT_EQ(k.start_ns(), 5000u);  // kept as it came
        EXPECT_EQ(k.end_ns(), 0u);
      } else {
        ++complete_kernels;
      }
    }
    for (const auto& m : c.memset()) EXPECT_TRUE(m.incomplete());
    for (const auto& a : c.api()) EXPECT_FALSE(a.incomplete());
  }
  EXPECT_EQ(incomplete_kernels, 1);
  EXPECT_EQ(complete_kernels, 1);
}

TEST(IncompleteRecords, ZeroTimestampsInABufferCuptiReturnedAreMissingTimestamps) {
  SyntheticBuffer buffer;
  add_in_flight_kernel(buffer, 21);
  add_sample_records(buffer);
  auto trace = write_one(buffer, /*forced*/ false);
  const auto& h = last_health(trace);
  EXPECT_EQ(h.incomplete_records(), 0u);
  EXPECT_EQ(h.incomplete_size(), 0);
  EXPECT_EQ(h.zero_timestamp_records(), 2u);
  for (const auto& c : trace.chunk())
    for (const auto& k : c.kernel()) EXPECT_FALSE(k.incomplete());
}

TEST(IncompleteRecords, ABufferThatCannotBeReadToTheEndIsCounted) {
  // CUPTI stops the walk at a record of an invalid kind (an incomplete
  // record can look like that): the records after it are lost, counted.
  SyntheticBuffer buffer;
  add_api_call(buffer, 21);
  add_api_call(buffer, 22);
  const size_t good = buffer.size();
  buffer.add<CUpti_ActivityAPI>();  // kind 0: invalid
  add_api_call(buffer, 23);
  auto trace = write_one(buffer, true);
  const auto& h = last_health(trace);
  EXPECT_EQ(h.records(), 2u);
  EXPECT_EQ(h.buffers_cut_short(), 1u);
  EXPECT_EQ(h.unread_bytes(), buffer.size() - good);
}

TEST(IncompleteRecords, ForcedBuffersReplayAsForced) {
  const std::string dir = make_temp_dir();
  SyntheticBuffer buffer;
  add_in_flight_kernel(buffer, 21);
  RawDumpWriter dump;
  std::string error;
  ASSERT_TRUE(dump.create(dir, &error)) << error;
  ASSERT_TRUE(dump.append(buffer.data(), buffer.size(), CUPTI_API_VERSION, &error, /*forced*/ true)) << error;
  ASSERT_TRUE(dump.append(buffer.data(), buffer.size(), CUPTI_API_VERSION, &error, /*forced*/ false)) << error;
  ReplayResult r = replay_raw_dump(dump.path(), dir + "/replayed.trace");
  ASSERT_TRUE(r.error.empty()) << r.error;
  auto trace = read_trace(dir + "/replayed.trace");
  EXPECT_EQ(last_health(trace).incomplete_records(), 1u);
  EXPECT_EQ(last_health(trace).zero_timestamp_records(), 1u);
  std::filesystem::remove_all(dir);
}

// The recorder with the CUPTI stand-in: flush every 10 ms, bound 100 ms.
class LossBoundTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir();
    config_.output_dir = dir_;
    config_.buffer_size_bytes = 64 * 1024;
    config_.buffer_count = 4;
    config_.flush_period_ms = 10;
    config_.max_loss_ms = 100;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Recorder> start() {
    auto recorder = std::make_unique<Recorder>(config_, &cupti_);
    std::string error;
    EXPECT_TRUE(recorder->open(&error)) << error;
    cupti_.recorder = recorder.get();
    recorder->start(collect_process_info(config_), true);
    return recorder;
  }

  std::string dir_;
  Config config_;
  FakeCupti cupti_;
};

TEST_F(LossBoundTest, ABufferHeldWithARecordInFlightIsForcedBackWithinTheBound) {
  auto recorder = start();
  SyntheticBuffer records;
  add_api_call(records, 31);
  add_in_flight_kernel(records, 31);
  const uint64_t held_at = now_ms();
  ASSERT_TRUE(cupti_.hold(records, /*complete*/ false));
  for (int i = 0; i < 300 && cupti_.held() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(cupti_.held(), 0u) << "the buffer never came back";
  const uint64_t forced_after = cupti_.first_forced_ms.load() - held_at;
  EXPECT_GE(forced_after, 80u) << "forced before the bound called for it";
  EXPECT_LE(forced_after, 1000u) << "far past the 100 ms bound";
  recorder->stop();

  auto trace = read_trace(recorder->path());
  const auto& h = last_health(trace);
  EXPECT_GE(h.forced_flushes(), 1u);
  EXPECT_EQ(h.incomplete_records(), 1u);
  EXPECT_EQ(h.zero_timestamp_records(), 0u);
  EXPECT_EQ(h.buffers_requested(), h.buffers_completed());
  EXPECT_TRUE(h.final_chunk());
  EXPECT_EQ(h.final_flush_signal(), 0u);
  EXPECT_EQ(trace.chunk(0).header().config().max_loss_ms(), 100u);
}

TEST_F(LossBoundTest, BuffersComingBackOnTheirOwnAreNeverForced) {
  auto recorder = start();
  SyntheticBuffer records;
  add_api_call(records, 41);
  // High rate: a full buffer of complete records every 20 ms for 400 ms.
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(cupti_.hold(records, /*complete*/ true));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const int forced_while_running = cupti_.forced_flushes.load();
  recorder->stop();
  EXPECT_EQ(forced_while_running, 0);
  auto trace = read_trace(recorder->path());
  EXPECT_EQ(last_health(trace).forced_flushes(), 0u);
  EXPECT_EQ(last_health(trace).incomplete_records(), 0u);
  EXPECT_EQ(last_health(trace).records(), 20u);
}

TEST_F(LossBoundTest, IdleCuptiHoldingNothingIsNeverForced) {
  auto recorder = start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(cupti_.forced_flushes.load(), 0);
  EXPECT_GT(cupti_.normal_flushes.load(), 5);
  recorder->stop();
}

TEST_F(LossBoundTest, ZeroBoundNeverForcesWhileRunning) {
  config_.max_loss_ms = 0;
  auto recorder = start();
  SyntheticBuffer records;
  add_in_flight_kernel(records, 51);
  ASSERT_TRUE(cupti_.hold(records, false));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(cupti_.forced_flushes.load(), 0);
  EXPECT_EQ(cupti_.held(), 1u);
  recorder->stop();  // the final flush is forced
  EXPECT_EQ(cupti_.held(), 0u);
  auto trace = read_trace(recorder->path());
  EXPECT_EQ(last_health(trace).forced_flushes(), 0u);
  EXPECT_EQ(last_health(trace).incomplete_records(), 1u);
}

TEST_F(LossBoundTest, ForcedFlushesThatOnlyCutBackOff) {
  // A long kernel always in flight, nothing complete beside it: each forced
  // flush cuts it and saves nothing, so the next one waits twice as long
  // (up to 8 times the threshold) instead of cutting one record a period.
  auto recorder = start();
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  int held = 0;
  while (std::chrono::steady_clock::now() < until) {
    if (cupti_.held() == 0) {
      SyntheticBuffer records;
      add_in_flight_kernel(records, 60 + held);
      ASSERT_TRUE(cupti_.hold(records, /*complete*/ false));
      ++held;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const int forced = cupti_.forced_flushes.load();
  recorder->stop();
  // Without the backoff: one per 90 ms, ~16. With it: 90, 180, 360, 720 ms.
  EXPECT_GE(forced, 2);
  EXPECT_LE(forced, 7);
  auto trace = read_trace(recorder->path());
  const auto& h = last_health(trace);
  EXPECT_EQ(h.forced_gpu_records(), h.incomplete_records()) << "every GPU record forced back was cut";
  EXPECT_GT(h.buffer_bytes_handed_out(), 0u);
}

}  // namespace
}  // namespace holdup::inject
