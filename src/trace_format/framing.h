#pragma once
// The trace file's framing, the one definition the recorder (src/inject),
// the reader (src/trace) and the test trace builder (tests/support) share.
// A trace file is a TraceFile message written as it grows: per chunk, field
// `chunk` (tag, varint length, the Chunk's bytes), then field
// `chunk_crc32c` (tag, CRC32C of those bytes, fixed32 little-endian). The
// tags come from the schema's field numbers (holdup/trace.fields.h).
// No allocation but the caller's string; no protobuf runtime.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "holdup/trace.fields.h"

namespace holdup::trace_format {

namespace detail {
constexpr uint8_t tag(uint32_t field, uint32_t wire_type) { return static_cast<uint8_t>((field << 3) | wire_type); }
}  // namespace detail

// TraceFile.chunk: length-delimited (wire type 2).
inline constexpr uint8_t kChunkTag = detail::tag(fields::TraceFile::chunk, 2);
// TraceFile.chunk_crc32c: fixed32 (wire type 5).
inline constexpr uint8_t kChecksumTag = detail::tag(fields::TraceFile::chunk_crc32c, 5);
static_assert(fields::TraceFile::chunk < 16 && fields::TraceFile::chunk_crc32c < 16, "one-byte tags");
inline constexpr size_t kMaxVarintBytes = 10;
// The checksum field: its tag and 4 bytes.
inline constexpr size_t kChecksumFieldBytes = 5;
// The most a chunk's prefix (tag and length) takes.
inline constexpr size_t kMaxPrefixBytes = 1 + kMaxVarintBytes;

// Writes the chunk tag and the varint `body_size` to `out`; returns the
// bytes written (at most kMaxPrefixBytes).
size_t write_chunk_prefix(uint64_t body_size, uint8_t* out);

// Writes the checksum field of `body` to `out` (kChecksumFieldBytes).
void write_checksum_field(const void* body, size_t size, uint8_t* out);

// `body` framed as one chunk followed by its checksum field, into *frame
// (cleared first): one write puts both on disk.
void frame_chunk(std::string_view body, std::string* frame);

enum class VarintResult { ok, truncated, overlong };

// Decodes a base-128 varint from [data, data + size): its value and length.
VarintResult decode_varint(const uint8_t* data, size_t size, uint64_t* value, size_t* length);

}  // namespace holdup::trace_format
