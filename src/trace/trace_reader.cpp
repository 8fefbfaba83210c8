// Streams a trace file chunk by chunk: the framing of
// src/trace_format/framing.h (the encoding of proto::TraceFile). One read buffer, reused and
// grown only to the largest chunk seen, so decoding costs one read(2) per
// MiB and one ParseFromArray per chunk into the caller's (reused) Chunk.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "trace/trace_reader.h"

#include "checksum/crc32c.h"
#include "trace_format/framing.h"

namespace holdup {
namespace {

using trace_format::decode_varint;
using trace_format::kChecksumTag;
using trace_format::kChunkTag;
using trace_format::kMaxVarintBytes;
using trace_format::VarintResult;
constexpr size_t kChecksumBytes = trace_format::kChecksumFieldBytes;
constexpr size_t kReadSize = size_t{1} << 20;
// protobuf parses at most INT_MAX bytes; a length past that is corruption, not
// a chunk the recorder could have written.
constexpr uint64_t kMaxChunkBytes = INT_MAX;
constexpr size_t kMaxWarnings = 20;
constexpr std::string_view kMagic = "holdup-trace";

std::string hex_byte(uint8_t byte) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02x", byte);
  return text;
}


// Where the bytes come from: a file, which may still grow while its process
// runs, or memory.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Like read(2): bytes copied (0 at the end), or -1 with errno set.
  virtual ssize_t read(char* to, size_t size) = 0;
  // Bytes there are now; kUnknownSize for a pipe, FIFO or terminal, which
  // are read to their end.
  virtual uint64_t size() const = 0;
  static constexpr uint64_t kUnknownSize = UINT64_MAX;
};

class FileSource final : public ByteSource {
 public:
  explicit FileSource(int fd) : fd_(fd) {
    struct stat st {};
    regular_ = ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
  }
  ~FileSource() override { ::close(fd_); }
  ssize_t read(char* to, size_t size) override { return ::read(fd_, to, size); }
  uint64_t size() const override {
    if (!regular_) return kUnknownSize;
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return 0;
    return static_cast<uint64_t>(st.st_size);
  }

 private:
  int fd_;
  bool regular_ = false;
};

class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::string_view bytes) : bytes_(bytes) {}
  ssize_t read(char* to, size_t size) override {
    const size_t n = std::min(size, bytes_.size() - position_);
    std::memcpy(to, bytes_.data() + position_, n);
    position_ += n;
    return static_cast<ssize_t>(n);
  }
  uint64_t size() const override { return bytes_.size(); }

 private:
  std::string_view bytes_;
  size_t position_ = 0;
};

class ChunkStreamReader final : public TraceReader {
 public:
  ChunkStreamReader(std::string path, std::unique_ptr<ByteSource> source)
      : path_(std::move(path)),
        source_(std::move(source)),
        // A trace in memory needs no more than its size (the buffer grows
        // for larger chunks anyway); a file may still grow.
        buffer_(std::clamp<uint64_t>(source_->size(), 1 + kMaxVarintBytes + kChecksumBytes, kReadSize)) {}

  bool next(proto::Chunk* chunk) override;
  const TraceReadStatus& status() const override { return status_; }
  const std::string& path() const override { return path_; }

 private:
  size_t available() const { return end_ - begin_; }
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(buffer_.data()) + begin_; }
  // Makes at least `wanted` unconsumed bytes contiguous in the buffer, reading
  // as needed. False when the file ends first (or on an I/O error: check
  // failed_).
  bool fill(size_t wanted);
  void consume(size_t bytes) {
    begin_ += bytes;
    offset_ += bytes;
  }
  bool fail(const std::string& what, const std::string& todo);
  void warn(std::string text);
  bool check_first_chunk(const proto::Chunk& chunk);
  void check_sequence(uint64_t sequence);
  enum class Checksum { kVerified, kAbsent, kDamaged, kTorn };
  // The checksum after the chunk framed in the first `framed` unconsumed
  // bytes, whose message is the last `length` of them.
  Checksum check_checksum(size_t framed, uint64_t length);
  bool torn(uint64_t chunk_offset);

  std::string path_;
  std::unique_ptr<ByteSource> source_;
  std::vector<char> buffer_;
  size_t begin_ = 0;  // unconsumed bytes are buffer_[begin_, end_)
  size_t end_ = 0;
  uint64_t offset_ = 0;  // file offset of buffer_[begin_]
  bool at_eof_ = false;
  bool finished_ = false;
  uint64_t next_sequence_ = 0;
  // The first chunk had a checksum: every later one must have one too.
  bool checksummed_ = false;
  TraceReadStatus status_;
};

bool ChunkStreamReader::fill(size_t wanted) {
  if (available() >= wanted) return true;
  if (begin_ + wanted > buffer_.size()) {
    // Move the partial chunk to the front.
    std::memmove(buffer_.data(), buffer_.data() + begin_, available());
    end_ -= begin_;
    begin_ = 0;
  }
  while (available() < wanted && !at_eof_) {
    // Grow only as bytes arrive (doubling, at most to what is wanted): a
    // corrupt length prefix read from a pipe, whose size is unknown, must
    // not make us allocate what it promised.
    if (end_ == buffer_.size()) buffer_.resize(std::min(wanted, std::max(buffer_.size() * 2, buffer_.size() + kReadSize)));
    ssize_t got = source_->read(buffer_.data() + end_, buffer_.size() - end_);
    if (got < 0) {
      if (errno == EINTR) continue;
      fail(std::string("read failed: ") + std::strerror(errno),
           "check the disk and that the file is readable");
      return false;
    }
    if (got == 0) at_eof_ = true;
    end_ += static_cast<size_t>(got);
  }
  return available() >= wanted;
}

bool ChunkStreamReader::fail(const std::string& what, const std::string& todo) {
  if (status_.error.empty()) {
    status_.error = path_ + ": byte offset " + std::to_string(offset_) + ", chunk " +
                    std::to_string(status_.chunks) + ": " + what + ". " + todo;
  }
  finished_ = true;
  return false;
}

void ChunkStreamReader::warn(std::string text) {
  if (status_.warnings.size() < kMaxWarnings) {
    status_.warnings.push_back(path_ + ": " + std::move(text));
  } else if (status_.warnings.size() == kMaxWarnings) {
    status_.warnings.push_back(path_ + ": (further warnings not shown)");
  }
}

bool ChunkStreamReader::check_first_chunk(const proto::Chunk& chunk) {
  if (!chunk.has_header() || chunk.header().magic() != kMagic) {
    std::string what = chunk.has_header()
                           ? "the header's magic is \"" + chunk.header().magic() + "\", not \"holdup-trace\""
                           : "the first chunk (sequence " + std::to_string(chunk.sequence()) +
                                 ") has no header";
    return fail("not a holdup trace: " + what,
                "give a holdup-*.trace file written by libholdup.so (`holdup run`)");
  }
  uint32_t version = chunk.header().format_version();
  if (version > static_cast<uint32_t>(proto::FormatVersion_MAX)) {
    warn("format version " + std::to_string(version) + " is newer than this build reads (" +
         std::to_string(proto::FormatVersion_MAX) +
         "): records and fields added since are ignored; use a newer holdup to see them");
  } else if (version == proto::FORMAT_VERSION_UNSPECIFIED) {
    warn("the header has no format version: read as version 1");
  }
  return true;
}

void ChunkStreamReader::check_sequence(uint64_t sequence) {
  if (sequence == next_sequence_) {
    ++next_sequence_;
    return;
  }
  if (sequence > next_sequence_) {
    uint64_t missing = sequence - next_sequence_;
    status_.sequence_gaps += missing;
    warn("chunk" + std::string(missing > 1 ? "s " : " ") + std::to_string(next_sequence_) +
         (missing > 1 ? ".." + std::to_string(sequence - 1) : "") +
         " missing (the recorder could not write them): their records are lost");
  } else {
    status_.sequence_gaps += 1;
    warn("chunk sequence went back from " + std::to_string(next_sequence_ - 1) + " to " +
         std::to_string(sequence) + " at byte offset " + std::to_string(offset_) +
         " (two recorders wrote one file?)");
  }
  next_sequence_ = sequence + 1;
}

// A file that ends inside a chunk: torn, unless that was the first chunk
// (the header), which leaves nothing to call a trace.
bool ChunkStreamReader::torn(uint64_t chunk_offset) {
  const uint64_t size_now = source_->size();
  const uint64_t present = (size_now == ByteSource::kUnknownSize ? 0 : size_now);
  status_.torn_bytes = std::max<uint64_t>(present, offset_ + available()) - chunk_offset;
  if (status_.chunks == 0) {
    return fail("not a complete trace: the file ends inside its first chunk, the header (" +
                    std::to_string(status_.torn_bytes) + " bytes there)",
                "the recorder may have been stopped while starting, or the file was cut (a partial copy?); "
                "copy the whole file, or record again");
  }
  status_.torn_tail = true;
  finished_ = true;
  return false;
}

ChunkStreamReader::Checksum ChunkStreamReader::check_checksum(size_t framed, uint64_t length) {
  fill(framed + kChecksumBytes);
  if (available() < framed + 1) return checksummed_ ? Checksum::kTorn : Checksum::kAbsent;
  if (data()[framed] != kChecksumTag) return checksummed_ ? Checksum::kDamaged : Checksum::kAbsent;
  if (available() < framed + kChecksumBytes) return Checksum::kTorn;
  const uint8_t* body = data() + framed - length;
  const uint8_t* stored = data() + framed + 1;
  const uint32_t expected = uint32_t{stored[0]} | uint32_t{stored[1]} << 8 | uint32_t{stored[2]} << 16 |
                            uint32_t{stored[3]} << 24;
  return checksum::crc32c(body, static_cast<size_t>(length)) == expected ? Checksum::kVerified
                                                                          : Checksum::kDamaged;
}

bool ChunkStreamReader::next(proto::Chunk* chunk) {
  for (;;) {
    if (finished_) return false;
    const uint64_t chunk_offset = offset_;

    fill(1 + kMaxVarintBytes);
    if (!status_.error.empty()) return false;
    if (available() == 0) {
      finished_ = true;
      if (status_.chunks == 0 && status_.damaged_chunks == 0) {
        return fail("the file is empty",
                    "the process may have ended before the recorder wrote anything (killed, or "
                    "ended with _exit before a flush); run it again, e.g. with --flush-ms");
      }
      return false;
    }
    if (data()[0] != kChunkTag) {
      if (status_.chunks == 0) {
        return fail("not a holdup trace (first byte is not 0x0a, the chunk tag)",
                    "give a holdup-*.trace file written by libholdup.so (`holdup run`)");
      }
      return fail("byte " + hex_byte(data()[0]) + " where a chunk tag (0x0a) should be: the file is corrupt",
                  "the chunks before this offset were read; re-record to get the rest");
    }

    uint64_t length = 0;
    size_t varint_bytes = 0;
    switch (decode_varint(data() + 1, available() - 1, &length, &varint_bytes)) {
      case VarintResult::ok: break;
      case VarintResult::truncated: return torn(chunk_offset);
      case VarintResult::overlong:
        return fail("the chunk length is not a valid varint: the file is corrupt",
                    "the chunks before this offset were read; re-record to get the rest");
    }
    if (length > kMaxChunkBytes) {
      return fail("chunk length " + std::to_string(length) + " is larger than any chunk can be: the file is corrupt",
                  "the chunks before this offset were read; re-record to get the rest");
    }

    const size_t framed = 1 + varint_bytes + static_cast<size_t>(length);
    // A regular file's size is checked before the buffer grows: a torn
    // length prefix must not make us allocate what it promised.
    const uint64_t size_now = source_->size();
    if ((size_now != ByteSource::kUnknownSize && chunk_offset + framed > size_now) || !fill(framed)) {
      if (!status_.error.empty()) return false;
      return torn(chunk_offset);
    }

    switch (check_checksum(framed, length)) {
      case Checksum::kVerified:
        if (status_.chunks == 0) checksummed_ = true;
        ++status_.verified_chunks;
        break;
      case Checksum::kAbsent: break;
      case Checksum::kTorn: return torn(chunk_offset);
      case Checksum::kDamaged: {
        if (!status_.error.empty()) return false;
        if (status_.chunks == 0) {
          return fail("the first chunk (the header) does not match its checksum: the file is damaged",
                      "copy the file again from where it was recorded, or record again");
        }
        const bool has_checksum = available() >= framed + kChecksumBytes && data()[framed] == kChecksumTag;
        const size_t skipped = framed + (has_checksum ? kChecksumBytes : 0);
        ++status_.damaged_chunks;
        status_.damaged_bytes += skipped;
        warn("chunk at byte offset " + std::to_string(chunk_offset) + " (" + std::to_string(length) +
             " bytes) does not match its checksum" + (has_checksum ? "" : " (none follows it)") +
             ": damaged (a flipped byte on disk or in a copy?); skipped, its records are missing");
        if (!has_checksum) {
          // Without the checksum's tag where it belongs, the chunk's length
          // itself may be what was damaged: nothing after it can be framed.
          return fail("no checksum after the chunk at byte offset " + std::to_string(chunk_offset) +
                          ": the file is damaged",
                      "the chunks before this offset were read; copy the file again or re-record");
        }
        consume(skipped);
        next_sequence_ += 1;  // the damaged chunk's sequence is not a gap
        continue;
      }
    }

    if (!chunk->ParseFromArray(data() + 1 + varint_bytes, static_cast<int>(length))) {
      return fail("the chunk (" + std::to_string(length) + " bytes) does not parse as holdup.proto.Chunk: the file is corrupt",
                  "the chunks before this offset were read; re-record to get the rest");
    }
    if (status_.chunks == 0 && !check_first_chunk(*chunk)) return false;
    check_sequence(chunk->sequence());
    const size_t consumed = framed + (checksummed_ ? kChecksumBytes : 0);
    consume(consumed);
    status_.chunks += 1;
    status_.bytes += consumed;
    return true;
  }
}

}  // namespace

std::unique_ptr<TraceReader> TraceReader::open(const std::string& path, std::string* error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (error) {
      *error = path + ": cannot open: " + std::strerror(err) +
               (err == ENOENT ? ". Check the path; `holdup run` prints where the traces went"
                              : ". Check the file's permissions");
    }
    return nullptr;
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    if (error) *error = path + ": is a directory. Give a holdup-*.trace file inside it";
    return nullptr;
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::make_unique<ChunkStreamReader>(path, std::make_unique<FileSource>(fd));
}

std::unique_ptr<TraceReader> TraceReader::from_bytes(std::string name, std::string_view bytes) {
  return std::make_unique<ChunkStreamReader>(std::move(name), std::make_unique<MemorySource>(bytes));
}

}  // namespace holdup
