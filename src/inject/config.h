#pragma once
// The recorder's settings, read from HOLDUP_* environment variables.
//
// Parsing is separate from the environment (a lookup function is passed in)
// so it is unit-tested without touching the process environment. Every bad
// value yields exactly one warning text and the default; the caller logs the
// warnings once logging is set up.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace holdup::inject {

enum class LogLevel : uint8_t { kOff, kWarn, kInfo, kDebug };

// The CUPTI activity kinds the recorder can enable, in a fixed order (bit
// positions of Config::enabled_kinds).
enum class ActivityKind : uint8_t {
  kConcurrentKernel,
  kMemcpy,
  kMemcpy2,
  kMemset,
  kRuntime,
  kDriver,
  kSynchronization,
  kCudaEvent,
  kStream,
  kDevice,
  kContext,
  kOverhead,
  kMarker,
  kName,
  kCount
};

// CUPTI's name of the kind without the CUPTI_ACTIVITY_KIND_ prefix.
std::string_view activity_kind_name(ActivityKind kind);

constexpr uint32_t kind_bit(ActivityKind kind) { return 1u << static_cast<uint32_t>(kind); }
constexpr uint32_t kAllActivityKinds = (1u << static_cast<uint32_t>(ActivityKind::kCount)) - 1;
// Every kind but SYNCHRONIZATION and CUDA_EVENT (issue 12): the analysis
// reads of them only which stream waited for which event and which stream
// recorded it, and the event-call callbacks record exactly that
// (Config::event_calls). Each cost a PyTorch training loop on the H200
// several % of a step with no record of it written (SYNCHRONIZATION up to
// 2 %, CUDA_EVENT about 5 %: bench/RESULTS.md). HOLDUP_KINDS=+CUDA_EVENT,
// +SYNCHRONIZATION turns them back on.
constexpr uint32_t kDefaultActivityKinds =
    kAllActivityKinds & ~kind_bit(ActivityKind::kSynchronization) & ~kind_bit(ActivityKind::kCudaEvent);

struct Config {
  // Directory of the trace file; empty means the current directory.
  std::string output_dir;
  uint32_t flush_period_ms = 100;
  uint64_t buffer_size_bytes = 4096ull * 1024;
  // HOLDUP_BUFFER_MIN_KB: buffers handed to CUPTI are sized by the record
  // rate between this and buffer_size_bytes (buffer_sizing.h); equal to it:
  // every buffer buffer_size_bytes, as before.
  uint64_t buffer_min_bytes = 64ull * 1024;
  // Buffers preallocated (and zeroed) at start-up...
  uint32_t buffer_count = 8;
  // ...and the most the pool may grow to before requests are denied.
  uint32_t buffer_count_max = 64;
  // CUPTI_ACTIVITY_ATTR_PER_THREAD_ACTIVITY_BUFFER. Off by default: with it
  // on, every new app thread makes CUPTI request a buffer on that thread.
  bool per_thread_buffers = false;
  LogLevel log_level = LogLevel::kWarn;
  uint32_t enabled_kinds = kDefaultActivityKinds;
  uint64_t start_delay_ms = 0;
  // 0: until the process ends.
  uint64_t duration_ms = 0;
  // 0: no cap.
  uint64_t size_cap_bytes = 0;
  // Record only between cudaProfilerStart and cudaProfilerStop.
  bool profiler_api_range = false;
  // Debug: append every completed CUPTI buffer to a raw dump in this dir.
  std::string dump_raw_dir;
  // cuptiActivityEnableLatencyTimestamps (kernel queued/submitted). Off by
  // default since issue 12: on the H200 it was the largest single cost of
  // the CUPTI set-up (launch bench: the minimal floor +57 % alone, +78 %
  // with it; holdup +79 % with it, +68 % without), and no cause reads it
  // (only the exports show queued/submitted). The trace header says it is
  // missing (RecorderConfig.not_recorded "kernel:latency-timestamps").
  bool latency_timestamps = false;
  // cuptiActivityEnableCudaEventDeviceTimestamps (when an event fired on
  // the GPU). Off by default: on the H100 (CUDA 13.0, driver 580.159.04)
  // an app recording ~600k events/s from 4 threads stalled for good after
  // 1-3 s with it on, under holdup and under a bare CUPTI injection alike,
  // and ran normally with it off (scripts/launch-stall.sh). Without it the
  // analysis takes an event as fired when the work before it on its stream
  // ended.
  bool event_device_timestamps = false;
  // API activity records of every call, the queries in quiet_apis.h too
  // (cudaGetDevice, cudaGetLastError, cuGetProcAddress, ...). Off by
  // default: no cause, export or report reads them, and they were 54 % of
  // the records of the fixtures (bench/RESULTS.md, issue 12). The trace
  // header lists what was left out (RecorderConfig.not_recorded).
  bool all_api_records = false;
  // A Launch record for every kernel launch. Off by default: only a
  // function's first launch is written (the analysis reads only those);
  // later launches are counted, for the takeover check, on the app's thread
  // with no clock read, no thread id and no queue.
  bool all_launches = false;
  // Callbacks on the calls that record a CUDA event or make a stream wait
  // for one (cbids in cupti_tables.h): an EventCall each, from which the
  // analysis knows which stream waited for which event. On by default: a
  // handful of calls per step in real programs, and they replace the
  // SYNCHRONIZATION and CUDA_EVENT kinds' cost.
  bool event_calls = true;
  // The most recording time a SIGKILL may lose: when no activity buffer
  // has come back from CUPTI for about this long while CUPTI holds one of
  // ours, the writer forces one back (cuptiActivityFlushAll(FLUSH_FORCED)),
  // cutting the records still in flight in it (counted incomplete). CUPTI's
  // normal flush returns only buffers whose records are all complete, which
  // on a busy GPU never happens to the buffer being filled. 0: never forced
  // while running (the final flush at exit still is).
  uint32_t max_loss_ms = 1000;
  // On SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGSEGV, SIGABRT and SIGBUS whose
  // disposition is still the default when recording starts: a handler that
  // has the writer make a final flush, then lets the signal take its
  // default effect (signal_flush.h).
  bool signal_flush = true;
  // How long that handler waits for the final flush (at most 500 ms).
  uint32_t signal_wait_ms = 500;

  bool kind_enabled(ActivityKind kind) const { return (enabled_kinds & kind_bit(kind)) != 0; }
};

// The most memory the activity buffer pool may take: zeroed and faulted in
// at start-up (on the thread that initializes CUDA), and in all as it grows.
// The defaults are 32 MiB and 256 MiB; values past these limits are cut
// back with one warning (a buffer count of 10^9 must not become an
// allocation).
constexpr uint64_t kMaxPreallocatedBytes = 256ull << 20;
constexpr uint64_t kMaxPoolBytes = 2048ull << 20;

// Keeps buffer_count and buffer_count_max within those limits for
// buffer_size_bytes: one warning and the defaults (as many as fit) if not.
void limit_buffer_pool(Config& config, std::vector<std::string>* warnings);

// Returns the value of an environment variable, or nullptr when unset.
using EnvLookup = std::function<const char*(const char* name)>;

// Reads every HOLDUP_* setting through `lookup`. Each invalid value appends
// one message to *warnings ("HOLDUP_X='bad' is not ...; using default N")
// and keeps the default.
Config parse_config(const EnvLookup& lookup, std::vector<std::string>* warnings);

// The process environment.
Config config_from_environment(std::vector<std::string>* warnings);

}  // namespace holdup::inject
