#pragma once
// The recorder's logger: spdlog to stderr, every line prefixed "holdup: ".
// Used at initialization and on the writer thread only, never inside CUPTI
// callbacks on the app's threads.

#include <spdlog/spdlog.h>

#include "config.h"

namespace holdup::inject {

// The logger; created on first use at level warn.
spdlog::logger& log();

void set_log_level(LogLevel level);

}  // namespace holdup::inject
