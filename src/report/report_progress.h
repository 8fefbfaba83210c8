#pragma once
// A progress line on stderr for long `holdup report`/`check` runs: records
// read (with the share of the input), then copies analysed. Written only
// to the error stream, never with the report itself; nothing for runs
// shorter than the interval, so short runs and tests print nothing.

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

namespace holdup::report {

class ProgressLine {
 public:
  // `terminal`: `err` is a terminal, so the line is redrawn in place
  // ("\r"); otherwise one line is written per update.
  ProgressLine(std::ostream& err, std::string_view verb, bool terminal,
               std::chrono::milliseconds interval = std::chrono::seconds(2));
  ~ProgressLine();  // ends a redrawn line
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void reading(uint64_t records, uint64_t bytes_read, uint64_t bytes_total);
  void analysing(uint64_t copies_done, uint64_t copies_total);
  // A stage without a count ("indexing 10.0M records"): shown once the run
  // has lasted half the interval, since stages are few and may run long
  // without a call in between.
  void step(std::string_view what);

 private:
  bool due();
  void show(const std::string& text);

  std::ostream& err_;
  std::string verb_;
  bool terminal_;
  std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point next_;
  bool shown_ = false;
};

// "999", "12.3k", "12.3M", "1.20G".
std::string count_text(uint64_t n);

}  // namespace holdup::report
