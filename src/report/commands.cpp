// `holdup report` and `holdup check` as functions (the verbs in
// tools/holdup only parse the command line), so tests run them directly.

#include <memory>
#include <ostream>
#include <string_view>

#include <fmt/format.h>

#include "holdup/analysis_load.h"
#include "report/report_cli.h"
#include "report/report_progress.h"

namespace holdup::report {

namespace {

// Loads and analyses; false (with errors printed) when an input is unreadable.
// Findings are not kept per flagged copy: a report builds those of the few
// copies it shows (analysis::detail_of), so memory stays with the model.
bool load_and_select(const CommonOptions& options, std::string_view verb, analysis::Model* model,
                     analysis::Analysis* analysis, std::vector<uint32_t>* selection, std::ostream& err) {
  std::unique_ptr<ProgressLine> progress;
  if (options.progress) progress = std::make_unique<ProgressLine>(err, verb, options.progress_terminal);
  std::vector<std::string> errors;
  analysis::LoadOptions load;
  if (progress) {
    load.on_progress = [&](const analysis::LoadOptions::Progress& p) {
      if (p.indexing) {
        progress->step(fmt::format("indexing {} records", count_text(p.records)));
      } else {
        progress->reading(p.records, p.bytes_read, p.bytes_total);
      }
    };
  }
  const bool ok = analysis::load_traces(options.traces, model, &errors, load);
  for (const auto& e : errors) err << "holdup: " << e << "\n";
  if (!ok) {
    if (errors.empty()) err << "holdup: no trace could be read\n";
    return false;
  }
  auto judging = analysis_options(options);
  judging.keep_details = false;
  if (progress) judging.on_progress = [&](uint64_t done, uint64_t total) { progress->analysing(done, total); };
  *analysis = analysis::analyze(*model, judging);
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
  if (!load_and_select(options, "holdup report", &model, &analysis, &selection, err)) return kExitUnreadable;
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
  if (!load_and_select(options, "holdup check", &model, &analysis, &selection, err)) return kExitUnreadable;
  const auto result = check_limits(analysis, selection, limits);
  for (const auto& m : result.messages) out << m << "\n";
  return result.exit_code;
}

}  // namespace holdup::report
