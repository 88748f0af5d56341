# c_cmake_consumer.cmake: a C-only CMake project (project(x C), no C++ enabled) built
# against the install in PREFIX with find_package(p2pnet COMPONENTS capi). First, asking
# for a component that does not exist must fail the configure and name it; then the
# real consumer is configured (with that component optional, so skipped), built with
# the C compiler as linker, and run.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
set(configure ${CMAKE_COMMAND} -S "${CMAKE_CURRENT_LIST_DIR}/c_consumer" -B "${WORK_DIR}/build"
  ${p2pnet_nested_cmake_args} -DCMAKE_PREFIX_PATH=${PREFIX}
  -Dp2pnet_DIR=${PREFIX}/${LIBDIR}/cmake/p2pnet)
execute_process(COMMAND ${configure} -DP2PNET_TEST_MISSING_COMPONENT=ON
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0 OR NOT out MATCHES "p2pnet component 'no_such_component': no such component")
  message(FATAL_ERROR "a missing required component did not fail clearly (${rc}):\n${out}")
endif()
p2pnet_run("configuring the C consumer" ${configure} -DP2PNET_TEST_MISSING_COMPONENT=OFF)
p2pnet_run("building the C consumer" ${CMAKE_COMMAND} --build "${WORK_DIR}/build")
p2pnet_run_program("c_consumer" "${WORK_DIR}/build/c_consumer")
