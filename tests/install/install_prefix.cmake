# install_prefix.cmake: installs the build into PREFIX (the fixture the consumers use)
# and checks what was installed: only public headers (those under engine/include and
# adapters/*/include, plus the generated p2pnet_version.h), none from an internal
# folder, and the package, pkg-config and project files.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
file(REMOVE_RECURSE "${PREFIX}")
p2pnet_run("cmake --install" ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${PREFIX}")

file(GLOB_RECURSE headers RELATIVE "${PREFIX}/include" "${PREFIX}/include/*")
file(GLOB public_dirs "${PROJECT_SOURCE}/engine/include" "${PROJECT_SOURCE}/adapters/*/include")
foreach(header IN LISTS headers)
  if(header MATCHES "internal")
    message(FATAL_ERROR "an internal header was installed: include/${header}")
  endif()
  set(public FALSE)
  foreach(dir IN LISTS public_dirs)
    if(EXISTS "${dir}/${header}")
      set(public TRUE)
    endif()
  endforeach()
  if(NOT public AND NOT header STREQUAL "p2pnet_version.h")
    message(FATAL_ERROR "include/${header} is not from a public include/ folder")
  endif()
endforeach()
list(LENGTH headers header_count)

foreach(file include/p2pnet/connection.h include/p2pnet.h include/p2pnet_version.h
             ${LIBDIR}/cmake/p2pnet/p2pnetConfig.cmake
             ${LIBDIR}/cmake/p2pnet/p2pnetConfigVersion.cmake
             ${LIBDIR}/cmake/p2pnet/p2pnet-engine-targets.cmake
             ${LIBDIR}/cmake/p2pnet/p2pnet-capi-targets.cmake
             ${LIBDIR}/pkgconfig/p2pnet.pc
             share/doc/p2pnet/LICENSE share/doc/p2pnet/CHANGELOG.md
             share/doc/p2pnet/SECURITY.md share/doc/p2pnet/c-api.md)
  if(NOT EXISTS "${PREFIX}/${file}")
    message(FATAL_ERROR "not installed: ${file}")
  endif()
endforeach()
message(STATUS "installed ${header_count} public headers, no internal one")
