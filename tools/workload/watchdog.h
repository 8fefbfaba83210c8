#pragma once
// Ends the process with a message if the whole run takes longer than its
// bound: the last line of defence against a hang (a stuck GPU wait, a peer
// that never answers). Uses _exit, so it is only for runs already lost.

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace holdup::workload {

class Watchdog {
 public:
  Watchdog(double seconds, std::string who, int exit_code);
  ~Watchdog();  // disarms
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable disarmed_signal_;
  bool disarmed_ = false;
  std::thread thread_;
};

}  // namespace holdup::workload
