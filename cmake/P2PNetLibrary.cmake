# p2pnet_add_cxx_library(NAME SOURCE...): the static C++ library p2pnet_NAME, as every
# C++ library of the project is declared: the alias and export name p2pnet::NAME,
# position-independent code (so it can go into the shared C library or into a user's
# shared library), the calling folder's include/ public (from the build tree, and from
# <prefix>/include once installed) and the project's warning set. Static always: C++
# has no stable ABI to version (docs/architecture.md, "Packaging").
function(p2pnet_add_cxx_library name)
  add_library(p2pnet_${name} STATIC ${ARGN})
  add_library(p2pnet::${name} ALIAS p2pnet_${name})
  set_target_properties(p2pnet_${name} PROPERTIES EXPORT_NAME ${name} POSITION_INDEPENDENT_CODE ON)
  target_include_directories(p2pnet_${name} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  p2pnet_set_warnings(p2pnet_${name})
endfunction()
