// `holdup report` and `holdup check` as functions (the verbs in
// tools/holdup only parse the command line), so tests run them directly.

#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <ostream>
#include <string_view>

#include <fmt/format.h>

#include "holdup/analysis_load.h"
#include "report/diff.h"
#include "report/commands.h"
#include "report/report_progress.h"

namespace holdup::report {

analysis::AnalysisOptions analysis_options(const CommonOptions& o) {
  analysis::AnalysisOptions a;
  a.threshold_ns = static_cast<analysis::TimeNs>(o.threshold_us * 1000.0);
  return a;
}

namespace {

// Loads and analyses; false (with errors printed) when no input is readable
// (`check`: when any is not). Findings are not kept per flagged copy: a
// report builds those of the few copies it shows (analysis::detail_of), so
// memory stays with the model.
bool load_and_select(const CommonOptions& options, std::string_view verb, analysis::Model* model,
                     analysis::Analysis* analysis, std::vector<uint32_t>* selection, std::ostream& err) {
  std::unique_ptr<ProgressLine> progress;
  if (options.progress) progress = std::make_unique<ProgressLine>(err, verb, options.progress_terminal);
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
  const bool check = verb == "holdup check";
  if (!load_readable(options, check, model, load, err)) return false;
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
  progress.reset();
  if (!check) {
    for (const auto& m : unmatched_filters(*analysis, options.filters)) err << "holdup: warning: " << m << "\n";
  }
  return true;
}

}  // namespace

// Reads the traces: every readable one is used and each unreadable one is
// named with a warning (one bad rank must not sink a job); false when none
// could be read, or, with `all_or_nothing` (`check`: a gate must not pass
// on what it did not see), when any could not be read whole.
bool load_readable(const CommonOptions& options, bool all_or_nothing, analysis::Model* model,
                   const analysis::LoadOptions& load, std::ostream& err) {
  std::vector<std::string> errors;
  analysis::LoadResult result;
  analysis::load_traces(options.traces, model, &errors, load, &result);
  const bool fatal = all_or_nothing || result.traces_read == 0;
  for (const auto& e : errors) err << "holdup: " << (fatal ? "" : "warning: ") << e << "\n";
  if (result.traces_read == 0) {
    err << "holdup: no trace could be read\n";
    return false;
  }
  if (!errors.empty()) {
    if (all_or_nothing) {
      err << fmt::format("holdup check: FAIL: {} of the inputs could not be read whole (above); a check judges "
                         "every trace or fails\n",
                         errors.size());
      return false;
    }
    err << fmt::format("holdup: warning: went on with the {} of {} traces that could be read\n", result.traces_read,
                       result.files);
  }
  return true;
}

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

namespace {

// A saved report: a regular file whose first non-blank character is '{'
// (a trace starts with a binary chunk tag).
bool is_json_file(const std::string& path) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  std::ifstream in(path, std::ios::binary);
  char c = 0;
  while (in.get(c)) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return c == '{';
  }
  return false;
}

bool filters_given(const Filters& f) {
  return !f.pids.empty() || !f.devices.empty() || !f.streams.empty() || !f.nvtx.empty() || f.from_us || f.to_us ||
         !f.kinds.empty() || f.skip_iterations > 0;
}

// One side of a diff as a holdup-report/1 document; false (said on `err`)
// when it cannot be read.
bool report_of(const CommonOptions& options, const std::string& path, std::string_view side, nlohmann::json* doc,
               std::ostream& err) {
  if (is_json_file(path)) {
    std::ifstream in(path);
    *doc = nlohmann::json::parse(in, nullptr, false);
    if (doc->is_discarded()) {
      err << fmt::format("holdup diff: {} ({}) is not valid JSON; give a trace, a directory of traces or the output "
                         "of `holdup report --json`\n",
                         path, side);
      return false;
    }
    if (filters_given(options.filters)) {
      err << fmt::format("holdup diff: warning: {} ({}) is a saved report: the filters apply only to traces, that "
                         "report keeps the selection it was made with\n",
                         path, side);
    }
    return true;
  }
  CommonOptions one = options;
  one.traces = {path};
  analysis::Model model;
  analysis::Analysis analysis;
  std::vector<uint32_t> selection;
  if (!load_and_select(one, "holdup diff", &model, &analysis, &selection, err)) return false;
  ReportOptions report;
  report.filters = options.filters;
  report.top = 0;
  report.histograms = false;
  *doc = render_json(analysis, selection, report);
  return true;
}

}  // namespace

int run_diff(const CommonOptions& options, const std::string& before, const std::string& after, bool json,
             std::ostream& out, std::ostream& err) {
  nlohmann::json b, a;
  if (!report_of(options, before, "before", &b, err) || !report_of(options, after, "after", &a, err))
    return kExitUnreadable;
  std::string error;
  const ReportDiff d = diff_reports(b, a, before, after, &error);
  if (!error.empty()) {
    err << "holdup diff: " << error << "\n";
    return kExitUnreadable;
  }
  if (json) {
    out << render_diff_json(d).dump(2) << "\n";
  } else {
    out << render_diff_text(d);
  }
  return kExitOk;
}

int run_check(const CommonOptions& options, const CheckLimits& limits, std::ostream& out, std::ostream& err) {
  analysis::Model model;
  analysis::Analysis analysis;
  std::vector<uint32_t> selection;
  if (!load_and_select(options, "holdup check", &model, &analysis, &selection, err)) return kExitUnreadable;
  // Nothing selected is no evidence of anything: fail unless told it is fine.
  if (!limits.allow_empty) {
    auto unmatched = unmatched_filters(analysis, options.filters);
    if (selection.empty() && unmatched.empty()) unmatched.push_back("no copy in the traces passed the filters");
    if (analysis.copies.empty()) unmatched = {"the traces hold no copy at all"};
    if (!unmatched.empty()) {
      for (const auto& m : unmatched) out << "FAIL: " << m << "\n";
      out << "FAIL: nothing to judge; pass --allow-empty if no copies is fine\n";
      return kExitLimitBroken;
    }
  }
  const auto result = check_limits(analysis, selection, limits);
  for (const auto& m : result.messages) out << m << "\n";
  return result.exit_code;
}

}  // namespace holdup::report
