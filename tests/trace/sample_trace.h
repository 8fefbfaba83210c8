#pragma once
// A small synthetic trace with every record kind, for tests of the reader,
// the summary and the `info`/`dump` verbs (values are fixed, so tests can
// look for exact lines).

#include <string>
#include <vector>

#include "holdup/trace.pb.h"

namespace holdup::testing {

// Time origin of the sample: the earliest record starts here.
inline constexpr uint64_t kSampleT0 = 1'700'000'000'000'000'000ull;

// Three chunks (sequence 0, 1, 2): chunk 0 has the header, strings, device,
// context, streams, two kernels, API calls, a launch and an overhead; chunk 1
// a peer memcpy, a D2D memcpy, a memset, sync, event, marker, thread name,
// module event, clock sample and a note; chunk 2 a third kernel and the
// final health.
std::vector<proto::Chunk> sample_chunks();

// The header sample_chunks() puts in chunk 0.
proto::ProcessHeader sample_header();

// A chunk with only a sequence number and the given health (for gap and
// health tests).
proto::Chunk bare_chunk(uint64_t sequence);

// Writes sample_chunks() to `path`; fails the calling test on error.
void write_sample_trace(const std::string& path);

// A fresh, empty folder for one test (removed by the caller if wanted).
std::string make_temp_dir(const std::string& tag);

}  // namespace holdup::testing
