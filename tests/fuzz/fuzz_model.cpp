// holdup_fuzz_model: the model builder over a decoded trace (joins, sorts,
// indexes), then the analysis every report starts from: each copy split and
// judged, with the findings of every flagged copy, and the patterns.

#include <cstddef>
#include <cstdint>
#include <numeric>

#include "fuzz_trace.h"
#include "holdup/analysis.h"

using namespace holdup;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  analysis::Model model;
  fuzz::load_model(fuzz::bytes_of(data, size), &model);
  analysis::AnalysisOptions options;
  options.keep_details = true;
  const auto result = analysis::analyze(model, options);
  std::vector<uint32_t> all(result.copies.size());
  std::iota(all.begin(), all.end(), 0u);
  analysis::find_patterns(result, all);
  return 0;
}
