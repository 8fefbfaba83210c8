// The final flush at a signal (signal_flush.h), without a GPU: each case
// runs in a child process (the handlers and the recorder are process-wide)
// that records through the CUPTI stand-in (fake_cupti.h), holds a buffer
// with a kernel in flight, and is then ended by a signal. The parent checks
// how the child ended and what its trace says. Own executable: the child
// scenarios are also reachable as `holdup_inject_signal_test --child NAME
// DIR`, so that a shell can report the exit status it sees (128+N).

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "fake_cupti.h"
#include "lifecycle.h"
#include "signal_flush.h"
#include "trace_test_util.h"

namespace holdup::inject {
namespace {

using namespace holdup::inject::testing;
namespace fs = std::filesystem;
namespace pb = holdup::proto;

std::string g_self;  // this executable

// --- the child side ----------------------------------------------------------

FakeCupti* g_cupti = nullptr;
std::atomic<int> g_app_handler_calls{0};
struct sigaction g_previous_term {};

void app_handler(int) { ++g_app_handler_calls; }
void app_handler_exits(int) { _exit(43); }
// An app handler installed after holdup's, chaining to the one it replaced
// (holdup's), then exiting on its own terms.
void app_handler_chaining(int signal, siginfo_t* info, void* context) {
  if (g_previous_term.sa_flags & SA_SIGINFO) g_previous_term.sa_sigaction(signal, info, context);
  _exit(42);
}

// Records to `dir` through the stand-in, with holdup's handlers installed
// for what is still at the default; one buffer with a kernel in flight is
// held by "CUPTI" (only a forced flush returns it). Returns the recorder.
Recorder* start_recording(const std::string& dir, uint32_t max_loss_ms = 0, uint32_t wait_ms = 500) {
  struct rlimit no_core {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);  // crash cases: no core files
  Config config;
  config.output_dir = dir;
  config.buffer_size_bytes = 64 * 1024;
  config.buffer_count = 2;
  config.flush_period_ms = 20;
  config.max_loss_ms = max_loss_ms;
  config.signal_wait_ms = wait_ms;
  g_cupti = new FakeCupti;
  std::string error;
  Recorder* recorder = create_process_recorder(config, g_cupti, &error);
  if (recorder == nullptr) _exit(90);
  g_cupti->recorder = recorder;
  ProcessHeaderInfo header = collect_process_info(config);
  for (int signal : install_final_flush_handlers().installed) header.final_flush_signals.push_back(signal_name(signal));
  recorder->start(std::move(header), true);
  SyntheticBuffer records;
  add_api_call(records, 7);
  add_in_flight_kernel(records, 7);
  if (!g_cupti->hold(records, /*complete*/ false)) _exit(91);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));  // header written, a few ticks
  return recorder;
}

int signal_by_name(const std::string& name) {
  static const std::map<std::string, int> names{{"term", SIGTERM}, {"int", SIGINT},   {"hup", SIGHUP},
                                                {"quit", SIGQUIT}, {"segv", SIGSEGV}, {"abrt", SIGABRT},
                                                {"bus", SIGBUS}};
  auto it = names.find(name);
  return it == names.end() ? 0 : it->second;
}

// Never returns.
[[noreturn]] void run_child(const std::string& scenario, const std::string& dir) {
  if (int signal = signal_by_name(scenario)) {
    start_recording(dir);
    ::kill(getpid(), signal);  // sent to the process, as kill(1) does
    std::this_thread::sleep_for(std::chrono::seconds(5));
    _exit(99);
  }
  if (scenario == "null-write") {
    start_recording(dir);
    volatile int* volatile nothing = nullptr;
    *nothing = 1;  // a real fault
    _exit(99);
  }
  if (scenario == "abort") {
    start_recording(dir);
    std::abort();
  }
  if (scenario == "raise-segv-on-app-thread") {
    start_recording(dir);
    std::thread([] { ::raise(SIGSEGV); }).join();
    _exit(99);
  }
  if (scenario == "kill") {
    // The SIGKILL bound: a forced flush brings the buffer back before the kill.
    start_recording(dir, /*max_loss_ms*/ 100);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    ::kill(getpid(), SIGKILL);
    _exit(99);
  }
  if (scenario == "app-handler-before") {
    signal(SIGTERM, app_handler_exits);
    start_recording(dir);
    ::kill(getpid(), SIGTERM);
    std::this_thread::sleep_for(std::chrono::seconds(5));
    _exit(99);
  }
  if (scenario == "ignored-before") {
    signal(SIGHUP, SIG_IGN);
    start_recording(dir);
    ::kill(getpid(), SIGHUP);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::exit(5);  // still alive: a normal exit, final flush at exit
  }
  if (scenario == "app-handler-after-chaining") {
    start_recording(dir);
    struct sigaction mine {};
    mine.sa_sigaction = app_handler_chaining;
    mine.sa_flags = SA_SIGINFO;
    sigemptyset(&mine.sa_mask);
    sigaction(SIGTERM, &mine, &g_previous_term);
    ::kill(getpid(), SIGTERM);
    std::this_thread::sleep_for(std::chrono::seconds(5));
    _exit(99);
  }
  if (scenario == "app-handler-after") {
    start_recording(dir);
    signal(SIGINT, app_handler);
    ::kill(getpid(), SIGINT);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::exit(g_app_handler_calls.load() == 1 ? 6 : 96);
  }
  if (scenario == "writer-hangs") {
    Recorder* recorder = start_recording(dir, 0, /*wait_ms*/ 200);
    (void)recorder;
    g_cupti->hang_in_forced_flush = true;
    ::kill(getpid(), SIGTERM);
    std::this_thread::sleep_for(std::chrono::seconds(5));
    _exit(99);
  }
  if (scenario == "writer-crashes") {
    start_recording(dir);
    g_cupti->crash_in_flush = true;  // the writer's next tick
    std::this_thread::sleep_for(std::chrono::seconds(5));
    _exit(99);
  }
  if (scenario == "forked-child") {
    start_recording(dir);
    pid_t grandchild = fork();
    if (grandchild == 0) {
      ::kill(getpid(), SIGTERM);  // no recorder of its own: default effect, no wait
      std::this_thread::sleep_for(std::chrono::seconds(5));
      _exit(99);
    }
    int status = 0;
    waitpid(grandchild, &status, 0);
    std::exit(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM ? 8 : 98);
  }
  if (scenario == "install-rules") {
    signal(SIGINT, app_handler);
    signal(SIGHUP, SIG_IGN);
    Config config;
    config.output_dir = dir;
    SignalInstall install = install_final_flush_handlers();
    auto has = [](const std::vector<int>& v, int s) { return std::find(v.begin(), v.end(), s) != v.end(); };
    int bad = 0;
    for (int s : {SIGTERM, SIGQUIT, SIGSEGV, SIGABRT, SIGBUS}) bad += !has(install.installed, s);
    for (int s : {SIGINT, SIGHUP}) bad += !has(install.left_to_app, s) + has(install.installed, s);
    struct sigaction now {};
    sigaction(SIGINT, nullptr, &now);
    bad += now.sa_handler != app_handler;
    sigaction(SIGHUP, nullptr, &now);
    bad += now.sa_handler != SIG_IGN;
    sigaction(SIGTERM, nullptr, &now);
    bad += !disposition_is_ours(now);
    // Installing again (a forked child starting its own recorder) keeps ours.
    bad += !has(install_final_flush_handlers().installed, SIGTERM);
    _exit(bad == 0 ? 0 : 100 + bad);
  }
  _exit(97);
}

// --- the parent side ----------------------------------------------------------

struct ChildEnd {
  int status = 0;
  double seconds = 0;
  std::string dir;
  pb::TraceFile trace;
  bool has_trace = false;
};

ChildEnd run_scenario(const std::string& scenario) {
  ChildEnd end;
  end.dir = make_temp_dir();
  const auto started = std::chrono::steady_clock::now();
  pid_t child = fork();
  if (child == 0) run_child(scenario, end.dir);
  int status = 0;
  for (int i = 0; i < 2000; ++i) {  // 20 s
    if (waitpid(child, &status, WNOHANG) == child) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (i == 1999) {
      kill(child, SIGKILL);
      waitpid(child, &status, 0);
      ADD_FAILURE() << scenario << ": the child hung";
    }
  }
  end.status = status;
  end.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (const auto& e : fs::directory_iterator(end.dir)) {
    if (e.path().extension() != ".trace") continue;
    end.trace = read_trace(e.path().string());
    end.has_trace = true;
  }
  return end;
}

const pb::RecorderHealth& last_health(const ChildEnd& e) { return e.trace.chunk(e.trace.chunk_size() - 1).health(); }

int kernels(const ChildEnd& e, bool incomplete) {
  int n = 0;
  for (const auto& c : e.trace.chunk())
    for (const auto& k : c.kernel()) n += k.incomplete() == incomplete;
  return n;
}

std::vector<std::string> final_flush_signals(const ChildEnd& e) {
  const auto& s = e.trace.chunk(0).header().config().final_flush_signals();
  return {s.begin(), s.end()};
}

class Cleanup : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const auto& d : dirs_) fs::remove_all(d);
  }
  ChildEnd run(const std::string& scenario) {
    ChildEnd e = run_scenario(scenario);
    dirs_.push_back(e.dir);
    return e;
  }
  std::vector<std::string> dirs_;
};

TEST(SignalInstall, DispositionRules) {
  struct sigaction a {};
  a.sa_handler = SIG_DFL;
  EXPECT_TRUE(disposition_is_default(a));
  EXPECT_FALSE(disposition_is_ours(a));
  a.sa_handler = SIG_IGN;
  EXPECT_FALSE(disposition_is_default(a));
  a.sa_handler = app_handler;
  EXPECT_FALSE(disposition_is_default(a));
  a.sa_sigaction = app_handler_chaining;
  a.sa_flags = SA_SIGINFO;
  EXPECT_FALSE(disposition_is_default(a));
  EXPECT_FALSE(disposition_is_ours(a));
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
  EXPECT_EQ(signal_name(SIGSEGV), "SIGSEGV");
}

class SignalFlush : public Cleanup {};

TEST_F(SignalFlush, OnlyDefaultDispositionsAreTakenAndTheAppsAreKept) {
  ChildEnd e = run("install-rules");
  ASSERT_TRUE(WIFEXITED(e.status)) << e.status;
  EXPECT_EQ(WEXITSTATUS(e.status), 0) << "100 + number of broken rules";
}

class TerminationSignal : public Cleanup, public ::testing::WithParamInterface<std::pair<const char*, int>> {};

TEST_P(TerminationSignal, FinalFlushThenTheSignalsOwnEnding) {
  const auto [name, signal] = GetParam();
  ChildEnd e = run(name);
  ASSERT_TRUE(WIFSIGNALED(e.status)) << "status " << e.status;
  EXPECT_EQ(WTERMSIG(e.status), signal);
  EXPECT_LT(e.seconds, 3.0);
  ASSERT_TRUE(e.has_trace);
  const auto& h = last_health(e);
  EXPECT_EQ(h.final_flush_signal(), static_cast<uint32_t>(signal));
  EXPECT_TRUE(h.final_chunk());
  EXPECT_EQ(h.buffers_requested(), h.buffers_completed());
  EXPECT_EQ(h.incomplete_records(), 1u);
  EXPECT_EQ(kernels(e, /*incomplete*/ true), 1) << "the kernel in flight is kept, marked";
  EXPECT_NE(std::find(final_flush_signals(e).begin(), final_flush_signals(e).end(), signal_name(signal)),
            final_flush_signals(e).end());
}

INSTANTIATE_TEST_SUITE_P(Each, TerminationSignal,
                         ::testing::Values(std::pair{"term", SIGTERM}, std::pair{"int", SIGINT},
                                           std::pair{"hup", SIGHUP}, std::pair{"quit", SIGQUIT},
                                           std::pair{"segv", SIGSEGV}, std::pair{"abrt", SIGABRT},
                                           std::pair{"bus", SIGBUS}, std::pair{"null-write", SIGSEGV},
                                           std::pair{"abort", SIGABRT},
                                           std::pair{"raise-segv-on-app-thread", SIGSEGV}),
                         [](const auto& info) {
                           std::string n = info.param.first;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST_F(SignalFlush, AShellSees128PlusTheSignal) {
  const std::string dir = make_temp_dir();
  dirs_.push_back(dir);
  for (const auto& [name, signal] : {std::pair{"term", SIGTERM}, std::pair{"int", SIGINT}, std::pair{"segv", SIGSEGV}}) {
    const std::string command = "sh -c '\"$0\" --child " + std::string(name) + " " + dir + "; echo $?' " + g_self;
    FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    char line[64] = {};
    ASSERT_NE(fgets(line, sizeof line, pipe), nullptr);
    pclose(pipe);
    EXPECT_EQ(std::atoi(line), 128 + signal) << name;
  }
}

TEST_F(SignalFlush, SigkillKeepsWhatTheLossBoundForcedBack) {
  ChildEnd e = run("kill");
  ASSERT_TRUE(WIFSIGNALED(e.status));
  EXPECT_EQ(WTERMSIG(e.status), SIGKILL);
  ASSERT_TRUE(e.has_trace);
  const auto& h = last_health(e);
  EXPECT_FALSE(h.final_chunk()) << "no final flush after SIGKILL";
  EXPECT_EQ(h.final_flush_signal(), 0u);
  EXPECT_GE(h.forced_flushes(), 1u);
  EXPECT_EQ(kernels(e, true), 1) << "the kernel in flight came back with the forced flush";
}

TEST_F(SignalFlush, AnAppHandlerInstalledBeforeIsKept) {
  ChildEnd e = run("app-handler-before");
  ASSERT_TRUE(WIFEXITED(e.status));
  EXPECT_EQ(WEXITSTATUS(e.status), 43);
  ASSERT_TRUE(e.has_trace);
  const auto signals = final_flush_signals(e);
  EXPECT_EQ(std::find(signals.begin(), signals.end(), "SIGTERM"), signals.end());
  EXPECT_NE(std::find(signals.begin(), signals.end(), "SIGINT"), signals.end());
}

TEST_F(SignalFlush, AnIgnoredSignalStaysIgnored) {
  ChildEnd e = run("ignored-before");
  ASSERT_TRUE(WIFEXITED(e.status)) << e.status;
  EXPECT_EQ(WEXITSTATUS(e.status), 5);
  ASSERT_TRUE(e.has_trace);
  EXPECT_TRUE(last_health(e).final_chunk());
  EXPECT_EQ(last_health(e).final_flush_signal(), 0u);
}

TEST_F(SignalFlush, StepsAsideForAnAppHandlerInstalledLaterThatChainsToIt) {
  ChildEnd e = run("app-handler-after-chaining");
  ASSERT_TRUE(WIFEXITED(e.status)) << e.status;
  EXPECT_EQ(WEXITSTATUS(e.status), 42) << "the app's handler decides how the process ends";
  ASSERT_TRUE(e.has_trace);
  EXPECT_EQ(last_health(e).final_flush_signal(), 0u) << "holdup did nothing on the app's signal";
}

TEST_F(SignalFlush, AnAppHandlerInstalledLaterRunsAndTheAppGoesOn) {
  ChildEnd e = run("app-handler-after");
  ASSERT_TRUE(WIFEXITED(e.status)) << e.status;
  EXPECT_EQ(WEXITSTATUS(e.status), 6);
  ASSERT_TRUE(e.has_trace);
  EXPECT_TRUE(last_health(e).final_chunk());
  EXPECT_EQ(last_health(e).final_flush_signal(), 0u);
}

TEST_F(SignalFlush, AWriterThatCannotFlushCostsAtMostTheWait) {
  ChildEnd e = run("writer-hangs");
  ASSERT_TRUE(WIFSIGNALED(e.status)) << e.status;
  EXPECT_EQ(WTERMSIG(e.status), SIGTERM);
  EXPECT_LT(e.seconds, 2.0) << "waited past the 200 ms limit";
  ASSERT_TRUE(e.has_trace);
  EXPECT_FALSE(last_health(e).final_chunk());
}

TEST_F(SignalFlush, ACrashOnTheWriterThreadEndsTheProcessWithoutWaiting) {
  ChildEnd e = run("writer-crashes");
  ASSERT_TRUE(WIFSIGNALED(e.status)) << e.status;
  EXPECT_EQ(WTERMSIG(e.status), SIGSEGV);
  EXPECT_LT(e.seconds, 2.0);
}

TEST_F(SignalFlush, AForkedChildWithoutARecorderEndsAsByDefault) {
  ChildEnd e = run("forked-child");
  ASSERT_TRUE(WIFEXITED(e.status)) << e.status;
  EXPECT_EQ(WEXITSTATUS(e.status), 8) << "98: the grandchild did not end by SIGTERM";
  ASSERT_TRUE(e.has_trace);
  EXPECT_EQ(last_health(e).final_flush_signal(), 0u) << "the grandchild's signal is not the parent's";
  EXPECT_TRUE(last_health(e).final_chunk());
}

}  // namespace
}  // namespace holdup::inject

int main(int argc, char** argv) {
  holdup::inject::g_self = std::filesystem::canonical("/proc/self/exe").string();
  if (argc == 4 && std::string(argv[1]) == "--child") holdup::inject::run_child(argv[2], argv[3]);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
