// The progress line of long report runs (see report_progress.h).

#include <fmt/format.h>

#include "report/report_progress.h"

namespace holdup::report {

std::string count_text(uint64_t n) {
  if (n >= 1'000'000'000) return fmt::format("{:.2f}G", n / 1e9);
  if (n >= 1'000'000) return fmt::format("{:.1f}M", n / 1e6);
  if (n >= 10'000) return fmt::format("{:.1f}k", n / 1e3);
  return fmt::format("{}", n);
}

ProgressLine::ProgressLine(std::ostream& err, std::string_view verb, bool terminal,
                           std::chrono::milliseconds interval)
    : err_(err),
      verb_(verb),
      terminal_(terminal),
      interval_(interval),
      start_(std::chrono::steady_clock::now()),
      next_(start_ + interval) {}

ProgressLine::~ProgressLine() {
  if (terminal_ && shown_) err_ << "\n" << std::flush;
}

bool ProgressLine::due() {
  // Checking the clock is cheap next to a chunk or 64k copies.
  const auto now = std::chrono::steady_clock::now();
  if (now < next_) return false;
  next_ = now + interval_;
  return true;
}

void ProgressLine::show(const std::string& text) {
  // "\x1b[K" clears what a longer previous line left on a terminal.
  if (terminal_) {
    err_ << "\r" << verb_ << ": " << text << "\x1b[K" << std::flush;
  } else {
    err_ << verb_ << ": " << text << "\n" << std::flush;
  }
  shown_ = true;
}

void ProgressLine::reading(uint64_t records, uint64_t bytes_read, uint64_t bytes_total) {
  if (!due()) return;
  if (bytes_total > 0) {
    show(fmt::format("read {} records ({:.0f}%) ...", count_text(records),
                     100.0 * static_cast<double>(bytes_read) / static_cast<double>(bytes_total)));
  } else {
    show(fmt::format("read {} records ...", count_text(records)));
  }
}

void ProgressLine::analysing(uint64_t copies_done, uint64_t copies_total) {
  if (!due()) return;
  show(fmt::format("analysing {} copies ({:.0f}%) ...", count_text(copies_total),
                   copies_total ? 100.0 * static_cast<double>(copies_done) / static_cast<double>(copies_total)
                                : 100.0));
}

void ProgressLine::step(std::string_view what) {
  const auto now = std::chrono::steady_clock::now();
  if (now - start_ < interval_ / 2) return;
  next_ = now + interval_;
  show(fmt::format("{} ...", what));
}

}  // namespace holdup::report
