// The `holdup` command: a thin front over the trace reader and the analysis
// library. Verbs register themselves (verb.h).

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <system_error>

#include <unistd.h>

#include "holdup/version.h"
#include "verb.h"

namespace holdup::cli {
std::vector<VerbEntry>& verb_registry() {
  static std::vector<VerbEntry> registry;
  return registry;
}

// " (/dev/full)": what standard output is, for messages ("" if unknown).
std::string stdout_name() {
  char where[512] = {};
  const ssize_t n = ::readlink("/proc/self/fd/1", where, sizeof where - 1);
  return n > 0 ? std::string(" (") + where + ")" : std::string();
}

// Standard output flushed and closed, every error caught: `holdup report
// --json > /dev/full` must not say 0 (issue 21). A broken pipe (`| head`)
// is the reader's choice, not an error.
int checked_stdout(int exit_code) {
  std::cout.flush();
  const bool stream_failed = !std::cout;
  errno = 0;
  const bool flush_failed = std::fflush(stdout) != 0 || std::ferror(stdout) != 0;
  int err = errno;
  // What standard output is (the user's redirection), named in the error.
  const std::string where = stdout_name();
  const bool close_failed = std::fclose(stdout) != 0;
  if (close_failed && err == 0) err = errno;
  if ((stream_failed || flush_failed || close_failed) && err != EPIPE) {
    std::fprintf(stderr, "holdup: cannot write to standard output%s: %s\n", where.c_str(),
                 err != 0 ? std::strerror(err) : "write error (a full disk or device?)");
    return exit_code != 0 ? exit_code : 2;
  }
  return exit_code;
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
  } catch (const std::system_error& e) {
    // fmt::print throws when standard output cannot be written.
    std::fprintf(stderr, "holdup: cannot write to standard output%s: %s\n", holdup::cli::stdout_name().c_str(),
                 e.code().message().c_str());
    return 2;
  }
  return holdup::cli::checked_stdout(exit_code);
}
