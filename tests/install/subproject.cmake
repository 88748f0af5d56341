# subproject.cmake: a C project that adds the source tree with add_subdirectory, with
# BUILD_SHARED_LIBS=ON (so the shared C library is built here, once). Checks that the
# parent's build type is left alone, that the parent's build has no target of the project's tests, fuzzers, benchmarks or
# examples, and that nothing compiles with -Werror (the project's -Werror=switch on
# its own sources excepted); builds and runs the C consumer against the shared
# libp2pnet; then installs the capi component into PREFIX for c_pkgconfig.cmake.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
set(build "${WORK_DIR}/build")
p2pnet_run("configuring the subproject consumer" ${CMAKE_COMMAND}
  -S "${CMAKE_CURRENT_LIST_DIR}/subproject" -B "${build}" ${p2pnet_nested_cmake_args}
  -DP2PNET_SOURCE_DIR=${PROJECT_SOURCE} -DBUILD_SHARED_LIBS=ON -DP2PNET_INSTALL=ON
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DCMAKE_BUILD_TYPE=)
# The parent chose no build type (which also compiles fastest, unoptimised): the
# subproject must not have set one in the cache.
file(STRINGS "${build}/CMakeCache.txt" build_type REGEX "^CMAKE_BUILD_TYPE:")
if(NOT build_type MATCHES "^CMAKE_BUILD_TYPE:[A-Z]+=$")
  message(FATAL_ERROR "the subproject changed the parent's build type: ${build_type}")
endif()

p2pnet_run("listing the targets" ${CMAKE_COMMAND} --build "${build}" --target help)
string(REGEX MATCHALL "[^\n]+" targets "${p2pnet_run_output}")
set(count 0)
foreach(target IN LISTS targets)
  if(target MATCHES "_tests?[:_ ]|_test$|fuzz|bench|_replay|demo|secure_server|generate_identity|c_poll_echo")
    message(FATAL_ERROR "the subproject build has a test/example target: ${target}")
  endif()
  math(EXPR count "${count} + 1")
endforeach()
if(IS_DIRECTORY "${build}/p2pnet/tests")
  message(FATAL_ERROR "the subproject configured its tests")
endif()
file(READ "${build}/compile_commands.json" commands)
if(commands MATCHES "-Werror[ \"]" OR commands MATCHES "/WX")
  message(FATAL_ERROR "a compile command has -Werror")
endif()
message(STATUS "subproject build: ${count} lines of targets, none a test or example; no -Werror")

# The consumer only (the C library and what is inside it), not the loop adapters.
p2pnet_run("building the subproject consumer" ${CMAKE_COMMAND} --build "${build}"
  --target subproject_consumer)
p2pnet_run_program("subproject_consumer" "${build}/subproject_consumer")
file(REMOVE_RECURSE "${PREFIX}")
p2pnet_run("installing the capi component" ${CMAKE_COMMAND} --install "${build}/p2pnet"
  --prefix "${PREFIX}" --component capi)
