// The one framing (src/trace_format/framing.h): what it writes is a
// TraceFile that full protobuf parses, chunk and checksum alike, and its
// varints read back.

#include <gtest/gtest.h>

#include "checksum/crc32c.h"
#include "holdup/trace.pb.h"
#include "trace_format/framing.h"

namespace holdup::testing {
namespace {

TEST(Framing, TagsComeFromTheSchema) {
  EXPECT_EQ(trace_format::kChunkTag, 0x0a);
  EXPECT_EQ(trace_format::kChecksumTag, 0x15);
}

TEST(Framing, FramedChunkIsATraceFileThatProtobufReads) {
  proto::Chunk chunk;
  chunk.set_sequence(7);
  for (int i = 0; i < 300; ++i) chunk.add_string()->set_value(std::string(i % 17, 'x'));  // length > 127
  const std::string body = chunk.SerializeAsString();
  std::string frame;
  trace_format::frame_chunk(body, &frame);
  proto::TraceFile file;
  ASSERT_TRUE(file.ParseFromString(frame + frame));
  ASSERT_EQ(file.chunk_size(), 2);
  EXPECT_EQ(file.chunk(1).sequence(), 7u);
  ASSERT_EQ(file.chunk_crc32c_size(), 2);
  EXPECT_EQ(file.chunk_crc32c(0), checksum::crc32c(body.data(), body.size()));
}

TEST(Framing, VarintsRoundTrip) {
  for (uint64_t v : {uint64_t{0}, uint64_t{127}, uint64_t{128}, uint64_t{300}, uint64_t{1} << 35, UINT64_MAX}) {
    uint8_t prefix[trace_format::kMaxPrefixBytes];
    const size_t n = trace_format::write_chunk_prefix(v, prefix);
    uint64_t back = 0;
    size_t length = 0;
    ASSERT_EQ(trace_format::decode_varint(prefix + 1, n - 1, &back, &length), trace_format::VarintResult::ok);
    EXPECT_EQ(back, v);
    EXPECT_EQ(length, n - 1);
    EXPECT_EQ(trace_format::decode_varint(prefix + 1, n - 2, &back, &length), trace_format::VarintResult::truncated);
  }
  const uint8_t overlong[11] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
  uint64_t v = 0;
  size_t length = 0;
  EXPECT_EQ(trace_format::decode_varint(overlong, sizeof overlong, &v, &length), trace_format::VarintResult::overlong);
}

}  // namespace
}  // namespace holdup::testing
