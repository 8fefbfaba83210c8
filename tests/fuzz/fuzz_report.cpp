// holdup_fuzz_report: `holdup report` (text and --json) and `holdup check`
// over the model of any bytes, as the verbs make them.

#include <cstddef>
#include <cstdint>

#include "fuzz_trace.h"
#include "report/report.h"

using namespace holdup;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  analysis::Model model;
  fuzz::load_model(fuzz::bytes_of(data, size), &model);
  analysis::AnalysisOptions judging;
  judging.keep_details = false;  // as `holdup report`: findings built for the copies shown
  const auto analysis = analysis::analyze(model, judging);
  std::string error;
  const auto selection = report::select_copies(analysis, {}, &error);
  report::ReportOptions options;
  report::render_text(analysis, selection, options);
  // dump() as the verb does it: invalid UTF-8 in a name must not throw.
  report::render_json(analysis, selection, options).dump(2);
  report::check_limits(analysis, selection, {.max_held_us = 1, .max_flagged = 0, .max_dropped = 0});
  return 0;
}
