#pragma once
// Decodes one CUPTI activity record into the chunk under construction.

#include <cstdint>
#include <vector>

#include <cupti_activity.h>

#include "chunk_builder.h"
#include "recorder_health.h"

namespace holdup::inject {

struct DecodeContext {
  ChunkBuilder& chunk;
  Health& health;
  // Thread ids seen in API records, appended for naming from /proc (may be
  // null).
  std::vector<uint32_t>* thread_ids_seen = nullptr;
  // API records of this thread (the recorder's own writer thread) are
  // skipped: its cuDeviceGet* calls are not the app's.
  uint32_t ignored_thread_id = 0;
  // False when the loaded CUPTI's record layouts are not known to this
  // build: every record is then counted unknown, never read.
  bool layouts_known = true;
  // The buffer came back from a forced flush: a zero start or end then
  // means a record cut in flight (incomplete), not a missing timestamp.
  bool forced_buffer = false;
};

// Appends `record` to ctx.chunk and counts it in ctx.health (records,
// zero timestamps, incomplete records, unknown kinds).
void decode_record(const CUpti_Activity* record, DecodeContext& ctx);

// Size in bytes of `record` for the kinds decode_record reads (their
// layouts as this build knows them); 0 for other kinds.
size_t known_record_size(const CUpti_Activity* record);

// "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", as nvidia-smi prints it.
std::string format_uuid(const unsigned char bytes[16]);

}  // namespace holdup::inject
