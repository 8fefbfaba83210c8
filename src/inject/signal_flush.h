#pragma once
// A final flush when a signal ends the process.
//
// Rules (each tested in tests/inject/signal_flush_test.cpp):
// - Installed once recording starts, only for a signal whose disposition is
//   still SIG_DFL then (or already holdup's, in a forked child that starts
//   its own recorder): never in place of the app's handler, never for an
//   ignored signal.
// - On every delivery the handler first reads the current disposition: if
//   it is no longer holdup's handler (the app installed its own since and
//   calls ours as its "previous" one), it returns at once and does nothing.
// - Otherwise (async-signal-safe code only) it has the writer thread make a
//   final forced flush and write the final chunk, waits for that at most
//   Config::signal_wait_ms (500 ms), restores SIG_DFL and raises the signal
//   again: when the handler returns, the signal takes its default effect,
//   so the process ends exactly as it would have without holdup (a shell
//   sees 128+N).
// - A crash signal (SIGSEGV, SIGABRT, SIGBUS) is treated the same way,
//   except on the writer thread itself, where nothing could flush: there it
//   only restores the default and re-raises. The waiting is bounded, so a
//   crash that left a lock held (CUPTI's, malloc's) costs at most the wait,
//   then the trace ends where the SIGKILL bound (HOLDUP_MAX_LOSS_MS) puts it.
// - In a forked child whose recorder was abandoned, the handler behaves as
//   SIG_DFL (restore, re-raise) without flushing.
// The handler does not install an alternate stack (SA_ONSTACK only uses one
// the app set up); a stack overflow without one ends the process as before.

#include <signal.h>

#include <string>
#include <vector>

namespace holdup::inject {

// Signals whose default effect ends the process and that the writer thread
// blocks, so that a signal sent to the process lands on another thread.
inline constexpr int kTerminationSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
// Synchronous crash signals (also raised by abort()).
inline constexpr int kCrashSignals[] = {SIGSEGV, SIGABRT, SIGBUS};

// Install rule: the disposition is the default one (no handler, not
// ignored).
bool disposition_is_default(const struct sigaction& current);
// Step-aside rule: the disposition is holdup's handler.
bool disposition_is_ours(const struct sigaction& current);

struct SignalInstall {
  // Signals holdup's handler was installed for.
  std::vector<int> installed;
  // Signals left alone: the app's handler or SIG_IGN was there.
  std::vector<int> left_to_app;
};

// Installs holdup's handler for every termination and crash signal whose
// disposition is the default (or already holdup's). The handler acts on
// process_recorder() (lifecycle.h). Call once recording starts.
SignalInstall install_final_flush_handlers();

// "SIGTERM", "SIGSEGV", ... ("SIG<n>" for others).
std::string signal_name(int signal);

}  // namespace holdup::inject
