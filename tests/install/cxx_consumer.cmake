# cxx_consumer.cmake: a C++ project built against the install in PREFIX with
# find_package(p2pnet COMPONENTS engine OPTIONAL_COMPONENTS libuv); runs an engine
# handshake in memory and, where the install has libuv, a libuv echo over loopback.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
p2pnet_run("configuring the C++ consumer" ${CMAKE_COMMAND}
  -S "${CMAKE_CURRENT_LIST_DIR}/cxx_consumer" -B "${WORK_DIR}/build"
  ${p2pnet_nested_cmake_args} -DCMAKE_PREFIX_PATH=${PREFIX} -Dp2pnet_DIR=${PREFIX}/${LIBDIR}/cmake/p2pnet
  -DP2PNET_EXPECT_LIBUV=${HAVE_LIBUV})
p2pnet_run("building the C++ consumer" ${CMAKE_COMMAND} --build "${WORK_DIR}/build")
p2pnet_run_program("engine_consumer" "${WORK_DIR}/build/engine_consumer")
if(HAVE_LIBUV)
  p2pnet_run_program("libuv_consumer" "${WORK_DIR}/build/libuv_consumer")
endif()
