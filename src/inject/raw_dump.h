#pragma once
// Debug dumps of raw CUPTI activity buffers (HOLDUP_DUMP_RAW_DIR), in the
// block format of raw_block.h, replayable without a GPU.

#include <cstdint>
#include <string>

#include "raw_block.h"

namespace holdup::inject {

// Appends buffers to a dump file; used on the writer thread.
class RawDumpWriter {
 public:
  ~RawDumpWriter();
  // Creates `dir/holdup-<host>-<pid>.cupti-raw` (or .1...).
  bool create(const std::string& dir, std::string* error);
  // Appends one buffer's valid bytes, pointers rewritten; `forced`: it came
  // back from a forced flush (replayed as such).
  bool append(const uint8_t* buffer, size_t valid_bytes, uint32_t cupti_api_version, std::string* error,
              bool forced = false);
  const std::string& path() const { return path_; }
  void abandon() { fd_ = -1; }

 private:
  int fd_ = -1;
  std::string path_;
  std::string scratch_;
  std::string strings_;
};

}  // namespace holdup::inject
