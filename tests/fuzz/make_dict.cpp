// holdup_fuzz_make_dict: the fuzzers' dictionary (libFuzzer/AFL format) made
// from the schema itself: for every field of every message of
// holdup/trace.proto, its tag as it appears on the wire (field number and
// wire type as a varint), and the header's magic. Identical tags are one
// entry, named after the first field that uses it.
//
//   holdup_fuzz_make_dict trace.dict

#include <google/protobuf/descriptor.h>

#include <cstdio>
#include <map>
#include <string>

#include "holdup/trace.pb.h"

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

int wire_type(const FieldDescriptor& field) {
  if (field.is_packed()) return 2;
  switch (field.type()) {
    case FieldDescriptor::TYPE_DOUBLE:
    case FieldDescriptor::TYPE_FIXED64:
    case FieldDescriptor::TYPE_SFIXED64: return 1;
    case FieldDescriptor::TYPE_FLOAT:
    case FieldDescriptor::TYPE_FIXED32:
    case FieldDescriptor::TYPE_SFIXED32: return 5;
    case FieldDescriptor::TYPE_STRING:
    case FieldDescriptor::TYPE_BYTES:
    case FieldDescriptor::TYPE_MESSAGE: return 2;
    case FieldDescriptor::TYPE_GROUP: return 3;
    default: return 0;  // varints: integers, enums, bools
  }
}

std::string escaped_varint(uint64_t value) {
  std::string out;
  do {
    uint8_t byte = value & 0x7f;
    value >>= 7;
    if (value) byte |= 0x80;
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02x", byte);
    out += hex;
  } while (value);
  return out;
}

// escaped tag -> first field using it
void add_fields(const Descriptor& message, std::map<std::string, std::string>* entries) {
  for (int f = 0; f < message.field_count(); ++f) {
    const FieldDescriptor& field = *message.field(f);
    const uint64_t tag = (uint64_t{static_cast<uint32_t>(field.number())} << 3) | wire_type(field);
    entries->emplace(escaped_varint(tag), message.name() + "_" + field.name());
  }
  for (int n = 0; n < message.nested_type_count(); ++n) add_fields(*message.nested_type(n), entries);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: holdup_fuzz_make_dict OUTPUT\n");
    return 2;
  }
  FILE* out = std::fopen(argv[1], "w");
  if (!out) {
    std::perror(argv[1]);
    return 1;
  }
  const auto* file = holdup::proto::TraceFile::descriptor()->file();
  std::map<std::string, std::string> entries;
  for (int m = 0; m < file->message_type_count(); ++m) add_fields(*file->message_type(m), &entries);
  std::fprintf(out, "# Made from %s by holdup_fuzz_make_dict (tests/fuzz/make_dict.cpp); do not edit.\n",
              file->name().c_str());
  std::fprintf(out, "# Each entry is a field's tag on the wire: (number << 3 | wire type) as a varint.\n");
  std::fprintf(out, "magic=\"holdup-trace\"\n");
  for (const auto& [bytes, name] : entries) std::fprintf(out, "%s=\"%s\"\n", name.c_str(), bytes.c_str());
  return std::fclose(out) == 0 ? 0 : 1;
}
