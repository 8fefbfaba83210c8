#pragma once
// CRC32C (Castagnoli), the checksum after every trace chunk
// (TraceFile.chunk_crc32c in proto/holdup/trace.proto).
//
// Written here rather than taken from a library: the recorder runs inside
// the user's process and may bring no dynamic dependency, and the reader
// must compute the very same function. SSE4.2's crc32 instruction where the
// CPU has it (about 10 GB/s: no measurable cost per chunk), a table
// otherwise; both give the standard CRC32C (check value 0xe3069283 for
// "123456789").

#include <cstddef>
#include <cstdint>

namespace holdup::checksum {

// The CRC32C of [data, data + size), continuing from `crc` (0 to start).
uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);

}  // namespace holdup::checksum
