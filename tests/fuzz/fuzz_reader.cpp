// holdup_fuzz_reader: the chunk framing and decoder over any bytes, then what
// `holdup info` and `holdup dump` make of the chunks (summary, recorder
// health, one line per record).

#include <cstddef>
#include <cstdint>

#include "fuzz_trace.h"
#include "trace/record_text.h"
#include "trace/trace_summary.h"

using namespace holdup;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto bytes = fuzz::bytes_of(data, size);

  // `holdup dump`: every record of every chunk, names resolved.
  auto reader = TraceReader::from_bytes(fuzz::kTraceName, bytes);
  proto::Chunk chunk;
  InternedStrings strings;
  RecordKindMask kinds;
  kinds.fill(true);
  std::vector<RecordLine> lines;
  while (reader->next(&chunk)) {
    strings.add(chunk);
    lines.clear();
    describe_chunk(chunk, strings, kinds, &lines);
  }
  const auto& status = reader->status();
  fuzz::check_read_error(status);
  fuzz::require(!reader->next(&chunk), "next() stays false after the end", status.error);
  fuzz::require(status.bytes + status.torn_bytes <= size, "the reader accounts for no more bytes than there are",
                std::to_string(status.bytes) + " + " + std::to_string(status.torn_bytes));

  // `holdup info`: the summary and every warning it makes.
  auto again = TraceReader::from_bytes(fuzz::kTraceName, bytes);
  const auto summary = summarize_trace(*again);
  trace_warnings(summary);
  trace_warning_tags(summary);
  return 0;
}
