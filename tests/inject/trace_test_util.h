#pragma once
// Test helpers: read a whole trace with the full protobuf classes, and
// make scratch directories.

#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "crc32c.h"
#include "holdup/trace.pb.h"

namespace holdup::inject::testing {

// Every chunk is followed by its CRC32C, as the schema says
// (TraceFile.chunk_crc32c): checked on the raw bytes.
inline void expect_chunk_checksums(const std::string& bytes, const std::string& path) {
  size_t at = 0, chunks = 0;
  while (at < bytes.size()) {
    ASSERT_EQ(static_cast<uint8_t>(bytes[at]), 0x0a) << path << ": chunk tag at " << at;
    uint64_t length = 0;
    size_t i = at + 1;
    for (int shift = 0; i < bytes.size(); shift += 7) {
      const uint8_t b = static_cast<uint8_t>(bytes[i++]);
      length |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) break;
    }
    ASSERT_LE(i + length + 5, bytes.size()) << path << ": chunk " << chunks << " without its checksum";
    ASSERT_EQ(static_cast<uint8_t>(bytes[i + length]), 0x15) << path << ": chunk " << chunks;
    uint32_t stored = 0;
    for (int k = 0; k < 4; ++k) stored |= uint32_t{static_cast<uint8_t>(bytes[i + length + 1 + k])} << (8 * k);
    EXPECT_EQ(stored, holdup::checksum::crc32c(bytes.data() + i, length)) << path << ": chunk " << chunks;
    at = i + length + 5;
    ++chunks;
  }
}

inline holdup::proto::TraceFile read_trace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  expect_chunk_checksums(bytes, path);
  holdup::proto::TraceFile file;
  EXPECT_FALSE(bytes.empty()) << path;
  EXPECT_TRUE(file.ParseFromString(bytes)) << "trace does not parse: " << path;
  return file;
}

// iid -> string over the whole file; fails on a duplicate iid.
inline std::map<uint64_t, std::string> interned_strings(const holdup::proto::TraceFile& file) {
  std::map<uint64_t, std::string> strings;
  for (const auto& chunk : file.chunk())
    for (const auto& s : chunk.string()) {
      EXPECT_GT(s.iid(), 0u);
      EXPECT_TRUE(strings.emplace(s.iid(), s.value()).second) << "iid " << s.iid() << " interned twice";
    }
  return strings;
}

inline std::string make_temp_dir() {
  char tmpl[] = "/tmp/holdup-inject-test-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  EXPECT_NE(dir, nullptr);
  return dir != nullptr ? dir : "/tmp";
}

}  // namespace holdup::inject::testing
