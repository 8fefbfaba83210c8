#include "raw_replay.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include <cupti.h>
#include <fmt/format.h>

#include "chunk_encoder.h"
#include "process_header.h"
#include "raw_block.h"

namespace holdup::inject {
namespace {

std::string read_whole_file(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  *ok = static_cast<bool>(in);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

ReplayResult replay_raw_dump(const std::string& dump_path, const std::string& trace_path) {
  ReplayResult result;
  bool ok = false;
  const std::string dump = read_whole_file(dump_path, &ok);
  if (!ok) {
    result.error = fmt::format("cannot read raw dump {}", dump_path);
    return result;
  }
  ChunkEncoder encoder(nullptr);
  if (!encoder.create_replacing(trace_path, &result.error)) return result;
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
      encoder.write_header(info);
      encoder.set_layouts_known(header.cupti_api_version == CUPTI_API_VERSION);
      if (header.cupti_api_version != CUPTI_API_VERSION)
        encoder.add_note({NoteItem::kWarning, 0, "cupti-version-mismatch",
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
    const uint64_t before = encoder.health().records;
    encoder.write_buffer(data, header.record_bytes, (header.flags & kRawBlockForced) != 0);
    result.records += encoder.health().records - before;
    ++result.blocks;
    pos += sizeof header + header.record_bytes + header.strings_bytes;
  }
  if (!header_written) encoder.write_header(info);
  encoder.finish();
  return result;
}

}  // namespace holdup::inject
