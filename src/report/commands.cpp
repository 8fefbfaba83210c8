// `holdup report` and `holdup check` as functions (the verbs in
// tools/holdup only parse the command line), so tests run them directly.

#include <ostream>

#include "holdup/analysis_load.h"
#include "holdup/report_cli.h"

namespace holdup::report {

namespace {

// Loads and analyses; false (with errors printed) when an input is unreadable.
bool load_and_select(const CommonOptions& options, analysis::Model* model, analysis::Analysis* analysis,
                     std::vector<uint32_t>* selection, std::ostream& err) {
  std::vector<std::string> errors;
  const bool ok = analysis::load_traces(options.traces, model, &errors, {});
  for (const auto& e : errors) err << "holdup: " << e << "\n";
  if (!ok) {
    if (errors.empty()) err << "holdup: no trace could be read\n";
    return false;
  }
  *analysis = analysis::analyze(*model, analysis_options(options));
  std::string error;
  *selection = select_copies(*analysis, options.filters, &error);
  if (!error.empty()) {
    err << "holdup: " << error << "\n";
    return false;
  }
  return true;
}

}  // namespace

int run_report(const CommonOptions& options, size_t top, bool json, bool histograms, std::ostream& out,
               std::ostream& err) {
  analysis::Model model;
  analysis::Analysis analysis;
  std::vector<uint32_t> selection;
  if (!load_and_select(options, &model, &analysis, &selection, err)) return kExitUnreadable;
  ReportOptions report;
  report.filters = options.filters;
  report.top = top;
  report.histograms = histograms;
  if (json) {
    out << render_json(analysis, selection, report).dump(2) << "\n";
  } else {
    out << render_text(analysis, selection, report);
  }
  return kExitOk;
}

int run_check(const CommonOptions& options, const CheckLimits& limits, std::ostream& out, std::ostream& err) {
  analysis::Model model;
  analysis::Analysis analysis;
  std::vector<uint32_t> selection;
  if (!load_and_select(options, &model, &analysis, &selection, err)) return kExitUnreadable;
  const auto result = check_limits(analysis, selection, limits);
  for (const auto& m : result.messages) out << m << "\n";
  return result.exit_code;
}

}  // namespace holdup::report
