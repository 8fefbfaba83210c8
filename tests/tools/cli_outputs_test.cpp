// Outputs never destroy inputs (issue 21): an output path that is an input
// or a holdup trace is refused, an existing file is replaced only with
// --force, a device, a FIFO or /dev/stdout is written in place (never
// renamed over), and a failed write, flush or close of any output, standard
// output included, exits non-zero naming the path and the system's reason.

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "holdup_process.h"
#include "sample_trace.h"

namespace holdup::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFixture = HOLDUP_TEST_DATA_DIR "/h100/seed-lazy/trace/holdup-vm-1498.trace";

class OutputsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("outputs");
    trace_ = dir_ + "/a.trace";
    fs::copy_file(kFixture, trace_);
    bytes_ = read_file(trace_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  // The input is exactly as it was.
  void expect_input_intact() { EXPECT_EQ(read_file(trace_), bytes_) << "the input trace was changed"; }
  static ProcessResult shell(const std::string& command) {
    Process p({"/bin/sh", "-c", command});
    return p.wait();
  }

  std::string dir_, trace_, bytes_;
};

TEST_F(OutputsCliTest, AnInputAsTheOutputIsRefused) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"export", "-o", trace_, trace_},
           {"export", "--force", "-o", trace_, trace_},
           {"export", "--format", "sqlite", "--force", "-o", trace_, trace_},
           {"report", "--html", trace_, trace_},
       }) {
    SCOPED_TRACE(args[0] + " " + args[1] + " " + args[2]);
    const auto r = run_holdup(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(trace_), std::string::npos) << r.err;
    expect_input_intact();
  }
}

TEST_F(OutputsCliTest, HtmlGivenTheTracesAsItsValueTakesNone) {
  // `holdup report --html traces/*.trace`: the first trace became the HTML.
  const auto second = dir_ + "/b.trace";
  fs::copy_file(trace_, second);
  const auto r = run_holdup({"report", "--html", trace_, second});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("holds a holdup trace"), std::string::npos) << r.err;
  expect_input_intact();
  // Any trace, input or not, --force or not.
  const auto other = dir_ + "/other.trace";
  fs::copy_file(trace_, other);
  EXPECT_EQ(run_holdup({"export", "--force", "-o", other, trace_}).exit_code, 2);
  EXPECT_EQ(read_file(other), bytes_);
}

TEST_F(OutputsCliTest, AnExistingOutputIsReplacedOnlyWithForce) {
  const auto out = dir_ + "/out.json";
  ASSERT_EQ(run_holdup({"export", "-o", out, trace_}).exit_code, 0);
  std::ofstream(out) << "mine";
  const auto refused = run_holdup({"export", "-o", out, trace_});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("--force"), std::string::npos) << refused.err;
  EXPECT_EQ(read_file(out), "mine");
  const auto html = dir_ + "/r.html";
  std::ofstream(html) << "mine";
  EXPECT_EQ(run_holdup({"report", "--html", html, trace_}).exit_code, 2);
  EXPECT_EQ(read_file(html), "mine");
  EXPECT_EQ(run_holdup({"report", "--force", "--html", html, trace_}).exit_code, 0);
  EXPECT_NE(read_file(html).find("<html"), std::string::npos);
  const auto forced = run_holdup({"export", "--force", "-o", out, trace_});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_NE(read_file(out).find("traceEvents"), std::string::npos);
}

TEST_F(OutputsCliTest, ForceThroughALinkReplacesItsTargetNotTheLink) {
  const auto target = dir_ + "/target.json";
  const auto link = dir_ + "/link.json";
  std::ofstream(target) << "old";
  fs::create_symlink("target.json", link);
  ASSERT_EQ(run_holdup({"export", "--force", "-o", link, trace_}).exit_code, 0);
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_NE(read_file(target).find("traceEvents"), std::string::npos);
}

TEST_F(OutputsCliTest, DevicesAreWrittenInPlaceNeverReplaced) {
  struct stat before {};
  ASSERT_EQ(::stat("/dev/null", &before), 0);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"export", "-o", "/dev/null", trace_},
           {"export", "--format", "sqlite", "-o", "/dev/null", trace_},
           {"report", "--html", "/dev/null", trace_},
       }) {
    SCOPED_TRACE(args[0] + " " + args[1] + " " + args[2] + " " + args[3]);
    const auto r = run_holdup(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    struct stat after {};
    ASSERT_EQ(::stat("/dev/null", &after), 0);
    EXPECT_TRUE(S_ISCHR(after.st_mode)) << "/dev/null is no longer a device";
    EXPECT_EQ(after.st_ino, before.st_ino);
    EXPECT_EQ(after.st_rdev, before.st_rdev);
  }
}

TEST_F(OutputsCliTest, AFifoIsWrittenInPlace) {
  const auto fifo = dir_ + "/pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] { got = read_file(fifo); });
  const auto r = run_holdup({"export", "-o", fifo, trace_});
  reader.join();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(got.find("traceEvents"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST_F(OutputsCliTest, DevStdoutIsWrittenInPlace) {
  const auto out = dir_ + "/captured.json";
  const auto r = shell(holdup_exe() + " export -o /dev/stdout " + trace_ + " > " + out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(read_file(out).find("traceEvents"), std::string::npos);
  EXPECT_TRUE(fs::is_symlink("/dev/stdout") || fs::is_character_file("/dev/stdout") || !fs::exists("/dev/stdout"));
}

TEST_F(OutputsCliTest, WriteErrorsAreNotSuccess) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full here";
  const auto exported = run_holdup({"export", "-o", "/dev/full", trace_});
  EXPECT_NE(exported.exit_code, 0);
  EXPECT_NE(exported.err.find("/dev/full"), std::string::npos) << exported.err;
  EXPECT_NE(exported.err.find("No space left on device"), std::string::npos) << exported.err;
  EXPECT_NE(run_holdup({"export", "--format", "sqlite", "-o", "/dev/full", trace_}).exit_code, 0);
  EXPECT_NE(run_holdup({"report", "--html", "/dev/full", trace_}).exit_code, 0);
  for (const std::string verb : {"report --json", "report", "info", "dump"}) {
    SCOPED_TRACE(verb);
    const auto r = shell(holdup_exe() + " " + verb + " " + trace_ + " > /dev/full");
    EXPECT_NE(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("standard output (/dev/full)"), std::string::npos) << r.err;
  }
}

TEST_F(OutputsCliTest, ARegularFileUnderDevIsAFileLikeAnyOther) {
  // /dev/shm: only descriptors (/dev/stdout, /dev/fd/N) are written in place.
  if (!fs::is_directory("/dev/shm") || ::access("/dev/shm", W_OK) != 0) GTEST_SKIP() << "no writable /dev/shm";
  const std::string shm = "/dev/shm/holdup-outputs-test-" + std::to_string(::getpid());
  const auto existing = shm + ".json";
  const auto trace_there = shm + ".trace";
  std::ofstream(existing) << "mine";
  fs::copy_file(trace_, trace_there);
  EXPECT_EQ(run_holdup({"export", "-o", existing, trace_}).exit_code, 2);
  EXPECT_EQ(read_file(existing), "mine") << "replaced (or appended to) without --force";
  EXPECT_EQ(run_holdup({"export", "--force", "-o", trace_there, trace_}).exit_code, 2);
  EXPECT_EQ(read_file(trace_there), bytes_);
  fs::remove(existing);
  fs::remove(trace_there);
}

TEST_F(OutputsCliTest, AMissingFolderIsNamed) {
  const auto r = run_holdup({"export", "-o", dir_ + "/nope/out.json", trace_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace holdup::testing
