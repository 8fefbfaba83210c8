#pragma once
// Detects that another CUPTI client took the activity buffer callbacks away
// from us after we set them up (torch.profiler started inside the app does
// this: Kineto re-registers the callbacks, CUPTI then fills *its* buffers and
// ours never come back).
//
// The inference is sound, not a timing guess: every kernel launch produces
// at least one kernel record of `min_bytes_per_launch`. When more launches
// than all the buffers we handed out could hold have happened since CUPTI
// last returned a buffer to us, those buffers must have filled, and CUPTI
// returns full buffers whose records are complete — unless it is no longer
// returning them to us.

#include <cstdint>

namespace holdup::inject {

class TakeoverDetector {
 public:
  TakeoverDetector(uint64_t buffer_size_bytes, uint64_t min_bytes_per_launch)
      : buffer_size_bytes_(buffer_size_bytes), min_bytes_per_launch_(min_bytes_per_launch) {}

  void on_buffer_completed() { launches_since_completed_ = 0; }
  void on_launches(uint64_t n) { launches_since_completed_ += n; }

  // `buffers_outstanding`: handed to CUPTI and not yet returned. Returns
  // true once, the first time the launches seen can't fit in them (twice
  // over, for margin).
  bool check(uint64_t buffers_outstanding) {
    if (fired_) return false;
    const uint64_t capacity_launches = (buffers_outstanding + 1) * buffer_size_bytes_ / min_bytes_per_launch_;
    if (launches_since_completed_ > 2 * capacity_launches) {
      fired_ = true;
      return true;
    }
    return false;
  }
  uint64_t launches_since_completed() const { return launches_since_completed_; }

 private:
  uint64_t buffer_size_bytes_;
  uint64_t min_bytes_per_launch_;
  uint64_t launches_since_completed_ = 0;
  bool fired_ = false;
};

}  // namespace holdup::inject
