// libholdup_floor.so: the cost of CUPTI itself, with exactly holdup's CUPTI
// set-up, and nothing of holdup's own work.
//
// Same as libholdup.so (src/inject/callbacks.cpp, initialize()):
//   - settings from the same HOLDUP_* variables through holdup's own
//     config_from_environment() (buffer size and count, per-thread buffers,
//     flush period, kinds);
//   - cuptiSubscribe, thread id type SYSTEM, ZEROED_OUT_ACTIVITY_BUFFER = 1,
//     PER_THREAD_ACTIVITY_BUFFER as configured, the buffer callbacks,
//     latency timestamps, CUDA event device timestamps, the RESOURCE domain,
//     the six kernel launch driver callbacks, the three runtime callbacks and
//     the event-call callbacks (Config::event_calls),
//     then the same activity kinds (holdup's table, cupti_tables.h) and,
//     unless HOLDUP_ALL_API_RECORDS=1, the same calls' API records left out
//     (quiet_apis.h);
//   - buffers from holdup's BufferPool (preallocated, zeroed, mmap'd);
//   - cuptiActivityFlushAll(0) every flush period from a thread of its own,
//     FLUSH_FORCED at exit.
// Different: the API/resource callback returns at once (holdup looks a
// launched function up in its set of seen ones, and for a first launch or a
// resource event reads the clock and the thread id and posts an event),
// and completed buffers are
// zeroed and returned to the pool without being decoded or written.
//
// HOLDUP_FLOOR_SET chooses the CUPTI set-up (issue 12):
//   holdup (default)  holdup's own, from its settings as above (its lean
//                     API record selection included);
//   minimal           the least CUPTI that still yields kernel, memcpy and
//                     memset records with their API calls: CONCURRENT_KERNEL,
//                     MEMCPY, MEMSET, RUNTIME; no callbacks, no latency or
//                     event timestamps;
//   full              every kind, every callback, latency timestamps, every
//                     API call's record (holdup before issue 12);
//   none              CUPTI subscribed, no kind, no callback;
//   detached          CUPTI detached from the process (cuptiFinalize, at the
//                     exit of a driver call as CUPTI recommends) and attached
//                     again, with holdup's attributes and callbacks, when the
//                     next set is selected: in a sweep, the app alone inside
//                     the process (overhead.py's over_minimal_in_process);
//                     `none` is not that, attaching CUPTI costs by itself;
//                     only where the app is quiescent at the switch
//                     (torch_train.py synchronizes first; the launch bench
//                     launches through its switches and refuses it);
// each optionally followed by +TOKEN / -TOKEN: an activity kind name
// (DRIVER, SYNCHRONIZATION, CUDA_EVENT, OVERHEAD, MEMCPY2, STREAM, DEVICE,
// CONTEXT, MARKER, NAME, ...), cb_resource, cb_launch, cb_runtime, cb_event
// (holdup's four callback sets; cb_event: event records and stream waits), latency (kernel queued/submitted timestamps) or
// quiet_api (the per-call API records holdup leaves out, quiet_apis.h); '+'
// and '-' separate tokens, so no token has either in its name.
// E.g. "minimal+CUDA_EVENT", "holdup-latency", "minimal+cb_launch". Buffer settings (size,
// count, per-thread buffers) and the flush period always come from the
// HOLDUP_* settings.
//
// holdup_floor_select(spec) (exported) switches a running process to
// another set, for in-process sweeps (bench/torch_train.py --floor-sweep):
// kinds, callbacks and API records switch; latency timestamps cannot (CUPTI
// reads them before CUDA starts): it returns -1 if the spec differs there,
// -2 on a bad spec, -3 when CUPTI would not detach or attach again, else 0.
// The caller synchronizes its CUDA work before selecting `detached`.
//
// At exit it prints one line on stderr and, if HOLDUP_FLOOR_REPORT names a
// file, the same counters as JSON there.

#include <cupti.h>
#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api_names.h"
#include "buffer_pool.h"
#include "config.h"
#include "cupti_tables.h"

namespace holdup::bench {
namespace {

using inject::BufferPool;
using inject::Config;
using inject::ActivityKind;

using inject::kCuptiKinds;
using inject::kLaunchCbids;
using inject::kRuntimeCbids;

// One CUPTI set-up (see the top of the file).
struct FloorSet {
  uint32_t kinds = 0;  // ActivityKind bits
  bool cb_resource = false;
  bool cb_launch = false;
  bool cb_runtime = false;
  bool cb_event = false;
  bool latency = false;
  bool quiet_api = false;  // leave out the quiet calls' API records
  bool detached = false;   // CUPTI finalized: nothing of it left in the process
  bool operator==(const FloorSet&) const = default;
};

constexpr uint32_t kMinimalKinds = inject::kind_bit(ActivityKind::kConcurrentKernel) |
                                   inject::kind_bit(ActivityKind::kMemcpy) |
                                   inject::kind_bit(ActivityKind::kMemset) | inject::kind_bit(ActivityKind::kRuntime);

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return out;
}

// False on a bad spec.
bool parse_set(std::string_view spec, const Config& config, FloorSet* out) {
  size_t end = spec.find_first_of("+-");
  const std::string base = upper(spec.substr(0, end));
  FloorSet set;
  if (base.empty() || base == "HOLDUP") {
    set = {config.enabled_kinds, true, true, true, config.event_calls, config.latency_timestamps, !config.all_api_records};
  } else if (base == "MINIMAL") {
    set = {kMinimalKinds, false, false, false, false, false, false};
  } else if (base == "NONE") {
    set = {};
  } else if (base == "DETACHED") {
    set = {};
    set.detached = true;
  } else if (base == "FULL") {
    set = {inject::kAllActivityKinds, true, true, true, true, true, false};
  } else {
    return false;
  }
  while (end != std::string_view::npos) {
    const bool add = spec[end] == '+';
    const size_t next = spec.find_first_of("+-", end + 1);
    const std::string token = upper(spec.substr(end + 1, next == std::string_view::npos ? next : next - end - 1));
    end = next;
    if (token == "CB_RESOURCE") set.cb_resource = add;
    else if (token == "CB_LAUNCH") set.cb_launch = add;
    else if (token == "CB_RUNTIME") set.cb_runtime = add;
    else if (token == "CB_EVENT") set.cb_event = add;
    else if (token == "LATENCY") set.latency = add;
    else if (token == "QUIET_API") set.quiet_api = add;
    else {
      bool found = false;
      for (size_t i = 0; i < kCuptiKinds.size(); ++i) {
        if (token != inject::activity_kind_name(static_cast<ActivityKind>(i))) continue;
        const uint32_t bit = 1u << i;
        set.kinds = add ? (set.kinds | bit) : (set.kinds & ~bit);
        found = true;
      }
      if (!found) return false;
    }
  }
  if (set.detached && set != FloorSet{.detached = true}) return false;  // nothing can be on without CUPTI
  *out = set;
  return true;
}

// Everything is leaked on purpose: it must outlive atexit and CUPTI threads.
struct Floor {
  explicit Floor(const Config& c)
      : config(c), pool(c.buffer_size_bytes, c.buffer_count, c.buffer_count_max) {
    completed.reserve(c.buffer_count_max * 2 + 16);
    draining.reserve(c.buffer_count_max * 2 + 16);
  }
  const Config config;
  BufferPool pool;
  CUpti_SubscriberHandle subscriber = nullptr;

  std::mutex mutex;
  std::condition_variable wake;
  std::vector<uint8_t*> completed;  // guarded by mutex
  std::vector<uint8_t*> draining;   // flush thread only
  bool stop = false;                // guarded by mutex
  std::thread flusher;

  std::atomic<uint64_t> buffers_requested{0};
  std::atomic<uint64_t> buffers_denied{0};
  std::atomic<uint64_t> buffers_completed{0};
  std::atomic<uint64_t> bytes_completed{0};
  std::atomic<uint64_t> failed_calls{0};
  std::array<std::atomic<CUcontext>, 64> contexts{};

  std::mutex select_mutex;  // holdup_floor_select; the flusher's CUPTI calls
  FloorSet active;           // guarded by select_mutex after start-up
  std::atomic<bool> finalize_requested{false};  // detach(): finalize at the next exit of cuCtxGetCurrent
  std::atomic<bool> finalized{false};
  std::vector<uint32_t> quiet_runtime = inject::quiet_api_cbids(inject::ApiDomain::kRuntime);
  std::vector<uint32_t> quiet_driver = inject::quiet_api_cbids(inject::ApiDomain::kDriver);
};

Floor* g_floor = nullptr;

void CUPTIAPI on_buffer_requested(uint8_t** buffer, size_t* size, size_t* max_records) noexcept {
  *max_records = 0;
  uint8_t* b = g_floor->pool.acquire();
  g_floor->buffers_requested.fetch_add(1, std::memory_order_relaxed);
  if (b == nullptr) g_floor->buffers_denied.fetch_add(1, std::memory_order_relaxed);
  *buffer = b;
  *size = b != nullptr ? g_floor->pool.buffer_size() : 0;
}

void CUPTIAPI on_buffer_completed(CUcontext, uint32_t, uint8_t* buffer, size_t, size_t valid_bytes) noexcept {
  if (buffer == nullptr) return;
  g_floor->buffers_completed.fetch_add(1, std::memory_order_relaxed);
  g_floor->bytes_completed.fetch_add(valid_bytes, std::memory_order_relaxed);
  // Zeroing happens on the flush thread, as holdup does on its writer.
  std::lock_guard lock(g_floor->mutex);
  g_floor->completed.push_back(buffer);
}

// The CUPTI call itself is the floor; only contexts are noted, for the
// dropped-record count at exit, and a requested detach is done.
void CUPTIAPI on_callback(void*, CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* data) noexcept {
  if (domain == CUPTI_CB_DOMAIN_DRIVER_API && cbid == CUPTI_DRIVER_TRACE_CBID_cuCtxGetCurrent && data != nullptr &&
      static_cast<const CUpti_CallbackData*>(data)->callbackSite == CUPTI_API_EXIT &&
      g_floor->finalize_requested.exchange(false)) {
    if (cuptiFinalize() == CUPTI_SUCCESS) g_floor->finalized.store(true);
    return;
  }
  if (domain != CUPTI_CB_DOMAIN_RESOURCE || data == nullptr) return;
  const auto* rd = static_cast<const CUpti_ResourceData*>(data);
  if (cbid == CUPTI_CBID_RESOURCE_CONTEXT_CREATED) {
    for (auto& slot : g_floor->contexts) {
      CUcontext expected = nullptr;
      if (slot.compare_exchange_strong(expected, rd->context)) return;
    }
  } else if (cbid == CUPTI_CBID_RESOURCE_CONTEXT_DESTROY_STARTING) {
    for (auto& slot : g_floor->contexts) {
      CUcontext expected = rd->context;
      if (slot.compare_exchange_strong(expected, nullptr)) return;
    }
  }
}

void release_completed(Floor& f) {
  {
    std::lock_guard lock(f.mutex);
    f.draining.swap(f.completed);
  }
  for (uint8_t* b : f.draining) f.pool.release(b);  // zeroes, as holdup's writer does
  f.draining.clear();
  f.pool.top_up(2);
}

void flush_loop(Floor* f) {
  const auto period = std::chrono::milliseconds(f->config.flush_period_ms);
  std::unique_lock lock(f->mutex);
  while (!f->stop) {
    f->wake.wait_for(lock, period);
    if (f->stop) break;
    lock.unlock();
    {
      // Any CUPTI call attaches CUPTI again: none while detached.
      std::lock_guard select(f->select_mutex);
      if (!f->active.detached) cuptiActivityFlushAll(0);
    }
    release_completed(*f);
    lock.lock();
  }
}

uint64_t dropped_records(Floor& f) {
  uint64_t total = 0;
  for (auto& slot : f.contexts) {
    if (CUcontext ctx = slot.load()) {
      size_t n = 0;
      if (cuptiActivityGetNumDroppedRecords(ctx, 0, &n) == CUPTI_SUCCESS) total += n;
    }
  }
  return total;
}

void at_exit() {
  Floor* f = g_floor;
  if (f == nullptr) return;
  {
    std::lock_guard lock(f->mutex);
    f->stop = true;
  }
  f->wake.notify_all();
  if (f->flusher.joinable()) f->flusher.join();
  {
    std::lock_guard select(f->select_mutex);
    if (f->active.detached) {
      std::fprintf(stderr, "holdup-floor: detached at exit (%llu buffers completed, %llu failed CUPTI calls)\n",
                   static_cast<unsigned long long>(f->buffers_completed.load()),
                   static_cast<unsigned long long>(f->failed_calls.load()));
      return;
    }
  }
  cuptiEnableDomain(0, f->subscriber, CUPTI_CB_DOMAIN_DRIVER_API);
  cuptiEnableDomain(0, f->subscriber, CUPTI_CB_DOMAIN_RUNTIME_API);
  cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
  release_completed(*f);
  const uint64_t dropped = dropped_records(*f);
  std::fprintf(stderr,
               "holdup-floor: %llu buffers requested, %llu denied, %llu completed, %llu bytes of records, "
               "%llu dropped records, %llu failed CUPTI set-up calls\n",
               static_cast<unsigned long long>(f->buffers_requested.load()),
               static_cast<unsigned long long>(f->buffers_denied.load()),
               static_cast<unsigned long long>(f->buffers_completed.load()),
               static_cast<unsigned long long>(f->bytes_completed.load()), static_cast<unsigned long long>(dropped),
               static_cast<unsigned long long>(f->failed_calls.load()));
  if (const char* path = std::getenv("HOLDUP_FLOOR_REPORT"); path != nullptr && *path != '\0') {
    if (FILE* out = std::fopen(path, "w")) {
      std::fprintf(out,
                   "{\"buffers_requested\": %llu, \"buffers_denied\": %llu, \"buffers_completed\": %llu, "
                   "\"bytes_completed\": %llu, \"dropped_records\": %llu, \"failed_calls\": %llu}\n",
                   static_cast<unsigned long long>(f->buffers_requested.load()),
                   static_cast<unsigned long long>(f->buffers_denied.load()),
                   static_cast<unsigned long long>(f->buffers_completed.load()),
                   static_cast<unsigned long long>(f->bytes_completed.load()),
                   static_cast<unsigned long long>(dropped), static_cast<unsigned long long>(f->failed_calls.load()));
      std::fclose(out);
    } else {
      std::fprintf(stderr, "holdup-floor: cannot write HOLDUP_FLOOR_REPORT=%s; the counters are on the line above\n",
                   path);
    }
  }
}

void count(CUptiResult r) {
  if (r != CUPTI_SUCCESS) g_floor->failed_calls.fetch_add(1, std::memory_order_relaxed);
}

// Switches kinds, callbacks and per-call API records from `from` to `to`
// (the first time from an empty set). Kinds are enabled before the per-call
// switches: CUPTI's kind-wide enable overrides them.
void apply(Floor& f, const FloorSet& from, const FloorSet& to) {
  if (from.cb_resource != to.cb_resource)
    count(cuptiEnableDomain(to.cb_resource ? 1 : 0, f.subscriber, CUPTI_CB_DOMAIN_RESOURCE));
  if (from.cb_launch != to.cb_launch)
    for (CUpti_CallbackId cbid : kLaunchCbids)
      count(cuptiEnableCallback(to.cb_launch ? 1 : 0, f.subscriber, CUPTI_CB_DOMAIN_DRIVER_API, cbid));
  if (from.cb_runtime != to.cb_runtime)
    for (CUpti_CallbackId cbid : kRuntimeCbids)
      count(cuptiEnableCallback(to.cb_runtime ? 1 : 0, f.subscriber, CUPTI_CB_DOMAIN_RUNTIME_API, cbid));
  if (from.cb_event != to.cb_event) {
    for (CUpti_CallbackId cbid : inject::kEventCallRuntimeCbids)
      count(cuptiEnableCallback(to.cb_event ? 1 : 0, f.subscriber, CUPTI_CB_DOMAIN_RUNTIME_API, cbid));
    for (CUpti_CallbackId cbid : inject::kEventCallDriverCbids)
      count(cuptiEnableCallback(to.cb_event ? 1 : 0, f.subscriber, CUPTI_CB_DOMAIN_DRIVER_API, cbid));
    for (CUpti_CallbackId cbid : inject::kHostFuncRuntimeCbids)
      count(cuptiEnableCallback(to.cb_event ? 1 : 0, f.subscriber, CUPTI_CB_DOMAIN_RUNTIME_API, cbid));
    for (CUpti_CallbackId cbid : inject::kHostFuncDriverCbids)
      count(cuptiEnableCallback(to.cb_event ? 1 : 0, f.subscriber, CUPTI_CB_DOMAIN_DRIVER_API, cbid));
  }
  for (size_t i = 0; i < kCuptiKinds.size(); ++i) {
    const uint32_t bit = 1u << i;
    const bool on = (to.kinds & bit) != 0;
    const bool api = static_cast<ActivityKind>(i) == ActivityKind::kRuntime ||
                     static_cast<ActivityKind>(i) == ActivityKind::kDriver;
    if (on != ((from.kinds & bit) != 0)) {
      count(on ? cuptiActivityEnable(kCuptiKinds[i]) : cuptiActivityDisable(kCuptiKinds[i]));
    } else if (api && on && from.quiet_api != to.quiet_api) {
      count(cuptiActivityEnable(kCuptiKinds[i]));  // every call's record again
    }
  }
  if (to.quiet_api) {
    if (to.kinds & inject::kind_bit(ActivityKind::kRuntime))
      for (uint32_t cbid : f.quiet_runtime) count(cuptiActivityEnableRuntimeApi(cbid, 0));
    if (to.kinds & inject::kind_bit(ActivityKind::kDriver))
      for (uint32_t cbid : f.quiet_driver) count(cuptiActivityEnableDriverApi(cbid, 0));
  }
}

// The set at start-up: HOLDUP_FLOOR_SET, or holdup's.
FloorSet initial_set(const Config& config) {
  FloorSet set;
  const char* spec = std::getenv("HOLDUP_FLOOR_SET");
  if (!parse_set(spec != nullptr ? spec : "holdup", config, &set)) {
    std::fprintf(stderr, "holdup-floor: HOLDUP_FLOOR_SET='%s' is not a set (see bench/floor/floor.cpp); using holdup\n",
                 spec);
    parse_set("holdup", config, &set);
  }
  return set;
}

// Subscribes and sets holdup's attributes, buffer callbacks and timestamps
// (latency ones as `latency` says; CUDA event device timestamps as holdup's
// setting says, whatever the set): at start-up, and again after a detach.
bool attach(Floor& f, bool latency) {
  if (CUptiResult r = cuptiSubscribe(&f.subscriber, reinterpret_cast<CUpti_CallbackFunc>(on_callback), nullptr);
      r != CUPTI_SUCCESS) {
    std::fprintf(stderr, "holdup-floor: cuptiSubscribe failed (%d)\n", static_cast<int>(r));
    return false;
  }
  count(cuptiSetThreadIdType(CUPTI_ACTIVITY_THREAD_ID_TYPE_SYSTEM));
  uint8_t one = 1;
  size_t one_size = sizeof one;
  count(cuptiActivitySetAttribute(CUPTI_ACTIVITY_ATTR_ZEROED_OUT_ACTIVITY_BUFFER, &one_size, &one));
  uint8_t per_thread = f.config.per_thread_buffers ? 1 : 0;
  size_t per_thread_size = sizeof per_thread;
  count(cuptiActivitySetAttribute(CUPTI_ACTIVITY_ATTR_PER_THREAD_ACTIVITY_BUFFER, &per_thread_size, &per_thread));
  count(cuptiActivityRegisterCallbacks(on_buffer_requested, on_buffer_completed));
  cuptiActivityEnableLatencyTimestamps(latency ? 1 : 0);
  cuptiActivityEnableCudaEventDeviceTimestamps(f.config.event_device_timestamps ? 1 : 0);
  return true;
}

// Everything off, the buffers flushed, then cuptiFinalize at the exit of a
// driver call this thread makes (CUPTI's advice: not from outside a CUDA
// call); the caller has synchronized its work. Without libcuda's
// cuCtxGetCurrent (never, in a CUDA process), finalizes from here.
bool detach(Floor& f) {
  apply(f, f.active, FloorSet{});
  count(cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED));
  release_completed(f);
  using CtxGetCurrent = int (*)(void**);
  auto ctx_get_current = reinterpret_cast<CtxGetCurrent>(dlsym(RTLD_DEFAULT, "cuCtxGetCurrent"));
  f.finalized.store(false);
  if (ctx_get_current != nullptr) {
    count(cuptiEnableCallback(1, f.subscriber, CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuCtxGetCurrent));
    f.finalize_requested.store(true);
    void* ctx = nullptr;
    ctx_get_current(&ctx);
    f.finalize_requested.store(false);
  }
  if (!f.finalized.load() && cuptiFinalize() == CUPTI_SUCCESS) f.finalized.store(true);
  return f.finalized.load();
}

int initialize() {
  std::vector<std::string> warnings;  // holdup logs these; the floor has no logger
  Config config = inject::config_from_environment(&warnings);
  for (const auto& w : warnings) std::fprintf(stderr, "holdup-floor: %s\n", w.c_str());
  g_floor = new Floor(config);
  Floor& f = *g_floor;

  f.active = initial_set(config);
  if (f.active.detached) {
    std::fprintf(stderr, "holdup-floor: HOLDUP_FLOOR_SET=detached only in a sweep (CUDA has not started); using none\n");
    f.active = FloorSet{};
  }
  if (!attach(f, f.active.latency)) {
    std::fprintf(stderr, "holdup-floor: nothing is measured in this process\n");
    g_floor = nullptr;
    return 1;
  }
  f.pool.preallocate();
  apply(f, FloorSet{}, f.active);
  std::atexit(at_exit);
  f.flusher = std::thread(flush_loop, &f);
  return 1;
}

}  // namespace
}  // namespace holdup::bench

extern "C" __attribute__((visibility("default"))) int holdup_floor_select(const char* spec) {
  using namespace holdup::bench;
  if (g_floor == nullptr || spec == nullptr) return -2;
  Floor& f = *g_floor;
  FloorSet to;
  if (!parse_set(spec, f.config, &to)) return -2;
  std::lock_guard lock(f.select_mutex);
  if (to.detached) {
    if (!f.active.detached && !detach(f)) return -3;
    f.active = to;
    return 0;
  }
  if (to.latency != f.active.latency) return -1;
  if (f.active.detached) {
    if (!attach(f, to.latency)) return -3;
    f.active = FloorSet{};
  }
  apply(f, f.active, to);
  f.active = to;
  return 0;
}

extern "C" __attribute__((visibility("default"))) int InitializeInjection(void) {
  try {
    return holdup::bench::initialize();
  } catch (...) {
    std::fprintf(stderr, "holdup-floor: initialization failed; nothing is measured in this process\n");
  }
  return 1;
}
