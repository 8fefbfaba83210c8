// Runs holdup-workload for real; skipped where no CUDA device is visible
// (CI). Checks that runs complete and report what they should, never how
// long anything took.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

bool have_gpu() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}

struct WorkloadRun {
  int exit_code = -1;
  std::string output;
};

WorkloadRun run_workload(const std::string& arguments) {
  const std::string command = std::string(HOLDUP_WORKLOAD_BINARY) + " " + arguments + " 2>&1";
  WorkloadRun run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) run.output += buffer;
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

std::filesystem::path temp_json(const char* name) {
  return std::filesystem::temp_directory_path() / (std::string("holdup-workload-test-") + name + ".json");
}

void expect_complete(const nlohmann::json& document, int processes, int iterations) {
  ASSERT_EQ(document["processes"].size(), static_cast<std::size_t>(processes));
  for (const nlohmann::json& process : document["processes"]) {
    EXPECT_EQ(process["iterations"].size(), static_cast<std::size_t>(iterations));
    EXPECT_EQ(process["reductions_wrong"], 0);
    for (const nlohmann::json& iteration : process["iterations"]) {
      EXPECT_FALSE(iteration["copy_end_us"].is_null());
      EXPECT_FALSE(iteration["issue_us"].is_null());
      EXPECT_FALSE(iteration["held"].is_null());
    }
  }
}

TEST(WorkloadGpu, ControlOneProcess) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  const auto json = temp_json("control");
  const WorkloadRun run = run_workload("--scenario control --iterations 2 --kernel-us 2000 --json " + json.string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("[rank 0] copy finished"), std::string::npos) << run.output;
  const nlohmann::json document = read_json(json);
  EXPECT_EQ(document["scenario"], "control");
  expect_complete(document, 1, 2);
  std::filesystem::remove(json);
}

TEST(WorkloadGpu, TwoProcessesShareOneGpuThroughIpc) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  const auto json = temp_json("two");
  const WorkloadRun run = run_workload("--procs 2 --gpus 0,0 --iterations 2 --kernel-us 2000 --blocks-per-sm 1 "
                               "--threads 128 --json " + json.string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("[rank 0] copy finished"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("[rank 1] copy finished"), std::string::npos) << run.output;
  expect_complete(read_json(json), 2, 2);
  std::filesystem::remove(json);
}

TEST(WorkloadGpu, DriverModulesLoad) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  for (const char* scenario : {"host-lock", "module-reload"}) {
    const WorkloadRun run = run_workload(std::string("--scenario ") + scenario + " --iterations 2 --kernel-us 1000");
    EXPECT_EQ(run.exit_code, 0) << scenario << "\n" << run.output;
  }
}

TEST(WorkloadGpu, NoEventsStillRuns) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  const WorkloadRun run = run_workload("--scenario thread-per-iteration --iterations 2 --kernel-us 1000 --no-events");
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

}  // namespace
