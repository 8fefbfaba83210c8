#include "config.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace holdup::inject {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(ActivityKind::kCount)> kKindNames = {
    "CONCURRENT_KERNEL", "MEMCPY", "MEMCPY2",  "MEMSET",  "RUNTIME", "DRIVER",   "SYNCHRONIZATION",
    "CUDA_EVENT",        "STREAM", "DEVICE",   "CONTEXT", "OVERHEAD", "MARKER", "NAME"};

// "all kinds but X and Y", from kDefaultActivityKinds: the warnings name
// the default the recorder falls back to.
std::string default_kinds_text() {
  std::vector<std::string_view> off;
  for (size_t i = 0; i < kKindNames.size(); ++i)
    if ((kDefaultActivityKinds & (1u << i)) == 0) off.push_back(kKindNames[i]);
  if (off.empty()) return "all kinds";
  std::string text = "all kinds but " + std::string(off[0]);
  for (size_t i = 1; i < off.size(); ++i) text += (i + 1 == off.size() ? " and " : ", ") + std::string(off[i]);
  return text;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

class Parser {
 public:
  Parser(const EnvLookup& lookup, std::vector<std::string>* warnings) : lookup_(lookup), warnings_(warnings) {}

  // An unsigned integer in [min, max]; unset or empty keeps `value`.
  template <typename T>
  void number(const char* name, T& value, uint64_t min, uint64_t max) {
    const char* raw = lookup_(name);
    if (raw == nullptr) return;
    std::string_view text = trim(raw);
    if (text.empty()) return warn_empty(name, std::to_string(value));
    uint64_t parsed = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (ec != std::errc() || end != text.data() + text.size() || parsed < min || parsed > max) {
      warn(name, raw, fmt::format("a whole number from {} to {}", min, max), std::to_string(value));
      return;
    }
    value = static_cast<T>(parsed);
  }

  void boolean(const char* name, bool& value) {
    const char* raw = lookup_(name);
    if (raw == nullptr) return;
    std::string text = upper(trim(raw));
    if (text.empty()) return warn_empty(name, value ? "1" : "0");
    if (text == "1" || text == "TRUE" || text == "YES" || text == "ON") {
      value = true;
    } else if (text == "0" || text == "FALSE" || text == "NO" || text == "OFF") {
      value = false;
    } else {
      warn(name, raw, "0 or 1", value ? "1" : "0");
    }
  }

  void log_level(const char* name, LogLevel& value) {
    const char* raw = lookup_(name);
    if (raw == nullptr) return;
    std::string text = upper(trim(raw));
    if (text.empty()) return warn_empty(name, "warn");
    if (text == "OFF") value = LogLevel::kOff;
    else if (text == "WARN" || text == "WARNING") value = LogLevel::kWarn;
    else if (text == "INFO") value = LogLevel::kInfo;
    else if (text == "DEBUG") value = LogLevel::kDebug;
    else warn(name, raw, "one of warn, info, debug, off", "warn");
  }

  // `fallback` says what the default means, for the warning on an empty value.
  void text(const char* name, std::string& value, std::string_view fallback) {
    const char* raw = lookup_(name);
    if (raw == nullptr) return;
    if (trim(raw).empty()) return warn_empty(name, fallback);
    value = std::string(trim(raw));
  }

  // A comma list of kind names, each optionally prefixed with '-' (disable)
  // or '+' (enable), applied in order to the default set. The whole value
  // is rejected if any item is not a known kind.
  void kinds(const char* name, uint32_t& value) {
    const char* raw = lookup_(name);
    if (raw == nullptr) return;
    if (trim(raw).empty()) return warn_empty(name, default_kinds_text());
    uint32_t result = value;
    std::string_view rest = raw;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view item = trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (item.empty()) continue;
      bool enable = true;
      if (item.front() == '-' || item.front() == '+') {
        enable = item.front() == '+';
        item.remove_prefix(1);
      }
      std::string kind = upper(item);
      if (kind.rfind("CUPTI_ACTIVITY_KIND_", 0) == 0) kind.erase(0, 20);
      auto it = std::find(kKindNames.begin(), kKindNames.end(), kind);
      if (it == kKindNames.end()) {
        warn(name, raw,
             "a comma list of [+|-]KIND with KIND one of CONCURRENT_KERNEL, MEMCPY, MEMCPY2, MEMSET, RUNTIME, "
             "DRIVER, SYNCHRONIZATION, CUDA_EVENT, STREAM, DEVICE, CONTEXT, OVERHEAD, MARKER, NAME",
             default_kinds_text());
        return;
      }
      uint32_t bit = 1u << static_cast<uint32_t>(it - kKindNames.begin());
      result = enable ? (result | bit) : (result & ~bit);
    }
    value = result;
  }

 private:
  void warn(const char* name, const char* raw, std::string_view expected, std::string_view fallback) {
    warnings_->push_back(fmt::format("{}='{}' is not {}; using default {}", name, printable(raw), expected, fallback));
  }
  // The value as the warning shows it: control and non-ASCII bytes as \xNN
  // (no terminal escapes from the environment), at most 80 bytes.
  static std::string printable(std::string_view raw) {
    std::string out;
    for (size_t i = 0; i < raw.size() && i < 80; ++i) {
      const auto c = static_cast<unsigned char>(raw[i]);
      if (c >= 0x20 && c < 0x7f) out.push_back(static_cast<char>(c));
      else out += fmt::format("\\x{:02x}", c);
    }
    if (raw.size() > 80) out += "...";
    return out;
  }
  // Set but empty (or blank): most likely a template or script that meant
  // to set it; said once, like any other bad value, and the default kept.
  void warn_empty(const char* name, std::string_view fallback) {
    warnings_->push_back(fmt::format("{} is set but empty; using default {}; unset it or give a value", name,
                                     fallback));
  }

  const EnvLookup& lookup_;
  std::vector<std::string>* warnings_;
};

}  // namespace

std::string_view activity_kind_name(ActivityKind kind) {
  auto index = static_cast<size_t>(kind);
  return index < kKindNames.size() ? kKindNames[index] : std::string_view("?");
}

void limit_buffer_pool(Config& config, std::vector<std::string>* warnings) {
  const Config defaults;
  const uint64_t size = config.buffer_size_bytes;
  const uint64_t preallocated = size * config.buffer_count;
  const uint64_t most = size * std::max(config.buffer_count_max, config.buffer_count);
  if (preallocated <= kMaxPreallocatedBytes && most <= kMaxPoolBytes) return;
  // Each value was in its range, the product is not: the defaults, as far
  // as they fit under the limits with this buffer size (at least 1).
  const auto fit = [size](uint64_t limit, uint32_t wanted) {
    return static_cast<uint32_t>(std::clamp<uint64_t>(limit / size, 1, wanted));
  };
  const uint32_t count = preallocated <= kMaxPreallocatedBytes
                             ? config.buffer_count
                             : fit(kMaxPreallocatedBytes, defaults.buffer_count);
  const uint32_t count_max = std::max(count, fit(kMaxPoolBytes, defaults.buffer_count_max));
  warnings->push_back(fmt::format(
      "HOLDUP_BUFFER_COUNT={} and HOLDUP_BUFFER_COUNT_MAX={} buffers of HOLDUP_BUFFER_KB={} are {} MiB at start and "
      "up to {} MiB in all, more than holdup takes from the app ({} MiB at start, {} MiB in all); using {} and {}",
      config.buffer_count, config.buffer_count_max, size / 1024, preallocated >> 20, most >> 20,
      kMaxPreallocatedBytes >> 20, kMaxPoolBytes >> 20, count, count_max));
  config.buffer_count = count;
  config.buffer_count_max = count_max;
}

Config parse_config(const EnvLookup& lookup, std::vector<std::string>* warnings) {
  Config config;
  Parser p(lookup, warnings);
  p.text("HOLDUP_OUTPUT", config.output_dir, "the current directory");
  p.number("HOLDUP_FLUSH_MS", config.flush_period_ms, 1, 60'000);
  uint64_t buffer_kb = config.buffer_size_bytes / 1024;
  // CUPTI needs room for its largest record; 64 KiB .. 256 MiB.
  p.number("HOLDUP_BUFFER_KB", buffer_kb, 64, 256 * 1024);
  config.buffer_size_bytes = buffer_kb * 1024;
  uint64_t buffer_min_kb = std::min<uint64_t>(config.buffer_min_bytes / 1024, buffer_kb);
  p.number("HOLDUP_BUFFER_MIN_KB", buffer_min_kb, 64, buffer_kb);
  config.buffer_min_bytes = buffer_min_kb * 1024;
  p.number("HOLDUP_BUFFER_COUNT", config.buffer_count, 1, 1024);
  p.number("HOLDUP_BUFFER_COUNT_MAX", config.buffer_count_max, 1, 4096);
  limit_buffer_pool(config, warnings);
  config.buffer_count_max = std::max(config.buffer_count_max, config.buffer_count);
  p.boolean("HOLDUP_PER_THREAD_BUFFERS", config.per_thread_buffers);
  p.log_level("HOLDUP_LOG", config.log_level);
  p.kinds("HOLDUP_KINDS", config.enabled_kinds);
  p.number("HOLDUP_START_DELAY_MS", config.start_delay_ms, 0, 365ull * 24 * 3600 * 1000);
  p.number("HOLDUP_DURATION_MS", config.duration_ms, 0, 365ull * 24 * 3600 * 1000);
  uint64_t cap_mb = 0;
  p.number("HOLDUP_SIZE_CAP_MB", cap_mb, 0, 1ull << 30);
  config.size_cap_bytes = cap_mb * 1024 * 1024;
  p.boolean("HOLDUP_PROFILER_API", config.profiler_api_range);
  p.text("HOLDUP_DUMP_RAW_DIR", config.dump_raw_dir, "none (no raw dump)");
  p.boolean("HOLDUP_LATENCY_TIMESTAMPS", config.latency_timestamps);
  p.boolean("HOLDUP_EVENT_DEVICE_TIMESTAMPS", config.event_device_timestamps);
  p.boolean("HOLDUP_ALL_API_RECORDS", config.all_api_records);
  p.boolean("HOLDUP_ALL_LAUNCHES", config.all_launches);
  p.boolean("HOLDUP_EVENT_CALLS", config.event_calls);
  p.number("HOLDUP_MAX_LOSS_MS", config.max_loss_ms, 0, 3'600'000);
  p.boolean("HOLDUP_SIGNAL_FLUSH", config.signal_flush);
  return config;
}

Config config_from_environment(std::vector<std::string>* warnings) {
  return parse_config([](const char* name) { return std::getenv(name); }, warnings);
}

}  // namespace holdup::inject
