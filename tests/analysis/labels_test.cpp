// process_label and thread_label: names that stay across recordings.

#include <gtest/gtest.h>

#include "holdup/analysis.h"

namespace holdup::analysis {
namespace {

Process process(uint32_t pid, std::vector<std::string> command_line) {
  Process p;
  p.pid = pid;
  p.command_line = std::move(command_line);
  return p;
}

// A CUDA call of `thread` at `start` in process `index`.
void call(Model& m, uint32_t index, uint32_t thread, TimeNs start) {
  ApiCall c;
  c.start_ns = start;
  c.end_ns = start + 10;
  c.process = index;
  c.thread_id = thread;
  m.api_calls.push_back(c);
  m.processes[index].api_by_thread[thread].push_back(static_cast<uint32_t>(m.api_calls.size() - 1));
}

TEST(Labels, ProcessesByProgramNumberedInPidOrder) {
  Model m;
  m.processes.push_back(process(500, {"/opt/bin/trainer", "--rank=1"}));
  m.processes.push_back(process(400, {"./trainer", "--rank=0"}));
  m.processes.push_back(process(450, {"/usr/bin/python3", "-u", "/work/serve.py", "--port", "1"}));
  m.processes.push_back(process(460, {"python3", "-m", "torch.distributed.run"}));
  m.processes.push_back(process(470, {}));
  EXPECT_EQ(process_label(m, 0), "trainer#1");
  EXPECT_EQ(process_label(m, 1), "trainer#0");
  EXPECT_EQ(process_label(m, 2), "python3 serve.py");
  EXPECT_EQ(process_label(m, 3), "python3 -m torch.distributed.run");
  EXPECT_EQ(process_label(m, 4), "pid?");
  EXPECT_EQ(process_label(m, 9), "?");
}

TEST(Labels, ThreadsByNameElseByFirstCudaCall) {
  Model m;
  m.processes.push_back(process(1, {"app"}));
  const uint32_t proxy = m.strings.intern("proxy");
  const uint32_t worker = m.strings.intern("worker");
  m.processes[0].thread_names = {{30, proxy}, {41, worker}, {42, worker}};
  call(m, 0, 20, 1000);  // unnamed, first to call CUDA
  call(m, 0, 10, 2000);  // unnamed, second (lower id, later call)
  call(m, 0, 30, 1500);
  call(m, 0, 42, 1100);
  call(m, 0, 41, 1200);
  EXPECT_EQ(thread_label(m, 0, 20), "thread#0");
  EXPECT_EQ(thread_label(m, 0, 10), "thread#1");
  EXPECT_EQ(thread_label(m, 0, 30), "proxy");
  EXPECT_EQ(thread_label(m, 0, 42), "worker#0");
  EXPECT_EQ(thread_label(m, 0, 41), "worker#1");
}

}  // namespace
}  // namespace holdup::analysis
