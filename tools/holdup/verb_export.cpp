// `holdup export --format json|sqlite -o PATH TRACE|DIR...`: the traces and
// holdup's verdicts in formats other tools read (src/export/FORMATS.md).

#include <iostream>
#include <memory>
#include <string>

#include <unistd.h>

#include "common_options.h"
#include "export/export.h"
#include "verb.h"

namespace holdup::cli {
namespace {

void setup_export(CLI::App& app, int& exit_code) {
  auto* verb = app.add_subcommand(
      "export", "Write the traces and holdup's verdicts for other tools: Chrome trace JSON (Perfetto, "
                "chrome://tracing, TensorBoard, HTA) or SQLite (Nsight Systems' tables)");
  auto args = std::make_shared<exporting::ExportOptions>();
  auto format = std::make_shared<std::string>("json");
  cli::add_common_options(verb, &args->common);
  verb->add_option("--format", *format,
                   "json: Chrome trace in Kineto's conventions (default); sqlite: Nsight Systems' tables")
      ->check(CLI::IsMember({"json", "sqlite"}));
  verb->add_option("-o,--output", args->output,
                   "Output file for one trace; a directory (one file per process) for several")
      ->required();
  verb->add_flag("--force", args->force,
                 "Replace output files that exist (never an input trace, never any holdup trace)");
  verb->callback([args, format, &exit_code] {
    args->format = *format == "sqlite" ? exporting::Format::sqlite : exporting::Format::chrome_json;
    args->common.progress = true;
    args->common.progress_terminal = isatty(STDERR_FILENO) == 1;
    exit_code = exporting::run_export(*args, std::cout, std::cerr);
  });
}

}  // namespace
}  // namespace holdup::cli

HOLDUP_REGISTER_VERB(export, 45, holdup::cli::setup_export);
