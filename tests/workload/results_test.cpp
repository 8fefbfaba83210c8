// The workload's own verdict (held / overlapped) and its JSON, on made-up
// numbers: no GPU, no timing of this machine.
#include <gtest/gtest.h>

#include "results.h"

namespace holdup::workload {
namespace {

IterationResult iteration(double copy_end_us, double issue_us) {
  IterationResult result;
  result.kernels = {{0, 0.0, 4000.0}, {1, 4000.0, 8000.0}, {2, 8000.0, 8020.0}};
  result.copy_start_us = issue_us;
  result.copy_end_us = copy_end_us;
  result.issue_us = issue_us;
  result.issue_source = "gpu";
  return result;
}

TEST(Judge, ACopyThatRunsAtOnceIsNotHeld) {
  IterationResult prompt = iteration(75.0, 5.0);
  judge_iteration(prompt, 0, 60.0);
  ASSERT_TRUE(prompt.held);
  EXPECT_FALSE(*prompt.held);
  EXPECT_TRUE(*prompt.overlap);
  EXPECT_DOUBLE_EQ(*prompt.finish_after_issue_us, 70.0);
  EXPECT_DOUBLE_EQ(*prompt.hold_us, 10.0);
}

TEST(Judge, ACopyFinishingAfterKernel1IsHeld) {
  IterationResult held = iteration(8060.0, 5.0);
  judge_iteration(held, 0, 60.0);
  EXPECT_TRUE(*held.held);
  EXPECT_FALSE(*held.overlap);
  EXPECT_DOUBLE_EQ(*held.hold_us, 8060.0 - 5.0 - 60.0);
}

TEST(Judge, LongCopiesNeedAProportionalDelay) {
  // The threshold is the larger of 100 us and half the copy's own length:
  // a 3 ms copy 1 ms late is not held, 2 ms late it is.
  IterationResult late = iteration(4005.0, 5.0);
  judge_iteration(late, 0, 3000.0);
  EXPECT_FALSE(*late.held);
  IterationResult later = iteration(5005.0, 5.0);
  judge_iteration(later, 0, 3000.0);
  EXPECT_TRUE(*later.held);
}

TEST(Judge, NoEventsNoVerdict) {
  IterationResult blind;
  blind.issue_us = 3.0;
  judge_iteration(blind, 0, 60.0);
  EXPECT_FALSE(blind.held);
  EXPECT_FALSE(blind.overlap);
  EXPECT_FALSE(blind.finish_after_issue_us);
}

TEST(Summary, MedianAndCounts) {
  ProcessResult process;
  process.copy_alone_us = 60.0;
  for (double end : {75.0, 8060.0, 80.0}) {
    process.iterations.push_back(iteration(end, 5.0));
    judge_iteration(process.iterations.back(), 0, process.copy_alone_us);
  }
  const ProcessSummary summary = summarize(process);
  EXPECT_DOUBLE_EQ(*summary.finish_after_issue_median_us, 75.0);
  EXPECT_EQ(summary.held_iterations, 1);
  EXPECT_EQ(summary.judged_iterations, 3);
  EXPECT_EQ(summary.overlapped_iterations, 2);
  const std::string line = format_summary(0, process);
  EXPECT_NE(line.find("[rank 0] copy finished 75.0 µs after issue (median), overlap with compute: no"),
            std::string::npos)
      << line;
}

TEST(Summary, OverlapYesWhenEveryCopyOverlapped) {
  ProcessResult process;
  process.copy_alone_us = 60.0;
  process.iterations.push_back(iteration(75.0, 5.0));
  judge_iteration(process.iterations.back(), 0, process.copy_alone_us);
  EXPECT_NE(format_summary(1, process).find("[rank 1] copy finished 70.0 µs after issue (median), overlap with "
                                            "compute: yes"),
            std::string::npos);
}

TEST(Median, OddEvenEmpty) {
  EXPECT_DOUBLE_EQ(median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(median({4, 1, 2, 3}), 2.5);
  EXPECT_DOUBLE_EQ(median({}), 0);
}

TEST(Json, DocumentHasTheDocumentedKeys) {
  ProcessResult process;
  process.rank = 1;
  process.copy_alone_us = 60.0;
  process.iterations.push_back(iteration(8060.0, 5.0));
  judge_iteration(process.iterations.back(), 0, process.copy_alone_us);
  WorkloadConfig config;
  config.scenario = "seed-lazy";
  const nlohmann::json document = make_document(config, {to_json(process)});
  EXPECT_EQ(document["tool"], "holdup-workload");
  EXPECT_EQ(document["format"], 1);
  EXPECT_EQ(document["scenario"], "seed-lazy");
  EXPECT_EQ(document["config"]["pattern"], nlohmann::json::array({0, 1, 2}));
  EXPECT_EQ(document["config"]["copy_path"], "peer");
  const nlohmann::json& json_process = document["processes"][0];
  EXPECT_EQ(json_process["rank"], 1);
  EXPECT_TRUE(json_process["summary"]["held"].get<bool>());
  const nlohmann::json& json_iteration = json_process["iterations"][0];
  for (const char* key : {"index", "kernels", "copy_start_us", "copy_end_us", "issue_us", "issue_source",
                          "request_seen_host_us", "issue_host_us", "copy_api_us", "signal_api_us",
                          "finish_after_issue_us", "hold_us", "held", "overlap"}) {
    EXPECT_TRUE(json_iteration.contains(key)) << key;
  }
  EXPECT_EQ(json_iteration["kernels"][1]["kernel"], 1);
}

TEST(Text, IterationLineShowsKernelsCopyAndVerdict) {
  IterationResult held = iteration(8060.0, 5.0);
  judge_iteration(held, 0, 60.0);
  const std::string line = format_iteration(0, held);
  EXPECT_NE(line.find("[rank 0] iter 0: K0 0.0..4000.0 | K1 4000.0..8000.0 | K2 8000.0..8020.0"), std::string::npos)
      << line;
  EXPECT_NE(line.find("HELD"), std::string::npos) << line;
}

}  // namespace
}  // namespace holdup::workload
