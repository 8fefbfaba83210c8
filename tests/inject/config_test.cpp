#include "config.h"

#include <map>

#include <gtest/gtest.h>

namespace holdup::inject {
namespace {

Config parse(const std::map<std::string, std::string>& env, std::vector<std::string>* warnings) {
  return parse_config(
      [&env](const char* name) -> const char* {
        auto it = env.find(name);
        return it == env.end() ? nullptr : it->second.c_str();
      },
      warnings);
}

TEST(Config, DefaultsWhenUnset) {
  std::vector<std::string> warnings;
  Config c = parse({}, &warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(c.flush_period_ms, 100u);
  EXPECT_EQ(c.buffer_size_bytes, 4096u * 1024);
  EXPECT_EQ(c.buffer_count, 8u);
  EXPECT_EQ(c.buffer_count_max, 64u);
  EXPECT_FALSE(c.per_thread_buffers);
  EXPECT_EQ(c.log_level, LogLevel::kWarn);
  EXPECT_EQ(c.enabled_kinds,
            kAllActivityKinds & ~kind_bit(ActivityKind::kSynchronization) & ~kind_bit(ActivityKind::kCudaEvent))
      << "SYNCHRONIZATION and CUDA_EVENT off: event records and stream waits come from the event-call callbacks "
         "(issue 12)";
  EXPECT_TRUE(c.event_calls);
  EXPECT_EQ(c.size_cap_bytes, 0u);
  EXPECT_FALSE(c.profiler_api_range);
  EXPECT_TRUE(c.output_dir.empty());
  EXPECT_TRUE(c.dump_raw_dir.empty());
  EXPECT_FALSE(c.latency_timestamps) << "the largest single CUPTI cost on the H200 (issue 12)";
  EXPECT_FALSE(c.event_device_timestamps) << "stalled event-heavy apps on the H100";
  EXPECT_EQ(c.max_loss_ms, 1000u);
  EXPECT_TRUE(c.signal_flush);
  EXPECT_EQ(c.signal_wait_ms, 500u);
}

TEST(Config, ValidValues) {
  std::vector<std::string> warnings;
  Config c = parse({{"HOLDUP_OUTPUT", "/tmp/x"},
                    {"HOLDUP_FLUSH_MS", "250"},
                    {"HOLDUP_BUFFER_KB", "1024"},
                    {"HOLDUP_BUFFER_COUNT", "4"},
                    {"HOLDUP_PER_THREAD_BUFFERS", "1"},
                    {"HOLDUP_LOG", "debug"},
                    {"HOLDUP_KINDS", "-MARKER,-name, +MARKER"},
                    {"HOLDUP_START_DELAY_MS", "5"},
                    {"HOLDUP_DURATION_MS", "1000"},
                    {"HOLDUP_SIZE_CAP_MB", "2"},
                    {"HOLDUP_PROFILER_API", "1"},
                    {"HOLDUP_DUMP_RAW_DIR", "/tmp/raw"},
                    {"HOLDUP_LATENCY_TIMESTAMPS", "0"},
                    {"HOLDUP_EVENT_DEVICE_TIMESTAMPS", "1"},
                    {"HOLDUP_MAX_LOSS_MS", "250"},
                    {"HOLDUP_SIGNAL_FLUSH", "0"}},
                   &warnings);
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  EXPECT_EQ(c.output_dir, "/tmp/x");
  EXPECT_EQ(c.flush_period_ms, 250u);
  EXPECT_EQ(c.buffer_size_bytes, 1024u * 1024);
  EXPECT_EQ(c.buffer_count, 4u);
  EXPECT_TRUE(c.per_thread_buffers);
  EXPECT_EQ(c.log_level, LogLevel::kDebug);
  EXPECT_TRUE(c.kind_enabled(ActivityKind::kMarker));
  EXPECT_FALSE(c.kind_enabled(ActivityKind::kName));
  EXPECT_TRUE(c.kind_enabled(ActivityKind::kConcurrentKernel));
  EXPECT_EQ(c.start_delay_ms, 5u);
  EXPECT_EQ(c.duration_ms, 1000u);
  EXPECT_EQ(c.size_cap_bytes, 2u * 1024 * 1024);
  EXPECT_TRUE(c.profiler_api_range);
  EXPECT_EQ(c.dump_raw_dir, "/tmp/raw");
  EXPECT_FALSE(c.latency_timestamps);
  EXPECT_TRUE(c.event_device_timestamps);
  EXPECT_EQ(c.max_loss_ms, 250u);
  EXPECT_FALSE(c.signal_flush);
}

TEST(Config, EachBadValueGivesOneWarningAndTheDefault) {
  struct Case {
    const char* name;
    const char* value;
    const char* expected;
  };
  const Case cases[] = {
      {"HOLDUP_FLUSH_MS", "soon", "HOLDUP_FLUSH_MS='soon' is not a whole number from 1 to 60000; using default 100"},
      {"HOLDUP_FLUSH_MS", "0", "HOLDUP_FLUSH_MS='0' is not a whole number from 1 to 60000; using default 100"},
      {"HOLDUP_BUFFER_KB", "12x", "HOLDUP_BUFFER_KB='12x' is not a whole number from 64 to 262144; using default 4096"},
      {"HOLDUP_BUFFER_COUNT", "-3", "HOLDUP_BUFFER_COUNT='-3' is not a whole number from 1 to 1024; using default 8"},
      {"HOLDUP_PER_THREAD_BUFFERS", "maybe", "HOLDUP_PER_THREAD_BUFFERS='maybe' is not 0 or 1; using default 0"},
      {"HOLDUP_LOG", "loud", "HOLDUP_LOG='loud' is not one of warn, info, debug, off; using default warn"},
      {"HOLDUP_SIZE_CAP_MB", "1e3", "HOLDUP_SIZE_CAP_MB='1e3' is not a whole number from 0 to 1073741824; using default 0"},
      {"HOLDUP_MAX_LOSS_MS", "1s", "HOLDUP_MAX_LOSS_MS='1s' is not a whole number from 0 to 3600000; using default 1000"},
      {"HOLDUP_SIGNAL_FLUSH", "yes please",
       "HOLDUP_SIGNAL_FLUSH='yes please' is not 0 or 1; using default 1"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> warnings;
    Config config = parse({{c.name, c.value}}, &warnings);
    ASSERT_EQ(warnings.size(), 1u) << c.name;
    EXPECT_EQ(warnings[0], c.expected);
    EXPECT_EQ(config.flush_period_ms, 100u);
    EXPECT_EQ(config.buffer_size_bytes, 4096u * 1024);
  }
  std::vector<std::string> warnings;
  Config config = parse({{"HOLDUP_KINDS", "-MARKER,-BOGUS"}}, &warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("HOLDUP_KINDS='-MARKER,-BOGUS' is not a comma list"), std::string::npos);
  EXPECT_NE(warnings[0].find("using default all kinds but SYNCHRONIZATION and CUDA_EVENT"), std::string::npos);
  EXPECT_EQ(config.enabled_kinds, kDefaultActivityKinds);  // whole value rejected
}

// Every variable set but empty (or blank): one warning each, the default.
TEST(Config, EmptyValuesGiveOneWarningAndTheDefault) {
  const char* names[] = {"HOLDUP_OUTPUT",          "HOLDUP_FLUSH_MS",         "HOLDUP_BUFFER_KB",
                         "HOLDUP_BUFFER_COUNT",    "HOLDUP_BUFFER_COUNT_MAX", "HOLDUP_PER_THREAD_BUFFERS",
                         "HOLDUP_LOG",             "HOLDUP_KINDS",            "HOLDUP_START_DELAY_MS",
                         "HOLDUP_DURATION_MS",     "HOLDUP_SIZE_CAP_MB",      "HOLDUP_PROFILER_API",
                         "HOLDUP_DUMP_RAW_DIR",    "HOLDUP_LATENCY_TIMESTAMPS", "HOLDUP_EVENT_DEVICE_TIMESTAMPS",
                         "HOLDUP_MAX_LOSS_MS",     "HOLDUP_SIGNAL_FLUSH"};
  const Config defaults;
  for (const char* value : {"", "  \t"}) {
    for (const char* name : names) {
      std::vector<std::string> warnings;
      Config c = parse({{name, value}}, &warnings);
      ASSERT_EQ(warnings.size(), 1u) << name;
      EXPECT_EQ(warnings[0].rfind(std::string(name) + " is set but empty; using default ", 0), 0u) << warnings[0];
      EXPECT_EQ(c.output_dir, defaults.output_dir) << name;
      EXPECT_EQ(c.dump_raw_dir, defaults.dump_raw_dir) << name;
      EXPECT_EQ(c.flush_period_ms, defaults.flush_period_ms) << name;
      EXPECT_EQ(c.buffer_size_bytes, defaults.buffer_size_bytes) << name;
      EXPECT_EQ(c.buffer_count, defaults.buffer_count) << name;
      EXPECT_EQ(c.buffer_count_max, defaults.buffer_count_max) << name;
      EXPECT_EQ(c.log_level, defaults.log_level) << name;
      EXPECT_EQ(c.enabled_kinds, defaults.enabled_kinds) << name;
      EXPECT_EQ(c.signal_flush, defaults.signal_flush) << name;
      EXPECT_EQ(c.latency_timestamps, defaults.latency_timestamps) << name;
    }
  }
  std::vector<std::string> warnings;
  parse({{"HOLDUP_FLUSH_MS", ""}}, &warnings);
  EXPECT_EQ(warnings[0], "HOLDUP_FLUSH_MS is set but empty; using default 100; unset it or give a value");
}

// Huge, negative, overflowing and binary values: one warning, the default,
// and never an allocation of that size.
TEST(Config, HugeNegativeAndGarbageValuesGiveOneWarningAndTheDefault) {
  struct Case {
    const char* name;
    const char* value;
  };
  const Case cases[] = {
      {"HOLDUP_BUFFER_COUNT", "1000000000"},              // 10^9 buffers
      {"HOLDUP_BUFFER_KB", "1000000000000"},              // 10^15 bytes
      {"HOLDUP_BUFFER_COUNT_MAX", "4294967296"},          // 2^32: would wrap a uint32
      {"HOLDUP_BUFFER_COUNT", "-1"},
      {"HOLDUP_BUFFER_KB", "-4096"},
      {"HOLDUP_FLUSH_MS", "99999999999999999999999999"},  // past uint64
      {"HOLDUP_SIZE_CAP_MB", "18446744073709551615"},     // 2^64-1 MiB would overflow bytes
      {"HOLDUP_MAX_LOSS_MS", "-0"},
      {"HOLDUP_START_DELAY_MS", "1e9"},
      {"HOLDUP_DURATION_MS", "0x10"},
      {"HOLDUP_BUFFER_COUNT", "8 buffers"},
      {"HOLDUP_BUFFER_COUNT", "\xff\xfe\x01"},
      {"HOLDUP_LOG", "\x1b[31mred"},
      {"HOLDUP_KINDS", "KERNEL;MEMCPY"},
      {"HOLDUP_PROFILER_API", "2"},
  };
  const Config defaults;
  for (const Case& c : cases) {
    std::vector<std::string> warnings;
    Config config = parse({{c.name, c.value}}, &warnings);
    ASSERT_EQ(warnings.size(), 1u) << c.name << "=" << c.value;
    EXPECT_EQ(warnings[0].rfind(std::string(c.name) + "='", 0), 0u) << warnings[0];
    EXPECT_NE(warnings[0].find("; using default "), std::string::npos) << warnings[0];
    EXPECT_EQ(config.buffer_count, defaults.buffer_count);
    EXPECT_EQ(config.buffer_count_max, defaults.buffer_count_max);
    EXPECT_EQ(config.buffer_size_bytes, defaults.buffer_size_bytes);
    EXPECT_EQ(config.flush_period_ms, defaults.flush_period_ms);
    EXPECT_EQ(config.size_cap_bytes, defaults.size_cap_bytes);
    EXPECT_EQ(config.max_loss_ms, defaults.max_loss_ms);
    EXPECT_EQ(config.enabled_kinds, defaults.enabled_kinds);
    EXPECT_EQ(config.log_level, defaults.log_level);
  }
}

// A warning echoes the value, never a terminal escape from it.
TEST(Config, WarningsShowControlBytesEscaped) {
  std::vector<std::string> warnings;
  parse({{"HOLDUP_LOG", "\x1b[31mred"}}, &warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "HOLDUP_LOG='\\x1b[31mred' is not one of warn, info, debug, off; using default warn");
  warnings.clear();
  parse({{"HOLDUP_FLUSH_MS", std::string(500, '9')}}, &warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_LT(warnings[0].size(), 200u) << "a long value is cut";
}

// Values each in range whose product is not: the pool's memory is bounded
// (kMaxPreallocatedBytes at start, kMaxPoolBytes in all), one warning.
TEST(Config, TheBufferPoolNeverTakesMoreThanItsLimits) {
  struct Case {
    std::map<std::string, std::string> env;
    uint32_t count, count_max;
  };
  const Case cases[] = {
      {{{"HOLDUP_BUFFER_COUNT", "1024"}}, 8, 64},                           // 4 GiB at start
      {{{"HOLDUP_BUFFER_KB", "262144"}}, 1, 8},                             // 8 x 256 MiB
      {{{"HOLDUP_BUFFER_COUNT_MAX", "4096"}}, 8, 64},                       // 16 GiB in all
      {{{"HOLDUP_BUFFER_KB", "65536"}, {"HOLDUP_BUFFER_COUNT", "8"}}, 4, 32},  // 512 MiB at start
  };
  for (const Case& c : cases) {
    std::vector<std::string> warnings;
    Config config = parse(c.env, &warnings);
    ASSERT_EQ(warnings.size(), 1u) << c.env.begin()->first;
    EXPECT_NE(warnings[0].find("more than holdup takes from the app (256 MiB at start, 2048 MiB in all)"),
              std::string::npos)
        << warnings[0];
    EXPECT_EQ(config.buffer_count, c.count) << warnings[0];
    EXPECT_EQ(config.buffer_count_max, c.count_max) << warnings[0];
  }
  // Whatever the values, the limits hold and each variable warns at most once.
  for (const char* kb : {"64", "4096", "65536", "262144"})
    for (const char* count : {"1", "8", "64", "1024"})
      for (const char* count_max : {"1", "64", "4096"}) {
        std::vector<std::string> warnings;
        Config config = parse(
            {{"HOLDUP_BUFFER_KB", kb}, {"HOLDUP_BUFFER_COUNT", count}, {"HOLDUP_BUFFER_COUNT_MAX", count_max}},
            &warnings);
        EXPECT_LE(warnings.size(), 1u) << kb << " " << count << " " << count_max;
        EXPECT_LE(config.buffer_size_bytes * config.buffer_count, kMaxPreallocatedBytes);
        EXPECT_LE(config.buffer_size_bytes * config.buffer_count_max, kMaxPoolBytes);
        EXPECT_GE(config.buffer_count, 1u);
        EXPECT_GE(config.buffer_count_max, config.buffer_count);
      }
  // The defaults and ordinary settings are left alone.
  std::vector<std::string> warnings;
  Config config = parse({{"HOLDUP_BUFFER_KB", "16384"}, {"HOLDUP_BUFFER_COUNT", "16"}}, &warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(config.buffer_count, 16u);
  EXPECT_EQ(config.buffer_count_max, 64u);
}

TEST(Config, KindNames) {
  EXPECT_EQ(activity_kind_name(ActivityKind::kConcurrentKernel), "CONCURRENT_KERNEL");
  EXPECT_EQ(activity_kind_name(ActivityKind::kName), "NAME");
}

}  // namespace
}  // namespace holdup::inject
