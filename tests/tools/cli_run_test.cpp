// `holdup run`: exit status, environment, library lookup, signal forwarding
// and the summary of the traces written. The "recorder" is a dummy file
// (HOLDUP_LIB): these commands never load CUDA.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "trace_builder.h"
#include "holdup_process.h"
#include "sample_trace.h"

namespace holdup::testing {
namespace {

namespace fs = std::filesystem;

class RunVerbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("run");
    dummy_lib_ = dir_ + "/libholdup-dummy.so";
    std::ofstream(dummy_lib_).close();
    options_.env["HOLDUP_LIB"] = dummy_lib_;
    options_.cwd = dir_;
  }
  void TearDown() override { fs::remove_all(dir_); }

  ProcessResult run(const std::vector<std::string>& args) {
    std::vector<std::string> all{"run"};
    all.insert(all.end(), args.begin(), args.end());
    return run_holdup(all, options_);
  }

  std::string dir_;
  std::string dummy_lib_;
  ProcessOptions options_;
};

TEST_F(RunVerbTest, ReturnsTheCommandsExitCode) {
  EXPECT_EQ(run({"--", "sh", "-c", "exit 3"}).exit_code, 3);
  EXPECT_EQ(run({"sh", "-c", "exit 4"}).exit_code, 4);
  EXPECT_EQ(run({"true"}).exit_code, 0);
}

TEST_F(RunVerbTest, SignalKilledCommandGives128PlusSignal) {
  EXPECT_EQ(run({"--", "sh", "-c", "kill -KILL $$"}).exit_code, 128 + SIGKILL);
  EXPECT_EQ(run({"sh", "-c", "kill -TERM $$"}).exit_code, 128 + SIGTERM);
}

TEST_F(RunVerbTest, MissingCommandGives127WithAClearMessage) {
  auto result = run({"--", "holdup-no-such-command-xyz", "arg"});
  EXPECT_EQ(result.exit_code, 127);
  EXPECT_NE(result.err.find("holdup-no-such-command-xyz: command not found"), std::string::npos) << result.err;
}

TEST_F(RunVerbTest, NonExecutableGives126) {
  auto result = run({"--", dummy_lib_});
  EXPECT_EQ(result.exit_code, 126);
  EXPECT_NE(result.err.find("cannot execute"), std::string::npos) << result.err;
}

TEST_F(RunVerbTest, NoCommandIsAnError) {
  auto result = run({});
  EXPECT_EQ(result.exit_code, 125);
  EXPECT_NE(result.err.find("no command given"), std::string::npos) << result.err;
}

TEST_F(RunVerbTest, SetsInjectionPathOutputAndCaptureOptions) {
  options_.env["HOLDUP_SOMETHING_ELSE"] = "kept";
  options_.env["HOLDUP_LIB"] = "libholdup-dummy.so";  // relative: made absolute
  auto result = run({"-o", "traces/here", "--flush-ms", "5", "--duration-ms", "6", "--start-delay-ms", "7",
                     "--size-cap-mb", "8", "--profiler-api", "--", "sh", "-c",
                     "echo \"$CUDA_INJECTION64_PATH|$HOLDUP_OUTPUT|$HOLDUP_FLUSH_MS|$HOLDUP_DURATION_MS|"
                     "$HOLDUP_START_DELAY_MS|$HOLDUP_SIZE_CAP_MB|$HOLDUP_PROFILER_API|$HOLDUP_SOMETHING_ELSE\""});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, dummy_lib_ + "|" + dir_ + "/traces/here|5|6|7|8|1|kept\n");
  EXPECT_TRUE(fs::is_directory(dir_ + "/traces/here"));
  EXPECT_NE(result.err.find("no trace written in " + dir_ + "/traces/here"), std::string::npos) << result.err;
}

TEST_F(RunVerbTest, OutputDefaultsToTheCurrentFolder) {
  auto result = run({"sh", "-c", "echo \"$HOLDUP_OUTPUT\""});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(fs::canonical(result.out.substr(0, result.out.size() - 1)), fs::canonical(dir_));
}

TEST_F(RunVerbTest, CommandOptionsAreNotTakenAsHoldups) {
  // -o after the command name belongs to the command.
  auto result = run({"sh", "-c", "echo \"$0 $1\"", "-o", "x"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "-o x\n");
}

TEST_F(RunVerbTest, MissingLibraryStopsBeforeRunning) {
  options_.env["HOLDUP_LIB"] = dir_ + "/nope.so";
  auto result = run({"sh", "-c", "echo ran"});
  EXPECT_EQ(result.exit_code, 125);
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find("HOLDUP_LIB=" + dir_ + "/nope.so"), std::string::npos) << result.err;
}

TEST_F(RunVerbTest, InstalledLayoutFindsLibBesideBin) {
  // What `cmake --install` produces: <prefix>/bin/holdup, <prefix>/lib/libholdup.so.
  fs::create_directories(dir_ + "/prefix/bin");
  fs::create_directories(dir_ + "/prefix/lib");
  fs::copy_file(holdup_exe(), dir_ + "/prefix/bin/holdup");
  std::ofstream(dir_ + "/prefix/lib/libholdup.so").close();
  ProcessOptions options;
  options.env["HOLDUP_LIB"] = std::nullopt;
  options.cwd = dir_;
  Process process({dir_ + "/prefix/bin/holdup", "run", "--", "sh", "-c", "echo $CUDA_INJECTION64_PATH"}, options);
  auto result = process.wait();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, fs::canonical(dir_ + "/prefix/lib/libholdup.so").string() + "\n");
}

TEST_F(RunVerbTest, ForwardsTerminationSignalsToTheCommand) {
  const std::string ready = dir_ + "/ready";
  std::vector<std::string> argv{holdup_exe(), "run", "--", "sh", "-c",
                                "trap 'echo got TERM; exit 7' TERM; touch " + ready +
                                    "; while :; do sleep 0.05; done"};
  Process process(argv, options_);
  for (int i = 0; i < 200 && !fs::exists(ready); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  ASSERT_TRUE(fs::exists(ready)) << "the command did not start";
  ::kill(process.pid(), SIGTERM);
  auto result = process.wait();
  EXPECT_EQ(result.exit_code, 7) << result.err;
  EXPECT_EQ(result.out, "got TERM\n");
}

TEST_F(RunVerbTest, ACommandEndedByAForwardedSignalKeeps128PlusNAndItsTraceIsListed) {
  // The command has SIGTERM's default disposition (as an app under the
  // recorder does: holdup's handler flushes, then the signal ends it).
  auto chunks = sample_chunks();
  chunks.back().mutable_health()->set_final_flush_signal(SIGTERM);
  const std::string source = dir_ + "/src.trace";
  std::string error;
  ASSERT_TRUE(write_trace_file(source, chunks, &error)) << error;
  const std::string ready = dir_ + "/ready";
  Process process({holdup_exe(), "run", "--output", dir_ + "/out", "--", "sh", "-c",
                   "cp " + source + " \"$HOLDUP_OUTPUT/holdup-x-1.trace\" && touch " + ready + " && exec sleep 30"},
                  options_);
  for (int i = 0; i < 200 && !fs::exists(ready); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  ASSERT_TRUE(fs::exists(ready)) << "the command did not start";
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // sh has exec'd sleep
  ::kill(process.pid(), SIGTERM);
  auto result = process.wait();
  EXPECT_EQ(result.exit_code, 128 + SIGTERM) << result.err;
  EXPECT_NE(result.err.find("holdup run: sh ended by signal 15 (SIGTERM); exit status 143"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("holdup: 1 trace in " + dir_ + "/out"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("holdup-x-1.trace: 13 records, 0 dropped, 3 copies, 3 kernels, final flush at SIGTERM"),
            std::string::npos)
      << result.err;
}

TEST_F(RunVerbTest, ASignalIgnoredWhenHoldupStartedStaysIgnoredInTheCommand) {
  // As under nohup: SIGHUP ignored. The command must inherit SIG_IGN (so
  // the recorder leaves it alone too), not a default disposition.
  EXPECT_EQ(run({"--", "sh", "-c", "kill -HUP $$; echo alive"}).exit_code, 128 + SIGHUP);
  Process process({"sh", "-c", "trap '' HUP; exec \"$0\" run -- sh -c 'kill -HUP $$; echo alive'", holdup_exe()},
                  options_);
  auto ignored = process.wait();
  EXPECT_EQ(ignored.exit_code, 0) << ignored.err;
  EXPECT_EQ(ignored.out, "alive\n");
}

TEST_F(RunVerbTest, SummarizesTracesWrittenDuringTheRun) {
  const std::string out = dir_ + "/out";
  fs::create_directories(out);
  write_sample_trace(out + "/holdup-old-1.trace");  // there before: not listed
  const std::string sample = dir_ + "/sample.trace";
  write_sample_trace(sample);
  const std::string torn = dir_ + "/torn.trace";
  write_sample_trace(torn);
  fs::resize_file(torn, fs::file_size(torn) - 3);
  auto result = run({"-o", out, "--", "sh", "-c",
                     "cp " + sample + " \"$HOLDUP_OUTPUT/holdup-new-2.trace\" && cp " + torn +
                         " \"$HOLDUP_OUTPUT/holdup-torn-3.trace\" && echo x > \"$HOLDUP_OUTPUT/other.txt\""});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("holdup: 2 traces in " + out), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("holdup-new-2.trace: 13 records, 0 dropped, 3 copies, 3 kernels\n"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("holdup-torn-3.trace: 12 records, 0 dropped, 3 copies, 2 kernels  WARNING: torn tail"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(result.err.find("holdup-old-1"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("other.txt"), std::string::npos) << result.err;
}

TEST_F(RunVerbTest, WarnsAboutOtherSubscriberInTheSummaryLine) {
  auto chunks = sample_chunks();
  chunks.back().mutable_health()->set_other_subscriber(true);
  const std::string source = dir_ + "/src.trace";
  std::string error;
  ASSERT_TRUE(write_trace_file(source, chunks, &error)) << error;
  auto result = run({"--", "sh", "-c", "cp " + source + " \"$HOLDUP_OUTPUT/holdup-x-1.trace\""});
  EXPECT_NE(result.err.find("WARNING: other subscriber"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace holdup::testing
