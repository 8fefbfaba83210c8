#pragma once
// What the report verbs run (`holdup report`, `check`, `diff`): the options
// they share (filters, threshold), loading the traces they name, and the
// runs themselves. No command-line parsing here: tools/holdup fills
// CommonOptions (common_options.h).

#include <iosfwd>
#include <string>
#include <vector>

#include "holdup/analysis.h"
#include "holdup/analysis_load.h"
#include "report/report.h"

namespace holdup::report {

struct CommonOptions {
  std::vector<std::string> traces;
  double threshold_us = analysis::AnalysisOptions::kDefaultThresholdNs / 1000.0;
  Filters filters;
  // A progress line on `err` for long runs (the verbs set it; left off in
  // tests): after 2 s, redrawn in place when stderr is a terminal.
  bool progress = false;
  bool progress_terminal = false;
};

analysis::AnalysisOptions analysis_options(const CommonOptions& options);

// Reads the traces for a command: every readable one goes into *model and
// each unreadable one is named on `err` (a warning); false when none could
// be read or, with `all_or_nothing` (`check`), when any could not be read
// whole.
bool load_readable(const CommonOptions& options, bool all_or_nothing, analysis::Model* model,
                   const analysis::LoadOptions& load, std::ostream& err);

// Exit codes of the commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitLimitBroken = 1;  // check: a limit was broken
inline constexpr int kExitUnreadable = 2;   // an input could not be read, or a bad filter

// `holdup report`: text (or JSON with `json`) on `out`, errors on `err`.
int run_report(const CommonOptions& options, size_t top, bool json, bool histograms, std::ostream& out,
               std::ostream& err);

// `holdup diff BEFORE AFTER`: each side a trace, a directory of traces or a
// saved `holdup report --json` (options.traces is ignored; the filters and
// threshold apply to the sides that are traces).
int run_diff(const CommonOptions& options, const std::string& before, const std::string& after, bool json,
             std::ostream& out, std::ostream& err);

// `holdup check`: which limit was broken (or "ok ...") on `out`.
int run_check(const CommonOptions& options, const CheckLimits& limits, std::ostream& out, std::ostream& err);

}  // namespace holdup::report
