// Every number checked, and a gate that cannot pass by accident (issue 21):
// empty, NaN, infinite, negative or out-of-range values are usage errors
// that state the range; `check` fails on nothing selected, on a filter that
// matches nothing and on a trace read through a pipe no differently from
// the file itself.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "holdup_process.h"

namespace holdup::testing {
namespace {

constexpr const char* kFixture = HOLDUP_TEST_DATA_DIR "/h100/seed-lazy/trace/holdup-vm-1498.trace";

ProcessResult shell(const std::string& command) {
  Process p({"/bin/sh", "-c", command});
  return p.wait();
}

void expect_usage_error(const std::vector<std::string>& args, const std::string& option) {
  const auto r = run_holdup(args);
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.exit_code, 1) << "a usage error is not a broken limit";
  EXPECT_NE(r.err.find(option), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" from "), std::string::npos) << "the range is stated: " << r.err;
}

TEST(NumbersCli, BadValuesAreUsageErrorsWithTheRange) {
  for (const std::string bad : {"", "nan", "inf", "-inf", "-1", "1e20", "12abc", " "}) {
    SCOPED_TRACE("[" + bad + "]");
    expect_usage_error({"check", "--max-held-us", bad, kFixture}, "--max-held-us");
    expect_usage_error({"report", "--threshold-us", bad, kFixture}, "--threshold-us");
    expect_usage_error({"report", "--from-us", bad, kFixture}, "--from-us");
  }
  for (const std::string bad : {"", "-1", "1.5", "nan", "99999999999999999999", "+3"}) {
    SCOPED_TRACE("[" + bad + "]");
    expect_usage_error({"report", "--top", bad, kFixture}, "--top");
    expect_usage_error({"check", "--max-held-us", "10", "--max-flagged", bad, kFixture}, "--max-flagged");
    expect_usage_error({"report", "--pid", bad, kFixture}, "--pid");
    expect_usage_error({"report", "--skip-iterations", bad, kFixture}, "--skip-iterations");
    expect_usage_error({"run", "--flush-ms", bad, "--", "true"}, "--flush-ms");
  }
  expect_usage_error({"run", "--flush-ms", "0", "--", "true"}, "--flush-ms");
  expect_usage_error({"dump", "--limit", "-1", kFixture}, "--limit");
}

TEST(NumbersCli, GoodValuesStillWork) {
  EXPECT_EQ(run_holdup({"check", "--max-held-us", "1e7", kFixture}).exit_code, 0);
  EXPECT_EQ(run_holdup({"check", "--max-held-us", "100", kFixture}).exit_code, 1) << "the fixture holds 5.94 ms";
  EXPECT_EQ(run_holdup({"report", "--top", "0", "--threshold-us", "250.5", kFixture}).exit_code, 0);
}

TEST(GateCli, NothingSelectedFailsUnlessAllowed) {
  const auto pid = run_holdup({"check", "--max-held-us", "1e7", "--pid", "999", kFixture});
  EXPECT_EQ(pid.exit_code, 1) << pid.out;
  EXPECT_NE(pid.out.find("--pid 999 matches no copy (processes in the traces: 1498)"), std::string::npos) << pid.out;
  const auto nvtx = run_holdup({"check", "--max-held-us", "1e7", "--nvtx", "stpe", kFixture});
  EXPECT_EQ(nvtx.exit_code, 1) << nvtx.out;
  EXPECT_NE(nvtx.out.find("--nvtx \"stpe\" matches no copy"), std::string::npos) << nvtx.out;
  EXPECT_EQ(run_holdup({"check", "--max-held-us", "1e7", "--pid", "999", "--allow-empty", kFixture}).exit_code, 0);
  // report says so too, and goes on.
  const auto report = run_holdup({"report", "--pid", "999", kFixture});
  EXPECT_EQ(report.exit_code, 0);
  EXPECT_NE(report.err.find("warning: --pid 999 matches no copy"), std::string::npos) << report.err;
}

TEST(GateCli, APipeReadsAsTheFileDoes) {
  const std::string check = " check --max-held-us 100 ";
  const auto file = run_holdup({"check", "--max-held-us", "100", kFixture});
  const auto piped = shell("cat " + std::string(kFixture) + " | " + holdup_exe() + check + "/dev/stdin");
  EXPECT_EQ(file.exit_code, 1);
  EXPECT_EQ(piped.exit_code, file.exit_code) << piped.out << piped.err;
  EXPECT_EQ(piped.out.substr(piped.out.rfind("FAIL:")), file.out.substr(file.out.rfind("FAIL:")));
  const auto substituted = shell("bash -c '" + holdup_exe() + check + "<(cat " + kFixture + ")'");
  EXPECT_EQ(substituted.exit_code, 1) << substituted.out << substituted.err;
}

}  // namespace
}  // namespace holdup::testing
