#pragma once
// Runs the built `holdup` (or any program) as a child process with its
// output captured, for the command-line tests.

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace holdup::testing {

struct ProcessResult {
  // Exit code, or 128 + signal as a shell reports it.
  int exit_code = -1;
  std::string out;
  std::string err;
};

struct ProcessOptions {
  // Variables to set (or, with std::nullopt, to remove) in the child's
  // environment; the rest is inherited.
  std::map<std::string, std::optional<std::string>> env;
  // Working folder of the child; inherited when empty.
  std::string cwd;
};

// A started child whose stdout/stderr go to files in a temporary folder.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const ProcessOptions& options = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // Waits for the child and collects its output.
  ProcessResult wait();

 private:
  pid_t pid_ = -1;
  std::string dir_;
  bool waited_ = false;
};

// The built holdup executable.
std::string holdup_exe();

// Runs `holdup args...` to completion.
ProcessResult run_holdup(const std::vector<std::string>& args, const ProcessOptions& options = {});

std::string read_file(const std::string& path);

}  // namespace holdup::testing
