// Decoding through the raw-dump replay path: a synthetic CUPTI buffer is
// dumped (pointers rewritten), replayed into a trace file, and the trace is
// read back with the full protobuf classes, field by field.

#include <filesystem>

#include <gtest/gtest.h>

#include "raw_dump.h"
#include "raw_replay.h"
#include "synthetic_records.h"
#include "trace_test_util.h"
#include "chunk_encoder.h"

namespace holdup::inject {
namespace {

using namespace holdup::inject::testing;
namespace pb = holdup::proto;

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir();
    SyntheticBuffer buffer;
    add_sample_records(buffer);
    RawDumpWriter dump;
    std::string error;
    ASSERT_TRUE(dump.create(dir_, &error)) << error;
    ASSERT_TRUE(dump.append(buffer.data(), buffer.size(), CUPTI_API_VERSION, &error)) << error;
    // A second block with the same strings: interned once per file.
    ASSERT_TRUE(dump.append(buffer.data(), buffer.size(), CUPTI_API_VERSION, &error)) << error;
    dump_path_ = dump.path();
    trace_path_ = dir_ + "/replayed.trace";
    ReplayResult r = replay_raw_dump(dump_path_, trace_path_);
    ASSERT_TRUE(r.error.empty()) << r.error;
    EXPECT_EQ(r.blocks, 2u);
    EXPECT_EQ(r.records, 2 * kSampleRecordCount);
    trace_ = read_trace(trace_path_);
    strings_ = interned_strings(trace_);
    ASSERT_GE(trace_.chunk_size(), 4);  // header, 2 buffers, final
    buf_ = trace_.chunk(1);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string str(uint64_t iid) const {
    auto it = strings_.find(iid);
    return it == strings_.end() ? "<missing>" : it->second;
  }

  std::string dir_, dump_path_, trace_path_;
  pb::TraceFile trace_;
  std::map<uint64_t, std::string> strings_;
  pb::Chunk buf_;
};

TEST_F(ReplayTest, HeaderAndSequence) {
  const auto& h = trace_.chunk(0).header();
  EXPECT_EQ(h.magic(), "holdup-trace");
  EXPECT_EQ(h.format_version(), 1u);
  EXPECT_FALSE(h.tool_version().empty());
  EXPECT_EQ(h.cupti_api_version(), static_cast<uint32_t>(CUPTI_API_VERSION));
  EXPECT_EQ(h.cupti_build_api_version(), static_cast<uint32_t>(CUPTI_API_VERSION));
  for (int i = 0; i < trace_.chunk_size(); ++i) {
    EXPECT_EQ(trace_.chunk(i).sequence(), static_cast<uint64_t>(i));
    EXPECT_TRUE(trace_.chunk(i).has_health());
    EXPECT_EQ(trace_.chunk(i).has_header(), i == 0);
  }
  const auto& last = trace_.chunk(trace_.chunk_size() - 1).health();
  EXPECT_EQ(last.records(), 2 * kSampleRecordCount);
  EXPECT_EQ(last.zero_timestamp_records(), 2u);  // the memset, twice
  EXPECT_EQ(last.unknown_records(), 0u);
  EXPECT_EQ(last.buffers_completed(), 2u);
  EXPECT_EQ(last.chunks_failed(), 0u);
  EXPECT_EQ(last.bytes_written(), std::filesystem::file_size(trace_path_));
}

TEST_F(ReplayTest, StringsInternedOncePerFile) {
  int kernel_names = 0;
  for (const auto& [iid, value] : strings_)
    if (value == "_Z4spinv") ++kernel_names;
  EXPECT_EQ(kernel_names, 1);
  EXPECT_EQ(trace_.chunk(2).kernel(0).name_iid(), buf_.kernel(0).name_iid());
  EXPECT_EQ(trace_.chunk(2).string_size(), 0);
}

TEST_F(ReplayTest, ApiRecords) {
  ASSERT_EQ(buf_.api_size(), 2);
  const auto& rt = buf_.api(0);
  EXPECT_EQ(rt.domain(), pb::ApiCall::RUNTIME);
  EXPECT_EQ(rt.cbid(), static_cast<uint32_t>(CUPTI_RUNTIME_TRACE_CBID_cudaMemcpyAsync_v3020));
  EXPECT_EQ(str(rt.name_iid()), "cudaMemcpyAsync");
  EXPECT_EQ(rt.start_ns(), 1000u);
  EXPECT_EQ(rt.end_ns(), 1100u);
  EXPECT_EQ(rt.thread_id(), 4242u);
  EXPECT_EQ(rt.correlation_id(), 11u);
  EXPECT_EQ(rt.return_value(), 0u);
  EXPECT_EQ(rt.process_id(), 77u);
  const auto& drv = buf_.api(1);
  EXPECT_EQ(drv.domain(), pb::ApiCall::DRIVER);
  EXPECT_EQ(str(drv.name_iid()), "cuLaunchKernel");
  EXPECT_EQ(drv.thread_id(), 4243u);
  EXPECT_EQ(drv.correlation_id(), 12u);
}

TEST_F(ReplayTest, Kernel) {
  ASSERT_EQ(buf_.kernel_size(), 1);
  const auto& k = buf_.kernel(0);
  EXPECT_EQ(k.start_ns(), 2000u);
  EXPECT_EQ(k.end_ns(), 6000u);
  EXPECT_EQ(k.queued_ns(), 1300u);
  EXPECT_EQ(k.submitted_ns(), 1400u);
  EXPECT_EQ(k.completed_ns(), 6000u);
  EXPECT_EQ(k.device_id(), 0u);
  EXPECT_EQ(k.context_id(), 1u);
  EXPECT_EQ(k.stream_id(), 13u);
  EXPECT_EQ(k.correlation_id(), 12u);
  EXPECT_EQ(k.channel_id(), 2u);
  EXPECT_EQ(k.channel_type(), pb::CHANNEL_TYPE_COMPUTE);
  EXPECT_EQ(str(k.name_iid()), "_Z4spinv");
  EXPECT_EQ(k.grid_x(), 1056);
  EXPECT_EQ(k.grid_y(), 1);
  EXPECT_EQ(k.grid_z(), 1);
  EXPECT_EQ(k.block_x(), 256);
  EXPECT_EQ(k.block_y(), 1);
  EXPECT_EQ(k.block_z(), 1);
  EXPECT_EQ(k.registers_per_thread(), 16u);
  EXPECT_EQ(k.dynamic_shared_memory(), 1024);
  EXPECT_EQ(k.local_memory_total(), 123456u);
  EXPECT_EQ(k.shared_memory_executed(), 8192u);
  EXPECT_EQ(k.grid_id(), 5);
  EXPECT_FALSE(k.is_device_launched());
}

TEST_F(ReplayTest, CopiesAndMemset) {
  ASSERT_EQ(buf_.memcpy_size(), 2);
  const auto& m = buf_.memcpy(0);
  EXPECT_EQ(m.copy_kind(), pb::DTOD);
  EXPECT_EQ(m.src_kind(), pb::DEVICE);
  EXPECT_EQ(m.dst_kind(), pb::DEVICE);
  EXPECT_EQ(m.flags(), 1u);
  EXPECT_EQ(m.bytes(), 64u << 20);
  EXPECT_EQ(m.start_ns(), 5950u);
  EXPECT_EQ(m.end_ns(), 7000u);
  EXPECT_EQ(m.context_id(), 1u);
  EXPECT_EQ(m.stream_id(), 14u);
  EXPECT_EQ(m.correlation_id(), 11u);
  EXPECT_EQ(m.channel_id(), 1u);
  EXPECT_EQ(m.channel_type(), pb::CHANNEL_TYPE_COMPUTE);
  EXPECT_EQ(m.copy_count(), 1u);
  EXPECT_FALSE(m.is_peer());
  const auto& p = buf_.memcpy(1);
  EXPECT_TRUE(p.is_peer());
  EXPECT_EQ(p.copy_kind(), pb::PTOP);
  EXPECT_EQ(p.bytes(), 4096u);
  EXPECT_EQ(p.correlation_id(), 13u);
  EXPECT_EQ(p.channel_id(), 3u);
  EXPECT_EQ(p.channel_type(), pb::CHANNEL_TYPE_ASYNC_MEMCPY);
  EXPECT_EQ(p.src_device_id(), 0u);
  EXPECT_EQ(p.dst_device_id(), 1u);
  EXPECT_EQ(p.src_context_id(), 1u);
  EXPECT_EQ(p.dst_context_id(), 2u);
  ASSERT_EQ(buf_.memset_size(), 1);
  const auto& s = buf_.memset(0);
  EXPECT_EQ(s.value(), 0x5au);
  EXPECT_EQ(s.bytes(), 1u << 20);
  EXPECT_EQ(s.start_ns(), 0u);
  EXPECT_EQ(s.end_ns(), 7300u);
  EXPECT_EQ(s.stream_id(), 13u);
  EXPECT_EQ(s.correlation_id(), 14u);
  EXPECT_EQ(s.memory_kind(), pb::DEVICE);
  EXPECT_EQ(s.channel_id(), 2u);
  EXPECT_EQ(s.channel_type(), pb::CHANNEL_TYPE_COMPUTE);
}

TEST_F(ReplayTest, DependenciesStreamsContexts) {
  ASSERT_EQ(buf_.synchronization_size(), 1);
  const auto& sy = buf_.synchronization(0);
  EXPECT_EQ(sy.type(), pb::STREAM_WAIT_EVENT);
  EXPECT_EQ(sy.start_ns(), 1500u);
  EXPECT_EQ(sy.end_ns(), 1510u);
  EXPECT_EQ(sy.correlation_id(), 15u);
  EXPECT_EQ(sy.stream_id(), 14u);
  EXPECT_EQ(sy.cuda_event_id(), 3u);
  EXPECT_EQ(sy.cuda_event_sync_id(), 99u);
  ASSERT_EQ(buf_.cuda_event_size(), 1);
  const auto& ev = buf_.cuda_event(0);
  EXPECT_EQ(ev.correlation_id(), 16u);
  EXPECT_EQ(ev.stream_id(), 13u);
  EXPECT_EQ(ev.event_id(), 3u);
  EXPECT_EQ(ev.device_timestamp_ns(), 6001u);
  EXPECT_EQ(ev.cuda_event_sync_id(), 99u);
  ASSERT_EQ(buf_.stream_size(), 1);
  EXPECT_EQ(buf_.stream(0).stream_id(), 14u);
  EXPECT_EQ(buf_.stream(0).priority(), -1);
  EXPECT_EQ(buf_.stream(0).flag(), 2u);
  EXPECT_EQ(buf_.stream(0).correlation_id(), 17u);
  ASSERT_EQ(buf_.context_size(), 1);
  EXPECT_EQ(buf_.context(0).context_id(), 1u);
  EXPECT_EQ(buf_.context(0).null_stream_id(), 7u);
  EXPECT_EQ(buf_.context(0).compute_api_kind(), 1u);
  ASSERT_EQ(buf_.device_size(), 1);
  const auto& d = buf_.device(0);
  EXPECT_EQ(d.name(), "Synthetic H100");
  EXPECT_EQ(d.uuid(), "GPU-01020304-0506-0708-090a-0b0c0d0e0f10");
  EXPECT_EQ(d.compute_capability_major(), 9u);
  EXPECT_EQ(d.num_multiprocessors(), 132u);
  EXPECT_EQ(d.num_memcpy_engines(), 3u);
  EXPECT_EQ(d.global_memory_size(), 80ull << 30);
  EXPECT_EQ(d.core_clock_rate_khz(), 1980000u);
}

TEST_F(ReplayTest, OverheadMarkersNames) {
  ASSERT_EQ(buf_.overhead_size(), 1);
  const auto& o = buf_.overhead(0);
  EXPECT_EQ(o.kind(), pb::COMMAND_BUFFER_FULL);
  EXPECT_EQ(o.start_ns(), 1600u);
  EXPECT_EQ(o.end_ns(), 1700u);
  EXPECT_EQ(o.correlation_id(), 12u);
  EXPECT_EQ(o.object_kind(), 4u);
  EXPECT_EQ(o.context_id(), 1u);
  EXPECT_EQ(o.stream_id(), 13u);
  EXPECT_EQ(o.channel_id(), 7u);
  EXPECT_EQ(o.channel_type(), pb::CHANNEL_TYPE_COMPUTE);
  ASSERT_EQ(buf_.marker_size(), 2);
  EXPECT_EQ(buf_.marker(0).flags(), 2u);
  EXPECT_EQ(buf_.marker(0).timestamp_ns(), 900u);
  EXPECT_EQ(buf_.marker(0).id(), 1u);
  EXPECT_EQ(buf_.marker(0).thread_id(), 4242u);
  EXPECT_EQ(buf_.marker(0).process_id(), 77u);
  EXPECT_EQ(str(buf_.marker(0).name_iid()), "phase");
  EXPECT_EQ(str(buf_.marker(0).domain_iid()), "app");
  EXPECT_EQ(buf_.marker(1).flags(), 4u);
  EXPECT_EQ(buf_.marker(1).name_iid(), 0u);
  ASSERT_EQ(buf_.thread_name_size(), 1);  // replay: no /proc naming
  EXPECT_EQ(buf_.thread_name(0).thread_id(), 4242u);
  EXPECT_EQ(str(buf_.thread_name(0).name_iid()), "proxy");
  EXPECT_EQ(buf_.thread_name(0).source(), pb::ThreadName::NVTX);
  ASSERT_EQ(buf_.object_name_size(), 1);
  EXPECT_EQ(buf_.object_name(0).object_kind(), 5u);
  EXPECT_EQ(buf_.object_name(0).stream_id(), 7u);
  EXPECT_EQ(str(buf_.object_name(0).name_iid()), "copy_stream");
}

TEST(Replay, RejectsGarbage) {
  std::string dir = make_temp_dir();
  std::string dump = dir + "/bad.cupti-raw";
  FILE* f = fopen(dump.c_str(), "wb");
  fputs("this is not a raw dump, but long enough for a header.....", f);
  fclose(f);
  ReplayResult r = replay_raw_dump(dump, dir + "/out.trace");
  EXPECT_NE(r.error.find("not a raw CUPTI block"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find(dump), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(ChunkEncoderTest, SizeCapStopsRecordingWithANote) {
  std::string dir = make_temp_dir();
  ChunkEncoder writer(nullptr);
  std::string error;
  ASSERT_TRUE(writer.create(dir, &error)) << error;
  writer.set_size_cap(2000);
  ProcessHeaderInfo info;
  writer.write_header(info);
  SyntheticBuffer buffer;
  for (int i = 0; i < 20; ++i) add_sample_records(buffer);  // ~> 2000 bytes encoded
  writer.write_buffer(buffer.data(), buffer.size());
  EXPECT_TRUE(writer.stopped_by_size_cap());
  writer.write_buffer(buffer.data(), buffer.size());  // ignored now
  const std::string path = writer.path();
  writer.finish();
  auto trace = read_trace(path);
  ASSERT_EQ(trace.chunk_size(), 2);  // header, final; the capped chunk left a gap
  EXPECT_EQ(trace.chunk(1).sequence(), 2u);
  const auto& h = trace.chunk(1).health();
  EXPECT_TRUE(h.capture_stopped());
  EXPECT_EQ(h.chunks_failed(), 1u);
  ASSERT_EQ(trace.chunk(1).note_size(), 1);
  EXPECT_EQ(trace.chunk(1).note(0).code(), "size-cap-reached");
  EXPECT_EQ(trace.chunk(1).note(0).severity(), pb::Note::WARNING);
  std::filesystem::remove_all(dir);
}

TEST(ChunkEncoderTest, LargeBufferSplitsIntoBoundedChunks) {
  std::string dir = make_temp_dir();
  ChunkEncoder writer(nullptr);
  std::string error;
  ASSERT_TRUE(writer.create(dir, &error)) << error;
  writer.write_header(ProcessHeaderInfo{});
  SyntheticBuffer buffer;
  for (int i = 0; i < 30000; ++i) add_sample_records(buffer);  // ~ 10+ MiB encoded
  writer.write_buffer(buffer.data(), buffer.size());
  const std::string path = writer.path();
  writer.finish();
  auto trace = read_trace(path);
  ASSERT_GE(trace.chunk_size(), 4);
  uint64_t kernels = 0;
  for (const auto& c : trace.chunk()) {
    EXPECT_LT(c.ByteSizeLong(), ChunkEncoder::kChunkSoftLimit + 64 * 1024);
    kernels += c.kernel_size();
  }
  EXPECT_EQ(kernels, 30000u);
  interned_strings(trace);  // no duplicate iids
  std::filesystem::remove_all(dir);
}

TEST(ChunkEncoderTest, FileNamesNeverCollide) {
  std::string dir = make_temp_dir();
  std::string error;
  ChunkEncoder a(nullptr), b(nullptr);
  ASSERT_TRUE(a.create(dir, &error));
  ASSERT_TRUE(b.create(dir, &error));
  EXPECT_NE(a.path(), b.path());
  EXPECT_NE(b.path().find(".1.trace"), std::string::npos) << b.path();
  std::filesystem::remove_all(dir);
}


// The event-call callbacks' events become EventCall records, and the header
// says they were taken (the analysis then reads waits from them).
TEST(ChunkEncoderTest, EventCallsAndTheirHeaderFlag) {
  std::string dir = make_temp_dir();
  ChunkEncoder writer(nullptr);
  std::string error;
  ASSERT_TRUE(writer.create(dir, &error)) << error;
  ProcessHeaderInfo info;
  info.event_calls = true;
  writer.write_header(info);
  CallbackEvent record;
  record.type = CallbackEvent::Type::kEventRecord;
  record.domain = 2;  // runtime
  record.cbid = 135;
  record.thread_id = 11;
  record.context_id = 1;
  record.correlation_id = 40;
  record.object_id = 13;
  record.time_ns = 1000;
  record.handle = 0x7f00e1;
  writer.add_callback_event(record);
  CallbackEvent wait = record;
  wait.type = CallbackEvent::Type::kStreamWait;
  wait.domain = 1;  // driver
  wait.correlation_id = 41;
  wait.object_id = 0;  // CUPTI could not name the stream
  wait.time_ns = 2000;
  writer.add_callback_event(wait);
  CallbackEvent host_func = record;
  host_func.type = CallbackEvent::Type::kHostFunc;
  host_func.cbid = 284;  // cudaLaunchHostFunc
  host_func.correlation_id = 42;
  host_func.object_id = 14;
  host_func.handle = 0;
  host_func.time_ns = 3000;
  writer.add_callback_event(host_func);
  writer.write_periodic();
  const std::string path = writer.path();
  writer.finish();
  auto trace = read_trace(path);
  EXPECT_TRUE(trace.chunk(0).header().config().event_calls());
  std::vector<pb::EventCall> calls;
  for (const auto& c : trace.chunk())
    for (const auto& e : c.event_call()) calls.push_back(e);
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].kind(), pb::EventCall::RECORD);
  EXPECT_EQ(calls[0].domain(), pb::ApiCall::RUNTIME);
  EXPECT_EQ(calls[0].time_ns(), 1000u);
  EXPECT_EQ(calls[0].thread_id(), 11u);
  EXPECT_EQ(calls[0].context_id(), 1u);
  EXPECT_EQ(calls[0].correlation_id(), 40u);
  EXPECT_EQ(calls[0].stream_id(), 13u);
  EXPECT_EQ(calls[0].event_handle(), 0x7f00e1u);
  EXPECT_EQ(calls[0].cbid(), 135u);
  EXPECT_EQ(calls[1].kind(), pb::EventCall::STREAM_WAIT);
  EXPECT_EQ(calls[1].domain(), pb::ApiCall::DRIVER);
  EXPECT_EQ(calls[1].stream_id(), 0u);
  // A host function: its stream, no event.
  EXPECT_EQ(calls[2].kind(), pb::EventCall::HOST_FUNC);
  EXPECT_EQ(calls[2].stream_id(), 14u);
  EXPECT_EQ(calls[2].correlation_id(), 42u);
  EXPECT_EQ(calls[2].event_handle(), 0u);
  EXPECT_EQ(calls[2].cbid(), 284u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace holdup::inject
