// `holdup check --max-held-us N [--max-flagged N] [--max-dropped N] TRACE...`
// for CI performance tests: exit 1 when a limit is broken (saying which),
// 0 otherwise, 2 when an input cannot be read.

#include <iostream>

#include <unistd.h>

#include "number_checks.h"
#include "common_options.h"
#include "report/commands.h"
#include "verb.h"

namespace holdup::cli {
namespace {

struct CheckArgs {
  report::CommonOptions common;
  report::CheckLimits limits;
};

void setup_check(CLI::App& app, int& exit_code) {
  auto* verb = app.add_subcommand("check", "Fail (exit 1) when copies were held longer than allowed");
  auto args = std::make_shared<CheckArgs>();
  cli::add_common_options(verb, &args->common);
  verb->add_option("--max-held-us", args->limits.max_held_us, "Largest held time allowed for any copy (us)")
      ->required()
      ->check(cli::real_number(0, cli::kMaxTimeUs));
  verb->add_option("--max-flagged", args->limits.max_flagged, "Most flagged copies allowed")
      ->check(cli::whole_number(0, UINT32_MAX));
  verb->add_option("--max-dropped", args->limits.max_dropped, "Most records dropped by CUPTI allowed")
      ->check(cli::whole_number(0, UINT32_MAX));
  verb->add_flag("--allow-empty", args->limits.allow_empty,
                 "Pass when no copy is selected or a filter matches none (by default that fails: a gate must not "
                 "pass on nothing)");
  verb->callback([args, &exit_code] {
    // Progress on stderr: redrawn on a terminal, else a line every 2 s of
    // a long run; the report itself (stdout, --json) never carries it.
    args->common.progress = true;
    args->common.progress_terminal = isatty(STDERR_FILENO) == 1;
    exit_code = report::run_check(args->common, args->limits, std::cout, std::cerr);
  });
}

}  // namespace
}  // namespace holdup::cli

HOLDUP_REGISTER_VERB(check, 50, holdup::cli::setup_check);
