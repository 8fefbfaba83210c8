// Malformed trace files (issue 14): each ends as one error naming the file,
// the byte offset and the chunk, or, for a torn tail, as a warning with what
// was read before it; never a crash and never an allocation of what a
// length prefix promises. Built from a real trace (an H100 fixture), read
// from a file and from memory (TraceReader::from_bytes) alike.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>

#include "trace/trace_reader.h"

// The largest single allocation since reset: a length prefix must not turn
// into one. Replaces the global operator new of this test program only.
namespace {
std::atomic<size_t> largest_allocation{0};
}  // namespace

void* operator new(size_t size) {
  size_t seen = largest_allocation.load(std::memory_order_relaxed);
  while (size > seen && !largest_allocation.compare_exchange_weak(seen, size)) {
  }
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace holdup {
namespace {

constexpr const char* kFixture = HOLDUP_TEST_DATA_DIR "/h100/seed-lazy/trace/holdup-vm-1498.trace";
constexpr uint64_t kTwoToThe60 = uint64_t{1} << 60;

std::string read_fixture() {
  std::ifstream in(kFixture, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string varint(uint64_t value) {
  std::string out;
  do {
    uint8_t byte = value & 0x7f;
    value >>= 7;
    out.push_back(static_cast<char>(value ? byte | 0x80 : byte));
  } while (value);
  return out;
}

// The fixture's first chunk, framed (tag, length, payload).
std::string first_chunk(const std::string& trace) {
  size_t length = 0, shift = 0, i = 1;
  for (; static_cast<uint8_t>(trace[i]) & 0x80; ++i, shift += 7) length |= size_t(trace[i] & 0x7f) << shift;
  length |= size_t(trace[i] & 0x7f) << shift;
  return trace.substr(0, i + 1 + length);
}

struct Read {
  TraceReadStatus status;
  size_t chunks = 0;
};

Read read_bytes(const std::string& name, const std::string& bytes) {
  auto reader = TraceReader::from_bytes(name, bytes);
  Read out;
  proto::Chunk chunk;
  while (reader->next(&chunk)) ++out.chunks;
  EXPECT_FALSE(reader->next(&chunk)) << "next() after the end must stay false";
  out.status = reader->status();
  return out;
}

class MalformedTraceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    trace_ = read_fixture();
    ASSERT_GT(trace_.size(), 1000u) << kFixture;
    first_ = first_chunk(trace_);
    dir_ = std::filesystem::temp_directory_path() /
           ("holdup-test-malformed-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Reads `bytes` from memory and from a file named `name`: both must end
  // the same way. Returns the file's.
  Read read_both(const std::string& name, const std::string& bytes) {
    const auto path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    std::string error;
    auto reader = TraceReader::open(path, &error);
    EXPECT_TRUE(reader) << error;
    Read from_file;
    if (!reader) return from_file;
    proto::Chunk chunk;
    while (reader->next(&chunk)) ++from_file.chunks;
    from_file.status = reader->status();
    const Read from_memory = read_bytes(path, bytes);
    EXPECT_EQ(from_memory.chunks, from_file.chunks);
    EXPECT_EQ(from_memory.status.error, from_file.status.error);
    EXPECT_EQ(from_memory.status.torn_tail, from_file.status.torn_tail);
    EXPECT_EQ(from_memory.status.torn_bytes, from_file.status.torn_bytes);
    EXPECT_EQ(from_memory.status.bytes, from_file.status.bytes);
    EXPECT_EQ(from_memory.status.warnings, from_file.status.warnings);
    return from_file;
  }

  static void expect_error_at(const Read& read, const std::string& name, uint64_t offset, uint64_t chunk,
                              const std::string& what) {
    const auto& error = read.status.error;
    EXPECT_NE(error.find(name), std::string::npos) << error;
    EXPECT_NE(error.find("byte offset " + std::to_string(offset) + ", chunk " + std::to_string(chunk) + ":"),
              std::string::npos)
        << error;
    EXPECT_NE(error.find(what), std::string::npos) << error;
    EXPECT_EQ(read.chunks, chunk) << "the chunks before the error are read";
  }

  std::string trace_;
  std::string first_;
  std::filesystem::path dir_;
};

TEST_F(MalformedTraceTest, TheWholeFixtureReadsTheSameFromMemoryAndFromAFile) {
  const auto read = read_both("whole.trace", trace_);
  EXPECT_TRUE(read.status.error.empty()) << read.status.error;
  EXPECT_EQ(read.chunks, 5u);
  EXPECT_EQ(read.status.bytes, trace_.size());
  EXPECT_FALSE(read.status.torn_tail);
}

TEST_F(MalformedTraceTest, LengthPrefixOf2To60IsAnErrorAndAllocatesNothingLikeIt) {
  const std::string bytes = first_ + "\x0a" + varint(kTwoToThe60) + std::string(64, 'x');
  largest_allocation = 0;
  const auto read = read_both("huge.trace", bytes);
  EXPECT_LT(largest_allocation.load(), size_t{16} << 20) << "a length prefix must not be allocated";
  expect_error_at(read, "huge.trace", first_.size(), 1, "chunk length 1152921504606846976 is larger than any chunk");
  EXPECT_FALSE(read.status.torn_tail);
}

TEST_F(MalformedTraceTest, LengthPrefixPastTheEndIsATornTailNotAnAllocation) {
  // 2^31 - 1: a length a chunk could have, in a file that ends right after it.
  const std::string bytes = first_ + "\x0a" + varint((uint64_t{1} << 31) - 1) + "abc";
  largest_allocation = 0;
  const auto read = read_both("promise.trace", bytes);
  EXPECT_LT(largest_allocation.load(), size_t{16} << 20);
  EXPECT_TRUE(read.status.error.empty()) << read.status.error;
  EXPECT_TRUE(read.status.torn_tail);
  EXPECT_EQ(read.status.bytes, first_.size());
  EXPECT_EQ(read.status.torn_bytes, bytes.size() - first_.size());
}

TEST_F(MalformedTraceTest, TruncatedChunkIsATornTailWithEverythingBeforeIt) {
  // Cut inside every chunk after the first: the chunks before the cut are
  // read. Cut inside the first, the header: not a trace.
  size_t offset = 0;
  size_t complete = 0;
  while (offset < trace_.size()) {
    const std::string framed = first_chunk(trace_.substr(offset));
    for (size_t cut : {size_t{1}, size_t{2}, framed.size() / 2, framed.size() - 1}) {
      SCOPED_TRACE("cut " + std::to_string(cut) + " bytes into chunk " + std::to_string(complete));
      const auto read = read_both("torn.trace", trace_.substr(0, offset + cut));
      if (complete == 0) {
        // Cut inside the header: nothing to call a trace (issue 21).
        EXPECT_NE(read.status.error.find("not a complete trace"), std::string::npos) << read.status.error;
        EXPECT_EQ(read.chunks, 0u);
        continue;
      }
      EXPECT_TRUE(read.status.error.empty()) << read.status.error;
      EXPECT_TRUE(read.status.torn_tail);
      EXPECT_EQ(read.chunks, complete);
      EXPECT_EQ(read.status.bytes, offset);
      EXPECT_EQ(read.status.torn_bytes, cut);
    }
    offset += framed.size();
    ++complete;
  }
  EXPECT_EQ(complete, 5u);
}

TEST_F(MalformedTraceTest, GarbageIsAnErrorAtItsOffset) {
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>((i * 131 + 7) % 251));
  expect_error_at(read_both("garbage.trace", garbage), "garbage.trace", 0, 0, "not a holdup trace");
  expect_error_at(read_both("tail.trace", first_ + garbage), "tail.trace", first_.size(), 1,
                  "where a chunk tag (0x0a) should be");
  // A tag followed by a length that never ends.
  expect_error_at(read_both("varint.trace", first_ + "\x0a" + std::string(11, '\xff')), "varint.trace",
                  first_.size(), 1, "not a valid varint");
  // A well-framed chunk whose payload is not a Chunk (wire type 7).
  expect_error_at(read_both("payload.trace", first_ + "\x0a\x04\x0f\x0f\x0f\x0f"), "payload.trace", first_.size(), 1,
                  "does not parse as holdup.proto.Chunk");
}

TEST_F(MalformedTraceTest, ZeroLengthFileAndChunks) {
  expect_error_at(read_both("empty.trace", ""), "empty.trace", 0, 0, "the file is empty");
  // A first chunk of zero bytes has no header: not a trace.
  expect_error_at(read_both("zero-first.trace", std::string("\x0a\x00", 2) + trace_.substr(first_.size())),
                  "zero-first.trace", 0, 0, "has no header");
  // A zero-length chunk later is an empty chunk 0 again: read on, with a warning naming where.
  const auto read = read_both("zero-later.trace", first_ + std::string("\x0a\x00", 2) + trace_.substr(first_.size()));
  EXPECT_TRUE(read.status.error.empty()) << read.status.error;
  EXPECT_EQ(read.chunks, 6u);
  ASSERT_FALSE(read.status.warnings.empty());
  EXPECT_NE(read.status.warnings[0].find("zero-later.trace"), std::string::npos) << read.status.warnings[0];
  EXPECT_NE(read.status.warnings[0].find("byte offset " + std::to_string(first_.size())), std::string::npos)
      << read.status.warnings[0];
}

}  // namespace
}  // namespace holdup
