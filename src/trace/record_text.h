#pragma once
// One readable line per trace record (`holdup dump`, and anywhere a record
// is shown to a user): kind, device/context/stream, channel, correlation id,
// resolved names, bytes, duration. The time column is left to the caller,
// which knows the time origin.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "trace/record_kind.h"
#include "trace/interned_strings.h"
#include "holdup/format.h"
#include "holdup/trace.pb.h"

namespace holdup {

struct RecordLine {
  // When the record happened (start for intervals); 0 for records without a
  // time (streams, devices, contexts, thread names, strings).
  uint64_t time_ns = 0;
  RecordKind kind = RecordKind::kernel;
  // The stream the record belongs to; -1 for records of no stream.
  int64_t stream_id = -1;
  // Everything after the time column.
  std::string text;
};

// Which kinds to describe (index: RecordKind).
using RecordKindMask = std::array<bool, kRecordKindCount>;

// Appends a line for each record of `chunk` whose kind is in `kinds`, in the
// chunk's field order (callers sort by time). Names are looked up in
// `strings`, which must already hold this chunk's strings.
void describe_chunk(const proto::Chunk& chunk, const InternedStrings& strings, const RecordKindMask& kinds,
                    std::vector<RecordLine>* lines);

// to_ns - from_ns in microseconds, negative when `to` is earlier; exact
// (timestamps are subtracted as integers before the conversion).
double interval_us(uint64_t from_ns, uint64_t to_ns);
// end - start in microseconds, "4000.000 us" (a dump line's duration);
// "? us" when either is 0.
std::string format_interval_us(uint64_t start_ns, uint64_t end_ns);

}  // namespace holdup
