# The C API's sans-IO half: p2p_conn_*, the shared error reporting and p2p_version.
# It needs the engine only, so the fuzz build, which builds no adapters, includes this
# file too (fuzz/CMakeLists.txt, target c_api_session); whoever includes it first
# defines the target. p2pnet_capi (CMakeLists.txt here) adds these objects to the
# blocking API.
include_guard(GLOBAL)

set(P2PNET_CAPI_DIR ${CMAKE_CURRENT_LIST_DIR})
set(P2PNET_CAPI_GENERATED_INCLUDE_DIR ${PROJECT_BINARY_DIR}/adapters/capi/include)
# P2P_VERSION_* from project(p2pnet VERSION ...), so the macros and p2p_version()
# cannot disagree with the build.
configure_file(${P2PNET_CAPI_DIR}/include/p2pnet_version.h.in
  ${P2PNET_CAPI_GENERATED_INCLUDE_DIR}/p2pnet_version.h @ONLY)

add_library(p2pnet_capi_conn OBJECT
  ${P2PNET_CAPI_DIR}/src/capi_errors.cc
  ${P2PNET_CAPI_DIR}/src/conn.cc
  ${P2PNET_CAPI_DIR}/src/version.cc)
set_target_properties(p2pnet_capi_conn PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_include_directories(p2pnet_capi_conn PUBLIC
  $<BUILD_INTERFACE:${P2PNET_CAPI_DIR}/include>
  $<BUILD_INTERFACE:${P2PNET_CAPI_GENERATED_INCLUDE_DIR}>)
target_link_libraries(p2pnet_capi_conn PUBLIC p2pnet::engine)
p2pnet_set_warnings(p2pnet_capi_conn)
