# Fails when a source file of the recorder (src/inject) writes a protobuf
# field number or enum value as an integer literal. Every number must come
# from the schema, through the generated holdup/trace.fields.h
# (holdup::fields::<Message>::<field>, holdup::fields::<Enum>::<VALUE>).
#
#   cmake -DSOURCE_DIR=src/inject [-DEXPECT=N] -P check_field_literals.cmake
#
# Scans SOURCE_DIR/*.cpp and *.h (comments removed) for:
#  - protozero writes with a literal field: w.add_uint64(3, ...),
#    add_bool/add_string/add_message/add_enum/..., and the recorder's helpers
#    put_u32(w, 3, ...), put(3, ...), add_map(8, ...);
#  - a nested writer opened on a literal field: pbf_writer sub(parent, 16);
#  - add_enum with a literal value: w.add_enum(f, 2), w.add_enum(f, x ? 2 : 1);
#  - a namespace of hand-typed field numbers (namespace chunk_field { k = 1 }).
# With EXPECT (self-test on tests/inject/field_literals), succeeds only when
# exactly EXPECT offending lines are found.

cmake_minimum_required(VERSION 3.20)

if(NOT SOURCE_DIR)
  message(FATAL_ERROR "SOURCE_DIR not set")
endif()

set(_ws "[ \t\r\n]*")
set(_id "[A-Za-z_][A-Za-z0-9_]*")
set(_patterns
  # add_*/put* call whose first or second argument is a literal:
  # w.add_uint32(1, ...), put(1, ...), add_map(8, ...), put_u64(k, 1, ...).
  "(^|[^A-Za-z0-9_])(add|put)[A-Za-z0-9_]*\\(${_ws}(${_id}${_ws},${_ws})?[0-9]"
  # pbf_writer name(parent, 16)
  "pbf_writer[ \t\r\n]+${_id}${_ws}\\([^;{}]*,${_ws}[0-9]+${_ws}\\)"
  # add_enum(field, 2) / add_enum(field, cond ? 2 : 1)
  "add_enum${_ws}\\([^;]*,[^;]*[^A-Za-z0-9_][0-9]+[^;]*\\)"
  # namespace chunk_field { constexpr uint32_t kKernel = 10; }
  "namespace[ \t\r\n]+[A-Za-z0-9_]*field[A-Za-z0-9_]*${_ws}{[^};]*=${_ws}[0-9]")

file(GLOB _files "${SOURCE_DIR}/*.cpp" "${SOURCE_DIR}/*.h")
list(SORT _files)
set(_found 0)
set(_report "")
foreach(_file IN LISTS _files)
  file(READ "${_file}" _text)
  # Line comments out (they may quote numbers).
  string(REGEX REPLACE "//[^\n]*" "" _code "${_text}")
  set(_lines_seen "")
  foreach(_pattern IN LISTS _patterns)
    string(REGEX MATCHALL "${_pattern}" _matches "${_code}")
    # Matches come in order: each is looked for after the previous one, so
    # that equal matches get their own lines (comments only remove text
    # inside lines, so line numbers are those of the file).
    set(_cursor 0)
    foreach(_match IN LISTS _matches)
      string(SUBSTRING "${_code}" ${_cursor} -1 _tail)
      string(FIND "${_tail}" "${_match}" _pos)
      math(EXPR _pos "${_cursor} + ${_pos}")
      string(LENGTH "${_match}" _len)
      math(EXPR _cursor "${_pos} + ${_len}")
      string(SUBSTRING "${_code}" 0 ${_pos} _before)
      string(REGEX MATCHALL "\n" _newlines "${_before}")
      list(LENGTH _newlines _line)
      math(EXPR _line "${_line} + 1")
      if(NOT "${_file}:${_line}" IN_LIST _lines_seen)
        list(APPEND _lines_seen "${_file}:${_line}")
        math(EXPR _found "${_found} + 1")
        string(REGEX REPLACE "[\r\n]+[ \t]*" " " _shown "${_match}")
        string(STRIP "${_shown}" _shown)
        string(APPEND _report "  ${_file}:${_line}: ${_shown}\n")
      endif()
    endforeach()
  endforeach()
endforeach()

if(DEFINED EXPECT)
  if(NOT _found EQUAL EXPECT)
    message(FATAL_ERROR "self-test: expected ${EXPECT} literal field numbers in ${SOURCE_DIR}, found ${_found}:\n${_report}")
  endif()
  message(STATUS "self-test: found the ${_found} expected literals:\n${_report}")
  return()
endif()
if(_found GREATER 0)
  message(FATAL_ERROR
    "${_found} literal field number(s) or enum value(s) in ${SOURCE_DIR}; use the constants generated from "
    "proto/holdup/trace.proto (#include \"holdup/trace.fields.h\", e.g. fields::Kernel::start_ns, "
    "fields::ApiCall::Domain::RUNTIME):\n${_report}")
endif()
list(LENGTH _files _n)
message(STATUS "no literal field numbers in ${_n} files of ${SOURCE_DIR}")
