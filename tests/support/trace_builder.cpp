#include "trace_builder.h"

#include <cerrno>
#include <cstring>

#include <google/protobuf/io/coded_stream.h>

#include "checksum/crc32c.h"

namespace holdup {
namespace {

constexpr uint8_t kChunkTag = 0x0a;  // TraceFile.chunk: field 1, length-delimited
constexpr uint8_t kChecksumTag = 0x15;  // TraceFile.chunk_crc32c: field 2, fixed32
constexpr size_t kFileBufferBytes = size_t{1} << 20;

// Tag and length varint of a chunk of `size` bytes; returns the bytes used.
size_t write_prefix(uint8_t* out, size_t size) {
  out[0] = kChunkTag;
  uint8_t* end = google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(size, out + 1);
  return static_cast<size_t>(end - out);
}

// The checksum field after a chunk of `size` bytes at `body`.
std::string checksum_field(const void* body, size_t size) {
  const uint32_t crc = checksum::crc32c(body, size);
  std::string field(1, static_cast<char>(kChecksumTag));
  for (int i = 0; i < 4; ++i) field.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return field;
}

}  // namespace

std::unique_ptr<TraceBuilder> TraceBuilder::create(const std::string& path, std::string* error) {
  std::FILE* file = std::fopen(path.c_str(), "wbe");
  if (!file) {
    if (error) *error = path + ": cannot create: " + std::strerror(errno) + ". Check that the folder exists and is writable";
    return nullptr;
  }
  std::setvbuf(file, nullptr, _IOFBF, kFileBufferBytes);
  return std::unique_ptr<TraceBuilder>(new TraceBuilder(path, file));
}

TraceBuilder::~TraceBuilder() {
  if (file_) std::fclose(file_);
}

bool TraceBuilder::write(const void* data, size_t size) {
  if (!file_) {
    if (error_.empty()) error_ = path_ + ": write after close";
    return false;
  }
  if (std::fwrite(data, 1, size, file_) != size) {
    if (error_.empty()) error_ = path_ + ": write failed: " + std::strerror(errno) + ". Check free disk space";
    return false;
  }
  bytes_written_ += size;
  return true;
}

bool TraceBuilder::append(const proto::Chunk& chunk) {
  const size_t size = chunk.ByteSizeLong();
  serialized_.resize(size);
  chunk.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(serialized_.data()));
  uint8_t prefix[1 + 10];
  const size_t prefix_bytes = write_prefix(prefix, size);
  if (!write(prefix, prefix_bytes) || !write(serialized_.data(), size)) return false;
  if (!checksums_) return true;
  const std::string crc = checksum_field(serialized_.data(), size);
  return write(crc.data(), crc.size());
}

bool TraceBuilder::append_raw(std::string_view bytes) { return write(bytes.data(), bytes.size()); }

bool TraceBuilder::close() {
  if (!file_) return error_.empty();
  bool flushed = std::fflush(file_) == 0;
  if (!flushed && error_.empty()) error_ = path_ + ": flush failed: " + std::strerror(errno) + ". Check free disk space";
  bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!closed && error_.empty()) error_ = path_ + ": close failed: " + std::strerror(errno);
  return error_.empty();
}

std::string frame_chunk(const proto::Chunk& chunk) {
  std::string framed = frame_chunk_without_checksum(chunk);
  const size_t size = chunk.ByteSizeLong();
  return framed + checksum_field(framed.data() + framed.size() - size, size);
}

std::string frame_chunk_without_checksum(const proto::Chunk& chunk) {
  const size_t size = chunk.ByteSizeLong();
  uint8_t prefix[1 + 10];
  const size_t prefix_bytes = write_prefix(prefix, size);
  std::string framed(reinterpret_cast<const char*>(prefix), prefix_bytes);
  framed.resize(prefix_bytes + size);
  chunk.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(framed.data() + prefix_bytes));
  return framed;
}

bool write_trace_file(const std::string& path, const std::vector<proto::Chunk>& chunks,
                      std::string* error) {
  auto writer = TraceBuilder::create(path, error);
  if (!writer) return false;
  for (const auto& chunk : chunks) writer->append(chunk);
  if (!writer->close()) {
    if (error) *error = writer->error();
    return false;
  }
  return true;
}

}  // namespace holdup
