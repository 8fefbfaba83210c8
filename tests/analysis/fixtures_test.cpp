// Real traces recorded on the H100 (tests/data), compared with the verdicts
// their manifest expects. Skipped while tests/data/MANIFEST.json is absent.
//
// MANIFEST.json:
//   {
//     "schema": "holdup-fixtures/1",
//     "fixtures": [
//       { "scenario": "lazy-load-barrier",        // a label for messages only
//         "traces": ["lazy-load-barrier"],       // files or directories under tests/data
//         "held": true,                          // any copy flagged?
//         "cause": "device-wide-barrier",        // the worst flagged copy's cause (optional;
//                                                // a list means any of these)
//         "threshold_us": 50 }                   // optional, default 50
//     ]
//   }
// Causes are the ids of analysis::cause_id(). The command line is stripped
// from every trace before analysis: a verdict never depends on the
// scenario's name.

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "holdup/analysis.h"
#include "holdup/analysis_load.h"

namespace holdup::testing {
namespace {

TEST(Fixtures, VerdictsMatchTheManifest) {
  // HOLDUP_TEST_DATA_DIR in the environment points at another fixture set
  // (e.g. a fresh run_all_scenarios.sh output with MANIFEST.json).
  const char* override_dir = std::getenv("HOLDUP_TEST_DATA_DIR");
  const std::filesystem::path data = override_dir ? override_dir : HOLDUP_TEST_DATA_DIR;
  const auto manifest_path = data / "MANIFEST.json";
  if (!std::filesystem::exists(manifest_path)) GTEST_SKIP() << "no " << manifest_path << " yet";
  std::ifstream in(manifest_path);
  const auto manifest = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(manifest.is_discarded()) << manifest_path << " is not valid JSON";
  ASSERT_TRUE(manifest.contains("fixtures")) << manifest_path << " has no \"fixtures\" array";

  for (const auto& fixture : manifest["fixtures"]) {
    const std::string scenario = fixture.value("scenario", std::string("<unnamed>"));
    SCOPED_TRACE(scenario);
    std::vector<std::string> paths;
    for (const auto& p : fixture["traces"]) paths.push_back((data / p.get<std::string>()).string());
    analysis::Model model;
    std::vector<std::string> errors;
    analysis::LoadOptions load;
    load.strip_command_line = true;
    EXPECT_TRUE(analysis::load_traces(paths, &model, &errors, load)) << (errors.empty() ? "" : errors.front());
    for (const auto& p : model.processes) ASSERT_TRUE(p.command_line.empty());

    analysis::AnalysisOptions options;
    if (fixture.contains("threshold_us")) {
      options.threshold_ns = static_cast<uint64_t>(fixture["threshold_us"].get<double>() * 1000.0);
    }
    const auto a = analysis::analyze(model, options);
    const analysis::CopyVerdict* worst = nullptr;
    for (const auto& v : a.copies) {
      if (v.flagged && (!worst || v.split.held > worst->split.held)) worst = &v;
    }
    const bool expect_held = fixture.value("held", false);
    EXPECT_EQ(worst != nullptr, expect_held) << a.copies.size() << " copies";
    if (worst && fixture.contains("cause")) {
      const std::string got(analysis::cause_id(worst->cause));
      std::vector<std::string> allowed;
      if (fixture["cause"].is_array()) {
        for (const auto& c : fixture["cause"]) allowed.push_back(c.get<std::string>());
      } else {
        allowed.push_back(fixture["cause"].get<std::string>());
      }
      EXPECT_NE(std::find(allowed.begin(), allowed.end(), got), allowed.end())
          << "worst flagged copy's cause is " << got << ", held " << worst->split.held << " ns";
    }
  }
}

}  // namespace
}  // namespace holdup::testing
