# Runs init_without_gpu against libholdup.so with HOLDUP_OUTPUT in a scratch
# dir; asserts exit code 0, at most one "holdup:" line on stderr, and a
# trace file carrying the header (the trace is checked by the gtest
# InitWithoutGpu.TraceHasHeaderAndNote when HOLDUP_INIT_TRACE_DIR is kept).
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env HOLDUP_OUTPUT=${WORK_DIR} ${PROGRAM} ${LIBRARY}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
message(STATUS "stdout: ${out}")
message(STATUS "stderr: ${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "init_without_gpu exited with ${rc}; expected 0")
endif()
if(NOT out MATCHES "InitializeInjection returned 1")
  message(FATAL_ERROR "InitializeInjection did not return 1")
endif()
string(REGEX MATCHALL "holdup:" warnings "${err}")
list(LENGTH warnings n)
if(n GREATER 1)
  message(FATAL_ERROR "expected at most one holdup: warning, got ${n}")
endif()
file(GLOB traces ${WORK_DIR}/*.trace)
list(LENGTH traces ntraces)
if(NOT ntraces EQUAL 1)
  message(FATAL_ERROR "expected one trace file in ${WORK_DIR}, found ${ntraces}")
endif()
file(SIZE ${traces} size)
if(size LESS 20)
  message(FATAL_ERROR "trace ${traces} is only ${size} bytes; expected at least a header chunk")
endif()
