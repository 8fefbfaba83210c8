// `holdup report TRACE|DIR...`: why copies started when they did (the
// analysis library, rendered by src/report).

#include <iostream>

#include <unistd.h>

#include "export/export.h"
#include "number_checks.h"
#include "common_options.h"
#include "report/commands.h"
#include "verb.h"

namespace holdup::cli {
namespace {

struct ReportArgs {
  report::CommonOptions common;
  size_t top = 10;
  bool json = false;
  bool no_histograms = false;
  std::string html;
  bool force = false;
};

void setup_report(CLI::App& app, int& exit_code) {
  auto* verb = app.add_subcommand("report", "Explain why copies started late: held time, causes, evidence, remedies");
  auto args = std::make_shared<ReportArgs>();
  cli::add_common_options(verb, &args->common);
  verb->add_option("--top", args->top, "Show the N most-held flagged copies (default 10)")
      ->check(cli::whole_number(0, 1'000'000));
  auto* json = verb->add_flag("--json", args->json, "JSON output, schema holdup-report/1 (src/report/JSON.md)");
  verb->add_flag("--no-histograms", args->no_histograms, "Leave out the delay histograms");
  verb->add_option("--html", args->html,
                   "Write the report as one self-contained HTML page (timelines and histograms drawn) to this file")
      ->excludes(json);
  verb->add_flag("--force", args->force,
                 "Replace the --html file if it exists (never an input trace, never any holdup trace)");
  verb->callback([args, &exit_code] {
    // Progress on stderr: redrawn on a terminal, else a line every 2 s of
    // a long run; the report itself (stdout, --json) never carries it.
    args->common.progress = true;
    args->common.progress_terminal = isatty(STDERR_FILENO) == 1;
    if (!args->html.empty()) {
      report::ReportOptions options;
      options.filters = args->common.filters;
      options.top = args->top;
      options.histograms = !args->no_histograms;
      exit_code = exporting::run_html_report(args->common, options, args->html, args->force, std::cout, std::cerr);
      return;
    }
    exit_code = report::run_report(args->common, args->top, args->json, !args->no_histograms, std::cout, std::cerr);
  });
}

}  // namespace
}  // namespace holdup::cli

HOLDUP_REGISTER_VERB(report, 40, holdup::cli::setup_report);
