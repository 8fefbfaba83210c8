// The recorder under faults, without a GPU (issue 14): a set-user-id
// program, the trace file's creation (mode, links), an output folder that
// cannot be created, a full device, a write cut short (RLIMIT_FSIZE), a full
// small file system (tmpfs, where the test may mount one) and the folder
// removed while recording. Each fault is one `holdup:` warning and a trace
// that says what was lost, where a trace can be written at all.

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include "chunk_encoder.h"
#include "fake_cupti.h"
#include "log.h"
#include "recorder.h"
#include "secure_exec.h"
#include "trace_file.h"
#include "trace_test_util.h"

namespace holdup::inject {
namespace {

using namespace holdup::inject::testing;
namespace fs = std::filesystem;
namespace pb = holdup::proto;

// Collects what the recorder logs (the `holdup:` lines), for counting.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)) {
    sink_->set_pattern("holdup: %v");
    log().sinks().push_back(sink_);
  }
  ~LogCapture() {
    auto& sinks = log().sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  std::string text() {
    log().flush();
    return out_.str();
  }
  // Lines containing `needle`.
  int count(const std::string& needle) {
    std::istringstream in(text());
    int n = 0;
    for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
    return n;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Enough API records to make a chunk of ~40 KiB.
SyntheticBuffer big_buffer(int records = 1500) {
  SyntheticBuffer b;
  for (int i = 0; i < records; ++i) add_api_call(b, 100 + i, 1000 + 20 * i);
  return b;
}

const pb::RecorderHealth& last_health(const pb::TraceFile& t) { return t.chunk(t.chunk_size() - 1).health(); }

bool has_note(const pb::TraceFile& t, const std::string& code) {
  for (const auto& c : t.chunk())
    for (const auto& n : c.note())
      if (n.code() == code) return true;
  return false;
}

// --- security ---------------------------------------------------------------

TEST(SecureExecution, OnlyAtSecureProcessesAreRefused) {
  EXPECT_FALSE(refuse_secure_execution(0).has_value());
  for (unsigned long value : {1ul, 2ul, ~0ul}) {
    auto refusal = refuse_secure_execution(value);
    ASSERT_TRUE(refusal.has_value()) << value;
    EXPECT_NE(refusal->find("set-user-id"), std::string::npos) << *refusal;
    EXPECT_NE(refusal->find("records nothing"), std::string::npos) << *refusal;
  }
  // The test itself is no set-user-id program.
  EXPECT_FALSE(refuse_secure_execution(getauxval(AT_SECURE)).has_value());
}

TEST(TraceFileSecurity, CreatedOwnerOnlyWhateverTheUmask) {
  const std::string dir = make_temp_dir();
  const mode_t old = umask(0);
  TraceFile f;
  std::string error;
  ASSERT_TRUE(f.create(dir, "holdup-h-1", ".trace", &error)) << error;
  umask(old);
  struct stat st {};
  ASSERT_EQ(stat(f.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u) << "a trace holds the command line and environment";
  fs::remove_all(dir);
}

TEST(TraceFileSecurity, ALinkAtTheNameIsNeverFollowed) {
  const std::string dir = make_temp_dir();
  const std::string victim = dir + "/victim";
  { std::ofstream(victim) << "keep"; }
  fs::create_directory(dir + "/out");
  fs::create_symlink(victim, dir + "/out/holdup-h-1.trace");
  fs::create_symlink(dir + "/absent", dir + "/out/holdup-h-2.trace");  // dangling

  TraceFile f;
  std::string error;
  ASSERT_TRUE(f.create(dir + "/out", "holdup-h-1", ".trace", &error)) << error;
  EXPECT_EQ(f.path(), dir + "/out/holdup-h-1.1.trace") << "the next free name";
  ASSERT_TRUE(f.write_all("new bytes", &error)) << error;
  f.close();
  EXPECT_EQ(read_file(victim), "keep");
  EXPECT_TRUE(fs::is_symlink(dir + "/out/holdup-h-1.trace"));

  TraceFile g;
  ASSERT_TRUE(g.create(dir + "/out", "holdup-h-2", ".trace", &error)) << error;
  EXPECT_EQ(g.path(), dir + "/out/holdup-h-2.1.trace");
  EXPECT_FALSE(fs::exists(dir + "/absent")) << "a dangling link must not create its target";
  fs::remove_all(dir);
}

TEST(TraceFileSecurity, ALinkedOutputFolderIsTheUsersChoice) {
  const std::string dir = make_temp_dir();
  fs::create_directory(dir + "/real");
  fs::create_directory_symlink(dir + "/real", dir + "/link");
  TraceFile f;
  std::string error;
  ASSERT_TRUE(f.create(dir + "/link", "holdup-h-1", ".trace", &error)) << error;
  EXPECT_TRUE(fs::is_regular_file(dir + "/real/holdup-h-1.trace"));
  fs::remove_all(dir);
}

// --- output folder faults ---------------------------------------------------

TEST(OutputFaults, AFolderThatCannotBeCreatedIsOneErrorAndNoAllocation) {
  // Root writes through permissions; a path below a regular file fails for
  // everyone (ENOTDIR).
  Config config;
  config.output_dir = "/dev/null/traces";
  config.buffer_count = 4;
  Recorder recorder(config, nullptr);
  std::string error;
  EXPECT_FALSE(recorder.open(&error));
  EXPECT_NE(error.find("/dev/null/traces/holdup-"), std::string::npos) << error;
  EXPECT_NE(error.find("Not a directory"), std::string::npos) << error;
  EXPECT_NE(error.find("set HOLDUP_OUTPUT"), std::string::npos) << error;
  EXPECT_EQ(recorder.pool().total_count(), 0u) << "no buffers taken for a trace that cannot exist";
}

TEST(OutputFaults, AFullDeviceCountsEveryLostChunkAndWarnsOnce) {
  LogCapture logs;
  ChunkEncoder encoder(nullptr);
  const int fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  encoder.adopt_file(fd, "/dev/full");
  EXPECT_FALSE(encoder.write_header(ProcessHeaderInfo{}));
  SyntheticBuffer buffer = big_buffer(10);
  encoder.write_buffer(buffer.data(), buffer.size());
  encoder.write_buffer(buffer.data(), buffer.size());
  encoder.write_periodic();
  encoder.finish();
  EXPECT_EQ(encoder.health().chunks_failed, 5u) << "header, 2 buffers, 1 periodic, the final chunk";
  EXPECT_EQ(encoder.health().bytes_written, 0u);
  EXPECT_EQ(logs.count("holdup: "), 1) << logs.text();
  EXPECT_EQ(logs.count("No space left on device"), 1) << logs.text();
  EXPECT_EQ(logs.count("nothing of the trace could be written"), 1) << logs.text();
}

// RLIMIT_FSIZE cuts a write short (EFBIG after a partial write) for any
// user on any file system: the file must stay whole chunks, and the next
// chunks that fit carry the count and the note.
TEST(OutputFaults, AWriteCutShortLeavesWholeChunksAndTheTraceSaysWhatWasLost) {
  const std::string dir = make_temp_dir();
  LogCapture logs;
  ChunkEncoder encoder(nullptr);
  std::string error;
  ASSERT_TRUE(encoder.create(dir, &error)) << error;
  ASSERT_TRUE(encoder.write_header(ProcessHeaderInfo{}));
  const uint64_t good = fs::file_size(encoder.path());
  ASSERT_EQ(good, encoder.health().bytes_written);

  rlimit old{};
  getrlimit(RLIMIT_FSIZE, &old);
  struct sigaction ignore {}, previous {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGXFSZ, &ignore, &previous);
  rlimit small = old;
  small.rlim_cur = good + 1000;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  SyntheticBuffer buffer = big_buffer();
  encoder.write_buffer(buffer.data(), buffer.size());  // ~40 KiB: cut at 1000 bytes
  const uint64_t after_failure = fs::file_size(encoder.path());
  setrlimit(RLIMIT_FSIZE, &old);
  sigaction(SIGXFSZ, &previous, nullptr);

  EXPECT_EQ(after_failure, good) << "the torn chunk is cut back off";
  EXPECT_EQ(encoder.health().chunks_failed, 1u);
  encoder.write_buffer(buffer.data(), buffer.size());  // room again
  encoder.write_periodic();
  encoder.finish();

  auto trace = read_trace(encoder.path());
  const auto& h = last_health(trace);
  EXPECT_TRUE(h.final_chunk());
  EXPECT_EQ(h.chunks_failed(), 1u);
  EXPECT_TRUE(has_note(trace, "write-failed"));
  EXPECT_EQ(trace.chunk_size(), 4) << "header, the second buffer, periodic, final";
  EXPECT_EQ(trace.chunk(1).sequence(), 2u) << "sequence 1 is the lost chunk: a reader sees the gap";
  EXPECT_EQ(logs.count("holdup: "), 1) << logs.text();
  EXPECT_EQ(logs.count("File too large"), 1) << logs.text();
  fs::remove_all(dir);
}

// A file system that fills up: chunks fail, the reserve keeps room for the
// final chunk, which says how many were lost. Needs a mount of its own (a
// 256 KiB tmpfs in a private mount namespace, in a forked child): skipped
// where the process may not make one.
TEST(OutputFaults, AFullFileSystemStillGetsTheFinalChunk) {
  const std::string dir = make_temp_dir();
  const std::string mnt = dir + "/small";
  const std::string copy = dir + "/copy.trace";
  const std::string log_path = dir + "/log.txt";
  fs::create_directory(mnt);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const uid_t uid = geteuid();
    const gid_t gid = getegid();
    if (unshare(CLONE_NEWNS) != 0) {
      if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) _exit(77);
      std::ofstream("/proc/self/setgroups") << "deny";
      std::ofstream("/proc/self/uid_map") << "0 " << uid << " 1";
      std::ofstream("/proc/self/gid_map") << "0 " << gid << " 1";
    }
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(77);
    if (mount("holdup-test", mnt.c_str(), "tmpfs", 0, "size=256k") != 0) _exit(77);
    int code = 0;
    {
      std::ofstream log_file(log_path);
      auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_file);
      sink->set_pattern("holdup: %v");
      log().sinks().clear();
      log().sinks().push_back(sink);
      ChunkEncoder encoder(nullptr);
      std::string error;
      if (!encoder.create(mnt, &error)) _exit(3);
      if (!encoder.write_header(ProcessHeaderInfo{})) _exit(4);
      SyntheticBuffer buffer = big_buffer();
      for (int i = 0; i < 20; ++i) encoder.write_buffer(buffer.data(), buffer.size());  // ~800 KiB
      CallbackEvent launch;
      launch.correlation_id = 7;
      for (int i = 0; i < 100; ++i) encoder.add_callback_event(launch);
      encoder.finish();
      if (encoder.health().chunks_failed == 0) code = 5;
      log().flush();
      fs::copy_file(encoder.path(), copy);
    }
    _exit(code);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) {
    fs::remove_all(dir);
    GTEST_SKIP() << "cannot mount a small tmpfs here (needs root or user namespaces)";
  }
  ASSERT_EQ(WEXITSTATUS(status), 0) << read_file(log_path);
  auto trace = read_trace(copy);
  const auto& h = last_health(trace);
  EXPECT_TRUE(h.final_chunk()) << "the reserve kept room for it";
  EXPECT_GT(h.chunks_failed(), 0u);
  EXPECT_GT(h.bytes_written(), 100u << 10);
  EXPECT_TRUE(has_note(trace, "write-failed"));
  const std::string log_text = read_file(log_path);
  EXPECT_EQ(std::count(log_text.begin(), log_text.end(), '\n'), 1) << log_text;
  EXPECT_NE(log_text.find("No space left on device"), std::string::npos) << log_text;
  fs::remove_all(dir);
}

// CUPTI refused holdup (another client holds it): the trace says so and
// nothing else; no capture ever "starts" (the H200 run showed a
// capture-started note in such a trace).
TEST(OutputFaults, ARecorderWithoutCuptiNeverSaysCaptureStarted) {
  const std::string dir = make_temp_dir();
  Config config;
  config.output_dir = dir;
  config.flush_period_ms = 10;
  config.buffer_count = 1;
  FakeCupti cupti;
  Recorder recorder(config, &cupti);
  cupti.recorder = &recorder;
  std::string error;
  ASSERT_TRUE(recorder.open(&error)) << error;
  recorder.set_without_cupti();
  recorder.set_other_subscriber();
  recorder.start(ProcessHeaderInfo{}, false);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  recorder.stop();
  auto trace = read_trace(recorder.path());
  EXPECT_FALSE(has_note(trace, "capture-started"));
  EXPECT_TRUE(last_health(trace).other_subscriber());
  EXPECT_TRUE(last_health(trace).final_chunk());
  fs::remove_all(dir);
}

// The folder removed while the writer runs: one warning, recording stops,
// nothing crashes and stop() returns.
TEST(OutputFaults, TheFolderRemovedWhileRecordingIsOneWarning) {
  const std::string dir = make_temp_dir();
  LogCapture logs;
  Config config;
  config.output_dir = dir + "/out";
  config.flush_period_ms = 10;
  config.buffer_count = 2;
  fs::create_directory(config.output_dir);
  FakeCupti cupti;
  Recorder recorder(config, &cupti);
  cupti.recorder = &recorder;
  std::string error;
  ASSERT_TRUE(recorder.open(&error)) << error;
  recorder.start(ProcessHeaderInfo{}, true);
  SyntheticBuffer records = big_buffer(10);
  ASSERT_TRUE(cupti.hold(records, true));
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  fs::remove_all(config.output_dir);
  for (int i = 0; i < 100 && logs.count("was removed") == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(cupti.hold(records, true)) << "buffers still flow after the folder is gone";
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  recorder.stop();
  EXPECT_EQ(logs.count("holdup: "), 1) << logs.text();
  EXPECT_EQ(logs.count("was removed (or its folder) while recording"), 1) << logs.text();
  EXPECT_FALSE(fs::exists(config.output_dir)) << "nothing re-creates it";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace holdup::inject
