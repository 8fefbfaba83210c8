// fork() with a live recorder, without CUPTI: the writer thread does not
// exist in the child, so the child must write nothing, never hang, and the
// parent's file must stay intact and complete. Own executable: it uses the
// process-wide recorder and atexit handler.

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "lifecycle.h"
#include "synthetic_records.h"
#include "trace_test_util.h"

namespace holdup::inject {
namespace {

using namespace holdup::inject::testing;
namespace fs = std::filesystem;

// Waits for `pid` at most `seconds`; kills it and fails on a hang.
int wait_with_timeout(pid_t pid, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  ADD_FAILURE() << "child " << pid << " hung";
  return -1;
}

void complete_one_buffer(Recorder& recorder) {
  size_t size = 0;
  uint8_t* buffer = recorder.acquire_buffer(&size);
  ASSERT_NE(buffer, nullptr);
  ASSERT_GT(size, 0u);
  SyntheticBuffer records;
  add_sample_records(records);
  std::memcpy(buffer, records.data(), records.size());
  recorder.on_buffer_completed(buffer, records.size());
}

TEST(Fork, ChildWritesNothingParentFileComplete) {
  const std::string dir = make_temp_dir();
  Config config;
  config.output_dir = dir;
  config.buffer_size_bytes = 64 * 1024;
  config.buffer_count = 2;
  config.flush_period_ms = 20;
  std::string error;
  Recorder* recorder = create_process_recorder(config, nullptr, &error);
  ASSERT_NE(recorder, nullptr) << error;
  recorder->start(collect_process_info(config), false);
  complete_one_buffer(*recorder);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));

  // Child 1 ends with exit(0): atexit handlers run there and must see that
  // the recorder is not the child's.
  pid_t child = fork();
  if (child == 0) {
    if (process_recorder() != nullptr) _exit(3);
    if (!recorder->dead()) _exit(4);
    std::exit(0);
  }
  ASSERT_GT(child, 0);
  int status = wait_with_timeout(child, 20);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);

  // Child 2 ends with _exit, as forked helpers often do.
  child = fork();
  if (child == 0) _exit(0);
  status = wait_with_timeout(child, 20);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);

  complete_one_buffer(*recorder);  // the parent keeps recording
  stop_process_recorder();
  const std::string path = recorder->path();

  int traces = 0;
  for (const auto& e : fs::directory_iterator(dir)) traces += e.path().extension() == ".trace";
  EXPECT_EQ(traces, 1);

  auto trace = read_trace(path);
  ASSERT_GE(trace.chunk_size(), 3);
  EXPECT_EQ(trace.chunk(0).header().pid(), static_cast<uint32_t>(getpid()));
  uint64_t kernels = 0;
  for (int i = 0; i < trace.chunk_size(); ++i) {
    EXPECT_EQ(trace.chunk(i).sequence(), static_cast<uint64_t>(i));  // no gap, nothing from a child
    kernels += trace.chunk(i).kernel_size();
  }
  EXPECT_EQ(kernels, 2u);
  const auto& health = trace.chunk(trace.chunk_size() - 1).health();
  EXPECT_EQ(health.records(), 2 * kSampleRecordCount);
  EXPECT_EQ(health.buffers_completed(), 2u);
  EXPECT_EQ(health.buffers_requested(), 2u);
  EXPECT_EQ(health.bytes_written(), fs::file_size(path));
  EXPECT_GE(trace.chunk(trace.chunk_size() - 1).clock_size(), 1);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace holdup::inject
