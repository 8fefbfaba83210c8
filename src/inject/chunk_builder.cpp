#include "chunk_builder.h"

#include <cstring>

namespace holdup::inject {
namespace {

uint64_t hash_bytes(std::string_view s) {
  // FNV-1a, 64-bit: strings are short (kernel names, API names).
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h | 1;  // never 0
}

}  // namespace

StringInterner::StringInterner() : slots_(1024) {}

void StringInterner::grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.size() * 2, Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.iid == 0) continue;
    size_t i = s.hash & mask;
    while (slots_[i].iid != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

std::pair<uint64_t, bool> StringInterner::intern(std::string_view text) {
  if ((count_ + 1) * 2 > slots_.size()) grow();
  const uint64_t h = hash_bytes(text);
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.iid == 0) {
      s.hash = h;
      s.iid = next_iid_++;
      s.offset = static_cast<uint32_t>(arena_.size());
      s.length = static_cast<uint32_t>(text.size());
      arena_.append(text);
      ++count_;
      return {s.iid, true};
    }
    if (s.hash == h && std::string_view(arena_).substr(s.offset, s.length) == text) return {s.iid, false};
  }
}

void StringInterner::forget_all() {
  slots_.assign(1024, Slot{});
  arena_.clear();
  count_ = 0;
}

ChunkBuilder::ChunkBuilder(StringInterner& interner) : interner_(interner), writer_(body_) {}

uint64_t ChunkBuilder::intern(std::string_view text) {
  if (text.empty()) return 0;
  auto [iid, first_use] = interner_.intern(text);
  if (first_use) {
    protozero::pbf_writer s(writer_, fields::Chunk::string);
    s.add_uint64(fields::InternedString::iid, iid);
    s.add_string(fields::InternedString::value, text.data(), text.size());
  }
  return iid;
}

void ChunkBuilder::clear() {
  body_.clear();
  records_ = 0;
}

}  // namespace holdup::inject
