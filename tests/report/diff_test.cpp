// diff_reports on hand-made holdup-report/1 documents: matching, changes,
// causes judged otherwise with their signals, recording differences.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "report/diff.h"

namespace holdup::report {
namespace {

using nlohmann::json;

json pattern(const std::string& thread, uint64_t stream, const std::string& cause, uint64_t copies, uint64_t held,
             std::vector<std::string> signals = {}) {
  return {{"cause", cause},       {"pid", 7},         {"process", "app"},   {"thread", thread},
          {"thread_id", 99},      {"stream_id", stream}, {"signals", signals},
          {"blocker", {{"kind", "kernel"}, {"name", "K0"}}},
          {"copies", copies},     {"held_ns", held},  {"max_held_ns", held / std::max<uint64_t>(copies, 1)}};
}

json report(std::vector<json> patterns, std::vector<std::string> problems = {}) {
  uint64_t flagged = 0, held = 0;
  std::map<std::string, std::pair<uint64_t, uint64_t>> causes;
  for (const auto& p : patterns) {
    flagged += p["copies"].get<uint64_t>();
    held += p["held_ns"].get<uint64_t>();
    auto& c = causes[p["cause"]];
    c.first += p["copies"].get<uint64_t>();
    c.second += p["held_ns"].get<uint64_t>();
  }
  json by_cause = json::array();
  for (const auto& [c, n] : causes) by_cause.push_back({{"cause", c}, {"copies", n.first}, {"held_ns", n.second}});
  return {{"schema", "holdup-report/1"},
          {"traces", json::array({{{"path", "t"}, {"problems", problems}, {"not_recorded", json::array()}}})},
          {"summary", {{"copies", 20}, {"flagged", flagged}, {"cold", 0}, {"held_flagged_ns", held}}},
          {"held_by_cause", by_cause},
          {"patterns", patterns}};
}

const PatternDiff* find(const ReportDiff& d, const std::string& thread, const std::string& cause) {
  for (const auto& p : d.patterns)
    if (p.key.thread == thread && p.key.cause == cause) return &p;
  return nullptr;
}

TEST(Diff, EachKindOfChange) {
  const json before = report({pattern("proxy", 14, "sm-waiting", 8, 8'000'000),
                              pattern("main", 13, "device-wide-barrier", 2, 4'000'000),
                              pattern("loader", 15, "host-side-lock", 3, 3'000'000)});
  const json after = report({pattern("main", 13, "device-wide-barrier", 2, 1'000'000),
                             pattern("loader", 15, "host-side-lock", 4, 5'000'000),
                             pattern("copier", 16, "shared-hardware-queue", 1, 500'000)});
  std::string error;
  const ReportDiff d = diff_reports(before, after, "b.json", "a.json", &error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_EQ(d.patterns.size(), 4u);
  EXPECT_EQ(find(d, "proxy", "sm-waiting")->change, PatternDiff::Change::vanished);
  EXPECT_EQ(find(d, "copier", "shared-hardware-queue")->change, PatternDiff::Change::appeared);
  EXPECT_EQ(find(d, "main", "device-wide-barrier")->change, PatternDiff::Change::fewer);
  EXPECT_EQ(find(d, "loader", "host-side-lock")->change, PatternDiff::Change::more);
  // Vanished first, then new, then changed.
  EXPECT_EQ(d.patterns.front().change, PatternDiff::Change::vanished);
  EXPECT_EQ(d.before.held_ns, 15'000'000u);
  EXPECT_EQ(d.after.held_ns, 6'500'000u);
  EXPECT_TRUE(d.cause_changes.empty());  // no thread and stream changed cause

  const std::string text = render_diff_text(d);
  EXPECT_NE(text.find("vanished  app / proxy  stream 14  sm-waiting  behind kernel K0"), std::string::npos) << text;
  EXPECT_NE(text.find("patterns: 1 vanished, 1 new, 1 less, 1 more, 0 unchanged"), std::string::npos) << text;
  const json j = render_diff_json(d);
  EXPECT_EQ(j["schema"], "holdup-diff/1");
  EXPECT_EQ(j["patterns"][0]["change"], "vanished");
  EXPECT_EQ(j["patterns"][0]["before"]["copies"], 8);
  EXPECT_EQ(j["patterns"][0]["after"]["copies"], 0);
}

// The same copies judged otherwise in two recordings: the signals that
// differ are named.
TEST(Diff, CauseJudgedOtherwiseNamesTheSignals) {
  const json before = report({pattern("copier", 14, "other-process", 6, 6'000'000,
                                      {"other-process.ran-through", "other-process.after-end"})});
  const json after = report({pattern("copier", 14, "unknown", 6, 6'000'000, {"other-process.ran-through"})},
                            {"12 kernel records cut in flight"});
  std::string error;
  const ReportDiff d = diff_reports(before, after, "run1", "run2", &error);
  ASSERT_EQ(d.cause_changes.size(), 1u);
  EXPECT_EQ(d.cause_changes[0].cause_before, "other-process");
  EXPECT_EQ(d.cause_changes[0].cause_after, "unknown");
  EXPECT_EQ(d.cause_changes[0].signals_gone, std::vector<std::string>{"other-process.after-end"});
  EXPECT_TRUE(d.cause_changes[0].signals_new.empty());
  ASSERT_EQ(d.recording_differences.size(), 1u);
  EXPECT_EQ(d.recording_differences[0], "after only: problem: 12 kernel records cut in flight");
  const std::string text = render_diff_text(d);
  EXPECT_NE(text.find("copier  stream 14: other-process -> unknown"), std::string::npos) << text;
  EXPECT_NE(text.find("signals only before: other-process.after-end"), std::string::npos) << text;
}

// Reports of an older holdup have no labels: pid and thread id stand in.
TEST(Diff, OlderReportsMatchByPidAndThreadId) {
  json p = pattern("x", 14, "sm-waiting", 1, 200'000);
  p.erase("process");
  p.erase("thread");
  std::string error;
  const ReportDiff d = diff_reports(report({p}), report({p}), "a", "b", &error);
  ASSERT_EQ(d.patterns.size(), 1u);
  EXPECT_EQ(d.patterns[0].key.process, "pid 7");
  EXPECT_EQ(d.patterns[0].key.thread, "thread 99");
  EXPECT_EQ(d.patterns[0].change, PatternDiff::Change::same);
}

TEST(Diff, NotAReport) {
  std::string error;
  diff_reports(json{{"schema", "holdup-diff/1"}}, report({}), "x.json", "y", &error);
  EXPECT_NE(error.find("x.json is not a holdup report"), std::string::npos) << error;
}

}  // namespace
}  // namespace holdup::report
