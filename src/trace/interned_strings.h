#pragma once
// The interned strings of a trace (InternedString records), collected chunk
// by chunk so `*_iid` fields can be resolved to names. A string is emitted in
// the same or an earlier chunk than its first use: add a chunk's strings
// before looking up its records.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "holdup/trace.pb.h"

namespace holdup {

class InternedStrings {
 public:
  // Absorbs the chunk's InternedString records.
  void add(const proto::Chunk& chunk) {
    for (const auto& s : chunk.string()) strings_.insert_or_assign(s.iid(), s.value());
  }
  // The string for `iid`; `fallback` for 0 or an iid not seen (yet).
  std::string_view get(uint64_t iid, std::string_view fallback = {}) const {
    auto it = strings_.find(iid);
    return it == strings_.end() ? fallback : std::string_view(it->second);
  }
  size_t size() const { return strings_.size(); }

 private:
  std::unordered_map<uint64_t, std::string> strings_;
};

}  // namespace holdup
