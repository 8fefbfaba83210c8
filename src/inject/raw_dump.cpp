#include "raw_dump.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cupti.h>
#include <fmt/format.h>

#include "process_header.h"
#include "trace_file.h"

namespace holdup::inject {
RawDumpWriter::~RawDumpWriter() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawDumpWriter::create(const std::string& dir, std::string* error) {
  TraceFile file;
  if (!file.create(dir, fmt::format("holdup-{}-{}", host_name(), getpid()), ".cupti-raw", error)) return false;
  path_ = file.path();
  fd_ = file.release();  // the descriptor create() opened (O_EXCL): written sequentially from here
  return true;
}

bool RawDumpWriter::append(const uint8_t* buffer, size_t valid_bytes, uint32_t cupti_api_version,
                           std::string* error, bool forced) {
  if (fd_ < 0) return false;
  scratch_.assign(reinterpret_cast<const char*>(buffer), valid_bytes);
  strings_.clear();
  auto* data = reinterpret_cast<uint8_t*>(scratch_.data());
  CUpti_Activity* record = nullptr;
  while (cuptiActivityGetNextRecord(data, valid_bytes, &record) == CUPTI_SUCCESS) {
    for_each_pointer(record, [this](void** field, int blob) {
      const void* target = *field;
      if (target == nullptr || blob < 0) {
        *field = nullptr;
        return;
      }
      const size_t offset = strings_.size();
      if (blob == 0) strings_.append(static_cast<const char*>(target)).push_back('\0');
      else strings_.append(static_cast<const char*>(target), static_cast<size_t>(blob));
      *field = reinterpret_cast<void*>(offset + 1);
    });
  }
  while (strings_.size() % 8 != 0) strings_.push_back('\0');
  RawBlockHeader header{};
  std::memcpy(header.magic, kBlockMagic, sizeof kBlockMagic);
  header.cupti_api_version = cupti_api_version;
  header.pointer_size = sizeof(void*);
  header.record_bytes = valid_bytes;
  header.strings_bytes = strings_.size();
  header.flags = forced ? kRawBlockForced : 0;
  std::string block(reinterpret_cast<const char*>(&header), sizeof header);
  block += scratch_;
  block += strings_;
  if (::write(fd_, block.data(), block.size()) != static_cast<ssize_t>(block.size())) {
    *error = fmt::format("cannot append to raw dump {}: {}", path_, std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace holdup::inject
