// Running the command of `holdup run` as a child: PATH search, the signal
// mask and dispositions holdup started with, signals forwarded while it
// runs, its status reported as a shell would.

#include "run_child.h"

#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <iterator>

#include <fmt/format.h>

extern char** environ;

namespace holdup::cli {
namespace {

constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

std::atomic<pid_t> g_child{0};
static_assert(std::atomic<pid_t>::is_always_lock_free);

void forward_signal(int signal, siginfo_t* info, void*) {
  // A terminal's ^C, ^\ and hangup already reach the child (same process
  // group) and arrive with si_code SI_KERNEL: forwarding those would deliver
  // them twice.
  if (info && info->si_code == SI_KERNEL) return;
  pid_t child = g_child.load();
  if (child > 0) ::kill(child, signal);
}

// A signal holdup was started with ignored (nohup, a background job of a
// non-interactive shell) is left ignored, not forwarded: the command then
// inherits SIG_IGN as it would without holdup (a handled signal is reset to
// the default in the command).
class SignalForwarding {
 public:
  SignalForwarding() {
    struct sigaction action {};
    action.sa_sigaction = forward_signal;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < std::size(kForwardedSignals); ++i) {
      ::sigaction(kForwardedSignals[i], nullptr, &previous_[i]);
      if ((previous_[i].sa_flags & SA_SIGINFO) == 0 && previous_[i].sa_handler == SIG_IGN) continue;
      installed_[i] = ::sigaction(kForwardedSignals[i], &action, nullptr) == 0;
    }
  }
  ~SignalForwarding() {
    for (size_t i = 0; i < std::size(kForwardedSignals); ++i)
      if (installed_[i]) ::sigaction(kForwardedSignals[i], &previous_[i], nullptr);
  }
  SignalForwarding(const SignalForwarding&) = delete;
  SignalForwarding& operator=(const SignalForwarding&) = delete;

 private:
  struct sigaction previous_[std::size(kForwardedSignals)] {};
  bool installed_[std::size(kForwardedSignals)] = {};
};

}  // namespace

// Spawns the command (PATH search), waits, and returns its exit status as a
// shell would.
int spawn_and_wait(const std::vector<std::string>& command) {
  std::vector<char*> argv;
  for (const auto& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  // Block the forwarded signals until the child's pid is known, and give
  // the child the mask and dispositions holdup itself started with.
  sigset_t forwarded, original;
  sigemptyset(&forwarded);
  for (int signal : kForwardedSignals) sigaddset(&forwarded, signal);
  ::pthread_sigmask(SIG_BLOCK, &forwarded, &original);
  SignalForwarding forwarding;

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setsigmask(&attributes, &original);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  pid_t child = 0;
  int spawn_error = ::posix_spawnp(&child, argv[0], nullptr, &attributes, argv.data(), environ);
  posix_spawnattr_destroy(&attributes);
  if (spawn_error == 0) g_child.store(child);
  ::pthread_sigmask(SIG_SETMASK, &original, nullptr);

  if (spawn_error != 0) {
    if (spawn_error == ENOENT) {
      std::cerr << "holdup run: " << command[0] << ": command not found"
                << (command[0].find('/') == std::string::npos ? " (searched PATH)" : "") << "\n";
      return kExitNotFound;
    }
    std::cerr << "holdup run: " << command[0] << ": cannot execute: " << std::strerror(spawn_error) << "\n";
    return kExitCannotExecute;
  }

  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      std::cerr << "holdup run: waiting for " << command[0] << " failed: " << std::strerror(errno) << "\n";
      g_child.store(0);
      return kExitHoldupFailed;
    }
  }
  g_child.store(0);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) {
    // Kept as a shell reports it (128+N), and said: the traces listed next
    // end where the signal ended the command.
    const int signal = WTERMSIG(status);
    const char* abbrev = ::sigabbrev_np(signal);
    std::cerr << "holdup run: " << command[0] << " ended by signal " << signal
              << (abbrev ? fmt::format(" (SIG{})", abbrev) : std::string()) << (WCOREDUMP(status) ? ", core dumped" : "")
              << "; exit status " << 128 + signal << "\n";
    return 128 + signal;
  }
  return kExitHoldupFailed;
}

}  // namespace holdup::cli
