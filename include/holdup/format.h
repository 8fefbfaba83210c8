#pragma once
// How holdup writes durations, sizes and channel types for people: one
// definition each, shared by the analysis, the reports, the exports and
// `holdup dump`.

#include <cstdint>
#include <string>

namespace holdup {

// "12.3 us", "456 us", "4.05 ms", "12.3 ms", "1.20 s".
std::string format_duration(uint64_t ns);

// "64.0 MiB": one decimal in the largest unit that fits (listings).
std::string format_bytes(uint64_t bytes);

// "64 MiB", "65540 KiB", "8 B": exact, in the largest unit that divides it
// (names of copies, where two sizes must not read the same).
std::string format_bytes_exact(uint64_t bytes);

// CUPTI's channel type (proto::ChannelType): "COMPUTE", "ASYNC_MEMCPY",
// "DECOMP", "" for none (invalid), the number for one this build does not
// name.
std::string channel_type_text(uint32_t type);

}  // namespace holdup
