#pragma once
// Building one trace Chunk (proto/holdup/trace.proto) with protozero, and
// interning its strings. Both are owned by the writer thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <protozero/pbf_writer.hpp>

// Field numbers and enum values of proto/holdup/trace.proto, generated from
// the schema (holdup::fields): the only source of numbers for the writers in
// src/inject (tests/inject/check_field_literals.cmake checks for literals).
#include "holdup/trace.fields.h"

namespace holdup::inject {

// String -> iid for one trace file: a small open-addressing table. Each
// string is emitted (as an InternedString) into the chunk that first uses it.
class StringInterner {
 public:
  StringInterner();

  // The string's iid (> 0) and whether this is its first use.
  std::pair<uint64_t, bool> intern(std::string_view text);

  // Forgets every string (e.g. after a chunk that carried some of them could
  // not be written); iids keep increasing so none is ever reused.
  void forget_all();

  size_t size() const { return count_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint64_t iid = 0;  // 0: empty
    uint32_t offset = 0;
    uint32_t length = 0;
  };
  void grow();

  std::vector<Slot> slots_;
  std::string arena_;
  size_t count_ = 0;
  uint64_t next_iid_ = 1;
};

// One chunk under construction: records are appended as they are decoded;
// sequence, health and notes are appended last by finish() (protobuf does
// not care about field order).
class ChunkBuilder {
 public:
  explicit ChunkBuilder(StringInterner& interner);

  protozero::pbf_writer& writer() { return writer_; }

  // iid of `text`, emitting the InternedString into this chunk on first use;
  // 0 for a null or empty string (proto3 default: "no string").
  uint64_t intern(std::string_view text);
  uint64_t intern(const char* text) { return text == nullptr ? 0 : intern(std::string_view(text)); }

  // Records appended so far (for deciding whether a chunk is worth writing).
  void count_record() { ++records_; }
  uint64_t records() const { return records_; }
  size_t encoded_size() const { return body_.size(); }
  std::string& body() { return body_; }

  // Clears the chunk for reuse (keeps the allocation).
  void clear();

 private:
  StringInterner& interner_;
  std::string body_;
  protozero::pbf_writer writer_;
  uint64_t records_ = 0;
};

}  // namespace holdup::inject
