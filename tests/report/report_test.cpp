// Reports on synthetic traces: the text names verdict, blockers and remedy;
// the JSON parses and carries its schema; filters select; check exits 0/1/2.

#include <filesystem>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "report/report.h"
#include "report/commands.h"
#include "synthetic_trace.h"
#include "trace_builder.h"
#include "holdup/trace.pb.h"

namespace holdup::testing {
namespace {

// The seed pattern (a lazy-load barrier: the copy issued while Kernel2's
// first launch is in flight) plus an unheld htod copy.
SyntheticTrace seed_trace(uint32_t pid = 100) {
  SyntheticTrace t(pid);
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  t.kernel("k0", 100, 1100, kComputeStream, 2, t.launch(90, 95));
  const uint32_t copy = t.api("cudaMemcpyAsync", 222, 227, 2, 20);
  t.memcpy(proto::DTOD, 2110, 2200, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, copy);
  t.kernel("k1", 1100, 2100, kComputeStream, 2, t.launch(210, 215));
  const uint32_t k2 = t.launch(220, 260);
  t.overhead(proto::LAZY_FUNCTION_LOADING, 225, 255, k2, 1);
  t.kernel("k2", 2100, 3100, kComputeStream, 2, k2);
  const uint32_t htod = t.api("cudaMemcpyAsync", 4000, 4005, 2, 40);
  t.memcpy(proto::HTOD, 4010, 4100, 15, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, htod);
  t.nvtx_range("step", 1, 150, 300);  // around the first copy
  return t;
}

struct Fixture {
  analysis::Model model;
  analysis::Analysis analysis;
  explicit Fixture(SyntheticTrace t) {
    model = build_model({{t.chunk()}});
    analysis = analysis::analyze(model);
  }
  std::vector<uint32_t> select(const report::Filters& f = {}) {
    std::string error;
    auto s = report::select_copies(analysis, f, &error);
    EXPECT_EQ(error, "");
    return s;
  }
};

TEST(Report, TextNamesVerdictBlockersAndRemedy) {
  Fixture fx(seed_trace());
  const std::string text = report::render_text(fx.analysis, fx.select(), {});
  EXPECT_NE(text.find("2 copies, 1 flagged\nflagged: held > 100 us (threshold from H100 controls: p99 45.3 us + "
                      "margin)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("device-wide-barrier"), std::string::npos);
  EXPECT_NE(text.find("cudaLaunchKernel"), std::string::npos);
  EXPECT_NE(text.find("kernel k1"), std::string::npos);
  EXPECT_NE(text.find("remedy: load the function"), std::string::npos);
  EXPECT_NE(text.find("CUDA_MODULE_LOADING=EAGER"), std::string::npos);
  EXPECT_NE(text.find("api 5.0 us + stream order 0.0 us + dependency 0.0 us + held 1.88 ms"), std::string::npos);
  EXPECT_NE(text.find("recorder health: ok, nothing lost"), std::string::npos);
  EXPECT_NE(text.find("#"), std::string::npos);  // histogram bars
  EXPECT_NE(text.find("p99"), std::string::npos);
  EXPECT_NE(text.find("Delays per hardware channel"), std::string::npos);
}

TEST(Report, RecorderHealthIsShown) {
  auto t = seed_trace();
  t.chunk().mutable_health()->set_dropped_records(3);
  t.chunk().mutable_health()->set_other_subscriber(true);
  Fixture fx(std::move(t));
  const std::string text = report::render_text(fx.analysis, fx.select(), {});
  EXPECT_NE(text.find("CUPTI dropped 3 records"), std::string::npos) << text;
  EXPECT_NE(text.find("another CUPTI client"), std::string::npos);
}

// Issue 12: what the recorder's settings left out is said apart from what
// it lost (it was not asked for), in the text and the JSON.
TEST(Report, NotRecordedIsShownApartFromProblems) {
  auto t = seed_trace();
  auto* config = t.chunk().mutable_header()->mutable_config();
  for (const char* kind : {"CONCURRENT_KERNEL", "MEMCPY", "MEMCPY2", "MEMSET", "RUNTIME", "SYNCHRONIZATION",
                           "CUDA_EVENT", "STREAM", "DEVICE", "CONTEXT", "OVERHEAD", "MARKER", "NAME"})
    config->add_enabled_kinds(kind);  // all but DRIVER
  for (const char* code : {"api:cudaGetDevice", "api:cuGetProcAddress", "launch:repeat", "kernel:latency-timestamps"})
    config->add_not_recorded(code);
  Fixture fx(std::move(t));
  const std::string text = report::render_text(fx.analysis, fx.select(), {});
  EXPECT_NE(text.find("recorder health: ok, nothing lost"), std::string::npos) << text;
  EXPECT_NE(text.find("not recorded (settings): activity kinds not enabled: DRIVER (HOLDUP_KINDS)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("API records of 2 query calls (cudaGetDevice, cuGetProcAddress) left out"), std::string::npos);
  EXPECT_NE(text.find("HOLDUP_ALL_LAUNCHES=1"), std::string::npos);
  EXPECT_NE(text.find("no kernel queued/submitted times"), std::string::npos);
  const auto j = nlohmann::json::parse(report::render_json(fx.analysis, fx.select(), {}).dump());
  EXPECT_EQ(j["traces"][0]["problems"].size(), 0u);
  EXPECT_EQ(j["traces"][0]["not_recorded"].size(), 4u);
  // The verdict does not change: the seed copy is still a device-wide barrier.
  EXPECT_EQ(j["summary"]["flagged"], 1);
}

// Without wait records, the seed copy issued after a cudaStreamWaitEvent is
// unknown, and the text and JSON say which call left it so.
TEST(Report, UnseenWaitIsTheUnknownReason) {
  auto t = seed_trace();
  for (const char* kind : {"CONCURRENT_KERNEL", "MEMCPY", "MEMSET", "RUNTIME", "DRIVER", "OVERHEAD"})
    t.chunk().mutable_header()->mutable_config()->add_enabled_kinds(kind);
  t.api("cudaStreamWaitEvent_ptsz", 200, 202, 2, 19);
  Fixture fx(std::move(t));
  const std::string text = report::render_text(fx.analysis, fx.select(), {});
  EXPECT_NE(text.find("cause: unknown: cudaStreamWaitEvent_ptsz on thread 2 (correlation id 19) made a stream wait"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("also: device-wide barrier"), std::string::npos) << text;
  const auto j = nlohmann::json::parse(report::render_json(fx.analysis, fx.select(), {}).dump());
  ASSERT_EQ(j["worst"].size(), 1u);
  EXPECT_EQ(j["worst"][0]["cause"], "unknown");
  EXPECT_NE(j["worst"][0]["unknown_reason"].get<std::string>().find("HOLDUP_KINDS"), std::string::npos);
}

TEST(Report, NothingNotRecordedWithoutTheFields) {
  Fixture fx(seed_trace());  // a header from before issue 12: nothing said
  const std::string text = report::render_text(fx.analysis, fx.select(), {});
  EXPECT_EQ(text.find("not recorded"), std::string::npos) << text;
}

TEST(Report, JsonHasSchemaAndVerdict) {
  Fixture fx(seed_trace());
  const auto j = report::render_json(fx.analysis, fx.select(), {});
  const auto parsed = nlohmann::json::parse(j.dump());
  EXPECT_EQ(parsed["schema"], "holdup-report/1");
  EXPECT_EQ(parsed["summary"]["flagged"], 1);
  ASSERT_EQ(parsed["worst"].size(), 1u);
  const auto& w = parsed["worst"][0];
  EXPECT_EQ(w["cause"], "device-wide-barrier");
  EXPECT_EQ(w["split"]["held_ns"], 1883000);
  EXPECT_EQ(w["findings"][0]["blockers"][0]["record"]["name"], "cudaLaunchKernel");
  EXPECT_EQ(w["findings"][0]["signals"].size(), 2u);
  EXPECT_EQ(parsed["held_by_cause"][0]["cause"], "device-wide-barrier");
}

TEST(Report, FiltersSelectCopies) {
  Fixture fx(seed_trace());
  report::Filters f;
  f.kinds = {"htod"};
  EXPECT_EQ(fx.select(f).size(), 1u);
  f = {};
  f.nvtx = "step";
  EXPECT_EQ(fx.select(f).size(), 1u);
  f = {};
  f.pids = {999};
  EXPECT_EQ(fx.select(f).size(), 0u);
  f = {};
  f.streams = {kCopyStream};
  EXPECT_EQ(fx.select(f).size(), 1u);
  f = {};
  f.devices = {"GPU-h100"};
  EXPECT_EQ(fx.select(f).size(), 2u);
  f.devices = {"1"};
  EXPECT_EQ(fx.select(f).size(), 0u);
  f = {};
  f.skip_iterations = 1;  // one copy per stream: both skipped
  EXPECT_EQ(fx.select(f).size(), 0u);
  f = {};
  f.from_us = 3000;  // origin is the first normal call, 10 ms before the scenario
  EXPECT_EQ(fx.select(f).size(), 2u);
  f.from_us = 10000.0 + 1000;
  EXPECT_EQ(fx.select(f).size(), 1u);
  f = {};
  f.kinds = {"sideways"};
  std::string error;
  EXPECT_TRUE(report::select_copies(fx.analysis, f, &error).empty());
  EXPECT_NE(error.find("--kind sideways"), std::string::npos);
}

TEST(Report, CheckLimits) {
  Fixture fx(seed_trace());
  report::CheckLimits limits;
  limits.max_held_us = 5000;
  EXPECT_EQ(report::check_limits(fx.analysis, fx.select(), limits).exit_code, 0);
  limits.max_held_us = 1000;
  auto r = report::check_limits(fx.analysis, fx.select(), limits);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.messages[0].find("--max-held-us"), std::string::npos);
  limits.max_held_us = 5000;
  limits.max_flagged = 0;
  r = report::check_limits(fx.analysis, fx.select(), limits);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.messages[0].find("--max-flagged"), std::string::npos);
}

// Index into analysis.copies of the copy with this correlation id.
uint32_t copy_with_corr(const analysis::Analysis& a, uint32_t corr) {
  for (uint32_t i = 0; i < a.copies.size(); ++i) {
    if (a.model->ops[a.copies[i].op].correlation_id == corr) return i;
  }
  ADD_FAILURE() << "no copy with correlation id " << corr;
  return 0;
}

// Index into model.api_calls of the call that started at `us`.
uint32_t api_at(const analysis::Model& model, double us) {
  for (uint32_t i = 0; i < model.api_calls.size(); ++i) {
    if (model.api_calls[i].start_ns == at_us(us)) return i;
  }
  ADD_FAILURE() << "no API call at " << us << " us";
  return 0;
}

// The seed trace with its verdicts set by hand as analyze() sets them (so
// the report is tested apart from the detectors): the dtod copy (corr 20)
// flagged, held 1.905 ms behind the barrier of k2's launch, in a pattern,
// its signals coded; the htod copy (corr 40) cold.
struct PatternFixture : Fixture {
  uint32_t flagged = 0, cold = 0;
  PatternFixture() : Fixture(seed_trace()) {
    flagged = copy_with_corr(analysis, 20);
    cold = copy_with_corr(analysis, 40);
    analysis::PatternKey key;
    key.process = 0;
    key.thread_id = 2;
    key.stream_id = kCopyStream;
    key.cause = analysis::Cause::device_barrier;
    key.blocker_kind = RecordKind::api;
    key.blocker_name = "cudaLaunchKernel";
    analysis.pattern_keys = {key};

    const uint32_t launch = api_at(model, 220);  // k2's first launch: the barrier
    analysis::Finding f;
    f.cause = analysis::Cause::device_barrier;
    f.claimed = true;
    f.explains_ns = 1'900'000;
    f.signals.push_back({"barrier.lazy-function-load", "cudaLaunchKernel is a device-wide barrier",
                         {analysis::ref_api(model, launch)}});
    f.signals.push_back({"barrier.drained", "the copy started after the drain", {analysis::ref_api(model, launch)}});
    f.blockers.push_back({analysis::ref_api(model, launch), 1'900'000});
    f.remedy = "load the function before the copies run";
    analysis.details.clear();
    for (auto& c : analysis.copies) c.detail = analysis::kNone;
    analysis.details.push_back({{f}});

    auto& v = analysis.copies[flagged];
    const auto& op = model.ops[v.op];
    v.state = analysis::CopyState::flagged;
    v.cause = analysis::Cause::device_barrier;
    v.pattern = 0;
    v.detail = 0;
    v.split = {};
    v.split.intent_ns = op.issue_ns;
    v.split.issue_to_start = op.start_ns - op.issue_ns;  // 1.88 ms
    v.split.api = 5000;
    v.split.normal_api_ns = 5000;
    v.split.held = v.split.issue_to_start - v.split.api;  // 1.905 ms
    v.split.held_begin_ns = op.issue_ns + v.split.api;

    auto& c = analysis.copies[cold];
    c.state = analysis::CopyState::cold;
    c.cause = analysis::Cause::none;
    c.pattern = analysis::kNone;
    c.split.issue_to_start = 1'500'000;
  }
};

TEST(Report, TextShowsPatternsColdCopiesAndSignalCodes) {
  PatternFixture fx;
  const std::string text = report::render_text(fx.analysis, fx.select(), {});
  EXPECT_NE(text.find("2 copies, 1 flagged, 1 cold\n"), std::string::npos) << text;
  const size_t by_cause = text.find("\nHeld time by cause");
  const size_t patterns = text.find("\nPatterns (");
  const size_t worst = text.find("\nWorst flagged copies (top 1)\n");
  const size_t cold = text.find("\nCold copies (1, ");
  ASSERT_NE(patterns, std::string::npos) << text;
  ASSERT_NE(cold, std::string::npos) << text;
  EXPECT_LT(by_cause, patterns);
  EXPECT_LT(patterns, worst);
  EXPECT_LT(worst, cold);
  EXPECT_NE(text.find("1 copy  total   1.88 ms  max   1.88 ms  device-wide-barrier  pid 100 thread 2 stream 14  "
                      "behind api cudaLaunchKernel\n      worst: corr 20 held 1.88 ms\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("in no pattern"), std::string::npos);
  EXPECT_NE(text.find("signal [barrier.lazy-function-load]: "), std::string::npos);
  EXPECT_NE(text.find("signal [barrier.drained]: the copy started after the drain\n"), std::string::npos);
  // The cold copy: its own section only, not among the flagged ones.
  const std::string cold_line =
      "issue-to-start 1.50 ms, no recorded work on its GPU ahead of it (first use of a mapping or cold start): not "
      "held\n";
  EXPECT_NE(text.find(cold_line, cold), std::string::npos) << text;
  EXPECT_NE(text.find("memcpy", cold), std::string::npos);
  EXPECT_EQ(text.find("corr 40", worst), text.find("corr 40", cold));
  // Without a burst the split line is unchanged.
  EXPECT_NE(text.find("issue-to-start 1.89 ms = api 5.0 us + stream order"), std::string::npos) << text;
  EXPECT_EQ(text.find("set out at"), std::string::npos);
}

TEST(Report, TextWithoutPatternsSaysSo) {
  PatternFixture fx;
  fx.analysis.copies[fx.flagged].pattern = analysis::kNone;
  fx.analysis.pattern_keys.clear();
  fx.analysis.copies[fx.cold].state = analysis::CopyState::prompt;
  const std::string text = report::render_text(fx.analysis, fx.select(), {});
  EXPECT_NE(text.find("\nPatterns (flagged copies by thread, stream, cause and blocker)\n  1 copy flagged in no pattern\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("Cold copies"), std::string::npos);
  EXPECT_NE(text.find("2 copies, 1 flagged\n"), std::string::npos);
  fx.analysis.copies[fx.flagged].state = analysis::CopyState::prompt;
  EXPECT_NE(report::render_text(fx.analysis, fx.select(), {}).find("and blocker)\n  none\n"), std::string::npos);
}

TEST(Report, SplitShowsTheBurst) {
  PatternFixture fx;
  auto& v = fx.analysis.copies[fx.flagged];
  const uint32_t first = api_at(fx.model, 90);  // the launch of k0
  v.split.burst = 3000;
  v.split.held_in_burst = 1'800'000;
  v.split.held_host = 1'850'000;
  v.split.intent_ns = at_us(90);
  v.split.burst_first_api = first;
  const std::string text = report::render_text(fx.analysis, fx.select(), {});
  EXPECT_NE(text.find("= burst 3.0 us + api 5.0 us + stream order 0.0 us + dependency 0.0 us + held 1.88 ms (host "
                      "1.85 ms, of it 1.80 ms in earlier calls of the burst)\n"),
            std::string::npos)
      << text;
  const std::string corr = std::to_string(fx.model.api_calls[first].correlation_id);
  EXPECT_NE(text.find("    set out at +10.1 ms with cudaLaunchKernel (corr " + corr + ")"), std::string::npos)
      << text;

  const auto j = nlohmann::json::parse(report::render_json(fx.analysis, fx.select(), {}).dump());
  const auto& split = j["worst"][0]["split"];
  EXPECT_EQ(split["burst_ns"], 3000);
  EXPECT_EQ(split["held_in_burst_ns"], 1800000);
  EXPECT_EQ(split["intent_ns"], at_us(90));
  EXPECT_EQ(split["burst_first_api"]["name"], "cudaLaunchKernel");
  EXPECT_EQ(split["burst_first_api"]["correlation_id"], fx.model.api_calls[first].correlation_id);
}

TEST(Report, JsonHasPatternsColdCopiesAndSignalCodes) {
  PatternFixture fx;
  report::ReportOptions options;
  const auto j = nlohmann::json::parse(report::render_json(fx.analysis, fx.select(), options).dump());
  EXPECT_EQ(j["schema"], "holdup-report/1");
  EXPECT_EQ(j["summary"]["flagged"], 1);
  EXPECT_EQ(j["summary"]["cold"], 1);
  ASSERT_EQ(j["patterns"].size(), 1u);
  const auto& p = j["patterns"][0];
  EXPECT_EQ(p["cause"], "device-wide-barrier");
  EXPECT_EQ(p["pid"], 100);
  EXPECT_EQ(p["thread_id"], 2);
  EXPECT_EQ(p["stream_id"], kCopyStream);
  EXPECT_EQ(p["blocker"]["kind"], "api");
  EXPECT_EQ(p["blocker"]["name"], "cudaLaunchKernel");
  EXPECT_EQ(p["copies"], 1);
  EXPECT_EQ(p["held_ns"], 1883000);
  EXPECT_EQ(p["max_held_ns"], 1883000);
  ASSERT_EQ(p["worst"].size(), 1u);
  EXPECT_EQ(p["worst"][0]["correlation_id"], 20);
  EXPECT_EQ(p["worst"][0]["pid"], 100);
  EXPECT_EQ(p["worst"][0]["held_ns"], 1883000);

  ASSERT_EQ(j["cold"].size(), 1u);
  const auto& c = j["cold"][0];
  EXPECT_EQ(c["copy"]["correlation_id"], 40);
  EXPECT_EQ(c["copy"]["pid"], 100);
  EXPECT_EQ(c["copy"]["kind"], "memcpy");
  EXPECT_TRUE(c["copy"]["name"].is_string());
  EXPECT_EQ(c["kind"], "htod");
  EXPECT_EQ(c["issue_ns"], at_us(4000));
  EXPECT_EQ(c["issue_to_start_ns"], 1500000);

  // Only flagged copies in "worst", one entry each.
  ASSERT_EQ(j["worst"].size(), 1u);
  EXPECT_EQ(j["worst"][0]["copy"]["correlation_id"], 20);
  const auto& split = j["worst"][0]["split"];
  for (const char* field : {"intent_ns", "burst_ns", "held_in_burst_ns"}) EXPECT_TRUE(split.contains(field)) << field;
  const auto& signals = j["worst"][0]["findings"][0]["signals"];
  ASSERT_EQ(signals.size(), 2u);
  EXPECT_EQ(signals[0]["code"], "barrier.lazy-function-load");
  EXPECT_EQ(signals[1]["code"], "barrier.drained");
  ASSERT_FALSE(signals[0]["records"].empty());
  for (const char* field : {"kind", "name", "pid", "correlation_id", "start_ns", "end_ns"}) {
    EXPECT_TRUE(signals[0]["records"][0].contains(field)) << field;
  }

  options.top = 0;  // --top bounds the cold list as it does the worst one
  const auto none = report::render_json(fx.analysis, fx.select(), options);
  EXPECT_TRUE(none["cold"].empty());
  EXPECT_EQ(none["summary"]["cold"], 1);
}

// Twelve flagged copies in twelve patterns: the text shows ten and counts
// the rest; a long (mangled) kernel name is cut in the text only.
TEST(Report, ManyPatternsShowTheTopTen) {
  SyntheticTrace t(100);
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  for (int i = 0; i < 12; ++i) {
    const uint32_t corr = t.api("cudaMemcpyAsync", 1000 + i * 100, 1005 + i * 100, 2);
    t.memcpy(proto::HTOD, 1010 + i * 100, 1050 + i * 100, kCopyStream, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, corr);
  }
  Fixture fx(std::move(t));
  ASSERT_EQ(fx.analysis.copies.size(), 12u);
  const std::string long_name = "_ZN4long" + std::string(150, 'x') + "_tail_of_the_name_Ev";
  for (uint32_t i = 0; i < 12; ++i) {
    auto& v = fx.analysis.copies[i];
    v.state = analysis::CopyState::flagged;
    v.cause = analysis::Cause::sm_waiting;
    v.split.held = (i + 1) * 200'000ull;
    v.pattern = i;
    analysis::PatternKey key;
    key.process = 0;
    key.thread_id = 2;
    key.stream_id = kCopyStream;
    key.cause = analysis::Cause::sm_waiting;
    key.blocker_kind = RecordKind::kernel;
    key.blocker_name = i == 11 ? long_name : fmt::format("k_{:02}", i);
    fx.analysis.pattern_keys.push_back(key);
  }
  const std::string text = report::render_text(fx.analysis, fx.select(), {});
  EXPECT_NE(text.find("behind kernel k_02\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("behind kernel k_01\n"), std::string::npos);
  EXPECT_EQ(text.find("behind kernel k_00\n"), std::string::npos);
  EXPECT_NE(text.find("  ... 2 more patterns (2 copies, held 600 us)\n"), std::string::npos) << text;
  EXPECT_EQ(text.find(long_name), std::string::npos);
  EXPECT_NE(text.find("behind kernel _ZN4longxxx"), std::string::npos);
  EXPECT_NE(text.find("..." + std::string(10, 'x') + "_tail_of_the_name_Ev\n"), std::string::npos) << text;
  // The most held first.
  EXPECT_LT(text.find("_tail_of_the_name_Ev"), text.find("k_10"));

  const auto j = report::render_json(fx.analysis, fx.select(), {});
  ASSERT_EQ(j["patterns"].size(), 12u);
  EXPECT_EQ(j["patterns"][0]["blocker"]["name"], long_name);
  EXPECT_EQ(j["patterns"][11]["blocker"]["name"], "k_00");
}

TEST(Report, ColdCopiesAreNeverFlagged) {
  PatternFixture fx;
  fx.analysis.copies[fx.flagged].state = analysis::CopyState::cold;  // one state: cold is never flagged
  const auto s = report::summarize(fx.analysis, fx.select(), 10);
  EXPECT_EQ(s.flagged, 0u);
  EXPECT_EQ(s.cold, 2u);
  EXPECT_TRUE(s.worst.empty());
  EXPECT_TRUE(s.by_cause_totals.empty());
  EXPECT_TRUE(s.patterns.empty());
  EXPECT_EQ(s.cold_worst, (std::vector<uint32_t>{fx.flagged, fx.cold}));  // largest issue-to-start first
  EXPECT_EQ(report::summarize(fx.analysis, fx.select(), 1).cold_worst, std::vector<uint32_t>{fx.flagged});
  report::CheckLimits limits;
  limits.max_flagged = 0;
  limits.max_held_us = 1000;  // a cold copy is not held: not the most held one either
  const auto r = report::check_limits(fx.analysis, fx.select(), limits);
  EXPECT_EQ(r.exit_code, 0) << r.messages.back();
  EXPECT_NE(r.messages.back().find("2 copies, 0 flagged"), std::string::npos) << r.messages.back();
}

std::filesystem::path write_seed(const std::string& tag) {
  const auto dir = std::filesystem::temp_directory_path() / ("holdup-report-test-" + tag + "-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto t = seed_trace();
  t.chunk().mutable_health()->set_dropped_records(2);
  std::string error;
  EXPECT_TRUE(write_trace_file((dir / "p100.trace").string(), {t.chunk()}, &error)) << error;
  return dir;
}

TEST(Commands, ReportAndCheckOnFiles) {
  const auto dir = write_seed("files");
  report::CommonOptions options;
  options.traces = {dir.string()};  // a directory of *.trace
  std::ostringstream out, err;
  EXPECT_EQ(report::run_report(options, 10, true, true, out, err), report::kExitOk) << err.str();
  EXPECT_EQ(nlohmann::json::parse(out.str())["schema"], "holdup-report/1");

  report::CheckLimits limits;
  limits.max_held_us = 5000;
  out.str("");
  EXPECT_EQ(report::run_check(options, limits, out, err), report::kExitOk) << out.str();
  limits.max_dropped = 1;
  out.str("");
  EXPECT_EQ(report::run_check(options, limits, out, err), report::kExitLimitBroken);
  EXPECT_NE(out.str().find("2 dropped records > --max-dropped 1"), std::string::npos) << out.str();

  options.traces = {(dir / "missing.trace").string()};
  EXPECT_EQ(report::run_check(options, {}, out, err), report::kExitUnreadable);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace holdup::testing
