# The layers, enforced at configure time: the reading side (src/trace,
# src/analysis, src/report, src/export), the command (tools/holdup) and the
# installed headers never include the recorder's headers (src/inject: it
# runs inside the user's process, with CUPTI); names they share live in
# src/cuda_names. Re-run on every change to those files (CONFIGURE_DEPENDS).
function(holdup_check_layers)
  set(_reading src/trace src/analysis src/report src/export tools/holdup include/holdup)
  set(_files)
  foreach(dir ${_reading})
    file(GLOB_RECURSE _found CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${dir}/*.h ${PROJECT_SOURCE_DIR}/${dir}/*.cpp
         ${PROJECT_SOURCE_DIR}/${dir}/*.h.in)
    list(APPEND _files ${_found})
  endforeach()
  set(_violations)
  foreach(f ${_files})
    file(RELATIVE_PATH _rel ${PROJECT_SOURCE_DIR} ${f})
    file(STRINGS ${f} _lines REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<](inject/|src/inject/|\\.\\./inject/)")
    foreach(line ${_lines})
      list(APPEND _violations "${_rel}: ${line}")
    endforeach()
    # Command-line parsing (CLI11) belongs to the commands, not the libraries.
    if(NOT _rel MATCHES "^tools/")
      file(STRINGS ${f} _lines REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<]CLI/")
      foreach(line ${_lines})
        list(APPEND _violations "${_rel}: ${line} (CLI11 belongs in tools/)")
      endforeach()
    endif()
  endforeach()
  if(_violations)
    list(JOIN _violations "\n  " _text)
    message(FATAL_ERROR "holdup layers: the reading side includes the recorder's headers (src/inject runs in the "
                        "user's process; move what both need to src/cuda_names) or a library includes CLI11:\n  ${_text}")
  endif()
endfunction()
holdup_check_layers()
