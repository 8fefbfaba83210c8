// Every verb that reads traces, on malformed files (issue 14): exit code 2
// and one error naming the file, the byte offset and the chunk; a torn tail
// is read up to where it tears, with a warning. The files are an H100
// fixture broken in each way.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "holdup_process.h"
#include "sample_trace.h"

namespace holdup::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFixture = HOLDUP_TEST_DATA_DIR "/h100/seed-lazy/trace/holdup-vm-1498.trace";

// The fixture's first chunk, framed: 0x0a, a two-byte length, the payload.
std::string first_chunk(const std::string& trace) {
  const size_t length = (static_cast<uint8_t>(trace[1]) & 0x7f) | size_t(static_cast<uint8_t>(trace[2])) << 7;
  return trace.substr(0, 3 + length);
}

class MalformedCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("malformed");
    trace_ = read_file(kFixture);
    ASSERT_GT(static_cast<uint8_t>(trace_[1]), 0x7f) << "the fixture's first chunk has a two-byte length";
    first_ = first_chunk(trace_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& bytes) {
    const auto path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  // Runs every reading verb on `path`: each exits 2 with one error that
  // names the file and where it went wrong. With `after_first_chunk`, the
  // chunks before the damage are used (issue 21): report and export go on
  // with them (exit 0, the error as a warning), check still fails.
  void expect_exit2_naming(const std::string& path, const std::string& where, bool after_first_chunk = false) {
    const std::vector<std::vector<std::string>> verbs = {
        {"report", path},
        {"report", "--json", path},
        {"check", "--max-held-us", "1000", path},
        {"info", path},
        {"info", "--json", path},
        {"dump", path},
        {"export", "--force", "--format", "json", "-o", dir_ + "/out.json", path},
        {"export", "--force", "--format", "sqlite", "-o", dir_ + "/out.sqlite", path},
        {"report", "--force", "--html", dir_ + "/out.html", path},
    };
    for (const auto& args : verbs) {
      SCOPED_TRACE("holdup " + args[0] + " " + args[1]);
      const auto r = run_holdup(args);
      const bool goes_on = after_first_chunk && (args[0] == "report" || args[0] == "export");
      EXPECT_EQ(r.exit_code, goes_on ? 0 : 2) << r.err;
      if (goes_on) EXPECT_NE(r.err.find("warning"), std::string::npos) << r.err;
      EXPECT_NE(r.err.find(path + ": " + where), std::string::npos) << r.err;
    }
  }

  std::string dir_;
  std::string trace_;
  std::string first_;
};

TEST_F(MalformedCliTest, LengthPrefixOf2To60) {
  // 0x0a, then 2^60 as a varint: eight bytes 0x80, then 0x10.
  const auto path = write("huge.trace", first_ + "\x0a" + std::string(8, '\x80') + "\x10" + "tail");
  expect_exit2_naming(path, "byte offset " + std::to_string(first_.size()) + ", chunk 1: chunk length", true);
}

TEST_F(MalformedCliTest, Garbage) {
  expect_exit2_naming(write("text.trace", "this is not a trace\n"), "byte offset 0, chunk 0: not a holdup trace");
  expect_exit2_naming(write("tail.trace", first_ + std::string(64, '\x07')),
                      "byte offset " + std::to_string(first_.size()) + ", chunk 1: byte 0x07", true);
  expect_exit2_naming(write("payload.trace", first_ + "\x0a\x03\x0f\x0f\x0f"),
                      "byte offset " + std::to_string(first_.size()) + ", chunk 1: the chunk (3 bytes) does not parse",
                      true);
}

TEST_F(MalformedCliTest, ZeroLength) {
  expect_exit2_naming(write("empty.trace", ""), "byte offset 0, chunk 0: the file is empty");
  expect_exit2_naming(write("zero-chunk.trace", std::string("\x0a\x00", 2) + trace_.substr(first_.size())),
                      "byte offset 0, chunk 0: not a holdup trace");
}

TEST_F(MalformedCliTest, TruncatedChunkIsReadUpToTheTearWithAWarning) {
  const auto path = write("torn.trace", trace_.substr(0, trace_.size() - 100));
  const auto report = run_holdup({"report", path});
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.out.find("the last chunk is torn"), std::string::npos) << report.out;
  const auto info = run_holdup({"info", path});
  EXPECT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("torn tail: yes"), std::string::npos) << info.out;
}

TEST_F(MalformedCliTest, ACutHeaderIsNotATrace) {
  // Issue 21: 1-536 bytes of a trace read as "pid 0 on <unknown host>".
  for (size_t cut : {size_t{1}, size_t{2}, first_.size() / 2, first_.size() - 1}) {
    SCOPED_TRACE(cut);
    expect_exit2_naming(write("cut.trace", trace_.substr(0, cut)), "byte offset 0, chunk 0: not a complete trace");
  }
}

TEST_F(MalformedCliTest, OneBadTraceAmongSeveralIsSkippedNotFatal) {
  const auto good = write("good.trace", trace_);
  const auto bad = write("bad.trace", "this is not a trace\n");
  const auto report = run_holdup({"report", good, bad});
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.err.find(bad + ": byte offset 0"), std::string::npos) << report.err;
  EXPECT_NE(report.err.find("went on with the 1 of 2 traces"), std::string::npos) << report.err;
  EXPECT_NE(report.out.find("1 process"), std::string::npos) << report.out;
  const auto exported = run_holdup({"export", "-o", dir_ + "/both.json", good, bad});
  EXPECT_EQ(exported.exit_code, 0) << exported.err;
  // The gate fails: it cannot judge what it did not read.
  const auto check = run_holdup({"check", "--max-held-us", "1000000", good, bad});
  EXPECT_EQ(check.exit_code, 2) << check.err;
  EXPECT_NE(check.err.find("could not be read whole"), std::string::npos) << check.err;
  // None readable: an error everywhere.
  EXPECT_EQ(run_holdup({"report", bad, write("bad2.trace", "")}).exit_code, 2);
}

}  // namespace
}  // namespace holdup::testing
