# Fails when the committed dictionary differs from the one made from the
# schema (cmake -DGENERATED=... -DCOMMITTED=... -P check_dict.cmake).
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${GENERATED} ${COMMITTED} RESULT_VARIABLE differ)
if(differ)
  message(FATAL_ERROR "tests/fuzz/trace.dict does not match proto/holdup/trace.proto: copy ${GENERATED} "
                      "over ${COMMITTED} and commit it")
endif()
