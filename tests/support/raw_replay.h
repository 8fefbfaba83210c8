#pragma once
// Replays a raw CUPTI dump (src/inject/raw_block.h) into a trace file
// through the recorder's own decoding path (ChunkEncoder::write_buffer):
// the tests' way to decode real CUPTI buffers without a GPU. Test support
// only: never in libholdup.so.

#include <cstdint>
#include <string>

namespace holdup::inject {

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
