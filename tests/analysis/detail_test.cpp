// Findings built on demand (AnalysisOptions::keep_details = false, what
// `holdup report` uses at scale) are the same as those kept by analyze(),
// and the verdicts do not depend on the setting: checked on every copy of
// the H100 fixtures (tests/data/MANIFEST.json).

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "holdup/analysis.h"
#include "holdup/analysis_load.h"

namespace holdup::testing {
namespace {

std::filesystem::path data_dir() {
  const char* override_dir = std::getenv("HOLDUP_TEST_DATA_DIR");
  return override_dir ? override_dir : HOLDUP_TEST_DATA_DIR;
}

std::string ref_text(const analysis::RecordRef& r) {
  return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", record_kind_name(r.kind), r.name, r.pid, r.thread_id, r.context_id,
                     r.stream_id, r.channel_id, r.channel_type, r.gpu, r.correlation_id, r.start_ns, r.end_ns, "");
}

// Everything a finding says, as text, so two can be compared whole.
std::string detail_text(const analysis::FlaggedDetail& d) {
  std::string out;
  for (const auto& f : d.findings) {
    out += fmt::format("finding {} claimed={} explains={} remedy={}\n", analysis::cause_id(f.cause), f.claimed,
                       f.explains_ns, f.remedy);
    for (const auto& b : f.blockers) out += fmt::format("  blocker {} {}\n", ref_text(b.record), b.held_behind_ns);
    for (const auto& s : f.signals) {
      out += "  signal " + s.text + "\n";
      for (const auto& r : s.records) out += "    " + ref_text(r) + "\n";
    }
    for (const auto& c : f.corroboration) out += "  corroboration " + c + "\n";
  }
  return out;
}

TEST(Details, BuiltOnDemandEqualKeptOnes) {
  const auto path = data_dir() / "MANIFEST.json";
  if (!std::filesystem::exists(path)) FAIL() << "fixture data missing (moved?): " << path;
  std::ifstream in(path);
  const auto manifest = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(manifest.is_discarded()) << path;
  uint64_t flagged = 0;
  for (const auto& fixture : manifest["fixtures"]) {
    std::vector<std::string> paths;
    for (const auto& p : fixture["traces"]) paths.push_back((data_dir() / p.get<std::string>()).string());
    analysis::Model model;
    std::vector<std::string> errors;
    ASSERT_TRUE(analysis::load_traces(paths, &model, &errors)) << (errors.empty() ? "" : errors.front());
    const auto kept = analysis::analyze(model);
    analysis::AnalysisOptions lazy_options;
    lazy_options.keep_details = false;
    const auto lazy = analysis::analyze(model, lazy_options);
    EXPECT_TRUE(lazy.details.empty());
    ASSERT_EQ(kept.copies.size(), lazy.copies.size());
    for (uint32_t k = 0; k < kept.copies.size(); ++k) {
      const auto& a = kept.copies[k];
      const auto& b = lazy.copies[k];
      const std::string where = fmt::format("{} copy {} ({})", fixture.value("name", "?"), k,
                                            model.describe(model.ops[a.op]));
      EXPECT_EQ(a.flagged(), b.flagged()) << where;
      EXPECT_EQ(a.cause, b.cause) << where;
      EXPECT_EQ(a.split.held, b.split.held) << where;
      EXPECT_EQ(a.split.inherited, b.split.inherited) << where;
      EXPECT_EQ(b.detail, analysis::kNone) << where;
      EXPECT_EQ(detail_text(analysis::detail_of(kept, k)), detail_text(analysis::detail_of(lazy, k))) << where;
      flagged += a.flagged() ? 1 : 0;
    }
  }
  EXPECT_GT(flagged, 0u) << "the fixtures have held copies: the comparison must cover some";
}

TEST(Details, ProgressIsReportedToTheEnd) {
  const auto path = data_dir() / "MANIFEST.json";
  if (!std::filesystem::exists(path)) FAIL() << "fixture data missing (moved?): " << path;
  std::ifstream in(path);
  const auto manifest = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(manifest.is_discarded() || manifest["fixtures"].empty());
  std::vector<std::string> paths;
  for (const auto& p : manifest["fixtures"][0]["traces"]) paths.push_back((data_dir() / p.get<std::string>()).string());
  analysis::LoadOptions load;
  analysis::LoadOptions::Progress last;
  uint64_t calls = 0;
  load.on_progress = [&](const analysis::LoadOptions::Progress& p) {
    EXPECT_FALSE(last.indexing) << "indexing is the last call";
    EXPECT_GE(p.records, last.records);
    EXPECT_GE(p.bytes_read, last.bytes_read);
    last = p;
    ++calls;
  };
  analysis::Model model;
  std::vector<std::string> errors;
  ASSERT_TRUE(analysis::load_traces(paths, &model, &errors, load));
  EXPECT_GT(calls, 0u);
  EXPECT_GT(last.records, 0u);
  EXPECT_LE(last.bytes_read, last.bytes_total);
  EXPECT_GT(last.bytes_total, 0u);
  EXPECT_TRUE(last.indexing);

  analysis::AnalysisOptions options;
  uint64_t done = 0, total = 0;
  options.on_progress = [&](uint64_t d, uint64_t t) {
    done = d;
    total = t;
  };
  const auto a = analysis::analyze(model, options);
  EXPECT_EQ(done, a.copies.size());
  EXPECT_EQ(total, a.copies.size());
  EXPECT_FALSE(a.options.on_progress) << "the callback must not outlive analyze()";
}

}  // namespace
}  // namespace holdup::testing
