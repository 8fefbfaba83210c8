#pragma once
// Test helpers: read a whole trace with the full protobuf classes, and
// make scratch directories.

#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "holdup/trace.pb.h"

namespace holdup::inject::testing {

inline holdup::proto::TraceFile read_trace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
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
