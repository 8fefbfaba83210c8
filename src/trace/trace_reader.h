#pragma once
// Reading holdup trace files: a stream of chunks (see proto/holdup/trace.proto).
//
// The reader never loads a whole file: it hands out one chunk at a time, so
// memory stays bounded by the largest chunk. A torn last chunk (a process
// killed mid-write) ends the stream cleanly and is reported in status().

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "holdup/trace.pb.h"
#include "holdup/trace_read_status.h"

namespace holdup {

class TraceReader {
 public:
  // Opens `path`. On failure returns nullptr and sets *error to a message
  // naming the file and what to do.
  static std::unique_ptr<TraceReader> open(const std::string& path, std::string* error);
  // Reads a trace held in memory (`bytes` must outlive the reader); `name`
  // stands for the file in messages.
  static std::unique_ptr<TraceReader> from_bytes(std::string name, std::string_view bytes);

  virtual ~TraceReader() = default;

  // Parses the next chunk into *chunk (cleared first). Returns false at the
  // end of the file, at a torn tail, or on error: check status().
  virtual bool next(proto::Chunk* chunk) = 0;

  virtual const TraceReadStatus& status() const = 0;
  virtual const std::string& path() const = 0;
};

}  // namespace holdup
