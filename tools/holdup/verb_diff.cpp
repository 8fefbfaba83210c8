// `holdup diff BEFORE AFTER`: held time and copies per pattern before and
// after a change (a remedy, another recording), what vanished, what is new,
// and which signals changed where the same copies were judged otherwise.

#include <iostream>

#include <unistd.h>

#include "common_options.h"
#include "report/commands.h"
#include "verb.h"

namespace holdup::cli {
namespace {

struct DiffArgs {
  report::CommonOptions common;
  std::string before, after;
  bool json = false;
};

void setup_diff(CLI::App& app, int& exit_code) {
  auto* verb = app.add_subcommand(
      "diff", "Compare two runs pattern by pattern: held time before and after, what vanished, what is new");
  auto args = std::make_shared<DiffArgs>();
  verb->add_option("before", args->before, "Trace, directory of traces, or saved `holdup report --json`")->required();
  verb->add_option("after", args->after, "The same, after the change")->required();
  cli::add_filter_options(verb, &args->common);
  verb->add_flag("--json", args->json, "JSON output, schema holdup-diff/1 (src/report/JSON.md)");
  verb->callback([args, &exit_code] {
    args->common.progress = true;
    args->common.progress_terminal = isatty(STDERR_FILENO) == 1;
    exit_code = report::run_diff(args->common, args->before, args->after, args->json, std::cout, std::cerr);
  });
}

}  // namespace
}  // namespace holdup::cli

HOLDUP_REGISTER_VERB(diff, 45, holdup::cli::setup_diff);
