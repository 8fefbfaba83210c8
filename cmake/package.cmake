# The installed library: an outside project does `find_package(holdup)` and
# links `holdup::holdup` (the trace reader and the analysis, with their usage
# requirements: C++20, include paths, protobuf). The recorder is not part of
# it: it is injected, never linked.
include(CMakePackageConfigHelpers)

add_library(holdup_api INTERFACE)
add_library(holdup::holdup ALIAS holdup_api)
set_target_properties(holdup_api PROPERTIES EXPORT_NAME holdup)
target_link_libraries(holdup_api INTERFACE holdup_analysis holdup_trace holdup_proto)
target_compile_features(holdup_api INTERFACE cxx_std_20)

set(HOLDUP_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/holdup)
install(TARGETS holdup_api holdup_analysis holdup_trace holdup_format holdup_proto holdup_logging holdup_fmt holdup_trace_format EXPORT holdupTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# The public headers: everything in include/holdup/ (the tree's own headers
# live beside their sources in src/ and are never installed).
# None names a generated protobuf type (the model keeps the recorder's own
# records behind RecorderRecords), so no generated header is installed; the
# schema itself is, for readers of the raw records.
install(FILES include/holdup/analysis.h include/holdup/analysis_model.h include/holdup/analysis_load.h
              include/holdup/format.h include/holdup/record_kind.h include/holdup/trace_read_status.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/holdup)
install(FILES proto/holdup/trace.proto DESTINATION ${CMAKE_INSTALL_DATADIR}/holdup)
install(EXPORT holdupTargets NAMESPACE holdup:: DESTINATION ${HOLDUP_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/holdupConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/holdupConfig.cmake INSTALL_DESTINATION ${HOLDUP_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/holdupConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/holdupConfig.cmake ${PROJECT_BINARY_DIR}/holdupConfigVersion.cmake
        DESTINATION ${HOLDUP_CMAKE_DIR})
