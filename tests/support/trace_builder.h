#pragma once
// The trace builder: writes holdup trace files with full protobuf, for the
// tests' synthetic traces and the bench generator (not installed, never in
// libholdup.so, which writes with protozero). Same framing as the recorder's
// (`0x0a <varint length> <Chunk>` per chunk, see proto/holdup/trace.proto),
// so TraceReader reads what this writes.
//
//   std::string error;
//   auto builder = holdup::TraceBuilder::create("x.trace", &error);
//   if (!builder) { /* error names the file */ }
//   builder->append(chunk);  // chunk 0 carries the header; sequence is yours
//   if (!builder->close()) { /* builder->error() */ }

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "holdup/trace.pb.h"

namespace holdup {

class TraceBuilder {
 public:
  // Creates (or truncates) `path`. On failure returns nullptr and sets *error
  // to a message naming the file.
  static std::unique_ptr<TraceBuilder> create(const std::string& path, std::string* error);

  // Closes the file if close() was not called (errors are then lost).
  ~TraceBuilder();
  TraceBuilder(const TraceBuilder&) = delete;
  TraceBuilder& operator=(const TraceBuilder&) = delete;

  // Appends one framed chunk, written as given (sequence and header
  // included). False on an I/O error: see error().
  bool append(const proto::Chunk& chunk);
  // Appends bytes as they are, unframed: for tests that need torn or corrupt
  // files.
  bool append_raw(std::string_view bytes);
  // Chunks appended from here on carry no checksum (an older recorder's
  // trace); on by default.
  void set_checksums(bool on) { checksums_ = on; }
  // Flushes and closes. False if anything failed since create().
  bool close();

  const std::string& path() const { return path_; }
  const std::string& error() const { return error_; }
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  TraceBuilder(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}
  bool write(const void* data, size_t size);

  std::string path_;
  std::FILE* file_;
  std::string error_;
  uint64_t bytes_written_ = 0;
  std::string serialized_;  // reused between chunks
  bool checksums_ = true;
};

// The framing of one chunk as the recorder writes it: tag, varint length,
// the serialized chunk, then its checksum (TraceFile.chunk_crc32c).
std::string frame_chunk(const proto::Chunk& chunk);
// The same without the checksum, as recorders before 2026-12-07 wrote it.
std::string frame_chunk_without_checksum(const proto::Chunk& chunk);

// Writes `chunks` to `path` in one go. False with *error set on failure.
bool write_trace_file(const std::string& path, const std::vector<proto::Chunk>& chunks,
                      std::string* error);

}  // namespace holdup
