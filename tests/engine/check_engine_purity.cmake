# check_engine_purity.cmake: fails if any engine file includes a socket, thread, poll
# or event-loop header, or reads a clock. The engine is sans-IO by design (STYLE.md).
file(GLOB_RECURSE sources "${ENGINE_DIR}/*.h" "${ENGINE_DIR}/*.cc")
set(forbidden
  "#include *<(sys/socket\\.h|netinet/[a-z]+\\.h|arpa/inet\\.h|winsock2?\\.h|ws2tcpip\\.h|thread|mutex|poll\\.h|sys/epoll\\.h|uv\\.h|asio\\.hpp|fstream|cstdio)>"
  "(system_clock|steady_clock|high_resolution_clock)::now"
  "gettimeofday|clock_gettime|fopen\\(")
set(failures "")
foreach(source ${sources})
  file(READ "${source}" text)
  foreach(pattern ${forbidden})
    string(REGEX MATCH "${pattern}" hit "${text}")
    if(hit)
      list(APPEND failures "${source}: ${hit}")
    endif()
  endforeach()
endforeach()
if(failures)
  list(JOIN failures "\n  " report)
  message(FATAL_ERROR "engine/ is no longer sans-IO:\n  ${report}")
endif()
list(LENGTH sources count)
message(STATUS "engine/ is sans-IO: ${count} files checked")
