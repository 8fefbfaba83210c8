#include "log.h"

#include <spdlog/sinks/stdout_sinks.h>

namespace holdup::inject {

spdlog::logger& log() {
  // Not registered in spdlog's global registry: the app may use spdlog too.
  static auto* logger = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto* l = new spdlog::logger("holdup", std::move(sink));  // never destroyed: used from atexit
    l->set_pattern("holdup: %v");
    l->set_level(spdlog::level::warn);
    l->flush_on(spdlog::level::trace);
    return l;
  }();
  return *logger;
}

void set_log_level(LogLevel level) {
  switch (level) {
    case LogLevel::kOff: log().set_level(spdlog::level::off); break;
    case LogLevel::kWarn: log().set_level(spdlog::level::warn); break;
    case LogLevel::kInfo: log().set_level(spdlog::level::info); break;
    case LogLevel::kDebug: log().set_level(spdlog::level::debug); break;
  }
}

}  // namespace holdup::inject
