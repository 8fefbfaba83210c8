#pragma once
// The child process of `holdup run`.

#include <string>
#include <vector>

namespace holdup::cli {

// Exit statuses holdup itself gives, as a shell would.
inline constexpr int kExitHoldupFailed = 125;   // holdup failed before starting the command
inline constexpr int kExitCannotExecute = 126;  // the command could not be executed
inline constexpr int kExitNotFound = 127;       // the command was not found

// Spawns `command` (PATH search) in the current environment, forwarding
// SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to it, waits, and
// returns its exit status as a shell would (128+N for signal N).
int spawn_and_wait(const std::vector<std::string>& command);

}  // namespace holdup::cli
