# check_socket_writes.cmake: the SIGPIPE guarantee of docs/adapters.md holds by
# construction only if every write to a socket goes through send_some in
# adapters/socket/src/socket.cc, which passes kSendFlags (MSG_NOSIGNAL where it exists;
# SO_NOSIGPIPE is set on every socket besides). This fails if another file of the
# socket layer or the C API sends or creates sockets by itself, or if a send in
# socket.cc leaves the flags out. Files are written with write() only by
# identity_file.cc.
file(GLOB sources "${ADAPTERS_DIR}/socket/src/*.cc" "${ADAPTERS_DIR}/capi/src/*.cc")
set(failures "")
foreach(source ${sources})
  get_filename_component(name "${source}" NAME)
  file(READ "${source}" text)
  if(NOT name STREQUAL "socket.cc")
    # A global call (nothing but space or punctuation before "::"), not Class::send(.
    string(REGEX MATCH "[^A-Za-z0-9_>.]::(send|sendto|sendmsg|writev|socket|accept|accept4|WSASocketW|WSASocketA|WSASend)\\(" hit "${text}")
    if(hit)
      list(APPEND failures "${name}: calls ${hit} (socket calls belong in socket.cc)")
    endif()
  endif()
  if(NOT name STREQUAL "identity_file.cc")
    string(REGEX MATCH "[^A-Za-z0-9_>.]::_?write\\(" hit "${text}")
    if(hit)
      list(APPEND failures "${name}: calls ${hit} (sockets are written with send_some)")
    endif()
  endif()
  if(name STREQUAL "socket.cc")
    string(REGEX MATCHALL "[^A-Za-z0-9_>.]::send\\([^;]*" sends "${text}")
    list(LENGTH sends count)
    if(count EQUAL 0)
      list(APPEND failures "socket.cc: no send found (did the check go stale?)")
    endif()
    foreach(call ${sends})
      if(NOT call MATCHES "kSendFlags\\)$")
        list(APPEND failures "socket.cc: a send without kSendFlags: ${call}")
      endif()
    endforeach()
  endif()
endforeach()
if(failures)
  list(JOIN failures "\n  " report)
  message(FATAL_ERROR "a socket write may raise SIGPIPE:\n  ${report}")
endif()
list(LENGTH sources files)
message(STATUS "socket writes: ${files} files checked, every send goes through send_some with kSendFlags")
