#include "trace_format/framing.h"

#include "checksum/crc32c.h"

namespace holdup::trace_format {

size_t write_chunk_prefix(uint64_t body_size, uint8_t* out) {
  size_t n = 0;
  out[n++] = kChunkTag;
  while (body_size >= 0x80) {
    out[n++] = static_cast<uint8_t>(body_size | 0x80);
    body_size >>= 7;
  }
  out[n++] = static_cast<uint8_t>(body_size);
  return n;
}

void write_checksum_field(const void* body, size_t size, uint8_t* out) {
  const uint32_t crc = checksum::crc32c(body, size);
  out[0] = kChecksumTag;
  for (int i = 0; i < 4; ++i) out[1 + i] = static_cast<uint8_t>((crc >> (8 * i)) & 0xff);
}

void frame_chunk(std::string_view body, std::string* frame) {
  uint8_t prefix[kMaxPrefixBytes];
  uint8_t checksum[kChecksumFieldBytes];
  const size_t prefix_bytes = write_chunk_prefix(body.size(), prefix);
  write_checksum_field(body.data(), body.size(), checksum);
  frame->clear();
  frame->reserve(prefix_bytes + body.size() + kChecksumFieldBytes);
  frame->append(reinterpret_cast<const char*>(prefix), prefix_bytes);
  frame->append(body);
  frame->append(reinterpret_cast<const char*>(checksum), kChecksumFieldBytes);
}

VarintResult decode_varint(const uint8_t* data, size_t size, uint64_t* value, size_t* length) {
  uint64_t result = 0;
  for (size_t i = 0; i < kMaxVarintBytes; ++i) {
    if (i == size) return VarintResult::truncated;
    result |= uint64_t{data[i] & 0x7fu} << (7 * i);
    if ((data[i] & 0x80u) == 0) {
      *value = result;
      *length = i + 1;
      return VarintResult::ok;
    }
  }
  return VarintResult::overlong;
}

}  // namespace holdup::trace_format
