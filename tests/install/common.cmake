# common.cmake: what the install tests' scripts share (each runs with cmake -P).
# Every script gets WORK_DIR (its scratch folder, emptied first), and for nested builds
# the parent build's compilers or toolchain file, compiler launcher and emulator.

# p2pnet_run(WHAT COMMAND...): runs COMMAND; a failure fails the test with its output.
# The output is left in p2pnet_run_output.
function(p2pnet_run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
  set(p2pnet_run_output "${out}" PARENT_SCOPE)
endfunction()

# p2pnet_nested_cmake_args: the parent build's compilers (or its cross toolchain file)
# and compiler launcher, for a nested configure. A consumer gets p2pnet_DIR as well:
# the mingw-w64 toolchain file searches packages under its sysroot and prefix only.
set(p2pnet_nested_cmake_args -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo)
if(TOOLCHAIN)
  list(APPEND p2pnet_nested_cmake_args -DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN})
else()
  list(APPEND p2pnet_nested_cmake_args -DCMAKE_C_COMPILER=${CC} -DCMAKE_CXX_COMPILER=${CXX})
endif()
if(LAUNCHER)
  list(APPEND p2pnet_nested_cmake_args -DCMAKE_C_COMPILER_LAUNCHER=${LAUNCHER}
                                       -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
endif()

# p2pnet_run_program(WHAT PATH): runs a program built for the target (under the
# emulator when cross-compiling).
function(p2pnet_run_program what path)
  p2pnet_run("${what}" ${EMULATOR} "${path}${EXE_SUFFIX}")
  message(STATUS "${what}: ${p2pnet_run_output}")
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
