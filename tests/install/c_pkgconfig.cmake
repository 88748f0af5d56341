# c_pkgconfig.cmake: the C consumer built with nothing but the C compiler and
# pkg-config against the install in PREFIX, as a user would type it:
#   MODE=static   cc main.c $(pkg-config --static --cflags --libs p2pnet)
#   MODE=shared   cc main.c $(pkg-config --cflags --libs p2pnet), run with the
#                 install's libdir as rpath; first checks the shared library: its
#                 SONAME, and that it exports exactly the P2P_API functions of
#                 p2pnet.h (nm -D), no C++ or std:: symbol.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
set(libdir "${PREFIX}/${LIBDIR}")
set(main "${CMAKE_CURRENT_LIST_DIR}/c_consumer/main.c")
set(program "${WORK_DIR}/c_pkgconfig_consumer")

if(MODE STREQUAL "shared")
  set(library "${libdir}/libp2pnet.so.${ABI_VERSION}")
  if(NOT EXISTS "${library}")
    message(FATAL_ERROR "no ${library}")
  endif()
  p2pnet_run("objdump -p" objdump -p "${library}")
  if(NOT p2pnet_run_output MATCHES "SONAME +libp2pnet\\.so\\.${ABI_VERSION}\n")
    message(FATAL_ERROR "libp2pnet's SONAME is not libp2pnet.so.${ABI_VERSION}:\n${p2pnet_run_output}")
  endif()
  p2pnet_run("nm -D" nm -D --defined-only "${library}")
  string(REGEX MATCHALL "[^\n]+" symbols "${p2pnet_run_output}")
  set(exported "")
  foreach(line IN LISTS symbols)
    if(line MATCHES " A P2PNET_[0-9]+$")
      continue()  # the version node of p2pnet.map
    endif()
    if(NOT line MATCHES " T (p2p_[a-z0-9_]+)(@@P2PNET_[0-9]+)?$")
      message(FATAL_ERROR "libp2pnet exports more than the p2p_* functions: ${line}")
    endif()
    list(APPEND exported ${CMAKE_MATCH_1})
  endforeach()
  # The names p2pnet.h declares with P2P_API: exactly these must be exported, so a
  # function added to the header but not built (or built but not declared) fails here.
  file(STRINGS "${PREFIX}/include/p2pnet.h" declarations REGEX "^P2P_API ")
  set(declared "")
  foreach(line IN LISTS declarations)
    if(NOT line MATCHES "[ *](p2p_[a-z0-9_]+)\\(")
      message(FATAL_ERROR "cannot read the function name of: ${line}")
    endif()
    list(APPEND declared ${CMAKE_MATCH_1})
  endforeach()
  list(SORT exported)
  list(SORT declared)
  list(LENGTH exported exported_count)
  if(NOT exported STREQUAL declared)
    message(FATAL_ERROR "libp2pnet exports ${exported}\np2pnet.h declares ${declared}")
  endif()
  message(STATUS "libp2pnet.so.${ABI_VERSION}: exports the ${exported_count} p2p_* functions of p2pnet.h and nothing else")
  set(pkg_config_flags "--cflags --libs p2pnet")
  set(link_extra "-Wl,-rpath,${libdir}")
else()
  set(pkg_config_flags "--static --cflags --libs p2pnet")
  set(link_extra "")
endif()

# Through the shell, as typed; PKG_CONFIG_PATH adds the install to the search path.
set(command "\"${CC}\" \"${main}\" -o \"${program}${EXE_SUFFIX}\" $(pkg-config ${pkg_config_flags}) ${link_extra}")
p2pnet_run("${command}" ${CMAKE_COMMAND} -E env "PKG_CONFIG_PATH=${libdir}/pkgconfig" sh -c "${command}")
message(STATUS "built: ${command}")
p2pnet_run_program("c_pkgconfig_consumer (${MODE})" "${program}")
