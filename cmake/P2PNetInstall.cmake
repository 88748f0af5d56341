# The install layout: a CMake package with components, p2pnet.pc for the C library,
# the project files. docs/architecture.md ("Packaging") describes what is installed.
#
# Each library belongs to one find_package component (engine, stream, socket, capi,
# libuv, asio), installed with its own export set (p2pnet-<component>-targets.cmake) and
# under the install component of the same name, so `cmake --install --component capi`
# installs the C library alone. p2pnetConfig.cmake loads the requested components and
# finds their dependencies again (cmake/p2pnetConfig.cmake.in).
# With P2PNET_INSTALL off (a subproject's default) every function here does nothing.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(P2PNET_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/p2pnet)

# p2pnet_install_library(TARGET COMPONENT): installs TARGET as package component
# COMPONENT (a library file, and the target in the component's export set).
function(p2pnet_install_library target component)
  if(NOT P2PNET_INSTALL)
    return()
  endif()
  install(TARGETS ${target} EXPORT p2pnet-${component}-targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT ${component}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT ${component}
            NAMELINK_COMPONENT ${component}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT ${component})
  install(EXPORT p2pnet-${component}-targets NAMESPACE p2pnet::
    DESTINATION ${P2PNET_INSTALL_CMAKEDIR} COMPONENT ${component})
  set_property(GLOBAL APPEND PROPERTY P2PNET_INSTALLED_COMPONENTS ${component})
endfunction()

# p2pnet_install_headers(DIRECTORY COMPONENT): installs the public headers under
# DIRECTORY (an include/ folder: its contents land in <prefix>/include) as COMPONENT.
# Only include/ folders are ever installed; internal headers live elsewhere.
function(p2pnet_install_headers directory component)
  if(NOT P2PNET_INSTALL)
    return()
  endif()
  install(DIRECTORY ${directory}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
    COMPONENT ${component} FILES_MATCHING PATTERN "*.h")
endfunction()

# P2PNET_CXX_RUNTIME_LIBRARIES: what the C++ compiler links beyond what the C compiler
# links (GCC: stdc++ and m). A static libp2pnet holds C++ code, so a C program that
# links it with the C compiler needs these too: the capi target and p2pnet.pc's
# Libs.private name them.
set(P2PNET_CXX_RUNTIME_LIBRARIES ${CMAKE_CXX_IMPLICIT_LINK_LIBRARIES})
if(CMAKE_C_IMPLICIT_LINK_LIBRARIES)
  list(REMOVE_ITEM P2PNET_CXX_RUNTIME_LIBRARIES ${CMAKE_C_IMPLICIT_LINK_LIBRARIES})
endif()
list(REMOVE_DUPLICATES P2PNET_CXX_RUNTIME_LIBRARIES)

# p2pnet_install_package(): the files every component shares. Called last, once every
# library has registered its component.
function(p2pnet_install_package)
  if(NOT P2PNET_INSTALL)
    return()
  endif()
  get_property(P2PNET_INSTALLED_COMPONENTS GLOBAL PROPERTY P2PNET_INSTALLED_COMPONENTS)
  set(P2PNET_CAPI_STATIC OFF)
  if(TARGET p2pnet_capi)
    get_target_property(capi_type p2pnet_capi TYPE)
    if(capi_type STREQUAL "STATIC_LIBRARY")
      set(P2PNET_CAPI_STATIC ON)
    endif()
  endif()
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/p2pnetConfig.cmake.in
    ${PROJECT_BINARY_DIR}/p2pnetConfig.cmake
    INSTALL_DESTINATION ${P2PNET_INSTALL_CMAKEDIR})
  # 0.x: a minor release may change the API (CHANGELOG.md), so 0.2 accepts 0.2.*.
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/p2pnetConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/p2pnetConfig.cmake
                ${PROJECT_BINARY_DIR}/p2pnetConfigVersion.cmake
          DESTINATION ${P2PNET_INSTALL_CMAKEDIR} COMPONENT development)
  install(FILES ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/README.md
                ${PROJECT_SOURCE_DIR}/CHANGELOG.md ${PROJECT_SOURCE_DIR}/SECURITY.md
          DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT documentation)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}
          COMPONENT documentation FILES_MATCHING PATTERN "*.md")
endfunction()
