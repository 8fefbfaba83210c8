// Reader and writer: round trip, torn tails, corrupt and foreign files,
// sequence gaps.

#include <gtest/gtest.h>
#include <google/protobuf/util/message_differencer.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "trace/trace_reader.h"
#include "trace_builder.h"
#include "sample_trace.h"

namespace holdup {
namespace {

using testing::bare_chunk;
using testing::sample_chunks;

class TraceReaderTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("reader"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }

  static std::string bytes_of(const std::vector<proto::Chunk>& chunks) {
    std::string bytes;
    for (const auto& c : chunks) bytes += frame_chunk(c);
    return bytes;
  }
  void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
  }
  // Reads all chunks; returns them and the final status.
  static std::vector<proto::Chunk> read_all(const std::string& path, TraceReadStatus* status) {
    std::string error;
    auto reader = TraceReader::open(path, &error);
    EXPECT_TRUE(reader) << error;
    std::vector<proto::Chunk> chunks;
    if (!reader) return chunks;
    proto::Chunk chunk;
    while (reader->next(&chunk)) chunks.push_back(chunk);
    EXPECT_FALSE(reader->next(&chunk)) << "next() after the end must stay false";
    *status = reader->status();
    return chunks;
  }

  std::string dir_;
};

TEST_F(TraceReaderTest, RoundTripKeepsEveryField) {
  auto written = sample_chunks();
  std::string error;
  auto writer = TraceBuilder::create(file("a.trace"), &error);
  ASSERT_TRUE(writer) << error;
  for (const auto& c : written) ASSERT_TRUE(writer->append(c)) << writer->error();
  ASSERT_TRUE(writer->close()) << writer->error();
  EXPECT_EQ(writer->bytes_written(), std::filesystem::file_size(file("a.trace")));

  TraceReadStatus status;
  auto read = read_all(file("a.trace"), &status);
  ASSERT_EQ(read.size(), written.size());
  for (size_t i = 0; i < read.size(); ++i) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(read[i], written[i]))
        << "chunk " << i << " differs";
  }
  EXPECT_TRUE(status.error.empty()) << status.error;
  EXPECT_FALSE(status.torn_tail);
  EXPECT_EQ(status.chunks, 3u);
  EXPECT_EQ(status.bytes, std::filesystem::file_size(file("a.trace")));
  EXPECT_EQ(status.sequence_gaps, 0u);
  EXPECT_TRUE(status.warnings.empty());
}

TEST_F(TraceReaderTest, ChunksLargerThanTheReadBuffer) {
  // Chunks of several MiB cross the 1 MiB read size and force the buffer to grow.
  std::vector<proto::Chunk> chunks{sample_chunks()[0]};
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    auto chunk = bare_chunk(seq);
    for (int i = 0; i < 60000 * static_cast<int>(seq); ++i) {
      auto* k = chunk.add_kernel();
      k->set_start_ns(1000 + i);
      k->set_end_ns(2000 + i);
      k->set_correlation_id(i);
    }
    chunks.push_back(chunk);
  }
  write_bytes(file("big.trace"), bytes_of(chunks));
  TraceReadStatus status;
  auto read = read_all(file("big.trace"), &status);
  ASSERT_EQ(read.size(), 4u);
  EXPECT_EQ(read[3].kernel_size(), 180000);
  EXPECT_EQ(read[3].kernel(179999).correlation_id(), 179999u);
  EXPECT_TRUE(status.error.empty()) << status.error;
}

TEST_F(TraceReaderTest, TornLastChunkAtEveryKindOfOffset) {
  auto chunks = sample_chunks();
  chunks.back().add_note()->set_message(std::string(200, 'x'));  // a two-byte length varint
  const std::string whole = bytes_of(chunks);
  const size_t last_start = whole.size() - frame_chunk(chunks.back()).size();
  // Inside the tag (nothing of it), right after the tag, inside the length
  // varint (the sample's last chunk is > 127 bytes, so two varint bytes),
  // right after the length, inside the payload, one byte short.
  ASSERT_GT(chunks.back().ByteSizeLong(), 127u);
  for (size_t cut : {last_start + 1, last_start + 2, last_start + 3, last_start + 20, whole.size() - 1}) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    write_bytes(file("torn.trace"), whole.substr(0, cut));
    TraceReadStatus status;
    auto read = read_all(file("torn.trace"), &status);
    EXPECT_EQ(read.size(), 2u);
    EXPECT_TRUE(status.torn_tail);
    EXPECT_EQ(status.torn_bytes, cut - last_start);
    EXPECT_EQ(status.bytes, last_start);
    EXPECT_TRUE(status.error.empty()) << status.error;
  }
  // Cut exactly at a chunk boundary: complete, not torn.
  write_bytes(file("cut.trace"), whole.substr(0, last_start));
  TraceReadStatus status;
  EXPECT_EQ(read_all(file("cut.trace"), &status).size(), 2u);
  EXPECT_FALSE(status.torn_tail);
}

TEST_F(TraceReaderTest, TornLengthPromisingHugeChunkDoesNotAllocateIt) {
  std::string bytes = frame_chunk(sample_chunks()[0]);
  bytes += "\x0a\xff\xff\xff\xff\x07";  // promises 2^31-1 bytes, none there
  write_bytes(file("huge.trace"), bytes);
  TraceReadStatus status;
  EXPECT_EQ(read_all(file("huge.trace"), &status).size(), 1u);
  EXPECT_TRUE(status.torn_tail);
  EXPECT_EQ(status.torn_bytes, 6u);
}

TEST_F(TraceReaderTest, EmptyFileIsAnErrorThatSaysWhy) {
  write_bytes(file("empty.trace"), "");
  TraceReadStatus status;
  EXPECT_TRUE(read_all(file("empty.trace"), &status).empty());
  EXPECT_NE(status.error.find("empty.trace"), std::string::npos) << status.error;
  EXPECT_NE(status.error.find("empty"), std::string::npos) << status.error;
  EXPECT_NE(status.error.find("before the recorder wrote anything"), std::string::npos) << status.error;
}

TEST_F(TraceReaderTest, NotATrace) {
  write_bytes(file("text.trace"), "hello, this is not a trace\n");
  TraceReadStatus status;
  EXPECT_TRUE(read_all(file("text.trace"), &status).empty());
  EXPECT_NE(status.error.find("text.trace"), std::string::npos) << status.error;
  EXPECT_NE(status.error.find("not a holdup trace"), std::string::npos) << status.error;
  EXPECT_NE(status.error.find("byte offset 0"), std::string::npos) << status.error;
}

TEST_F(TraceReaderTest, OtherProtobufWithoutMagicIsNotATrace) {
  proto::Chunk no_header = bare_chunk(0);
  no_header.add_kernel()->set_start_ns(1);
  write_bytes(file("noheader.trace"), frame_chunk(no_header));
  TraceReadStatus status;
  EXPECT_TRUE(read_all(file("noheader.trace"), &status).empty());
  EXPECT_NE(status.error.find("no header"), std::string::npos) << status.error;

  proto::Chunk wrong_magic = sample_chunks()[0];
  wrong_magic.mutable_header()->set_magic("perfetto");
  write_bytes(file("magic.trace"), frame_chunk(wrong_magic));
  EXPECT_TRUE(read_all(file("magic.trace"), &status).empty());
  EXPECT_NE(status.error.find("\"perfetto\""), std::string::npos) << status.error;
}

TEST_F(TraceReaderTest, CorruptChunkInTheMiddleOfAnOlderTraceStopsWithOffsetAndChunkNumber) {
  // Recorders before checksums: a chunk that does not parse ends the read.
  auto chunks = sample_chunks();
  std::string first = frame_chunk_without_checksum(chunks[0]);
  std::string second = frame_chunk_without_checksum(chunks[1]);
  // Keep the framing, break the payload: an invalid wire type (7) at the start.
  second[second.size() - chunks[1].ByteSizeLong()] = '\x0f';
  write_bytes(file("corrupt.trace"), first + second + frame_chunk_without_checksum(chunks[2]));
  TraceReadStatus status;
  EXPECT_EQ(read_all(file("corrupt.trace"), &status).size(), 1u);
  EXPECT_FALSE(status.torn_tail);
  EXPECT_EQ(status.verified_chunks, 0u);
  EXPECT_NE(status.error.find("corrupt.trace"), std::string::npos) << status.error;
  EXPECT_NE(status.error.find("byte offset " + std::to_string(first.size())), std::string::npos) << status.error;
  EXPECT_NE(status.error.find("chunk 1"), std::string::npos) << status.error;
  EXPECT_NE(status.error.find("does not parse"), std::string::npos) << status.error;
}

TEST_F(TraceReaderTest, OlderTracesWithoutChecksumsStillRead) {
  auto chunks = sample_chunks();
  std::string bytes;
  for (const auto& c : chunks) bytes += frame_chunk_without_checksum(c);
  write_bytes(file("old.trace"), bytes);
  TraceReadStatus status;
  EXPECT_EQ(read_all(file("old.trace"), &status).size(), chunks.size());
  EXPECT_TRUE(status.error.empty()) << status.error;
  EXPECT_EQ(status.verified_chunks, 0u);
  EXPECT_EQ(status.damaged_chunks, 0u);
}

TEST_F(TraceReaderTest, ChecksumsAreVerified) {
  auto chunks = sample_chunks();
  write_bytes(file("ok.trace"), bytes_of(chunks));
  TraceReadStatus status;
  EXPECT_EQ(read_all(file("ok.trace"), &status).size(), chunks.size());
  EXPECT_EQ(status.verified_chunks, chunks.size());
  EXPECT_EQ(status.bytes, bytes_of(chunks).size());
}

TEST_F(TraceReaderTest, ADamagedChunkIsSkippedAndNamedAndTheRestRead) {
  auto chunks = sample_chunks();
  std::string first = frame_chunk(chunks[0]);
  std::string second = frame_chunk(chunks[1]);
  second[second.size() - 5 - chunks[1].ByteSizeLong() / 2] ^= 0x01;  // one bit inside the payload
  write_bytes(file("damaged.trace"), first + second + frame_chunk(chunks[2]));
  TraceReadStatus status;
  const auto read = read_all(file("damaged.trace"), &status);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_TRUE(status.error.empty()) << status.error;
  EXPECT_EQ(read[1].sequence(), chunks[2].sequence());
  EXPECT_EQ(status.damaged_chunks, 1u);
  EXPECT_EQ(status.damaged_bytes, second.size());
  EXPECT_EQ(status.sequence_gaps, 0u) << "a damaged chunk is counted as damaged, not as a gap";
  ASSERT_FALSE(status.warnings.empty());
  EXPECT_NE(status.warnings[0].find("byte offset " + std::to_string(first.size())), std::string::npos)
      << status.warnings[0];
  EXPECT_NE(status.warnings[0].find("checksum"), std::string::npos) << status.warnings[0];
}

TEST_F(TraceReaderTest, NoSingleBitFlipChangesWhatIsReadSilently) {
  // Issue 21: before checksums, 2 of 200 single-byte flips changed verdicts
  // with exit 0. Now every flip anywhere is an error, a damaged chunk or a
  // torn tail; never different chunks read as if whole.
  auto chunks = sample_chunks();
  const std::string whole = bytes_of(chunks);
  for (size_t at = 0; at < whole.size(); ++at) {
    for (uint8_t bit : {uint8_t{0x01}, uint8_t{0x80}}) {
      std::string bytes = whole;
      bytes[at] = static_cast<char>(bytes[at] ^ bit);
      auto reader = TraceReader::from_bytes("flip", bytes);
      std::vector<proto::Chunk> read;
      proto::Chunk chunk;
      while (reader->next(&chunk)) read.push_back(chunk);
      const auto& st = reader->status();
      const bool reported = !st.error.empty() || st.damaged_chunks > 0 || st.torn_tail;
      ASSERT_TRUE(reported) << "flip of bit " << int(bit) << " at byte " << at << " went unreported";
      // Whatever was read as whole is an unchanged prefix-or-subset of the original.
      for (const auto& c : read) {
        ASSERT_LT(c.sequence(), chunks.size());
        EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(c, chunks[c.sequence()]))
            << "byte " << at << ": chunk " << c.sequence() << " read different";
      }
    }
  }
}

TEST_F(TraceReaderTest, APipeIsReadToItsEnd) {
  auto chunks = sample_chunks();
  const std::string bytes = bytes_of(chunks);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::thread writer([&] {
    // In pieces, as `cat` would.
    for (size_t at = 0; at < bytes.size(); at += 7) {
      const size_t n = std::min<size_t>(7, bytes.size() - at);
      ASSERT_EQ(::write(fds[1], bytes.data() + at, n), static_cast<ssize_t>(n));
    }
    ::close(fds[1]);
  });
  const std::string path = "/dev/fd/" + std::to_string(fds[0]);
  TraceReadStatus status;
  EXPECT_EQ(read_all(path, &status).size(), chunks.size());
  writer.join();
  ::close(fds[0]);
  EXPECT_TRUE(status.error.empty()) << status.error;
  EXPECT_FALSE(status.torn_tail);
  EXPECT_EQ(status.verified_chunks, chunks.size());
}

TEST_F(TraceReaderTest, GarbageWhereATagShouldBe) {
  auto chunks = sample_chunks();
  write_bytes(file("garbage.trace"), frame_chunk(chunks[0]) + std::string(16, '\0'));
  TraceReadStatus status;
  EXPECT_EQ(read_all(file("garbage.trace"), &status).size(), 1u);
  EXPECT_NE(status.error.find("0x00"), std::string::npos) << status.error;
  EXPECT_NE(status.error.find("chunk 1"), std::string::npos) << status.error;
}

TEST_F(TraceReaderTest, SequenceGapsAreCountedAndNamed) {
  auto chunks = sample_chunks();
  chunks[1].set_sequence(3);  // 1 and 2 missing
  chunks[2].set_sequence(4);
  write_bytes(file("gaps.trace"), bytes_of(chunks));
  TraceReadStatus status;
  EXPECT_EQ(read_all(file("gaps.trace"), &status).size(), 3u);
  EXPECT_EQ(status.sequence_gaps, 2u);
  ASSERT_EQ(status.warnings.size(), 1u);
  EXPECT_NE(status.warnings[0].find("chunks 1..2 missing"), std::string::npos) << status.warnings[0];
}

TEST_F(TraceReaderTest, NewerFormatVersionIsReadWithAWarning) {
  auto chunks = sample_chunks();
  chunks[0].mutable_header()->set_format_version(7);
  write_bytes(file("future.trace"), bytes_of(chunks));
  TraceReadStatus status;
  EXPECT_EQ(read_all(file("future.trace"), &status).size(), 3u);
  EXPECT_TRUE(status.error.empty());
  ASSERT_EQ(status.warnings.size(), 1u);
  EXPECT_NE(status.warnings[0].find("format version 7"), std::string::npos) << status.warnings[0];
}

TEST_F(TraceReaderTest, MissingFileFailsAtOpenNamingIt) {
  std::string error;
  EXPECT_FALSE(TraceReader::open(file("nope.trace"), &error));
  EXPECT_NE(error.find("nope.trace"), std::string::npos) << error;
  EXPECT_FALSE(TraceReader::open(dir_, &error));
  EXPECT_NE(error.find("directory"), std::string::npos) << error;
}

TEST_F(TraceReaderTest, WriterReportsUnwritableFolder) {
  std::string error;
  EXPECT_FALSE(TraceBuilder::create(file("no/such/dir/x.trace"), &error));
  EXPECT_NE(error.find("no/such/dir/x.trace"), std::string::npos) << error;
}

}  // namespace
}  // namespace holdup
