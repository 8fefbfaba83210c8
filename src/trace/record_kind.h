#pragma once
// Counting records by kind (holdup/record_kind.h) in a chunk, and the names
// of the enums records carry.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "holdup/record_kind.h"
#include "holdup/trace.pb.h"

namespace holdup {

// How many records of `kind` the chunk holds.
size_t record_count(const proto::Chunk& chunk, RecordKind kind);

// Names of the enums the records carry, for listings ("COMPUTE", "DTOD",
// "LAZY_FUNCTION_LOADING", ...); the number for values this build does not
// name.
std::string channel_type_name(proto::ChannelType type);
std::string copy_kind_name(proto::CopyKind kind);
std::string memory_kind_name(proto::MemoryKind kind);
std::string overhead_kind_name(proto::OverheadKind kind);
std::string synchronization_type_name(proto::SynchronizationType type);

}  // namespace holdup
