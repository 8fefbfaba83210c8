#pragma once
// The recorder: a writer thread that owns the trace file, and the
// lock-light entry points CUPTI's callbacks use on the app's threads.
//
// Everything slow (file and /proc I/O, decoding, serialization, zeroing
// buffers, CUPTI flushes) happens on the writer thread. App threads only
// take a buffer from the pool, push a completed buffer (a pointer push
// under a short mutex) or push a fixed-size event into a lock-free ring.
//
// CUPTI is reached only through ActivityControl, so the whole machinery
// runs in tests without CUPTI and without a GPU.

#include <semaphore.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "takeover_detector.h"
#include "buffer_pool.h"
#include "buffer_sizing.h"
#include "callback_events.h"
#include "config.h"
#include "flush_policy.h"
#include "recorder_health.h"
#include "process_header.h"
#include "raw_dump.h"
#include "chunk_encoder.h"

namespace holdup::inject {

// What the writer thread asks of CUPTI.
class ActivityControl {
 public:
  virtual ~ActivityControl() = default;
  // cuptiActivityFlushAll(0), or FLUSH_FORCED (at the end, and when no
  // buffer came back for HOLDUP_MAX_LOSS_MS). Completed buffers come back
  // through Recorder::on_buffer_completed, normally before it returns.
  virtual void flush(bool forced) = 0;
  // cuptiGetTimestamp.
  virtual uint64_t timestamp_ns() = 0;
  // Records CUPTI dropped since the last call, per context (called with
  // none of the recorder's locks held: CUPTI takes its own).
  virtual void dropped_records(std::vector<DroppedCount>* out) = 0;
  // Enables or disables the configured activity kinds (capture control).
  virtual void set_capture(bool on) = 0;
  // CUPTI version of the loaded library (0 if unknown).
  virtual uint32_t runtime_api_version() = 0;
  // Whether to query libcuda for the header's device identities.
  virtual bool has_cuda() = 0;
};

class Recorder {
 public:
  // `control` may be null (tests): no flushing, host clock timestamps.
  Recorder(const Config& config, ActivityControl* control);
  ~Recorder();

  // Creates the trace file (and raw dump) and preallocates the buffer pool.
  // On failure returns false with *error naming the file and what to do.
  bool open(std::string* error);

  // Starts the writer thread, which writes chunk 0 at once. `header` holds
  // what the CUPTI layer knows (versions, enabled kinds); the writer adds
  // the rest. The writer thread blocks SIGTERM, SIGINT, SIGHUP and SIGQUIT,
  // so that a signal sent to the process is handled on another thread
  // while it flushes.
  void start(ProcessHeaderInfo header, bool capture_active);

  // Final flush, drain, final chunk, close; joins the writer (at most
  // `timeout_ms`, then leaves it). Safe to call more than once.
  void stop(uint32_t timeout_ms = 10'000);

  // In a forked child: the writer thread does not exist there. Marks the
  // recorder dead without touching locks, the file or the thread.
  void abandon_after_fork();

  // From a signal handler (async-signal-safe: atomics, sem_post,
  // clock_gettime, futex): has the writer thread make the final forced
  // flush, write the final chunk (RecorderHealth.final_flush_signal =
  // `signal`) and close the file, and waits for that at most
  // config().signal_wait_ms. The first signal's number is recorded; later
  // callers wait for the same flush. Returns at once (false) when there is
  // no running writer, or when called on the writer thread itself (a crash
  // there: nothing could flush). True when the flush finished in time.
  bool final_flush_for_signal(int signal);
  bool dead() const { return dead_.load(std::memory_order_acquire); }

  // --- app threads (CUPTI callbacks): no allocation, no blocking -----------
  // A zeroed buffer for CUPTI and, in *size, how much of it to offer
  // (sized by the record rate, buffer_sizing.h), or nullptr (counted as
  // denied).
  uint8_t* acquire_buffer(size_t* size);
  void on_buffer_completed(uint8_t* buffer, size_t valid_bytes);
  // Returns false (and counts it) when the ring is full.
  bool post_event(const CallbackEvent& event);
  SeenFunctionSet& seen_functions() { return seen_functions_; }

  // --- init thread, before start() ------------------------------------------
  void add_note(NoteItem note);
  void set_other_subscriber() { other_subscriber_ = true; }
  // CUPTI refused the subscription: nothing is ever captured (no capture
  // note, no takeover check).
  void set_without_cupti() { without_cupti_ = true; }
  void set_layouts_known(bool known) { layouts_known_ = known; }

  const Config& config() const { return config_; }
  const std::string& path() const { return trace_.path(); }
  BufferPool& pool() { return pool_; }
  SharedCounters& counters() { return counters_; }
  uint32_t writer_thread_id() const { return writer_tid_.load(); }

 private:
  struct Completed {
    uint8_t* buffer;
    size_t valid_bytes;
    bool forced;  // came back while a forced flush was in progress
  };

  void start_writer_thread(ProcessHeaderInfo header);
  void run(ProcessHeaderInfo header);
  // Wakes the writer (sem_post: also from a signal handler).
  void wake_writer();
  // Waits until woken or until `deadline_ns` (CLOCK_MONOTONIC).
  void wait_for_wake(uint64_t deadline_ns);
  void flush_forced();
  // Inputs of the loss bound's decision, now.
  FlushState flush_state();
  // Writes the buffers that came back; returns how many.
  size_t drain_completed();
  void drain_events();
  void periodic_work(uint64_t now_ms, bool final_round);
  void final_flush(int signal);
  void periodic_flush(const FlushPolicy& policy);
  // After a drain that wrote a forced flush's buffers: the next backoff.
  void weigh_forced_flush();
  uint64_t cut_gpu_records();
  void collect_dropped_records();
  void write_clock_sample();
  void check_takeover();
  void check_file_removed();
  void capture_control(uint64_t now_ms);
  uint64_t timestamp_ns();

  const Config config_;
  ActivityControl* const control_;
  SharedCounters counters_;
  BufferPool pool_;
  CallbackRing ring_;
  SeenFunctionSet seen_functions_;
  ChunkEncoder trace_;
  ThreadNamer thread_namer_;
  RawDumpWriter raw_dump_;
  bool raw_dump_open_ = false;

  std::mutex completed_mutex_;
  std::vector<Completed> completed_;    // guarded by completed_mutex_
  std::vector<Completed> draining_;     // writer thread only
  // The writer sleeps on wake_sem_ (posted by on_buffer_completed, stop()
  // and signal handlers); stop() sleeps on stopped_cv_ for writer_done_.
  sem_t wake_sem_;
  std::condition_variable stopped_cv_;
  bool wake_requested_ = false;          // guarded by completed_mutex_
  bool stop_requested_ = false;          // guarded by completed_mutex_
  bool writer_done_ = false;             // guarded by completed_mutex_

  std::mutex notes_mutex_;
  std::vector<NoteItem> early_notes_;  // guarded by notes_mutex_

  std::thread writer_;
  std::atomic<uint32_t> writer_tid_{0};
  std::atomic<bool> dead_{false};
  std::atomic<bool> stopped_{false};
  // Signal path: the first signal asking for the final flush; set when the
  // writer finished (futex word); the writer runs (start() .. its end).
  std::atomic<int> signal_requested_{0};
  std::atomic<uint32_t> final_done_{0};
  std::atomic<bool> writer_running_{false};
  // A forced flush is in progress: buffers coming back are marked forced.
  std::atomic<bool> forcing_{false};
  bool other_subscriber_ = false;
  bool without_cupti_ = false;
  bool layouts_known_ = true;
  bool file_removed_ = false;  // writer thread only
  TakeoverDetector takeover_;  // writer thread only
  uint64_t launches_counted_seen_ = 0;  // writer thread only: counters_.launches_counted read so far

  // Capture state, writer thread only.
  bool capture_active_ = false;
  bool capture_started_ = false;
  bool capture_finished_ = false;
  uint64_t start_ms_ = 0;
  uint64_t capture_start_ms_ = 0;
  // Loss bound, writer thread only.
  uint64_t last_buffer_back_ms_ = 0;
  uint64_t last_forced_ms_ = 0;
  uint32_t force_backoff_ = 1;
  // The loss bound's last forced flush: its buffers are weighed at the next
  // drain (GPU records whole against cut) to set force_backoff_.
  bool weigh_forced_ = false;
  uint64_t forced_gpu_before_ = 0;
  uint64_t cut_gpu_before_ = 0;

  // Request sizes (read on app threads, set by the writer from the bytes
  // CUPTI returned), and whether the pool is short of free buffers (set by
  // the writer each tick).
  BufferSizer sizer_;
  uint64_t returned_bytes_ = 0;  // writer thread only
  std::atomic<bool> pool_short_{false};
};

// Milliseconds on CLOCK_MONOTONIC.
uint64_t monotonic_ms();

}  // namespace holdup::inject
