#include "recorder.h"

#include <cupti_activity.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <ctime>

#include <fmt/format.h>

#include "log.h"
#include "signal_flush.h"

namespace holdup::inject {
namespace {

uint64_t clock_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

constexpr size_t kCallbackRingCapacity = 1 << 15;
constexpr size_t kSeenFunctionCapacity = 1 << 14;
// The most a signal handler waits for the final flush.
constexpr uint64_t kMaxSignalWaitMs = 500;

timespec to_timespec(uint64_t ns) {
  return timespec{static_cast<time_t>(ns / 1'000'000'000ull), static_cast<long>(ns % 1'000'000'000ull)};
}

// The futex word of an atomic (same size and address as its value).
uint32_t* futex_word(std::atomic<uint32_t>* a) {
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) && std::atomic<uint32_t>::is_always_lock_free);
  return reinterpret_cast<uint32_t*>(a);
}

// A buffer should hold a quarter of the loss bound's worth of GPU work (at
// least a flush period), so that a full one comes back well within it.
BufferSizing buffer_sizing(const Config& c) {
  BufferSizing s;
  s.max_bytes = c.buffer_size_bytes;
  s.min_bytes = std::min(c.buffer_min_bytes, c.buffer_size_bytes);
  const uint64_t bound_ms = c.max_loss_ms != 0 ? c.max_loss_ms : 1000;
  s.target_fill_ns = std::max<uint64_t>(c.flush_period_ms, bound_ms / 4) * 1'000'000ull;
  if (s.min_bytes >= s.max_bytes) s.target_fill_ns = 0;  // fixed size
  return s;
}

}  // namespace

uint64_t monotonic_ms() { return clock_ns(CLOCK_MONOTONIC) / 1'000'000; }

Recorder::Recorder(const Config& config, ActivityControl* control)
    : config_(config),
      control_(control),
      pool_(config.buffer_size_bytes, config.buffer_count, config.buffer_count_max),
      ring_(kCallbackRingCapacity),
      seen_functions_(kSeenFunctionCapacity),
      trace_(&counters_),
      takeover_(config.buffer_size_bytes, sizeof(CUpti_ActivityKernel10)),
      sizer_(buffer_sizing(config)) {
  // Never reallocated on an app thread: one entry per buffer that can exist.
  completed_.reserve(config.buffer_count_max * 2 + 16);
  draining_.reserve(config.buffer_count_max * 2 + 16);
  sem_init(&wake_sem_, 0, 0);
}

Recorder::~Recorder() {
  // A Recorder is normally never destroyed (it must outlive atexit and
  // CUPTI); tests destroy stopped ones.
  if (writer_.joinable()) {
    writer_.detach();
    return;  // a detached writer may still use the semaphore
  }
  sem_destroy(&wake_sem_);
}

bool Recorder::open(std::string* error) {
  if (!trace_.create(config_.output_dir, error)) return false;
  trace_.set_size_cap(config_.size_cap_bytes);
  if (!config_.dump_raw_dir.empty()) {
    std::string dump_error;
    raw_dump_open_ = raw_dump_.create(config_.dump_raw_dir, &dump_error);
    if (!raw_dump_open_) {
      log().warn("{}; no raw dump", dump_error);
      add_note({NoteItem::kWarning, 0, "raw-dump-failed", dump_error});
    }
  }
  const uint32_t got = pool_.preallocate();
  if (got < config_.buffer_count)
    add_note({NoteItem::kWarning, 0, "buffer-pool-short",
              fmt::format("only {} of {} activity buffers of {} bytes could be allocated", got, config_.buffer_count,
                          config_.buffer_size_bytes)});
  return true;
}

void Recorder::add_note(NoteItem note) {
  std::lock_guard lock(notes_mutex_);
  early_notes_.push_back(std::move(note));
}

void Recorder::start(ProcessHeaderInfo header, bool capture_active) {
  capture_active_ = capture_active;
  capture_started_ = capture_active;
  start_ms_ = monotonic_ms();
  capture_start_ms_ = start_ms_;
  last_buffer_back_ms_ = start_ms_;
  writer_running_.store(true, std::memory_order_release);
  // The writer thread is born with the termination signals blocked (it
  // inherits this thread's mask): a signal sent to the process must land
  // on a thread that can wait for the writer.
  sigset_t blocked, previous;
  sigemptyset(&blocked);
  for (int signal : kTerminationSignals) sigaddset(&blocked, signal);
  pthread_sigmask(SIG_BLOCK, &blocked, &previous);
  struct RestoreMask {
    const sigset_t* mask;
    ~RestoreMask() { pthread_sigmask(SIG_SETMASK, mask, nullptr); }
  } restore{&previous};
  try {
    start_writer_thread(std::move(header));
  } catch (...) {
    writer_running_.store(false, std::memory_order_release);
    throw;
  }
}

void Recorder::start_writer_thread(ProcessHeaderInfo header) {
  writer_ = std::thread([this, h = std::move(header)]() mutable {
    try {
      run(std::move(h));
    } catch (const std::exception& e) {
      log().warn("writer thread stopped: {}; the trace {} ends here", e.what(), trace_.path());
    } catch (...) {
      log().warn("writer thread stopped on an unknown error; the trace {} ends here", trace_.path());
    }
    writer_running_.store(false, std::memory_order_release);
    final_done_.store(1, std::memory_order_release);
    syscall(SYS_futex, futex_word(&final_done_), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
    std::lock_guard lock(completed_mutex_);
    writer_done_ = true;
    stopped_cv_.notify_all();
  });
}

void Recorder::wake_writer() { sem_post(&wake_sem_); }

void Recorder::wait_for_wake(uint64_t deadline_ns) {
  const timespec deadline = to_timespec(deadline_ns);
  if (sem_clockwait(&wake_sem_, CLOCK_MONOTONIC, &deadline) == 0) {
    // Several posts (buffers, stop, a signal) are one wake-up.
    while (sem_trywait(&wake_sem_) == 0) {
    }
  }
  // ETIMEDOUT: the periodic tick; EINTR: the loop looks again.
}

bool Recorder::final_flush_for_signal(int signal) {
  if (dead() || !writer_running_.load(std::memory_order_acquire)) return false;
  if (static_cast<uint32_t>(syscall(SYS_gettid)) == writer_tid_.load()) return false;
  int expected = 0;
  signal_requested_.compare_exchange_strong(expected, signal);
  wake_writer();
  const uint64_t wait_ns = std::min<uint64_t>(config_.signal_wait_ms, kMaxSignalWaitMs) * 1'000'000ull;
  const uint64_t deadline = clock_ns(CLOCK_MONOTONIC) + wait_ns;
  while (final_done_.load(std::memory_order_acquire) == 0) {
    const uint64_t now = clock_ns(CLOCK_MONOTONIC);
    if (now >= deadline) return false;
    const timespec left = to_timespec(deadline - now);
    syscall(SYS_futex, futex_word(&final_done_), FUTEX_WAIT_PRIVATE, 0, &left, nullptr, 0);
  }
  return true;
}

uint8_t* Recorder::acquire_buffer(size_t* size) {
  *size = 0;
  if (dead()) return nullptr;
  uint8_t* b = pool_.acquire();
  if (b != nullptr) {
    // Few buffers left (a burst of requests between two top-ups): whole
    // ones, so that the next requests are not denied and records dropped.
    const bool short_now = pool_short_.load(std::memory_order_relaxed) || pool_.free_count() < 2;
    *size = sizer_.on_request(short_now);
    counters_.buffers_requested.fetch_add(1, std::memory_order_relaxed);
    counters_.buffer_bytes_handed_out.fetch_add(*size, std::memory_order_relaxed);
  } else {
    counters_.buffers_denied.fetch_add(1, std::memory_order_relaxed);
  }
  return b;
}

void Recorder::on_buffer_completed(uint8_t* buffer, size_t valid_bytes) {
  if (dead() || buffer == nullptr) return;
  const bool forced = forcing_.load(std::memory_order_acquire);
  bool wake = false;
  {
    std::lock_guard lock(completed_mutex_);
    if (writer_done_) return;  // too late: the file is closed
    if (completed_.size() < completed_.capacity()) completed_.push_back({buffer, valid_bytes, forced});
    wake = !wake_requested_;
    wake_requested_ = true;
  }
  if (wake) wake_writer();
}

bool Recorder::post_event(const CallbackEvent& event) {
  if (dead()) return false;
  if (ring_.try_push(event)) return true;
  counters_.callback_events_dropped.fetch_add(1, std::memory_order_relaxed);
  return false;
}

uint64_t Recorder::timestamp_ns() { return control_ != nullptr ? control_->timestamp_ns() : clock_ns(CLOCK_REALTIME); }

void Recorder::run(ProcessHeaderInfo header) {
  writer_tid_.store(static_cast<uint32_t>(syscall(SYS_gettid)));
  pthread_setname_np(pthread_self(), "holdup-writer");
  trace_.set_ignored_thread(writer_tid_.load());
  trace_.set_thread_namer(&thread_namer_);
  trace_.set_layouts_known(layouts_known_);
  trace_.health().other_subscriber = other_subscriber_;

  if (control_ != nullptr && control_->has_cuda()) {
    std::string why;
    if (!collect_cuda_info(&header, 500, &why))
      add_note({NoteItem::kInfo, 0, "device-identity-unavailable",
                fmt::format("device identities not in the header ({}); see the DEVICE records", why)});
  }
  {
    std::lock_guard lock(notes_mutex_);
    for (auto& n : early_notes_) trace_.add_note(std::move(n));
    early_notes_.clear();
  }
  trace_.write_header(header);
  log().info("recording to {}", trace_.path());

  const uint64_t period_ns = uint64_t{config_.flush_period_ms} * 1'000'000ull;
  const FlushPolicy policy{config_.flush_period_ms, config_.max_loss_ms};
  uint64_t next_periodic_ns = clock_ns(CLOCK_MONOTONIC) + period_ns;
  for (;;) {
    wait_for_wake(next_periodic_ns);
    bool stopping = false;
    {
      std::lock_guard lock(completed_mutex_);
      wake_requested_ = false;
      stopping = stop_requested_;
    }
    // A signal handler is waiting: the same final round as at exit.
    const int signal = signal_requested_.load(std::memory_order_acquire);
    const bool final_round = stopping || signal != 0;
    const bool periodic = final_round || clock_ns(CLOCK_MONOTONIC) >= next_periodic_ns;
    if (periodic) {
      next_periodic_ns = clock_ns(CLOCK_MONOTONIC) + period_ns;
      if (final_round) final_flush(signal);
      else periodic_flush(policy);
    }
    if (drain_completed() > 0) last_buffer_back_ms_ = monotonic_ms();
    weigh_forced_flush();
    if (periodic) periodic_work(monotonic_ms(), final_round);
    if (final_round) break;
    if (periodic && control_ != nullptr) {
      // Wake when a forced flush falls due if that is before the next tick.
      const uint64_t due_ms = forced_flush_due_ms(policy, flush_state());
      if (due_ms != kNeverMs) next_periodic_ns = std::min<uint64_t>(next_periodic_ns, due_ms * 1'000'000ull);
    }
  }
  trace_.finish();
}

// Teardown: stop producing, then collect everything, incomplete records
// included. At a signal, only the flush: the process ends right after it,
// and every CUPTI call here may wait for a lock the interrupted thread holds
// (the handler's wait is bounded, but a flush that never starts keeps
// nothing).
void Recorder::final_flush(int signal) {
  if (signal != 0) {
    trace_.health().final_flush_signal = signal;
  } else if (control_ != nullptr && capture_active_) {
    control_->set_capture(false);
  }
  capture_active_ = false;
  flush_forced();
}

// A tick: a forced flush when the loss bound calls for one (flush_policy.h),
// else a plain one. Also while paused (profiler API range): the last records
// of a range still need collecting.
void Recorder::periodic_flush(const FlushPolicy& policy) {
  if (control_ == nullptr) return;
  const FlushState state = flush_state();
  if (decide_flush(policy, state) == FlushKind::kForced) {
    ++trace_.health().forced_flushes;
    last_forced_ms_ = state.now_ms;
    weigh_forced_ = true;
    forced_gpu_before_ = trace_.health().forced_gpu_records;
    cut_gpu_before_ = cut_gpu_records();
    flush_forced();
  } else {
    control_->flush(false);
  }
}

uint64_t Recorder::cut_gpu_records() {
  uint64_t cut = 0;
  for (ActivityKind k : {ActivityKind::kConcurrentKernel, ActivityKind::kMemcpy, ActivityKind::kMemcpy2,
                         ActivityKind::kMemset})
    cut += trace_.health().incomplete_by_kind[static_cast<size_t>(k)];
  return cut;
}

// A forced flush that cut more GPU records than it brought back whole waits
// longer before the next one (flush_policy.h).
void Recorder::weigh_forced_flush() {
  if (!weigh_forced_) return;
  weigh_forced_ = false;
  const uint64_t returned = trace_.health().forced_gpu_records - forced_gpu_before_;
  const uint64_t cut = cut_gpu_records() - cut_gpu_before_;
  force_backoff_ = next_force_backoff(force_backoff_, returned > cut ? returned - cut : 0, cut);
}

FlushState Recorder::flush_state() {
  const uint64_t now = monotonic_ms();
  const uint64_t requested = counters_.buffers_requested.load(std::memory_order_relaxed);
  const uint64_t completed = trace_.health().buffers_completed;
  const uint64_t outstanding = requested > completed ? requested - completed : 0;
  // CUPTI holds none of our buffers: nothing it holds is older than now.
  if (outstanding == 0) last_buffer_back_ms_ = now;
  return FlushState{now, last_buffer_back_ms_, last_forced_ms_, outstanding, force_backoff_};
}

void Recorder::flush_forced() {
  if (control_ == nullptr) return;
  forcing_.store(true, std::memory_order_release);
  control_->flush(true);
  forcing_.store(false, std::memory_order_release);
}

size_t Recorder::drain_completed() {
  draining_.clear();
  {
    std::lock_guard lock(completed_mutex_);
    draining_.swap(completed_);
  }
  for (const Completed& c : draining_) {
    if (raw_dump_open_) {
      std::string error;
      if (!raw_dump_.append(c.buffer, c.valid_bytes, control_ ? control_->runtime_api_version() : 0, &error,
                            c.forced)) {
        log().warn("{}; raw dump stopped", error);
        raw_dump_open_ = false;
      }
    }
    trace_.write_buffer(c.buffer, c.valid_bytes, c.forced);
    returned_bytes_ += c.valid_bytes;
    pool_.release(c.buffer);
    takeover_.on_buffer_completed();  // zeroes it here, off the app's threads
  }
  return draining_.size();
}

void Recorder::drain_events() {
  CallbackEvent e;
  while (ring_.try_pop(&e)) {
    if (e.type == CallbackEvent::Type::kLaunch) takeover_.on_launches(1);
    trace_.add_callback_event(e);
  }
  // Later launches of a function, counted without an event.
  const uint64_t counted = counters_.launches_counted.sum();
  takeover_.on_launches(counted - launches_counted_seen_);
  launches_counted_seen_ = counted;
}

void Recorder::capture_control(uint64_t now_ms) {
  if (control_ == nullptr || capture_finished_ || without_cupti_) return;
  if (!capture_started_ && !config_.profiler_api_range && now_ms - start_ms_ >= config_.start_delay_ms) {
    control_->set_capture(true);
    capture_active_ = capture_started_ = true;
    capture_start_ms_ = now_ms;
    trace_.add_note({NoteItem::kInfo, timestamp_ns(), "capture-started",
                     fmt::format("recording started after HOLDUP_START_DELAY_MS={}", config_.start_delay_ms)});
  }
  const bool duration_over =
      config_.duration_ms != 0 && capture_started_ && now_ms - capture_start_ms_ >= config_.duration_ms;
  if (duration_over || trace_.stopped_by_size_cap()) {
    control_->set_capture(false);
    capture_active_ = false;
    capture_finished_ = true;
    trace_.health().capture_stopped = true;
    if (duration_over)
      trace_.add_note({NoteItem::kInfo, timestamp_ns(), "duration-reached",
                       fmt::format("recording stopped after HOLDUP_DURATION_MS={}", config_.duration_ms)});
  }
}

// CUPTI's dropped-record counts per context, added to the health.
void Recorder::collect_dropped_records() {
  if (control_ == nullptr) return;
  std::vector<DroppedCount> dropped;
  control_->dropped_records(&dropped);
  Health& h = trace_.health();
  for (const DroppedCount& d : dropped) {
    if (d.count == 0) continue;
    h.dropped_records += d.count;
    bool merged = false;
    for (DroppedCount& existing : h.dropped) {
      if (existing.context_id == d.context_id && existing.stream_id == d.stream_id) {
        existing.count += d.count;
        merged = true;
      }
    }
    if (!merged) h.dropped.push_back(d);
  }
}

// One sample of CUPTI's clock against the system clocks (aligning traces).
void Recorder::write_clock_sample() {
  protozero::pbf_writer c(trace_.periodic().writer(), fields::Chunk::clock);
  c.add_uint64(fields::ClockSample::cupti_ns, timestamp_ns());
  c.add_uint64(fields::ClockSample::realtime_ns, clock_ns(CLOCK_REALTIME));
  c.add_uint64(fields::ClockSample::monotonic_ns, clock_ns(CLOCK_MONOTONIC));
}

// More launches than the buffers CUPTI holds could store, and none back:
// another client took the activity buffer callbacks.
void Recorder::check_takeover() {
  Health& h = trace_.health();
  const uint64_t requested = counters_.buffers_requested.load(std::memory_order_relaxed);
  const uint64_t outstanding = requested > h.buffers_completed ? requested - h.buffers_completed : 0;
  if (!capture_active_ || !takeover_.check(outstanding)) return;
  h.activity_callbacks_lost = true;
  const std::string text = fmt::format(
      "another CUPTI client took over the activity buffers: {} kernel launches since CUPTI last returned "
      "a buffer to holdup, more than the {} buffers it holds could store; records after this point are "
      "missing (a framework profiler such as torch.profiler started inside the app?)",
      takeover_.launches_since_completed(), outstanding);
  log().warn("{}", text);
  trace_.add_note({NoteItem::kWarning, timestamp_ns(), "activity-callbacks-lost", text});
}

// The trace file, or its folder, was removed while recording: nothing
// written from here on would be kept. Said once; recording stops, which
// also spares the app the overhead.
void Recorder::check_file_removed() {
  if (file_removed_ || !trace_.file_removed()) return;
  file_removed_ = true;
  log().warn("trace file {} was removed (or its folder) while recording: what it held is lost and recording "
             "stopped; keep the HOLDUP_OUTPUT folder until the app exits",
             trace_.path());
  if (control_ != nullptr && capture_active_) control_->set_capture(false);
  capture_active_ = false;
  capture_finished_ = true;
  trace_.stop_writing();
}

void Recorder::periodic_work(uint64_t now_ms, bool final_round) {
  check_file_removed();
  drain_events();
  {
    std::lock_guard lock(notes_mutex_);
    for (auto& n : early_notes_) trace_.add_note(std::move(n));
    early_notes_.clear();
  }
  collect_dropped_records();
  write_clock_sample();
  capture_control(now_ms);
  check_takeover();
  // Rate-sized buffers are small and many: keep as many free as were
  // preallocated.
  pool_.top_up(std::max<uint32_t>(2, config_.buffer_count));
  // Sizes follow the rate buffers come back at (the GPU's pace).
  sizer_.update(clock_ns(CLOCK_MONOTONIC), returned_bytes_);
  // Few buffers left and the pool at its maximum: hand out whole ones.
  pool_short_.store(pool_.total_count() >= pool_.max_count() && pool_.free_count() * 4 < pool_.max_count(),
                    std::memory_order_relaxed);
  // The last round's events and clock go into the final chunk (finish()).
  if (!final_round) trace_.write_periodic();
}

void Recorder::stop(uint32_t timeout_ms) {
  if (dead() || stopped_.exchange(true)) return;
  if (!writer_.joinable()) {
    trace_.finish();
    return;
  }
  std::unique_lock lock(completed_mutex_);
  stop_requested_ = true;
  wake_writer();
  const bool done =
      stopped_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return writer_done_; });
  lock.unlock();
  if (done) {
    writer_.join();
  } else {
    log().warn("writer thread did not finish within {} ms at exit; the trace {} may lack its last chunk",
               timeout_ms, trace_.path());
    writer_.detach();
  }
}

void Recorder::abandon_after_fork() {
  dead_.store(true, std::memory_order_release);
  // writer_ names the parent's thread: never join, detach or destroy it
  // here (a forked recorder is leaked, never destroyed).
  trace_.abandon();
  raw_dump_.abandon();
}

}  // namespace holdup::inject
