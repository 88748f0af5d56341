# install_and_consume.cmake: installs this build into a scratch prefix, then configures,
# builds and runs a separate project that uses find_package(p2pnet).
file(REMOVE_RECURSE "${WORK_DIR}")
execute_process(COMMAND ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${WORK_DIR}/prefix"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "install failed: ${rc}")
endif()
# Only the public API is installed: no internal engine header, no test access.
file(GLOB_RECURSE leaked RELATIVE "${WORK_DIR}/prefix"
     "${WORK_DIR}/prefix/include/p2pnet/internal/*" "${WORK_DIR}/prefix/include/*test_access*")
if(leaked)
  message(FATAL_ERROR "internal headers were installed: ${leaked}")
endif()
# A cross build (mingw-w64) hands the consumer the same toolchain, and runs it under the
# same emulator (wine); a native build passes the compiler.
if(TOOLCHAIN)
  set(compiler_args -DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN})
else()
  set(compiler_args -DCMAKE_CXX_COMPILER=${CXX})
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}/build"
                        -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix ${compiler_args}
                        -Dp2pnet_DIR=${WORK_DIR}/prefix/lib/cmake/p2pnet
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring the consumer failed: ${rc}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build "${WORK_DIR}/build" RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building the consumer failed: ${rc}")
endif()
execute_process(COMMAND ${EMULATOR} "${WORK_DIR}/build/consumer${EXE_SUFFIX}" RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "the consumer's handshake failed: ${rc}")
endif()
message(STATUS "find_package(p2pnet) works from an install")
