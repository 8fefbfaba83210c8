// What the report says about a trace with incomplete records, a forced
// final flush at a signal, or no final flush at all (recorder health,
// src/report/health.cpp).

#include <gtest/gtest.h>

#include "report/report.h"
#include "synthetic_trace.h"

namespace holdup::testing {
namespace {

bool has(const std::vector<std::string>& problems, const std::string& text) {
  for (const auto& p : problems)
    if (p.find(text) != std::string::npos) return true;
  return false;
}

std::string all(const std::vector<std::string>& problems) {
  std::string text;
  for (const auto& p : problems) text += p + "\n";
  return text;
}

SyntheticTrace base() {
  SyntheticTrace t(100);
  t.kernel("done", 100, 200, kComputeStream, 2, t.launch(90, 95));
  t.chunk().mutable_health()->set_buffers_requested(2);
  t.chunk().mutable_health()->set_buffers_completed(2);
  t.chunk().mutable_health()->set_final_chunk(true);
  return t;
}

TEST(ReportHealth, CompleteTraceHasNoProblem) {
  auto t = base();
  auto model = build_model({{t.chunk()}});
  EXPECT_TRUE(model.processes[0].problems.empty()) << all(model.processes[0].problems);
}

TEST(ReportHealth, IncompleteRecordsAreCountedAndSaidToBeLeftOut) {
  auto t = base();
  auto& k = t.kernel("running", 300, 0, kComputeStream, 2, t.launch(290, 295));
  k.set_end_ns(0);
  k.set_incomplete(true);
  auto* h = t.chunk().mutable_health();
  h->set_incomplete_records(3);  // the kernel and two API records
  auto* kind = h->add_incomplete();
  kind->set_kind("CONCURRENT_KERNEL");
  kind->set_count(1);
  kind = h->add_incomplete();
  kind->set_kind("RUNTIME");
  kind->set_count(2);
  auto model = build_model({{t.chunk()}});
  const auto problems = model.processes[0].problems;
  EXPECT_TRUE(has(problems, "3 records incomplete (1 CONCURRENT_KERNEL, 2 RUNTIME)")) << all(problems);
  EXPECT_TRUE(has(problems, "left out of the analysis")) << all(problems);
}

TEST(ReportHealth, ATraceWithoutAFinalFlushSaysSo) {
  auto t = base();
  t.chunk().mutable_health()->set_final_chunk(false);
  t.chunk().mutable_health()->set_buffers_requested(3);
  auto model = build_model({{t.chunk()}});
  const auto problems = model.processes[0].problems;
  EXPECT_TRUE(has(problems, "1 activity buffer never came back from CUPTI by the last chunk"))
      << all(problems);
}

TEST(ReportHealth, AFinalFlushAtASignalIsNoProblem) {
  auto t = base();
  t.chunk().mutable_health()->set_final_flush_signal(15);
  auto model = build_model({{t.chunk()}});
  EXPECT_TRUE(model.processes[0].problems.empty()) << all(model.processes[0].problems);
}

}  // namespace
}  // namespace holdup::testing
