#include "signal_flush.h"

#include <errno.h>
#include <string.h>

#include <fmt/format.h>

#include "lifecycle.h"
#include "recorder.h"

namespace holdup::inject {
namespace {

// Async-signal-safe throughout: sigaction, raise, errno, and
// Recorder::final_flush_for_signal (atomics, sem_post, clock_gettime, futex).
void on_signal(int signal, siginfo_t*, void*) {
  const int saved_errno = errno;
  struct sigaction current {};
  if (::sigaction(signal, nullptr, &current) != 0 || !disposition_is_ours(current)) {
    // The app installed its own handler since, and chained to ours: this
    // signal is the app's business now.
    errno = saved_errno;
    return;
  }
  if (Recorder* recorder = process_recorder_if_owner()) recorder->final_flush_for_signal(signal);
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  sigemptyset(&fallback.sa_mask);
  ::sigaction(signal, &fallback, nullptr);
  // The signal is blocked while its handler runs: raised again, it stays
  // pending and takes its default effect as this handler returns (for a
  // fault, before the faulting instruction runs again).
  ::raise(signal);
  errno = saved_errno;
}

}  // namespace

bool disposition_is_default(const struct sigaction& current) {
  return (current.sa_flags & SA_SIGINFO) == 0 && current.sa_handler == SIG_DFL;
}

bool disposition_is_ours(const struct sigaction& current) {
  return (current.sa_flags & SA_SIGINFO) != 0 && current.sa_sigaction == on_signal;
}

SignalInstall install_final_flush_handlers() {
  SignalInstall result;
  struct sigaction ours {};
  ours.sa_sigaction = on_signal;
  // SA_ONSTACK: the app's alternate stack if it set one up (a crash from a
  // stack overflow needs one); SA_RESTART: an interrupted call resumes if a
  // handler ever returns without ending the process (step aside).
  ours.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  sigemptyset(&ours.sa_mask);
  auto install = [&](int signal) {
    struct sigaction current {};
    if (::sigaction(signal, nullptr, &current) != 0) return;
    if (!disposition_is_default(current) && !disposition_is_ours(current)) {
      result.left_to_app.push_back(signal);
      return;
    }
    if (::sigaction(signal, &ours, nullptr) == 0) result.installed.push_back(signal);
  };
  for (int signal : kTerminationSignals) install(signal);
  for (int signal : kCrashSignals) install(signal);
  return result;
}

std::string signal_name(int signal) {
  switch (signal) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    case SIGQUIT: return "SIGQUIT";
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGKILL: return "SIGKILL";
    default: return fmt::format("SIG{}", signal);
  }
}

}  // namespace holdup::inject
