#include "holdup/format.h"

#include <fmt/format.h>

#include "holdup/trace.pb.h"

namespace holdup {

std::string format_duration(uint64_t ns) {
  if (ns >= 1'000'000'000) return fmt::format("{:.2f} s", ns / 1e9);
  if (ns >= 10'000'000) return fmt::format("{:.1f} ms", ns / 1e6);
  if (ns >= 1'000'000) return fmt::format("{:.2f} ms", ns / 1e6);
  if (ns >= 10'000) return fmt::format("{:.0f} us", ns / 1e3);
  return fmt::format("{:.1f} us", ns / 1e3);
}

std::string format_bytes(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 30)) return fmt::format("{:.1f} GiB", bytes / double(uint64_t{1} << 30));
  if (bytes >= (uint64_t{1} << 20)) return fmt::format("{:.1f} MiB", bytes / double(uint64_t{1} << 20));
  if (bytes >= (uint64_t{1} << 10)) return fmt::format("{:.1f} KiB", bytes / double(uint64_t{1} << 10));
  return fmt::format("{} B", bytes);
}

std::string format_bytes_exact(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 30) && bytes % (uint64_t{1} << 30) == 0) return fmt::format("{} GiB", bytes >> 30);
  if (bytes >= (uint64_t{1} << 20) && bytes % (uint64_t{1} << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  if (bytes >= (uint64_t{1} << 10) && bytes % (uint64_t{1} << 10) == 0) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} B", bytes);
}

std::string channel_type_text(uint32_t type) {
  switch (type) {
    case proto::CHANNEL_TYPE_INVALID: return "";
    case proto::CHANNEL_TYPE_COMPUTE: return "COMPUTE";
    case proto::CHANNEL_TYPE_ASYNC_MEMCPY: return "ASYNC_MEMCPY";
    case proto::CHANNEL_TYPE_DECOMP: return "DECOMP";
    default: return std::to_string(type);
  }
}

}  // namespace holdup
