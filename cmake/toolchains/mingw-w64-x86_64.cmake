# Cross-compiles for 64-bit Windows with Debian's mingw-w64 (posix threads variant, so
# std::thread and std::mutex work) and runs the results through wine.
#
# Dependencies built for the target (libsodium, GoogleTest) live in one prefix, given
# as P2PNET_WINDOWS_PREFIX (scripts/windows.sh sets it to build/windows/prefix and
# points PKG_CONFIG_LIBDIR at its lib/pkgconfig, which pkg-config needs as well). Every .exe links libgcc, libstdc++
# and winpthread statically so it runs under wine without copying DLLs next to it.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(P2PNET_MINGW_TRIPLET x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${P2PNET_MINGW_TRIPLET}-gcc-posix)
set(CMAKE_CXX_COMPILER ${P2PNET_MINGW_TRIPLET}-g++-posix)
set(CMAKE_RC_COMPILER ${P2PNET_MINGW_TRIPLET}-windres)

# The prefix comes as a cache variable or, for nested builds that only get the
# toolchain file (try_compile, a test that configures a consumer project), from the
# environment variable of the same name.
if(NOT P2PNET_WINDOWS_PREFIX AND DEFINED ENV{P2PNET_WINDOWS_PREFIX})
  set(P2PNET_WINDOWS_PREFIX $ENV{P2PNET_WINDOWS_PREFIX})
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES P2PNET_WINDOWS_PREFIX)

# Search the target's sysroot and the dependency prefix only, never the build
# machine's /usr, so a Linux libsodium or GTest can never be picked up by mistake.
set(CMAKE_FIND_ROOT_PATH /usr/${P2PNET_MINGW_TRIPLET})
if(P2PNET_WINDOWS_PREFIX)
  list(APPEND CMAKE_FIND_ROOT_PATH ${P2PNET_WINDOWS_PREFIX})
  list(APPEND CMAKE_PREFIX_PATH ${P2PNET_WINDOWS_PREFIX})
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# -static makes the linker take the archive of every library that has one
# (libstdc++, libgcc, libwinpthread); system DLLs such as ws2_32 stay import libraries.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")

# ctest and gtest_discover_tests run the .exe files through wine.
find_program(P2PNET_WINE NAMES wine wine64)
if(P2PNET_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${P2PNET_WINE})
endif()
