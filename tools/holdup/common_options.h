#pragma once
// The command-line options the report verbs share (`holdup report`,
// `check`, `diff`), filling report::CommonOptions: CLI11 stays in the
// command, out of the libraries.

#include <CLI/CLI.hpp>

#include "report/commands.h"

namespace holdup::cli {

// Adds TRACE|DIR... and --pid --device --stream --nvtx --from-us --to-us
// --kind --skip-iterations --threshold-us to `verb`.
void add_common_options(CLI::App* verb, report::CommonOptions* options);

// The same options without TRACE|DIR... (a verb with positionals of its own).
void add_filter_options(CLI::App* verb, report::CommonOptions* options);

}  // namespace holdup::cli
