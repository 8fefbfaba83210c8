// protoc-gen-holdup-fields: a protoc plugin that writes, for every message
// and enum of a .proto file, its field numbers and enum values as C++
// constants (holdup/<name>.fields.h). The recorder writes the trace with
// protozero and takes every number from there, so the schema stays the only
// place a field number is written, and the compiler checks every use.
//
//   protoc --plugin=protoc-gen-holdup-fields=PATH --holdup-fields_out=DIR trace.proto

#include <google/protobuf/compiler/code_generator.h>
#include <google/protobuf/compiler/plugin.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/printer.h>
#include <google/protobuf/io/zero_copy_stream.h>

#include <memory>
#include <set>
#include <string>

namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FileDescriptor;
using google::protobuf::io::Printer;

// Field names that are C++ keywords get a trailing underscore.
std::string identifier(const std::string& name) {
  static const std::set<std::string> keywords = {
      "alignas", "alignof", "and", "asm", "auto", "bool", "break", "case", "catch", "char", "class", "const",
      "continue", "default", "delete", "do", "double", "else", "enum", "explicit", "export", "extern", "false",
      "float", "for", "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "not",
      "operator", "or", "private", "protected", "public", "register", "return", "short", "signed", "sizeof",
      "static", "struct", "switch", "template", "this", "throw", "true", "try", "typedef", "typeid", "typename",
      "union", "unsigned", "using", "virtual", "void", "volatile", "while"};
  return keywords.count(name) ? name + "_" : name;
}

void print_enum(Printer& p, const EnumDescriptor& e) {
  p.Print("namespace $name$ {\n", "name", e.name());
  for (int i = 0; i < e.value_count(); ++i) {
    p.Print("inline constexpr int32_t $value$ = $number$;\n", "value", identifier(e.value(i)->name()), "number",
            std::to_string(e.value(i)->number()));
  }
  p.Print("}  // namespace $name$\n", "name", e.name());
}

void print_message(Printer& p, const Descriptor& m) {
  p.Print("namespace $name$ {\n", "name", m.name());
  for (int i = 0; i < m.field_count(); ++i) {
    p.Print("inline constexpr uint32_t $field$ = $number$;\n", "field", identifier(m.field(i)->name()), "number",
            std::to_string(m.field(i)->number()));
  }
  for (int i = 0; i < m.enum_type_count(); ++i) print_enum(p, *m.enum_type(i));
  for (int i = 0; i < m.nested_type_count(); ++i) print_message(p, *m.nested_type(i));
  p.Print("}  // namespace $name$\n", "name", m.name());
}

class FieldsGenerator : public google::protobuf::compiler::CodeGenerator {
 public:
  // parameter: "namespace=a::b" (default: the package, dots as ::, plus ::fields).
  bool Generate(const FileDescriptor* file, const std::string& parameter,
                google::protobuf::compiler::GeneratorContext* context, std::string* error) const override {
    std::string base = file->name();
    if (base.size() > 6 && base.substr(base.size() - 6) == ".proto") base.resize(base.size() - 6);
    std::unique_ptr<google::protobuf::io::ZeroCopyOutputStream> out(context->Open(base + ".fields.h"));
    Printer p(out.get(), '$');
    p.Print("// Generated from $file$ by protoc-gen-holdup-fields: do not edit.\n"
            "// Field numbers (one constant per field, named as the field) and enum\n"
            "// values (named as the value) of every message and enum.\n"
            "#pragma once\n\n#include <cstdint>\n\n",
            "file", file->name());
    std::string ns;
    if (parameter.rfind("namespace=", 0) == 0) {
      ns = parameter.substr(10);
    } else {
      for (char c : file->package()) ns += c == '.' ? std::string("::") : std::string(1, c);
      ns += "::fields";
    }
    p.Print("namespace $ns$ {\n\n", "ns", ns);
    for (int i = 0; i < file->enum_type_count(); ++i) print_enum(p, *file->enum_type(i));
    for (int i = 0; i < file->message_type_count(); ++i) print_message(p, *file->message_type(i));
    p.Print("\n}  // namespace $ns$\n", "ns", ns);
    if (p.failed()) {
      *error = "could not write " + base + ".fields.h";
      return false;
    }
    return true;
  }
};

}  // namespace

int main(int argc, char** argv) {
  FieldsGenerator generator;
  return google::protobuf::compiler::PluginMain(argc, argv, &generator);
}
