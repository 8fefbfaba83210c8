#pragma once
// How a trace file was read: what was parsed, what was lost and why. Plain
// data, no protobuf: the analysis keeps one per process (Process::input).

#include <cstdint>
#include <string>
#include <vector>

namespace holdup {

struct TraceReadStatus {
  // Chunks parsed successfully so far.
  uint64_t chunks = 0;
  // Bytes consumed by those chunks.
  uint64_t bytes = 0;
  // The file ended inside a chunk: a length prefix promised more bytes than
  // were there. Everything before it was read.
  bool torn_tail = false;
  // Bytes of the torn chunk that were present (not decoded).
  uint64_t torn_bytes = 0;
  // Non-empty when reading stopped on an error other than a torn tail
  // (not a holdup trace, a chunk that does not parse, I/O error). The text
  // names the file, the byte offset and the chunk number, and what to do.
  std::string error;
  // Sequence gaps seen (chunks the recorder failed to write): the number of
  // chunk sequence numbers skipped, plus one for each step backwards.
  uint64_t sequence_gaps = 0;
  // Chunks followed by a checksum (TraceFile.chunk_crc32c) that matched:
  // 0 for traces from recorders before checksums (read unverified).
  uint64_t verified_chunks = 0;
  // Chunks whose checksum did not match (a flipped byte on disk or in
  // transfer): skipped, never decoded, so their records are missing from
  // every verdict; damaged_bytes counts their bytes.
  uint64_t damaged_chunks = 0;
  uint64_t damaged_bytes = 0;
  // Things worth telling the user that did not stop reading (a newer format
  // version, which chunks are missing, ...), each naming the file. Capped.
  std::vector<std::string> warnings;
};

}  // namespace holdup
