#include "callbacks.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <exception>

#include <cupti.h>
#include <fmt/format.h>

#include "api_names.h"
#include "holdup/trace.fields.h"
#include "cupti_tables.h"
#include "lifecycle.h"
#include "log.h"
#include "cuda_names/quiet_apis.h"
#include "signal_flush.h"
#include "recorder.h"

namespace holdup::inject {
namespace {


std::string result_text(CUptiResult r) {
  const char* s = nullptr;
  if (cuptiGetResultString(r, &s) != CUPTI_SUCCESS || s == nullptr) return fmt::format("CUPTI error {}", static_cast<int>(r));
  return s;
}

uint32_t current_tid() { return static_cast<uint32_t>(syscall(SYS_gettid)); }

uint64_t cupti_now() {
  uint64_t t = 0;
  cuptiGetTimestamp(&t);
  return t;
}

// Contexts alive, for cuptiActivityGetNumDroppedRecords: a fixed array of
// atomics filled from the resource callbacks.
class ContextTable {
 public:
  void add(CUcontext ctx, uint32_t id) {
    for (auto& slot : slots_) {
      CUcontext expected = nullptr;
      if (slot.ctx.compare_exchange_strong(expected, ctx)) {
        slot.id.store(id);
        return;
      }
    }
  }
  void remove(CUcontext ctx) {
    for (auto& slot : slots_) {
      CUcontext expected = ctx;
      if (slot.ctx.compare_exchange_strong(expected, nullptr)) return;
    }
  }
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (const auto& slot : slots_)
      if (CUcontext c = slot.ctx.load()) fn(c, slot.id.load());
  }

 private:
  struct Slot {
    std::atomic<CUcontext> ctx{nullptr};
    std::atomic<uint32_t> id{0};
  };
  std::array<Slot, 64> slots_;
};

class CuptiLayer final : public ActivityControl {
 public:
  explicit CuptiLayer(const Config& config) : config_(config) {}

  void flush(bool forced) override {
    if (!active_) return;
    CUptiResult r = cuptiActivityFlushAll(forced ? CUPTI_ACTIVITY_FLAG_FLUSH_FORCED : 0);
    if (r != CUPTI_SUCCESS && !flush_error_logged_.exchange(true))
      log().warn("cuptiActivityFlushAll failed: {}; records may arrive late or be lost", result_text(r));
  }

  uint64_t timestamp_ns() override { return cupti_now(); }

  void dropped_records(std::vector<DroppedCount>* out) override {
    if (!active_) return;
    contexts_.for_each([out](CUcontext ctx, uint32_t id) {
      size_t dropped = 0;
      if (cuptiActivityGetNumDroppedRecords(ctx, 0, &dropped) == CUPTI_SUCCESS && dropped != 0)
        out->push_back({id, 0, dropped});
    });
  }

  // Callable from a CUPTI callback: no logging, failures only counted.
  void set_capture(bool on) override {
    if (!active_) return;
    for (size_t i = 0; i < kCuptiKinds.size(); ++i) {
      if (!config_.kind_enabled(static_cast<ActivityKind>(i)) || !kind_usable_[i]) continue;
      if (on) cuptiActivityEnable(kCuptiKinds[i]);
      else cuptiActivityDisable(kCuptiKinds[i]);
    }
    if (on) leave_out_quiet_api_records();  // enabling a kind re-enables all its calls
    capturing_.store(on);
  }

  uint32_t runtime_api_version() override { return runtime_version_; }
  bool has_cuda() override { return true; }

  // First enabling at start-up: each kind that fails is one note and is
  // left out from then on. Returns the names of the kinds enabled.
  std::vector<std::string> enable_kinds_first_time(Recorder& recorder, bool capture_now) {
    std::vector<std::string> enabled;
    for (size_t i = 0; i < kCuptiKinds.size(); ++i) {
      auto kind = static_cast<ActivityKind>(i);
      if (!config_.kind_enabled(kind)) continue;
      CUptiResult r = cuptiActivityEnable(kCuptiKinds[i]);
      if (r == CUPTI_SUCCESS) {
        if (!capture_now) cuptiActivityDisable(kCuptiKinds[i]);
        kind_usable_[i] = true;
        enabled.emplace_back(activity_kind_name(kind));
      } else {
        std::string text = fmt::format("cuptiActivityEnable({}) failed: {}; those records are missing",
                                       activity_kind_name(kind), result_text(r));
        log().warn("{}", text);
        recorder.add_note({NoteItem::kWarning, 0, "kind-unavailable", text});
      }
    }
    capturing_.store(capture_now);
    return enabled;
  }

  // The quiet calls' cbids (quiet_apis.h), unless every API record is
  // wanted; at start-up, before any call is recorded. Adds "api:NAME" to
  // *not_recorded for each name left out; a domain whose per-call switch
  // CUPTI refuses keeps all its records (one note).
  void choose_api_records(Recorder& recorder, std::vector<std::string>* not_recorded) {
    if (config_.all_api_records) return;
    struct Domain {
      ActivityKind kind;
      ApiDomain domain;
      CUptiResult (*enable)(CUpti_CallbackId, uint8_t);
    };
    for (const Domain d : {Domain{ActivityKind::kRuntime, ApiDomain::kRuntime, cuptiActivityEnableRuntimeApi},
                           Domain{ActivityKind::kDriver, ApiDomain::kDriver, cuptiActivityEnableDriverApi}}) {
      if (!config_.kind_enabled(d.kind) || !kind_usable_[static_cast<size_t>(d.kind)]) continue;
      std::vector<uint32_t> cbids = quiet_api_cbids(d.domain);
      CUptiResult r = cbids.empty() ? CUPTI_SUCCESS : d.enable(cbids.front(), 0);
      if (r != CUPTI_SUCCESS) {
        recorder.add_note({NoteItem::kInfo, 0, "api-records-all",
                           fmt::format("per-call API record switch unavailable ({}); every {} call is recorded",
                                       result_text(r), activity_kind_name(d.kind))});
        continue;
      }
      std::vector<std::string_view> names;
      for (uint32_t cbid : cbids) {
        const std::string_view base = cuda_names::api_base_name(api_name(d.domain, cbid));
        if (std::find(names.begin(), names.end(), base) == names.end()) names.push_back(base);
      }
      for (auto name : names) not_recorded->push_back(fmt::format("api:{}", name));
      (d.domain == ApiDomain::kRuntime ? quiet_runtime_ : quiet_driver_) = std::move(cbids);
    }
    leave_out_quiet_api_records();
  }

  const Config& config() const { return config_; }
  ContextTable& contexts() { return contexts_; }
  // Launch callbacks: a seen function's launch is only counted.
  bool all_launches() const { return config_.all_launches; }
  void set_active(bool active) { active_ = active; }
  void set_runtime_version(uint32_t v) { runtime_version_ = v; }
  CUpti_SubscriberHandle subscriber = nullptr;

 private:
  // After every enabling of RUNTIME and DRIVER (CUPTI's kind-wide switch
  // overrides the per-call ones). Callable from a callback: no allocation.
  void leave_out_quiet_api_records() {
    for (uint32_t cbid : quiet_runtime_) cuptiActivityEnableRuntimeApi(cbid, 0);
    for (uint32_t cbid : quiet_driver_) cuptiActivityEnableDriverApi(cbid, 0);
  }

  const Config config_;
  std::vector<uint32_t> quiet_runtime_;  // set at start-up only
  std::vector<uint32_t> quiet_driver_;
  ContextTable contexts_;
  std::array<bool, kCuptiKinds.size()> kind_usable_{};
  std::atomic<bool> capturing_{false};
  std::atomic<bool> flush_error_logged_{false};
  bool active_ = false;
  uint32_t runtime_version_ = 0;
};

CuptiLayer* g_layer = nullptr;  // leaked with the recorder

// --- activity buffer callbacks: on the app's threads or CUPTI's ------------

void CUPTIAPI on_buffer_requested(uint8_t** buffer, size_t* size, size_t* max_records) noexcept {
  *max_records = 0;
  Recorder* r = process_recorder();
  size_t offered = 0;
  uint8_t* b = r != nullptr ? r->acquire_buffer(&offered) : nullptr;
  // No buffer (size 0) makes CUPTI drop records; safe since CUPTI API 27.
  *buffer = b;
  *size = b != nullptr ? offered : 0;
}

void CUPTIAPI on_buffer_completed(CUcontext, uint32_t, uint8_t* buffer, size_t, size_t valid_bytes) noexcept {
  if (Recorder* r = process_recorder()) r->on_buffer_completed(buffer, valid_bytes);
}

// --- API and resource callbacks: a few hundred ns, no allocation -----------

uint64_t launched_function(CUpti_CallbackId cbid, const void* params) {
  switch (cbid) {
    case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel:
      return reinterpret_cast<uint64_t>(static_cast<const cuLaunchKernel_params*>(params)->f);
    case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel_ptsz:
      return reinterpret_cast<uint64_t>(static_cast<const cuLaunchKernel_ptsz_params*>(params)->f);
    case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx:
      return reinterpret_cast<uint64_t>(static_cast<const cuLaunchKernelEx_params*>(params)->f);
    case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx_ptsz:
      return reinterpret_cast<uint64_t>(static_cast<const cuLaunchKernelEx_ptsz_params*>(params)->f);
    case CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel:
      return reinterpret_cast<uint64_t>(static_cast<const cuLaunchCooperativeKernel_params*>(params)->f);
    case CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel_ptsz:
      return reinterpret_cast<uint64_t>(static_cast<const cuLaunchCooperativeKernel_ptsz_params*>(params)->f);
    default: return 0;
  }
}

// A function's first launch becomes a Launch event (the analysis reads
// only those); a later one is counted and nothing else: no clock, no
// thread id, no queue (unless HOLDUP_ALL_LAUNCHES=1).
void on_driver_api(Recorder& r, CUpti_CallbackId cbid, const CUpti_CallbackData* cb) {
  if (cb->callbackSite != CUPTI_API_ENTER || cb->functionParams == nullptr) return;
  const uint64_t handle = launched_function(cbid, cb->functionParams);
  const SeenFunctionSet::Result seen = r.seen_functions().insert(handle);
  if (seen == SeenFunctionSet::Result::kSeen && !g_layer->all_launches()) {
    r.counters().launches_counted.increment();
    return;
  }
  CallbackEvent e;
  e.type = CallbackEvent::Type::kLaunch;
  e.cbid = cbid;
  e.thread_id = current_tid();
  e.context_id = cb->contextUid;
  e.correlation_id = cb->correlationId;
  e.time_ns = cupti_now();
  e.handle = handle;
  switch (seen) {
    case SeenFunctionSet::Result::kNew: e.first_launch = CallbackEvent::FirstLaunch::kYes; break;
    case SeenFunctionSet::Result::kSeen: e.first_launch = CallbackEvent::FirstLaunch::kNo; break;
    case SeenFunctionSet::Result::kFull: e.first_launch = CallbackEvent::FirstLaunch::kUnknown; break;
  }
  r.post_event(e);
}

void on_runtime_api(Recorder& r, CUpti_CallbackId cbid, const CUpti_CallbackData* cb) {
  CallbackEvent e;
  e.cbid = cbid;
  e.thread_id = current_tid();
  e.time_ns = cupti_now();
  const bool range = g_layer->config().profiler_api_range;
  if (cbid == CUPTI_RUNTIME_TRACE_CBID_cudaDeviceReset_v3020 && cb->callbackSite == CUPTI_API_ENTER) {
    // A reset destroys the context and the records CUPTI still holds.
    g_layer->flush(false);
    e.type = CallbackEvent::Type::kDeviceReset;
    r.post_event(e);
  } else if (cbid == CUPTI_RUNTIME_TRACE_CBID_cudaProfilerStart_v4000 && cb->callbackSite == CUPTI_API_EXIT) {
    if (range) g_layer->set_capture(true);
    e.type = CallbackEvent::Type::kProfilerStart;
    r.post_event(e);
  } else if (cbid == CUPTI_RUNTIME_TRACE_CBID_cudaProfilerStop_v4000 && cb->callbackSite == CUPTI_API_ENTER) {
    if (range) g_layer->set_capture(false);
    e.type = CallbackEvent::Type::kProfilerStop;
    r.post_event(e);
  }
}

// The event and stream of an event call, from its parameters.
struct EventCallArgs {
  CallbackEvent::Type type = CallbackEvent::Type::kEventRecord;
  CUevent event = nullptr;
  CUstream stream = nullptr;
  bool per_thread = false;  // a _ptsz variant: stream 0 is the per-thread stream
  bool known = false;
};

// The driver's parameter structs name them hEvent/hStream, the runtime's
// event/stream.
template <typename Params>
EventCallArgs driver_args(CallbackEvent::Type type, const void* p, bool per_thread) {
  const auto* params = static_cast<const Params*>(p);
  return {type, params->hEvent, params->hStream, per_thread, true};
}
template <typename Params>
EventCallArgs runtime_args(CallbackEvent::Type type, const void* p, bool per_thread) {
  const auto* params = static_cast<const Params*>(p);
  return {type, params->event, params->stream, per_thread, true};
}
// A host function: a stream, no event.
template <typename Params>
EventCallArgs host_func_args(const void* p, bool per_thread) {
  const auto* params = static_cast<const Params*>(p);
  if constexpr (requires { params->hStream; }) {
    return {CallbackEvent::Type::kHostFunc, nullptr, params->hStream, per_thread, true};
  } else {
    return {CallbackEvent::Type::kHostFunc, nullptr, params->stream, per_thread, true};
  }
}

EventCallArgs event_call_args(CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* p) {
  constexpr auto kRecord = CallbackEvent::Type::kEventRecord;
  constexpr auto kWait = CallbackEvent::Type::kStreamWait;
  if (domain == CUPTI_CB_DOMAIN_DRIVER_API) {
    switch (cbid) {
      case CUPTI_DRIVER_TRACE_CBID_cuEventRecord: return driver_args<cuEventRecord_params>(kRecord, p, false);
      case CUPTI_DRIVER_TRACE_CBID_cuEventRecord_ptsz:
        return driver_args<cuEventRecord_ptsz_params>(kRecord, p, true);
      case CUPTI_DRIVER_TRACE_CBID_cuEventRecordWithFlags:
        return driver_args<cuEventRecordWithFlags_params>(kRecord, p, false);
      case CUPTI_DRIVER_TRACE_CBID_cuEventRecordWithFlags_ptsz:
        return driver_args<cuEventRecordWithFlags_ptsz_params>(kRecord, p, true);
      case CUPTI_DRIVER_TRACE_CBID_cuStreamWaitEvent: return driver_args<cuStreamWaitEvent_params>(kWait, p, false);
      case CUPTI_DRIVER_TRACE_CBID_cuStreamWaitEvent_ptsz:
        return driver_args<cuStreamWaitEvent_ptsz_params>(kWait, p, true);
      case CUPTI_DRIVER_TRACE_CBID_cuLaunchHostFunc: return host_func_args<cuLaunchHostFunc_params>(p, false);
      case CUPTI_DRIVER_TRACE_CBID_cuLaunchHostFunc_ptsz: return host_func_args<cuLaunchHostFunc_ptsz_params>(p, true);
      case CUPTI_DRIVER_TRACE_CBID_cuStreamAddCallback: return host_func_args<cuStreamAddCallback_params>(p, false);
      case CUPTI_DRIVER_TRACE_CBID_cuStreamAddCallback_ptsz:
        return host_func_args<cuStreamAddCallback_ptsz_params>(p, true);
      default: return {};
    }
  }
  switch (cbid) {
    case CUPTI_RUNTIME_TRACE_CBID_cudaEventRecord_v3020:
      return runtime_args<cudaEventRecord_v3020_params>(kRecord, p, false);
    case CUPTI_RUNTIME_TRACE_CBID_cudaEventRecord_ptsz_v7000:
      return runtime_args<cudaEventRecord_ptsz_v7000_params>(kRecord, p, true);
    case CUPTI_RUNTIME_TRACE_CBID_cudaEventRecordWithFlags_v11010:
      return runtime_args<cudaEventRecordWithFlags_v11010_params>(kRecord, p, false);
    case CUPTI_RUNTIME_TRACE_CBID_cudaEventRecordWithFlags_ptsz_v11010:
      return runtime_args<cudaEventRecordWithFlags_ptsz_v11010_params>(kRecord, p, true);
    case CUPTI_RUNTIME_TRACE_CBID_cudaStreamWaitEvent_v3020:
      return runtime_args<cudaStreamWaitEvent_v3020_params>(kWait, p, false);
    case CUPTI_RUNTIME_TRACE_CBID_cudaStreamWaitEvent_ptsz_v7000:
      return runtime_args<cudaStreamWaitEvent_ptsz_v7000_params>(kWait, p, true);
    case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchHostFunc_v10000:
      return host_func_args<cudaLaunchHostFunc_v10000_params>(p, false);
    case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchHostFunc_ptsz_v10000:
      return host_func_args<cudaLaunchHostFunc_ptsz_v10000_params>(p, true);
    case CUPTI_RUNTIME_TRACE_CBID_cudaStreamAddCallback_v5000:
      return host_func_args<cudaStreamAddCallback_v5000_params>(p, false);
    case CUPTI_RUNTIME_TRACE_CBID_cudaStreamAddCallback_ptsz_v7000:
      return host_func_args<cudaStreamAddCallback_ptsz_v7000_params>(p, true);
    default: return {};
  }
}

// The correlation id of the latest runtime event call, of any thread. The
// driver call the runtime makes inside it has the same id (CUPTI 13.0, seen
// on the H200) and is not posted again. A race between threads can only let
// a duplicate through (the analysis keeps the outermost call); a direct
// driver call has an id of its own and is never skipped.
std::atomic<uint32_t> g_latest_runtime_event_call{0};

// An EventCall at the call's entry: which event, which stream (CUPTI's id),
// on which thread, when. No allocation; one CUPTI lookup for the stream.
void on_event_call(Recorder& r, CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const CUpti_CallbackData* cb,
                   const EventCallArgs& args) {
  if (cb->callbackSite != CUPTI_API_ENTER) return;
  const bool driver = domain == CUPTI_CB_DOMAIN_DRIVER_API;
  if (driver && cb->correlationId != 0 &&
      g_latest_runtime_event_call.load(std::memory_order_relaxed) == cb->correlationId)
    return;  // inside the runtime call just posted
  if (!driver) g_latest_runtime_event_call.store(cb->correlationId, std::memory_order_relaxed);
  CallbackEvent e;
  e.type = args.type;
  e.cbid = cbid;
  e.domain = static_cast<uint8_t>(driver ? fields::ApiCall::Domain::DRIVER : fields::ApiCall::Domain::RUNTIME);
  e.thread_id = current_tid();
  e.time_ns = cupti_now();
  e.context_id = cb->contextUid;
  e.correlation_id = cb->correlationId;
  e.handle = reinterpret_cast<uint64_t>(args.event);
  uint32_t stream_id = 0;
  if (cuptiGetStreamIdEx(cb->context, args.stream, args.per_thread ? 1 : 0, &stream_id) == CUPTI_SUCCESS)
    e.object_id = stream_id;
  r.post_event(e);
}

void on_resource(Recorder& r, CUpti_CallbackId cbid, const CUpti_ResourceData* rd) {
  CallbackEvent e;
  e.cbid = cbid;
  e.thread_id = current_tid();
  e.time_ns = cupti_now();
  uint32_t ctx_id = 0;
  if (rd->context != nullptr) cuptiGetContextId(rd->context, &ctx_id);
  e.context_id = ctx_id;
  switch (cbid) {
    case CUPTI_CBID_RESOURCE_CONTEXT_CREATED:
      g_layer->contexts().add(rd->context, ctx_id);
      e.type = CallbackEvent::Type::kContextCreated;
      break;
    case CUPTI_CBID_RESOURCE_CONTEXT_DESTROY_STARTING:
      g_layer->contexts().remove(rd->context);
      e.type = CallbackEvent::Type::kContextDestroyStarting;
      break;
    case CUPTI_CBID_RESOURCE_STREAM_CREATED:
    case CUPTI_CBID_RESOURCE_STREAM_DESTROY_STARTING: {
      uint32_t stream_id = 0;
      cuptiGetStreamId(rd->context, rd->resourceHandle.stream, &stream_id);
      e.object_id = stream_id;
      e.type = cbid == CUPTI_CBID_RESOURCE_STREAM_CREATED ? CallbackEvent::Type::kStreamCreated
                                                          : CallbackEvent::Type::kStreamDestroyStarting;
      break;
    }
    case CUPTI_CBID_RESOURCE_MODULE_LOADED:
    case CUPTI_CBID_RESOURCE_MODULE_UNLOAD_STARTING: {
      if (const auto* m = static_cast<const CUpti_ModuleResourceData*>(rd->resourceDescriptor)) {
        e.object_id = m->moduleId;
        e.size_bytes = m->cubinSize;
      }
      e.type = cbid == CUPTI_CBID_RESOURCE_MODULE_LOADED ? CallbackEvent::Type::kModuleLoaded
                                                         : CallbackEvent::Type::kModuleUnloadStarting;
      break;
    }
    default: return;
  }
  r.post_event(e);
}

void CUPTIAPI on_callback(void*, CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* data) noexcept {
  Recorder* r = process_recorder();
  if (r == nullptr || data == nullptr) return;
  if (domain == CUPTI_CB_DOMAIN_DRIVER_API || domain == CUPTI_CB_DOMAIN_RUNTIME_API) {
    // One switch on the cbid: a kernel launch's callback pays no more for it.
    const auto* cb = static_cast<const CUpti_CallbackData*>(data);
    if (cb->functionParams != nullptr) {
      if (const EventCallArgs args = event_call_args(domain, cbid, cb->functionParams); args.known) {
        on_event_call(*r, domain, cbid, cb, args);
        return;
      }
    }
  }
  switch (domain) {
    case CUPTI_CB_DOMAIN_DRIVER_API: on_driver_api(*r, cbid, static_cast<const CUpti_CallbackData*>(data)); break;
    case CUPTI_CB_DOMAIN_RUNTIME_API: on_runtime_api(*r, cbid, static_cast<const CUpti_CallbackData*>(data)); break;
    case CUPTI_CB_DOMAIN_RESOURCE: on_resource(*r, cbid, static_cast<const CUpti_ResourceData*>(data)); break;
    default: break;
  }
}

void disable_callbacks_at_exit() {
  if (g_layer == nullptr || g_layer->subscriber == nullptr) return;
  // Launch events after the final chunk would be lost anyway.
  cuptiEnableDomain(0, g_layer->subscriber, CUPTI_CB_DOMAIN_DRIVER_API);
  cuptiEnableDomain(0, g_layer->subscriber, CUPTI_CB_DOMAIN_RUNTIME_API);
}

// Logs a failed CUPTI call as one warning; returns whether it succeeded.
bool check(CUptiResult r, const char* what, Recorder& recorder, const char* code) {
  if (r == CUPTI_SUCCESS) return true;
  std::string text = fmt::format("{} failed: {}", what, result_text(r));
  log().warn("{}", text);
  recorder.add_note({NoteItem::kWarning, 0, code, text});
  return false;
}

// The loaded CUPTI against the one holdup was built with.
struct CuptiVersion {
  uint32_t runtime = 0;
  bool layouts_known = true;
  std::string note;  // empty when they match
};

CuptiVersion check_cupti_version() {
  CuptiVersion v;
  cuptiGetVersion(&v.runtime);
  if (v.runtime == CUPTI_API_VERSION) return v;
  // Same major version: record layouts of this build are assumed to still
  // match (CUPTI appends new record versions rather than changing old
  // ones). Otherwise nothing is decoded.
  v.layouts_known = v.runtime / 10000 == CUPTI_API_VERSION / 10000;
  v.note = fmt::format("the loaded CUPTI has API version {}, holdup was built with {}; {}", v.runtime,
                       CUPTI_API_VERSION,
                       v.layouts_known ? "records are decoded assuming the same layouts"
                                       : "records are not decoded (counted unknown); rebuild holdup for this CUDA");
  log().warn("{}", v.note);
  return v;
}

// CUPTI refused the subscription: a trace that says why and records nothing.
void start_without_cupti(const Config& config, CUptiResult sub, ProcessHeaderInfo header) {
  const bool other = sub == CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED;
  std::string text =
      other ? std::string("another CUPTI client (Nsight Systems, Nsight Compute, compute-sanitizer or a framework "
                          "profiler) already holds CUPTI; holdup records nothing in this process")
            : fmt::format("CUPTI could not start ({}); holdup records nothing in this process", result_text(sub));
  log().warn("{}", text);
  std::string error;
  Recorder* recorder = create_process_recorder(config, g_layer, &error);
  if (recorder == nullptr) return;  // the warning above already says nothing is recorded
  recorder->set_without_cupti();
  if (other) recorder->set_other_subscriber();
  recorder->add_note({NoteItem::kError, 0, other ? "other-subscriber" : "cupti-unavailable", text});
  recorder->start(std::move(header), false);
}

// Activity attributes and buffer callbacks: attributes first (CUPTI reads
// them when the callbacks are registered). False: no buffers will come.
bool set_up_activity_buffers(const Config& config, Recorder& recorder) {
  // Thread ids as gettid(), so /proc/self/task/TID/comm names them.
  check(cuptiSetThreadIdType(CUPTI_ACTIVITY_THREAD_ID_TYPE_SYSTEM), "cuptiSetThreadIdType(SYSTEM)", recorder,
        "thread-id-type");
  // Our buffers come zeroed: CUPTI must not zero them on the app's thread.
  uint8_t one = 1;
  size_t one_size = sizeof one;
  check(cuptiActivitySetAttribute(CUPTI_ACTIVITY_ATTR_ZEROED_OUT_ACTIVITY_BUFFER, &one_size, &one),
        "setting CUPTI_ACTIVITY_ATTR_ZEROED_OUT_ACTIVITY_BUFFER", recorder, "attribute-failed");
  uint8_t per_thread = config.per_thread_buffers ? 1 : 0;
  size_t per_thread_size = sizeof per_thread;
  check(cuptiActivitySetAttribute(CUPTI_ACTIVITY_ATTR_PER_THREAD_ACTIVITY_BUFFER, &per_thread_size, &per_thread),
        "setting CUPTI_ACTIVITY_ATTR_PER_THREAD_ACTIVITY_BUFFER", recorder, "attribute-failed");
  const bool registered = check(cuptiActivityRegisterCallbacks(on_buffer_requested, on_buffer_completed),
                                "cuptiActivityRegisterCallbacks", recorder, "buffer-callbacks-failed");

  // Optional timestamps: quietly noted when unavailable.
  if (CUptiResult r = cuptiActivityEnableLatencyTimestamps(config.latency_timestamps ? 1 : 0); r != CUPTI_SUCCESS)
    recorder.add_note({NoteItem::kInfo, 0, "latency-timestamps-unavailable",
                       fmt::format("cuptiActivityEnableLatencyTimestamps: {}; kernel queued/submitted are 0",
                                   result_text(r))});
  if (CUptiResult r = cuptiActivityEnableCudaEventDeviceTimestamps(config.event_device_timestamps ? 1 : 0);
      r != CUPTI_SUCCESS)
    recorder.add_note({NoteItem::kInfo, 0, "event-device-timestamps-unavailable",
                       fmt::format("cuptiActivityEnableCudaEventDeviceTimestamps: {}", result_text(r))});
  return registered;
}

// Enables every callback of `cbids` in `domain`; whether all were enabled
// (each failure is one warning and note).
template <size_t N>
bool enable_each(CUpti_SubscriberHandle subscriber, CUpti_CallbackDomain domain, const CUpti_CallbackId (&cbids)[N],
                 const char* what, Recorder& recorder) {
  bool all = true;
  for (CUpti_CallbackId cbid : cbids)
    all &= check(cuptiEnableCallback(1, subscriber, domain, cbid), what, recorder, "callbacks-failed");
  return all;
}

// The callbacks holdup reads on the app's threads: resources (contexts,
// streams, modules), kernel launches, the runtime calls in kRuntimeCbids,
// and (with Config::event_calls) event records, stream waits and host
// functions. Returns whether every event-call callback is on.
bool enable_callbacks(CUpti_SubscriberHandle subscriber, const Config& config, Recorder& recorder) {
  constexpr auto kDriver = CUPTI_CB_DOMAIN_DRIVER_API;
  constexpr auto kRuntime = CUPTI_CB_DOMAIN_RUNTIME_API;
  check(cuptiEnableDomain(1, subscriber, CUPTI_CB_DOMAIN_RESOURCE), "enabling RESOURCE callbacks", recorder,
        "callbacks-failed");
  enable_each(subscriber, kDriver, kLaunchCbids, "enabling a kernel launch callback", recorder);
  enable_each(subscriber, kRuntime, kRuntimeCbids, "enabling a runtime callback", recorder);
  if (!config.event_calls) return false;
  bool all = enable_each(subscriber, kRuntime, kEventCallRuntimeCbids, "enabling an event-call runtime callback",
                         recorder);
  all &= enable_each(subscriber, kDriver, kEventCallDriverCbids, "enabling an event-call driver callback", recorder);
  // Host functions: a failure here leaves the waits known (`all` unchanged).
  enable_each(subscriber, kRuntime, kHostFuncRuntimeCbids, "enabling a host-function callback", recorder);
  enable_each(subscriber, kDriver, kHostFuncDriverCbids, "enabling a host-function callback", recorder);
  return all;
}

// Final-flush handlers, only on signals still at their default disposition:
// the app's own handlers are never replaced (signal_flush.h).
void install_signal_flush(ProcessHeaderInfo& header) {
  const SignalInstall install = install_final_flush_handlers();
  for (int signal : install.installed) header.final_flush_signals.push_back(signal_name(signal));
  std::string left;
  for (int signal : install.left_to_app) left += (left.empty() ? "" : ", ") + signal_name(signal);
  if (!left.empty())
    log().info("no final flush on {}: the app handles or ignores {}", left,
               install.left_to_app.size() == 1 ? "it" : "them");
}

int initialize(const Config& config) {
  const CuptiVersion version = check_cupti_version();
  if (process_recorder() != nullptr && g_layer != nullptr) return 1;  // already initialized here
  if (g_layer != nullptr && g_layer->subscriber != nullptr) {
    // A forked child initializing CUDA: the parent's subscription was
    // copied with the memory; release it so this process can subscribe.
    cuptiUnsubscribe(g_layer->subscriber);
  }
  g_layer = new CuptiLayer(config);
  g_layer->set_runtime_version(version.runtime);

  ProcessHeaderInfo header = collect_process_info(config);
  header.cupti_api_version = version.runtime;
  header.cupti_build_api_version = CUPTI_API_VERSION;

  // Subscribe first: if another client holds CUPTI, holdup must not touch
  // its attributes or buffer callbacks.
  CUptiResult sub = cuptiSubscribe(&g_layer->subscriber, reinterpret_cast<CUpti_CallbackFunc>(on_callback), nullptr);
  if (sub != CUPTI_SUCCESS) {
    g_layer->subscriber = nullptr;
    start_without_cupti(config, sub, std::move(header));
    return 1;
  }

  // The recorder (file, zeroed buffer pool) exists before CUPTI may ask for
  // a buffer; its writer thread starts after everything below.
  std::string error;
  Recorder* recorder = create_process_recorder(config, g_layer, &error);
  if (recorder == nullptr) {
    log().warn("{}; holdup records nothing in this process", error);
    cuptiUnsubscribe(g_layer->subscriber);
    g_layer->subscriber = nullptr;
    return 1;
  }
  recorder->set_layouts_known(version.layouts_known);
  if (!version.note.empty())
    recorder->add_note({version.layouts_known ? NoteItem::kWarning : NoteItem::kError, 0, "cupti-version-mismatch",
                        version.note});
  g_layer->set_active(true);
  if (!set_up_activity_buffers(config, *recorder)) g_layer->set_active(false);
  header.event_calls = enable_callbacks(g_layer->subscriber, config, *recorder);

  const bool capture_now = config.start_delay_ms == 0 && !config.profiler_api_range;
  if (config.enabled_kinds != 0) header.enabled_kinds = g_layer->enable_kinds_first_time(*recorder, capture_now);
  g_layer->choose_api_records(*recorder, &header.not_recorded);
  if (!config.all_launches) header.not_recorded.emplace_back("launch:repeat");
  if (!config.latency_timestamps) header.not_recorded.emplace_back("kernel:latency-timestamps");
  if (!config.event_device_timestamps) header.not_recorded.emplace_back("event:device-timestamps");
  set_before_stop_hook(disable_callbacks_at_exit);
  if (config.signal_flush) install_signal_flush(header);
  recorder->start(std::move(header), capture_now);
  return 1;
}

}  // namespace

int initialize_injection() {
  try {
    std::vector<std::string> warnings;
    Config config = config_from_environment(&warnings);
    set_log_level(config.log_level);
    for (const auto& w : warnings) log().warn("{}", w);
    return initialize(config);
  } catch (const std::exception& e) {
    log().warn("initialization failed: {}; holdup records nothing in this process", e.what());
  } catch (...) {
    log().warn("initialization failed; holdup records nothing in this process");
  }
  return 1;
}

}  // namespace holdup::inject
