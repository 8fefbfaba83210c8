#pragma once
// The process's one recorder: start, stop at exit, forget in a forked child.
// Separate from CUPTI so the fork behaviour is tested without a GPU.

#include <string>

#include "recorder.h"

namespace holdup::inject {

// Creates and opens the recorder of this process (the caller then calls
// start()), registering the atexit and pthread_atfork handlers once per
// process. If a recorder from a parent process is present (fork, then CUDA
// initialized in the child), it is abandoned first: the child gets its own
// file. Returns null with *error on failure.
Recorder* create_process_recorder(const Config& config, ActivityControl* control, std::string* error);

// The live recorder of this process, or null (none, or a forked child).
Recorder* process_recorder();

// The same, async-signal-safe and also null when the recorder was started
// by another process (a forked child before its atfork handler ran): for
// signal handlers.
Recorder* process_recorder_if_owner();

// What the atexit handler does: stop the recorder if this process started
// it (a forked child never writes). Safe to call more than once.
void stop_process_recorder();

// Runs before the recorder stops at exit (the CUPTI layer disables its
// callbacks there). Set once at initialization.
void set_before_stop_hook(void (*hook)());

}  // namespace holdup::inject
