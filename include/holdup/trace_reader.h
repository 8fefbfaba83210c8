#pragma once
// Reading holdup trace files: a stream of chunks (see proto/holdup/trace.proto).
//
// The reader never loads a whole file: it hands out one chunk at a time, so
// memory stays bounded by the largest chunk. A torn last chunk (a process
// killed mid-write) ends the stream cleanly and is reported in status().

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "holdup/trace.pb.h"

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
  // Things worth telling the user that did not stop reading (a newer format
  // version, which chunks are missing, ...), each naming the file. Capped.
  std::vector<std::string> warnings;
};

class TraceReader {
 public:
  // Opens `path`. On failure returns nullptr and sets *error to a message
  // naming the file and what to do.
  static std::unique_ptr<TraceReader> open(const std::string& path, std::string* error);

  virtual ~TraceReader() = default;

  // Parses the next chunk into *chunk (cleared first). Returns false at the
  // end of the file, at a torn tail, or on error: check status().
  virtual bool next(proto::Chunk* chunk) = 0;

  virtual const TraceReadStatus& status() const = 0;
  virtual const std::string& path() const = 0;
};

}  // namespace holdup
