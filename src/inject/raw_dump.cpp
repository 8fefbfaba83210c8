#include "raw_dump.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include <cupti.h>
#include <fmt/format.h>

#include "process_header.h"
#include "trace_file.h"
#include "trace_writer.h"

namespace holdup::inject {
namespace {

constexpr char kBlockMagic[8] = {'H', 'R', 'A', 'W', 'B', 'U', 'F', '1'};

void** slot(const char** field) { return reinterpret_cast<void**>(const_cast<char**>(field)); }

// Calls fn(pointer_field, blob_length) for every pointer field of a record.
// blob_length: 0 = NUL-terminated string, >0 = fixed-size blob, -1 = drop.
template <typename Fn>
void for_each_pointer(CUpti_Activity* record, Fn&& fn) {
  switch (record->kind) {
    case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL:
    case CUPTI_ACTIVITY_KIND_KERNEL: {
      auto* r = reinterpret_cast<CUpti_ActivityKernel10*>(record);
      fn(slot(&r->name), 0);
      fn(&r->reserved0, -1);
      fn(reinterpret_cast<void**>(&r->pAccessPolicyWindow), -1);
      break;
    }
    case CUPTI_ACTIVITY_KIND_MEMCPY: fn(&reinterpret_cast<CUpti_ActivityMemcpy6*>(record)->reserved0, -1); break;
    case CUPTI_ACTIVITY_KIND_MEMCPY2: fn(&reinterpret_cast<CUpti_ActivityMemcpyPtoP4*>(record)->reserved0, -1); break;
    case CUPTI_ACTIVITY_KIND_MEMSET: fn(&reinterpret_cast<CUpti_ActivityMemset4*>(record)->reserved0, -1); break;
    case CUPTI_ACTIVITY_KIND_CUDA_EVENT: fn(&reinterpret_cast<CUpti_ActivityCudaEvent2*>(record)->reserved0, -1); break;
    case CUPTI_ACTIVITY_KIND_DEVICE:
      fn(slot(&reinterpret_cast<CUpti_ActivityDevice5*>(record)->name), 0);
      break;
    case CUPTI_ACTIVITY_KIND_MARKER: {
      auto* r = reinterpret_cast<CUpti_ActivityMarker2*>(record);
      fn(slot(&r->name), 0);
      fn(slot(&r->domain), 0);
      break;
    }
    case CUPTI_ACTIVITY_KIND_NAME:
      fn(slot(&reinterpret_cast<CUpti_ActivityName*>(record)->name), 0);
      break;
    case CUPTI_ACTIVITY_KIND_OVERHEAD: {
      auto* r = reinterpret_cast<CUpti_ActivityOverhead3*>(record);
      fn(&r->overheadData, r->overheadKind == CUPTI_ACTIVITY_OVERHEAD_COMMAND_BUFFER_FULL
                               ? static_cast<int>(sizeof(CUpti_ActivityOverheadCommandBufferFullData))
                               : -1);
      break;
    }
    default: break;
  }
}

std::string read_whole_file(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  *ok = static_cast<bool>(in);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

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

ReplayResult replay_raw_dump(const std::string& dump_path, const std::string& trace_path) {
  ReplayResult result;
  bool ok = false;
  const std::string dump = read_whole_file(dump_path, &ok);
  if (!ok) {
    result.error = fmt::format("cannot read raw dump {}", dump_path);
    return result;
  }
  TraceWriter writer(nullptr);
  if (!writer.create_replacing(trace_path, &result.error)) return result;
  ProcessHeaderInfo info;
  info.hostname = "replay";
  info.command_line = {"replay_raw_dump", dump_path};
  info.cupti_build_api_version = CUPTI_API_VERSION;

  std::vector<uint64_t> aligned;  // 8-byte aligned copy of each block's records
  size_t pos = 0;
  bool header_written = false;
  while (pos < dump.size()) {
    RawBlockHeader header{};
    if (dump.size() - pos < sizeof header) {
      result.error = fmt::format("{}: block {} at byte {} is cut short; the dump is truncated", dump_path,
                                 result.blocks, pos);
      break;
    }
    std::memcpy(&header, dump.data() + pos, sizeof header);
    if (std::memcmp(header.magic, kBlockMagic, sizeof kBlockMagic) != 0 || header.pointer_size != sizeof(void*) ||
        dump.size() - pos - sizeof header < header.record_bytes + header.strings_bytes) {
      result.error = fmt::format("{}: block {} at byte {} is not a raw CUPTI block (bad magic, pointer size or "
                                 "length); regenerate the dump with HOLDUP_DUMP_RAW_DIR",
                                 dump_path, result.blocks, pos);
      break;
    }
    if (!header_written) {
      info.cupti_api_version = header.cupti_api_version;
      writer.write_header(info);
      writer.set_layouts_known(header.cupti_api_version == CUPTI_API_VERSION);
      if (header.cupti_api_version != CUPTI_API_VERSION)
        writer.add_note({NoteItem::kWarning, 0, "cupti-version-mismatch",
                         fmt::format("dump recorded with CUPTI API {}, this build decodes {}; records not decoded",
                                     header.cupti_api_version, CUPTI_API_VERSION)});
      header_written = true;
    }
    const char* records = dump.data() + pos + sizeof header;
    const char* strings = records + header.record_bytes;
    aligned.assign((header.record_bytes + 7) / 8, 0);
    auto* data = reinterpret_cast<uint8_t*>(aligned.data());
    std::memcpy(data, records, header.record_bytes);
    CUpti_Activity* record = nullptr;
    while (cuptiActivityGetNextRecord(data, header.record_bytes, &record) == CUPTI_SUCCESS) {
      for_each_pointer(record, [&](void** field, int) {
        auto offset = reinterpret_cast<uintptr_t>(*field);
        *field = offset == 0 || offset > header.strings_bytes ? nullptr
                                                              : const_cast<char*>(strings + offset - 1);
      });
    }
    const uint64_t before = writer.health().records;
    writer.write_buffer(data, header.record_bytes, (header.flags & kRawBlockForced) != 0);
    result.records += writer.health().records - before;
    ++result.blocks;
    pos += sizeof header + header.record_bytes + header.strings_bytes;
  }
  if (!header_written) writer.write_header(info);
  writer.finish();
  return result;
}

}  // namespace holdup::inject
