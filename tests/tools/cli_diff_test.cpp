// `holdup diff` on the workload fixtures and their remedies: truth from the
// fixtures' manifest (the workload's own CUDA events), never from holdup's
// verdicts.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "holdup_process.h"
#include "sample_trace.h"

namespace holdup::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kData = HOLDUP_TEST_DATA_DIR;

std::string fixture(const std::string& folder) { return kData + "/" + folder + "/trace"; }

json diff_json(const std::string& before, const std::string& after) {
  auto r = run_holdup({"diff", "--json", before, after});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out, nullptr, false);
}

json report_json(const std::string& trace) {
  auto r = run_holdup({"report", "--json", trace});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out, nullptr, false);
}

// Per pattern label (process, thread, stream, cause, blocker): copies and
// held time, summed over a report's patterns.
std::map<std::string, std::pair<uint64_t, uint64_t>> pattern_totals(const json& patterns, const char* side) {
  std::map<std::string, std::pair<uint64_t, uint64_t>> out;
  for (const auto& p : patterns) {
    const json& counts = side ? p[side] : p;
    const std::string key = p["process"].get<std::string>() + "|" + p["thread"].get<std::string>() + "|" +
                            std::to_string(p["stream_id"].get<uint64_t>()) + "|" + p["cause"].get<std::string>() +
                            "|" + p["blocker"]["kind"].get<std::string>() + "|" + p["blocker"]["name"].get<std::string>();
    if (counts["copies"].get<uint64_t>() == 0) continue;
    out[key].first += counts["copies"].get<uint64_t>();
    out[key].second += counts["held_ns"].get<uint64_t>();
  }
  return out;
}

// Every workload scenario of the H100 run against its remedy: the diff's
// two sides are exactly the two reports (summary, causes, patterns), and
// each pattern's change follows from its numbers.
TEST(CliDiff, ScenariosAgainstTheirRemediesMatchTheirReports) {
  int pairs = 0;
  for (const auto& entry : fs::directory_iterator(kData + "/h100")) {
    const std::string scenario = entry.path().filename();
    if (!fs::exists(kData + "/h100/" + scenario + "+remedy/trace")) continue;
    ++pairs;
    const std::string before = fixture("h100/" + scenario), after = fixture("h100/" + scenario + "+remedy");
    const json d = diff_json(before, after);
    ASSERT_EQ(d["schema"], "holdup-diff/1") << scenario;
    for (const auto& [side, path] : {std::pair{"before", before}, std::pair{"after", after}}) {
      const json r = report_json(path);
      EXPECT_EQ(d[side]["summary"]["flagged"], r["summary"]["flagged"]) << scenario << " " << side;
      EXPECT_EQ(d[side]["summary"]["held_flagged_ns"], r["summary"]["held_flagged_ns"]) << scenario << " " << side;
      EXPECT_EQ(d[side]["summary"]["copies"], r["summary"]["copies"]) << scenario << " " << side;
      EXPECT_EQ(pattern_totals(d["patterns"], side), pattern_totals(r["patterns"], nullptr)) << scenario << " " << side;
    }
    for (const auto& p : d["patterns"]) {
      const uint64_t b = p["before"]["held_ns"], a = p["after"]["held_ns"];
      const uint64_t bc = p["before"]["copies"], ac = p["after"]["copies"];
      const std::string change = p["change"];
      const std::string want = ac == 0 ? "vanished" : bc == 0 ? "new" : a < b ? "less" : a > b ? "more" : "same";
      EXPECT_EQ(change, want) << scenario << ": " << p.dump();
    }
  }
  EXPECT_GE(pairs, 10) << "the H100 fixtures hold fewer scenario/remedy pairs than expected";
}

TEST(CliDiff, TextNamesWhatVanished) {
  auto r = run_holdup({"diff", fixture("h100/sm-saturated"), fixture("h100/sm-saturated+remedy")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("before: " + fixture("h100/sm-saturated")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("vanished  holdup-workload"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sm-waiting"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("held time of flagged copies"), std::string::npos) << r.out;
}

TEST(CliDiff, SameTraceTwiceChangesNothing) {
  const json d = diff_json(fixture("h100/shared-queue"), fixture("h100/shared-queue"));
  ASSERT_FALSE(d["patterns"].empty());
  for (const auto& p : d["patterns"]) EXPECT_EQ(p["change"], "same") << p.dump();
  EXPECT_TRUE(d["judged_otherwise"].empty());
  EXPECT_TRUE(d["recorded_differently"].empty());
}

// A saved report on one side, a trace on the other: the same result as two
// traces (patterns matched by process and thread labels, not pids).
TEST(CliDiff, SavedReportAgainstTraces) {
  const std::string dir = make_temp_dir("diff");
  const std::string saved = dir + "/before.json";
  auto r = run_holdup({"report", "--json", fixture("h100/shared-queue")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ofstream(saved) << r.out;
  const json from_saved = diff_json(saved, fixture("h100/shared-queue+remedy"));
  const json from_traces = diff_json(fixture("h100/shared-queue"), fixture("h100/shared-queue+remedy"));
  EXPECT_EQ(from_saved["patterns"], from_traces["patterns"]);
  EXPECT_EQ(from_saved["held_by_cause"], from_traces["held_by_cause"]);
  // Two recordings of one program (different pids) still match by label.
  const json runs = diff_json(fixture("h100/shared-queue"), kData + "/h100-run2/shared-queue/trace");
  bool matched = false;
  for (const auto& p : runs["patterns"]) matched |= p["change"] != "vanished" && p["change"] != "new";
  EXPECT_TRUE(matched) << runs.dump(1);
  // Filters cannot apply to a saved report: said, not ignored silently.
  auto warned = run_holdup({"diff", "--pid", "1", saved, fixture("h100/shared-queue+remedy")});
  EXPECT_NE(warned.err.find("is a saved report: the filters apply only to traces"), std::string::npos) << warned.err;
  fs::remove_all(dir);
}

TEST(CliDiff, UnreadableSideFails) {
  const std::string dir = make_temp_dir("diff-bad");
  std::ofstream(dir + "/not-a-report.json") << "{\"schema\": \"something-else\"}";
  std::ofstream(dir + "/broken.json") << "{ not json";
  auto r = run_holdup({"diff", dir + "/not-a-report.json", fixture("h100/control")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("is not a holdup report"), std::string::npos) << r.err;
  r = run_holdup({"diff", dir + "/broken.json", fixture("h100/control")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("is not valid JSON"), std::string::npos) << r.err;
  r = run_holdup({"diff", fixture("h100/control"), dir + "/missing"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace holdup::testing
