#pragma once
// Chunk 0's ProcessHeader: who this process is and what it ran with.
// Collected and encoded on the writer thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chunk_builder.h"
#include "config.h"

namespace holdup::inject {

struct DeviceIdentityInfo {
  uint32_t ordinal = 0;
  std::string uuid;
  std::string pci_bus_id;
  std::string name;
};

struct ProcessHeaderInfo {
  std::string hostname;
  uint32_t pid = 0;
  uint32_t parent_pid = 0;
  std::vector<std::string> command_line;
  std::vector<std::pair<std::string, std::string>> rank_env;
  std::vector<std::pair<std::string, std::string>> scheduling_env;
  uint64_t start_time_unix_ns = 0;
  std::string cupti_clock = "cupti-default";
  uint32_t cuda_driver_version = 0;
  uint32_t cuda_runtime_version = 0;
  uint32_t cupti_api_version = 0;
  uint32_t cupti_build_api_version = 0;
  std::vector<DeviceIdentityInfo> devices;
  Config config;
  std::vector<std::string> enabled_kinds;
  // Signals holdup's final-flush handler was installed for ("SIGTERM", ...).
  std::vector<std::string> final_flush_signals;
  // What the settings left out (RecorderConfig.not_recorded codes).
  std::vector<std::string> not_recorded;
  // The event-call callbacks are on (RecorderConfig.event_calls).
  bool event_calls = false;
  std::string driver_version_string;
};

// Host name, pids, command line, environment, driver version string: no
// CUDA calls.
ProcessHeaderInfo collect_process_info(const Config& config);

// cuDriverGetVersion, cudaRuntimeGetVersion and every device's identity,
// through libraries the app already loaded (dlopen RTLD_NOLOAD), so
// libholdup.so has no NEEDED entry for libcuda or libcudart. Retries for up
// to `wait_ms` while the driver is still initializing. Returns false and
// sets *why if the devices could not be listed.
bool collect_cuda_info(ProcessHeaderInfo* info, uint32_t wait_ms, std::string* why);

// The host name used in trace file names ("holdup-<host>-<pid>.trace").
std::string host_name();

// The driver version in /proc/driver/nvidia/version's text ("580.159.04"),
// or "" when none is found.
std::string driver_version_from_text(std::string_view text);

void encode_process_header(ChunkBuilder& chunk, const ProcessHeaderInfo& info);

}  // namespace holdup::inject
