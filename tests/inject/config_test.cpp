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
  EXPECT_EQ(c.enabled_kinds, kAllActivityKinds);
  EXPECT_EQ(c.size_cap_bytes, 0u);
  EXPECT_FALSE(c.profiler_api_range);
  EXPECT_TRUE(c.output_dir.empty());
  EXPECT_TRUE(c.dump_raw_dir.empty());
  EXPECT_TRUE(c.latency_timestamps);
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
  EXPECT_NE(warnings[0].find("using default all kinds"), std::string::npos);
  EXPECT_EQ(config.enabled_kinds, kAllActivityKinds);  // whole value rejected
}

TEST(Config, KindNames) {
  EXPECT_EQ(activity_kind_name(ActivityKind::kConcurrentKernel), "CONCURRENT_KERNEL");
  EXPECT_EQ(activity_kind_name(ActivityKind::kName), "NAME");
}

}  // namespace
}  // namespace holdup::inject
