#pragma once
// Debug dumps of raw CUPTI activity buffers, replayable without a GPU.
//
// A dump file (`*.cupti-raw`) is a sequence of blocks, one per completed
// CUPTI buffer:
//   RawBlockHeader (little-endian, 40 bytes)
//   record bytes (the buffer's valid bytes, 8-byte aligned)
//   string table (strings_bytes)
// Pointer fields of the known record kinds (kernel name, marker name and
// domain, device name, NAME name, overhead data) are rewritten as
// 1 + offset into that block's string table (0 = null); pointers with no
// meaning outside the process (reserved0, pAccessPolicyWindow, overhead
// data of other overhead kinds) become 0. Replay restores real pointers and
// feeds each buffer through TraceWriter::write_buffer, the same decoding
// path as the recorder's buffer-completed callback.

#include <cstdint>
#include <cstdio>
#include <string>

namespace holdup::inject {

struct RawBlockHeader {
  char magic[8];  // "HRAWBUF1"
  uint32_t cupti_api_version;
  uint32_t pointer_size;
  uint64_t record_bytes;
  uint64_t strings_bytes;
  // Bit 0 (kRawBlockForced): the buffer came back from a forced flush.
  // Other bits 0.
  uint64_t flags;
};
inline constexpr uint64_t kRawBlockForced = 1;
static_assert(sizeof(RawBlockHeader) == 40);

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

struct ReplayResult {
  uint64_t blocks = 0;
  uint64_t records = 0;
  std::string error;  // empty on success
};

// Replays the dump at `dump_path` into a new trace file at `trace_path`:
// a header chunk (magic, format version, cupti version of the dump), one
// chunk per block, a final health chunk.
ReplayResult replay_raw_dump(const std::string& dump_path, const std::string& trace_path);

}  // namespace holdup::inject
