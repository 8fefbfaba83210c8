#include "lifecycle.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace holdup::inject {
namespace {

// Leaked on purpose: it must outlive static destructors and CUPTI threads.
std::atomic<Recorder*> g_recorder{nullptr};
std::atomic<pid_t> g_owner_pid{0};
std::atomic<bool> g_handlers_registered{false};
void (*g_before_stop)() = nullptr;

void at_exit() { stop_process_recorder(); }

void in_forked_child() {
  // The writer thread was not copied into the child: the recorder must not
  // flush, write or wait for it. The child gets its own recorder only if it
  // initializes CUDA itself (a fresh InitializeInjection).
  if (Recorder* r = g_recorder.exchange(nullptr)) r->abandon_after_fork();
}

}  // namespace

Recorder* create_process_recorder(const Config& config, ActivityControl* control, std::string* error) {
  if (Recorder* old = g_recorder.exchange(nullptr)) {
    if (g_owner_pid.load() == getpid()) {
      g_recorder.store(old);  // already recording in this process
      return old;
    }
    old->abandon_after_fork();
  }
  auto* recorder = new Recorder(config, control);
  if (!recorder->open(error)) {
    delete recorder;
    return nullptr;
  }
  if (!g_handlers_registered.exchange(true)) {
    std::atexit(at_exit);
    pthread_atfork(nullptr, nullptr, in_forked_child);
  }
  g_owner_pid.store(getpid());
  g_recorder.store(recorder);
  return recorder;
}

Recorder* process_recorder() { return g_recorder.load(std::memory_order_acquire); }

Recorder* process_recorder_if_owner() {
  Recorder* r = g_recorder.load(std::memory_order_acquire);
  if (r == nullptr || g_owner_pid.load(std::memory_order_acquire) != getpid() || r->dead()) return nullptr;
  return r;
}

void set_before_stop_hook(void (*hook)()) { g_before_stop = hook; }

void stop_process_recorder() {
  Recorder* r = g_recorder.load();
  if (r == nullptr || g_owner_pid.load() != getpid()) return;
  if (g_before_stop != nullptr) g_before_stop();
  r->stop();
}

}  // namespace holdup::inject
