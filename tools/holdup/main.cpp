// The `holdup` command: a thin front over the trace reader and the analysis
// library. Verbs register themselves (verb.h).

#include <algorithm>
#include <cstdio>

#include "holdup/version.h"
#include "verb.h"

namespace holdup::cli {
std::vector<VerbEntry>& verb_registry() {
  static std::vector<VerbEntry> registry;
  return registry;
}
}  // namespace holdup::cli

int main(int argc, char** argv) {
  CLI::App app{"holdup: why did this copy start when it did?\n"
               "Records CUDA work with CUPTI and explains copies held behind unrelated work."};
  app.set_version_flag("--version", std::string("holdup ") + HOLDUP_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);

  int exit_code = 0;
  auto& verbs = holdup::cli::verb_registry();
  std::sort(verbs.begin(), verbs.end(),
            [](const auto& a, const auto& b) { return a.order < b.order; });
  for (auto& verb : verbs) verb.setup(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
