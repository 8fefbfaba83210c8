// A structure-aware mutator for the targets past the decoder (model, report,
// export): byte flips mostly break a chunk's protobuf, so the builder and
// what follows would rarely see a valid record with an odd value. Here one
// mutation in two decodes a chunk, changes one record through protobuf
// reflection (a number set to an extreme or to another record's value, a
// record duplicated or dropped, a string id defined again) and frames it
// again; the other half is libFuzzer's own byte mutation, so the framing
// stays fuzzed too.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "checksum/crc32c.h"
#include "holdup/trace.pb.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using Random = std::minstd_rand;

struct Framed {
  size_t begin = 0;  // payload offset
  size_t size = 0;
};

// The chunks of a well-framed trace, each optionally followed by its
// checksum (0x15, 4 bytes); empty when the framing is broken. *checksummed:
// the first chunk had one.
std::vector<Framed> split(const uint8_t* data, size_t size, bool* checksummed) {
  std::vector<Framed> chunks;
  size_t at = 0;
  *checksummed = false;
  while (at < size) {
    if (data[at] != 0x0a) return {};
    uint64_t length = 0;
    size_t i = at + 1;
    for (int shift = 0; i < size && shift < 64; shift += 7) {
      length |= uint64_t{data[i] & 0x7fu} << shift;
      if ((data[i++] & 0x80) == 0) break;
    }
    if (length > size - i) return {};
    chunks.push_back({i, static_cast<size_t>(length)});
    at = i + length;
    if (at + 5 <= size && data[at] == 0x15) {
      if (chunks.size() == 1) *checksummed = true;
      at += 5;
    }
  }
  return chunks;
}

// A chunk framed again; with `checksummed`, followed by its CRC32C (as the
// recorder writes it), so that the mutation reaches the decoder rather than
// stopping at the checksum.
void append_framed(const std::string& payload, bool checksummed, std::string* out) {
  out->push_back('\x0a');
  for (uint64_t v = payload.size(); ; v >>= 7) {
    out->push_back(static_cast<char>(v >= 0x80 ? (v & 0x7f) | 0x80 : v));
    if (v < 0x80) break;
  }
  *out += payload;
  if (!checksummed) return;
  const uint32_t crc = holdup::checksum::crc32c(payload.data(), payload.size());
  out->push_back('\x15');
  for (int k = 0; k < 4; ++k) out->push_back(static_cast<char>((crc >> (8 * k)) & 0xff));
}

// a + b, wrapping around for integers (as the recorder's counters would).
template <typename T>
T plus(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return a + b;
  }
}

template <typename T>
T pick_value(Random& rng, T current) {
  const T choices[] = {0, 1, std::numeric_limits<T>::max(), std::numeric_limits<T>::lowest(),
                       plus<T>(current, 1), plus<T>(current, static_cast<T>(-1)), plus(current, current),
                       static_cast<T>(current / 2)};
  return choices[rng() % std::size(choices)];
}

// Sets one scalar field of `m` (not repeated) to an interesting value.
void mutate_scalar(Message* m, const FieldDescriptor* f, Random& rng) {
  const auto* r = m->GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_UINT64: r->SetUInt64(m, f, pick_value(rng, r->GetUInt64(*m, f))); break;
    case FieldDescriptor::CPPTYPE_INT64: r->SetInt64(m, f, pick_value(rng, r->GetInt64(*m, f))); break;
    case FieldDescriptor::CPPTYPE_UINT32: r->SetUInt32(m, f, pick_value(rng, r->GetUInt32(*m, f))); break;
    case FieldDescriptor::CPPTYPE_INT32: r->SetInt32(m, f, pick_value(rng, r->GetInt32(*m, f))); break;
    case FieldDescriptor::CPPTYPE_BOOL: r->SetBool(m, f, !r->GetBool(*m, f)); break;
    case FieldDescriptor::CPPTYPE_ENUM: r->SetEnumValue(m, f, pick_value(rng, r->GetEnumValue(*m, f))); break;
    case FieldDescriptor::CPPTYPE_DOUBLE: r->SetDouble(m, f, pick_value<double>(rng, r->GetDouble(*m, f))); break;
    case FieldDescriptor::CPPTYPE_FLOAT: r->SetFloat(m, f, pick_value<float>(rng, r->GetFloat(*m, f))); break;
    case FieldDescriptor::CPPTYPE_STRING: r->SetString(m, f, rng() % 2 ? std::string() : r->GetString(*m, f) + "x"); break;
    case FieldDescriptor::CPPTYPE_MESSAGE: break;
  }
}

// One scalar field that `from` has set, copied to `to` (same type): equal
// ids and times where the records had different ones.
void copy_field(const Message& from, Message* to, Random& rng) {
  const auto* fr = from.GetReflection();
  const auto* tr = to->GetReflection();
  std::vector<const FieldDescriptor*> set;
  fr->ListFields(from, &set);
  if (set.empty()) return;
  const FieldDescriptor* g = set[rng() % set.size()];
  if (g->is_repeated()) return;
  switch (g->cpp_type()) {
    case FieldDescriptor::CPPTYPE_UINT64: tr->SetUInt64(to, g, fr->GetUInt64(from, g)); break;
    case FieldDescriptor::CPPTYPE_INT64: tr->SetInt64(to, g, fr->GetInt64(from, g)); break;
    case FieldDescriptor::CPPTYPE_UINT32: tr->SetUInt32(to, g, fr->GetUInt32(from, g)); break;
    case FieldDescriptor::CPPTYPE_INT32: tr->SetInt32(to, g, fr->GetInt32(from, g)); break;
    case FieldDescriptor::CPPTYPE_ENUM: tr->SetEnumValue(to, g, fr->GetEnumValue(from, g)); break;
    case FieldDescriptor::CPPTYPE_STRING: tr->SetString(to, g, fr->GetString(from, g)); break;
    default: break;
  }
}

// One change somewhere in `m` or the messages under it.
void mutate_message(Message* m, Random& rng, int depth) {
  const auto* r = m->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(*m, &fields);
  if (fields.empty()) return;
  const FieldDescriptor* f = fields[rng() % fields.size()];
  if (!f->is_repeated()) {
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (depth < 3) mutate_message(r->MutableMessage(m, f), rng, depth + 1);
    } else {
      mutate_scalar(m, f, rng);
    }
    return;
  }
  const int n = r->FieldSize(*m, f);
  if (n == 0) return;
  const int i = static_cast<int>(rng() % n);
  if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
    if (rng() % 2) r->RemoveLast(m, f);
    return;
  }
  switch (rng() % 8) {
    case 0:  // a record twice
      r->AddMessage(m, f)->CopyFrom(r->GetRepeatedMessage(*m, f, i));
      break;
    case 1:  // a record dropped
      r->SwapElements(m, f, i, n - 1);
      r->RemoveLast(m, f);
      break;
    case 2: {  // one field of a record set to the same field of another
      const Message& from = r->GetRepeatedMessage(*m, f, static_cast<int>(rng() % n));
      Message* to = r->MutableRepeatedMessage(m, f, i);
      if (&from != to) copy_field(from, to, rng);
      break;
    }
    default:  // a value changed inside a record
      mutate_message(r->MutableRepeatedMessage(m, f, i), rng, depth + 1);
      break;
  }
}

}  // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  Random rng(seed);
  bool checksummed = false;
  const auto chunks = split(data, size, &checksummed);
  if (chunks.empty() || rng() % 2) return LLVMFuzzerMutate(data, size, max_size);
  const size_t which = rng() % chunks.size();
  holdup::proto::Chunk chunk;
  if (!chunk.ParseFromArray(data + chunks[which].begin, static_cast<int>(chunks[which].size))) {
    return LLVMFuzzerMutate(data, size, max_size);
  }
  mutate_message(&chunk, rng, 0);
  std::string out;
  for (size_t c = 0; c < chunks.size(); ++c) {
    if (c == which) {
      append_framed(chunk.SerializeAsString(), checksummed, &out);
    } else {
      append_framed(std::string(reinterpret_cast<const char*>(data) + chunks[c].begin, chunks[c].size), checksummed,
                    &out);
    }
  }
  if (out.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}
