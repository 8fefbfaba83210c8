#include "watchdog.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace holdup::workload {

Watchdog::Watchdog(double seconds, std::string who, int exit_code) {
  thread_ = std::thread([this, seconds, who = std::move(who), exit_code] {
    std::unique_lock lock(mutex_);
    if (disarmed_signal_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return disarmed_; })) return;
    std::fprintf(stderr,
                 "holdup-workload: %s: watchdog: the run exceeded %.0f s ((iterations + warm-up + 2) x --timeout-s) "
                 "and is ended; something waited forever (GPU, peer process or proxy); raise --timeout-s if the "
                 "run is only slow\n",
                 who.c_str(), seconds);
    std::fflush(stderr);
    ::_exit(exit_code);
  });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    disarmed_ = true;
  }
  disarmed_signal_.notify_all();
  thread_.join();
}

}  // namespace holdup::workload
