// The one-pass summary: counts, time span, header, health and the warnings
// derived from them.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "trace/trace_summary.h"
#include "trace_builder.h"
#include "sample_trace.h"

namespace holdup {
namespace {

using testing::kSampleT0;

class TraceSummaryTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("summary"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::vector<proto::Chunk>& chunks) {
    std::string path = dir_ + "/" + name, error;
    EXPECT_TRUE(write_trace_file(path, chunks, &error)) << error;
    return path;
  }
  static bool has_warning(const TraceSummary& s, const std::string& text) {
    auto warnings = trace_warnings(s);
    return std::any_of(warnings.begin(), warnings.end(),
                       [&](const std::string& w) { return w.find(text) != std::string::npos; });
  }
  std::string dir_;
};

TEST_F(TraceSummaryTest, CountsEveryKindOfTheSample) {
  auto s = summarize_trace(write("s.trace", testing::sample_chunks()));
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(s.read.chunks, 3u);
  EXPECT_EQ(s.count(RecordKind::kernel), 3u);
  EXPECT_EQ(s.count(RecordKind::memcpy), 2u);
  EXPECT_EQ(s.count(RecordKind::memset), 1u);
  EXPECT_EQ(s.count(RecordKind::api), 3u);
  EXPECT_EQ(s.count(RecordKind::sync), 1u);
  EXPECT_EQ(s.count(RecordKind::event), 1u);
  EXPECT_EQ(s.count(RecordKind::overhead), 1u);
  EXPECT_EQ(s.count(RecordKind::marker), 1u);
  EXPECT_EQ(s.count(RecordKind::launch), 1u);
  EXPECT_EQ(s.count(RecordKind::module), 1u);
  EXPECT_EQ(s.count(RecordKind::stream), 2u);
  EXPECT_EQ(s.count(RecordKind::device), 1u);
  EXPECT_EQ(s.count(RecordKind::context), 1u);
  EXPECT_EQ(s.count(RecordKind::thread), 1u);
  EXPECT_EQ(s.count(RecordKind::string), 6u);
  EXPECT_EQ(s.count(RecordKind::clock), 1u);
  EXPECT_EQ(s.count(RecordKind::note), 1u);
  EXPECT_EQ(s.copies(), 3u);
  EXPECT_EQ(s.peer_copies, 1u);
  EXPECT_EQ(s.copy_bytes, (64u << 20) + (1u << 20));
  EXPECT_EQ(s.activity_records(), 13u);
  // Earliest: the module load 30 us before t0; latest: the last kernel's end.
  EXPECT_EQ(s.first_ns, kSampleT0 - 30'000);
  EXPECT_EQ(s.last_ns, kSampleT0 + 10'000'000);
  ASSERT_TRUE(s.has_header);
  EXPECT_EQ(s.header.pid(), 4242u);
  EXPECT_EQ(s.health.records(), 15u);  // from the last chunk
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_EQ(s.notes[0].code(), "sample-note");
  EXPECT_TRUE(trace_warnings(s).empty()) << trace_warnings(s)[0];
  EXPECT_TRUE(trace_warning_tags(s).empty());
}

// A kernel cut by the final flush came back on an H200 with start 2^64-1 and
// end 0: it counts as incomplete and never sets the span.
TEST_F(TraceSummaryTest, IncompleteRecordsLeaveTheTimeSpanAlone) {
  auto chunks = testing::sample_chunks();
  proto::Kernel* cut = chunks.back().add_kernel();
  cut->set_start_ns(UINT64_MAX);
  cut->set_end_ns(0);
  cut->set_incomplete(true);
  proto::Kernel* unknown_end = chunks.back().add_kernel();  // not flagged: the unknown time alone
  unknown_end->set_start_ns(kSampleT0 + 1'000);
  unknown_end->set_end_ns(UINT64_MAX);
  auto s = summarize_trace(write("cut.trace", chunks));
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(s.count(RecordKind::kernel), 5u);
  EXPECT_EQ(s.incomplete_gpu_records, 1u);
  EXPECT_EQ(s.first_ns, kSampleT0 - 30'000);
  EXPECT_EQ(s.last_ns, kSampleT0 + 10'000'000);
  EXPECT_EQ(s.gpu_last_ns, kSampleT0 + 10'000'000);
}

TEST_F(TraceSummaryTest, RecordsCutByTheFinalFlushOnAnH200) {
  auto s = summarize_trace(HOLDUP_TEST_DATA_DIR "/cut/sm-saturated-final-flush.trace");
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(s.incomplete_gpu_records, 92u);
  EXPECT_EQ(s.health.incomplete_records(), 92u);
  EXPECT_GT(s.last_ns, s.first_ns);
  EXPECT_LT(s.last_ns - s.first_ns, 60'000'000'000ull) << "span of a 2 s run";
  EXPECT_LT(s.gpu_last_ns - s.gpu_first_ns, 60'000'000'000ull);
}

TEST_F(TraceSummaryTest, HealthProblemsBecomeWarnings) {
  auto chunks = testing::sample_chunks();
  auto* h = chunks.back().mutable_health();
  h->set_dropped_records(12);
  auto* d = h->add_dropped();
  d->set_context_id(1);
  d->set_count(12);
  h->set_zero_timestamp_records(3);
  h->set_unknown_records(4);
  h->set_buffers_denied(2);
  h->set_buffers_requested(9);
  h->set_callback_events_dropped(5);
  h->set_other_subscriber(true);
  h->set_activity_callbacks_lost(true);
  h->set_capture_stopped(true);
  h->set_chunks_failed(1);
  auto s = summarize_trace(write("h.trace", chunks));
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(has_warning(s, "CUPTI dropped 12 records (context 1: 12)"));
  EXPECT_TRUE(has_warning(s, "3 records with a zero timestamp"));
  EXPECT_TRUE(has_warning(s, "4 records of kinds or layouts"));
  EXPECT_TRUE(has_warning(s, "2 activity buffer requests denied"));
  EXPECT_TRUE(has_warning(s, "6 activity buffers never came back"));
  EXPECT_TRUE(has_warning(s, "5 callback events"));
  EXPECT_TRUE(has_warning(s, "another CUPTI client (Nsight"));
  EXPECT_TRUE(has_warning(s, "took over the activity buffers"));
  EXPECT_TRUE(has_warning(s, "capture stopped early"));
  EXPECT_TRUE(has_warning(s, "1 chunk missing"));
  auto tags = trace_warning_tags(s);
  EXPECT_NE(std::find(tags.begin(), tags.end(), "other subscriber"), tags.end());
}

TEST_F(TraceSummaryTest, TornTailIsAWarningNotAnError) {
  auto chunks = testing::sample_chunks();
  std::string path = write("t.trace", chunks);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 5);
  auto s = summarize_trace(path);
  EXPECT_TRUE(s.ok()) << s.error();
  EXPECT_TRUE(s.read.torn_tail);
  EXPECT_EQ(s.count(RecordKind::kernel), 2u);  // the third kernel was in the torn chunk
  EXPECT_TRUE(has_warning(s, "the last chunk is torn"));
  auto tags = trace_warning_tags(s);
  EXPECT_NE(std::find(tags.begin(), tags.end(), "torn tail"), tags.end());
}

TEST_F(TraceSummaryTest, UnreadableFilesCarryTheirError) {
  auto missing = summarize_trace(dir_ + "/missing.trace");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("missing.trace"), std::string::npos);
  EXPECT_TRUE(has_warning(missing, "missing.trace"));

  std::ofstream(dir_ + "/empty.trace").close();
  auto empty = summarize_trace(dir_ + "/empty.trace");
  EXPECT_FALSE(empty.ok());
  EXPECT_NE(empty.error().find("empty"), std::string::npos);
}

TEST_F(TraceSummaryTest, HeaderOnlyTraceSaysNoActivity) {
  proto::Chunk header_only;
  *header_only.mutable_header() = testing::sample_header();
  auto s = summarize_trace(write("header-only.trace", {header_only}));
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_TRUE(has_warning(s, "no activity records"));
}

// Held off by another CUPTI client: that is the one reason given, not also
// "the process may not have used CUDA" (tests/gpu/run_fault_checks.sh).
TEST_F(TraceSummaryTest, AnotherSubscriberIsTheOnlyReasonGivenForNoActivity) {
  proto::Chunk header_only;
  *header_only.mutable_header() = testing::sample_header();
  header_only.mutable_health()->set_other_subscriber(true);
  header_only.mutable_health()->set_final_chunk(true);
  auto s = summarize_trace(write("other.trace", {header_only}));
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_TRUE(has_warning(s, "another CUPTI client (Nsight"));
  EXPECT_FALSE(has_warning(s, "no activity records"));
}

TEST(RecordKindTest, NamesRoundTripAndAliasesParse) {
  for (RecordKind kind : all_record_kinds()) {
    auto parsed = parse_record_kind(record_kind_name(kind));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, kind);
  }
  EXPECT_EQ(parse_record_kind("synchronization"), RecordKind::sync);
  EXPECT_EQ(parse_record_kind("cuda_event"), RecordKind::event);
  EXPECT_FALSE(parse_record_kind("bogus"));
  EXPECT_EQ(overhead_kind_name(proto::LAZY_FUNCTION_LOADING), "LAZY_FUNCTION_LOADING");
  EXPECT_EQ(overhead_kind_name(static_cast<proto::OverheadKind>(999)), "999");
}

}  // namespace
}  // namespace holdup
