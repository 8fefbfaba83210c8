#pragma once
// What the fuzz targets share: a trace read from the fuzzer's bytes exactly
// as `holdup` reads a file (same reader, same model builder), and a check
// that an error says where it stopped.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "holdup/analysis_model.h"
#include "trace/trace_reader.h"

namespace holdup::fuzz {

// Stands for the file in every message.
inline constexpr const char* kTraceName = "fuzz.trace";

inline std::string_view bytes_of(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Stops the run (libFuzzer saves the input) when `ok` is false.
inline void require(bool ok, const char* what, const std::string& detail) {
  if (ok) return;
  std::fprintf(stderr, "fuzz check failed: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// A reading error must name the file, the byte offset and the chunk.
inline void check_read_error(const TraceReadStatus& status) {
  if (status.error.empty()) return;
  const bool names_all = status.error.find(kTraceName) != std::string::npos &&
                         status.error.find("byte offset ") != std::string::npos &&
                         status.error.find("chunk ") != std::string::npos;
  require(names_all, "a reading error names the file, the byte offset and the chunk", status.error);
}

// The model of one trace held in `bytes`, as analysis::load_traces builds it.
// Returns the reader's status (its error, if any, is what `holdup` prints).
inline TraceReadStatus load_model(std::string_view bytes, analysis::Model* model) {
  auto reader = TraceReader::from_bytes(kTraceName, bytes);
  analysis::ModelBuilder builder;
  builder.begin_trace(kTraceName);
  proto::Chunk chunk;
  while (reader->next(&chunk)) builder.add_chunk(chunk);
  builder.end_trace(reader->status());
  *model = builder.finish();
  check_read_error(reader->status());
  return reader->status();
}

}  // namespace holdup::fuzz
