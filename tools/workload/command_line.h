#pragma once
// Turns argv into a WorkloadConfig: scenario preset first, then the user's
// options on top. Host-only; prints help, the scenario list and errors to the
// streams it is given, so tests can read them.

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "workload_config.h"

namespace holdup::workload {

// Exit codes of the program.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // a run failed (no GPU, CUDA error, timeout in a peer)
inline constexpr int kExitUsage = 2;     // bad command line
inline constexpr int kExitWatchdog = 3;  // the whole run exceeded its time

struct ParsedCommandLine {
  WorkloadConfig config;
  // Set when the program should exit right away with this code (help,
  // --list-scenarios, a usage error); the text has already been written.
  std::optional<int> exit_code;
};

// `args` excludes argv[0].
ParsedCommandLine parse_command_line(const std::vector<std::string>& args, std::ostream& out,
                                     std::ostream& err);

// The argv a worker is started with: the user's arguments, then the hidden
// role options.
std::vector<std::string> worker_arguments(const std::vector<std::string>& user_args, int rank, int peer_fd,
                                          const std::string& json_part_path);

}  // namespace holdup::workload
