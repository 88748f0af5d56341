# check_concat_into.cmake: concat_into (engine/src/include/p2pnet/internal/bytes.h)
# builds the signed contents of key_schedule.cc, and its promise is that parts which
# do not fill the output exactly do not compile, so no run can sign or verify a short
# (or empty) content. This compiles one unit three ways: parts that fill the output
# (must compile, so the unit itself is sound), one byte short and one byte over (both
# must fail, on concat_into's static_assert).
#   -DCXX=<compiler> -DENGINE_INCLUDE_DIRS=<dir;dir> -DSCRATCH=<dir>
file(MAKE_DIRECTORY "${SCRATCH}")
set(unit "${SCRATCH}/concat_into.cc")
file(WRITE "${unit}" [=[
#include <array>
#include <cstdint>
#include <span>

#include "p2pnet/internal/bytes.h"

void fill(std::array<std::uint8_t, OUTPUT_SIZE>& out) {
  const std::array<std::uint8_t, 21> label{};
  const std::array<std::uint8_t, 32> value{};
  p2pnet::concat_into(std::span(out), label, value, value);
}
]=])
set(flags -std=c++20 -fsyntax-only)
foreach(dir IN LISTS ENGINE_INCLUDE_DIRS)
  list(APPEND flags "-I${dir}")
endforeach()

foreach(size 85 84 86)
  execute_process(COMMAND "${CXX}" ${flags} -DOUTPUT_SIZE=${size} "${unit}"
                  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(size EQUAL 85)
    if(NOT result EQUAL 0)
      message(FATAL_ERROR "concat_into with parts that fill the output does not compile:\n"
                          "${output}")
    endif()
  elseif(result EQUAL 0)
    message(FATAL_ERROR "concat_into compiled with parts of 85 bytes into ${size}: a "
                        "content of the wrong size would be signed")
  elseif(NOT output MATCHES "the parts must fill the output exactly")
    message(FATAL_ERROR "concat_into into ${size} bytes failed, but not on its size "
                        "check:\n${output}")
  endif()
endforeach()
message(STATUS "concat_into refuses parts that do not fill its output (84 and 86 of 85)")
