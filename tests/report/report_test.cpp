// Reports on synthetic traces: the text names verdict, blockers and remedy;
// the JSON parses and carries its schema; filters select; check exits 0/1/2.

#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "holdup/report.h"
#include "holdup/report_cli.h"
#include "synthetic_trace.h"
#ifdef HOLDUP_HAVE_TRACE_WRITER
#include "holdup/trace_writer.h"
#endif

namespace holdup::testing {
namespace {

// The seed pattern (a lazy-load barrier) plus an unheld htod copy.
SyntheticTrace seed_trace(uint32_t pid = 100) {
  SyntheticTrace t(pid);
  t.normal_calls("cudaMemcpyAsync", 4, 5, 2);
  t.kernel("k0", 100, 1100, kComputeStream, 2, t.launch(90, 95));
  const uint32_t copy = t.api("cudaMemcpyAsync", 200, 205, 2, 20);
  t.memcpy(proto::DTOD, 2110, 2200, kCopyStream, 1, proto::CHANNEL_TYPE_COMPUTE, copy);
  t.kernel("k1", 1100, 2100, kComputeStream, 2, t.launch(210, 215));
  const uint32_t k2 = t.launch(220, 260);
  t.overhead(proto::LAZY_FUNCTION_LOADING, 225, 255, k2, 1);
  t.kernel("k2", 2100, 3100, kComputeStream, 2, k2);
  const uint32_t htod = t.api("cudaMemcpyAsync", 4000, 4005, 2, 40);
  t.memcpy(proto::HTOD, 4010, 4100, 15, 3, proto::CHANNEL_TYPE_ASYNC_MEMCPY, htod);
  auto* m = t.chunk().add_marker();  // NVTX range "step" around the first copy
  m->set_flags(2);
  m->set_id(1);
  m->set_timestamp_ns(at_us(150));
  m->set_name_iid(t.str("step"));
  m = t.chunk().add_marker();
  m->set_flags(4);
  m->set_id(1);
  m->set_timestamp_ns(at_us(300));
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
  EXPECT_NE(text.find("api 5.0 us + stream order 0.0 us + dependency 0.0 us + held 1.91 ms"), std::string::npos);
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
  EXPECT_NE(text.find("3 records dropped by CUPTI"), std::string::npos) << text;
  EXPECT_NE(text.find("another CUPTI client"), std::string::npos);
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
  EXPECT_EQ(w["split"]["held_ns"], 1905000);
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

#ifdef HOLDUP_HAVE_TRACE_WRITER
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
#endif

}  // namespace
}  // namespace holdup::testing
