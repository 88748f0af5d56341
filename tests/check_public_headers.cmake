# check_public_headers.cmake: compiles every header under HEADER_DIR alone, in its own
# translation unit, with only PUBLIC_INCLUDE_DIRS (and libsodium's) on the include
# path. It fails if a public header is not self-contained or includes a header an
# installed package does not ship, such as one of the engine's internal headers
# (p2pnet/internal/, which lives under engine/src/include and is never installed).
#   -DCXX=<compiler> -DHEADER_DIR=<dir> -DPUBLIC_INCLUDE_DIRS=<dir;dir>
#   -DSYSTEM_INCLUDE_DIRS=<dir;dir> -DSCRATCH=<dir>
file(GLOB_RECURSE headers RELATIVE "${HEADER_DIR}" "${HEADER_DIR}/*.h")
file(MAKE_DIRECTORY "${SCRATCH}")
set(flags -std=c++20 -fsyntax-only -Wall -Wextra -Werror)
foreach(dir IN LISTS PUBLIC_INCLUDE_DIRS)
  list(APPEND flags "-I${dir}")
endforeach()
foreach(dir IN LISTS SYSTEM_INCLUDE_DIRS)
  list(APPEND flags -isystem "${dir}")
endforeach()

set(failures "")
foreach(header IN LISTS headers)
  string(MAKE_C_IDENTIFIER "${header}" name)
  set(unit "${SCRATCH}/${name}.cc")
  file(WRITE "${unit}" "#include \"${header}\"\n")
  execute_process(COMMAND "${CXX}" ${flags} "${unit}"
                  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    list(APPEND failures "${header}:\n${output}")
  endif()
endforeach()
list(LENGTH headers count)
if(count EQUAL 0)
  message(FATAL_ERROR "no header found under ${HEADER_DIR}")
endif()
if(failures)
  list(JOIN failures "\n" report)
  message(FATAL_ERROR "public headers that do not compile on their own with only the "
                      "public include directories:\n${report}")
endif()
message(STATUS "${count} public headers under ${HEADER_DIR} compile alone")
