#include "trace_builder.h"

#include <cerrno>
#include <cstring>

#include "trace_format/framing.h"

namespace holdup {
namespace {

constexpr size_t kFileBufferBytes = size_t{1} << 20;

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
  uint8_t prefix[trace_format::kMaxPrefixBytes];
  const size_t prefix_bytes = trace_format::write_chunk_prefix(size, prefix);
  if (!write(prefix, prefix_bytes) || !write(serialized_.data(), size)) return false;
  if (!checksums_) return true;
  uint8_t checksum[trace_format::kChecksumFieldBytes];
  trace_format::write_checksum_field(serialized_.data(), size, checksum);
  return write(checksum, sizeof checksum);
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
  std::string framed;
  trace_format::frame_chunk(chunk.SerializeAsString(), &framed);
  return framed;
}

std::string frame_chunk_without_checksum(const proto::Chunk& chunk) {
  const size_t size = chunk.ByteSizeLong();
  uint8_t prefix[trace_format::kMaxPrefixBytes];
  const size_t prefix_bytes = trace_format::write_chunk_prefix(size, prefix);
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
