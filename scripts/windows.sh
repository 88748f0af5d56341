#!/usr/bin/env bash
# scripts/windows.sh deps|build|test: the Windows (Winsock) cross-build and its test run
# under wine; `scripts/test.sh windows` (and so CI) calls `test`. See docs/windows.md.
#   deps   installs the mingw-w64 and wine packages, fetches Debian's libsodium source
#          package and cross-builds it (static) and GoogleTest into build/windows/prefix.
#          Work already done is skipped, so a second run takes seconds.
#   build  deps, then configures the project with the mingw-w64 toolchain file and builds
#          the engine and every test target that builds for Windows.
#   test   build, then runs each test executable under wine (headless, a private
#          WINEPREFIX) and exits non-zero if any of them fails.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly host=x86_64-w64-mingw32
readonly sodium_version=1.0.18
readonly top=$PWD
readonly win=$top/build/windows
readonly src=$win/src
readonly prefix=$win/prefix
readonly project_build=$win/project
readonly toolchain=$top/cmake/toolchains/mingw-w64-x86_64.cmake
jobs=2

# Test executables: CMake target name, then the ctest-independent way to run it.
# A target listed here that the tree does not define yet is reported and skipped;
# the engine tests are required.
readonly required_targets=(p2pnet_engine_tests)
readonly optional_targets=(p2pnet_socket_tests p2pnet_capi_tests p2pnet_capi_c_test
                           p2pnet_adapter_tests p2pnet_integration_tests)

log() { printf 'windows: %s\n' "$*"; }
die() { printf 'windows: error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# ensure_deb_src adds a deb-src entry mirroring the machine's Debian entry when the
# apt configuration has none, so `apt-get source` works on a stock bookworm install.
ensure_deb_src() {
  if grep -rqsE '^(deb-src |Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    return
  fi
  local template=/etc/apt/sources.list.d/debian.sources
  local target=/etc/apt/sources.list.d/debian-src.sources
  if [[ -f $template ]]; then
    log "adding $target (deb-src copy of $template)"
    sed -E 's/^Types:.*/Types: deb-src/' "$template" | as_root tee "$target" >/dev/null
  elif grep -qsE '^deb ' /etc/apt/sources.list; then
    log "adding deb-src lines to $target"
    target=/etc/apt/sources.list.d/debian-src.list
    sed -nE 's/^deb (.*)/deb-src \1/p' /etc/apt/sources.list | as_root tee "$target" >/dev/null
  else
    die "no Debian apt entry found to mirror as deb-src"
  fi
  as_root apt-get update -q
}

# fetch_sodium_source unpacks Debian's libsodium source package (with Debian's
# patches applied) into build/windows/src.
fetch_sodium_source() {
  local dir=""
  if [[ -d $src ]]; then
    dir=$(find "$src" -maxdepth 1 -type d -name "libsodium-${sodium_version}*" | head -n1)
  fi
  if [[ -n $dir ]]; then sodium_src=$dir; return; fi
  ensure_deb_src
  mkdir -p "$src"
  log "apt-get source libsodium"
  (cd "$src" && apt-get source -q "libsodium=$(sodium_debian_version)")
  dir=$(find "$src" -maxdepth 1 -type d -name "libsodium-${sodium_version}*" | head -n1)
  [[ -n $dir ]] || die "apt-get source did not unpack libsodium ${sodium_version}"
  sodium_src=$dir
}

# sodium_debian_version picks the newest 1.0.18 source version apt knows of, so a
# later libsodium in the archive cannot change what gets built.
sodium_debian_version() {
  apt-cache showsrc libsodium 2>/dev/null | sed -nE 's/^Version: //p' |
    grep -E "^${sodium_version//./\\.}-" | sort -V | tail -n1 | grep . ||
    die "no libsodium ${sodium_version} source package in the apt sources"
}

build_sodium() {
  if [[ -f $prefix/lib/libsodium.a && -f $prefix/lib/pkgconfig/libsodium.pc ]]; then
    log "libsodium: already built"
    return
  fi
  fetch_sodium_source
  local build=$win/sodium-build
  rm -rf "$build" && mkdir -p "$build"
  if [[ ! -x $sodium_src/configure ]]; then
    # Debian's orig tarball is a git snapshot; its rules run autoreconf, and so do we.
    log "libsodium: autoreconf"
    (cd "$sodium_src" && autoreconf -fi >/dev/null 2>&1) || die "autoreconf failed in $sodium_src"
  fi
  log "libsodium: configure for $host"
  # --disable-ssp: -fstack-protector would make every consumer link libssp as well,
  # which libsodium's pkg-config file does not say. Its own tests are not built (the
  # Linux package's build runs them); this prefix serves the project's tests only.
  (cd "$build" && "$sodium_src/configure" -q --host="$host" --prefix="$prefix" \
      CC="${host}-gcc-posix" \
      --enable-static --disable-shared --disable-dependency-tracking --disable-ssp \
      --with-pic=no)
  log "libsodium: make -j$jobs"
  make -C "$build" -j"$jobs" -s V=0 >/dev/null
  make -C "$build" -s install >/dev/null
  # Windows headers mark the API dllimport unless SODIUM_STATIC is defined; the static
  # archive exports no __imp_ symbols, so consumers need the define through pkg-config.
  sed -i -E 's|^Cflags: (.*)$|Cflags: \1 -DSODIUM_STATIC=1|' "$prefix/lib/pkgconfig/libsodium.pc"
  grep -q SODIUM_STATIC "$prefix/lib/pkgconfig/libsodium.pc" || die "libsodium.pc edit failed"
}

build_googletest() {
  if [[ -f $prefix/lib/libgtest.a && -d $prefix/lib/cmake/GTest ]]; then
    log "googletest: already built"
    return
  fi
  [[ -f /usr/src/googletest/CMakeLists.txt ]] || die "/usr/src/googletest missing (package googletest)"
  local build=$win/googletest-build
  rm -rf "$build"
  log "googletest: cross-build from /usr/src/googletest"
  cmake -S /usr/src/googletest -B "$build" -G Ninja -Wno-dev \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DP2PNET_WINDOWS_PREFIX="$prefix" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DBUILD_SHARED_LIBS=OFF -DBUILD_GMOCK=ON -DINSTALL_GTEST=ON >/dev/null
  cmake --build "$build" -j "$jobs" >/dev/null
  cmake --install "$build" >/dev/null
}

cmd_deps() {
  scripts/setup.sh build windows
  mkdir -p "$win"
  build_sodium
  build_googletest
}

# Targets this tree defines, read from the configured build (ninja knows every target).
defined_targets() {
  ninja -C "$project_build" -t targets all 2>/dev/null | sed -nE 's/^([^: ]+): .*/\1/p'
}

cmd_build() {
  cmd_deps
  log "configure the project for $host"
  PKG_CONFIG_LIBDIR=$prefix/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR= \
  cmake -S . -B "$project_build" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DP2PNET_WINDOWS_PREFIX="$prefix" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE=PRE_TEST \
    -DP2PNET_BUILD_TESTS=ON -DP2PNET_BUILD_BENCHMARKS=OFF -DP2PNET_BUILD_FUZZERS=OFF \
    >/dev/null
  local defined
  defined=$(defined_targets)
  build_targets=()
  local t
  for t in "${required_targets[@]}"; do
    grep -qx "$t" <<<"$defined" || die "required target $t is not defined"
    build_targets+=("$t")
  done
  for t in "${optional_targets[@]}"; do
    if grep -qx "$t" <<<"$defined"; then build_targets+=("$t"); else log "not in this tree yet: $t"; fi
  done
  log "build: p2pnet_engine ${build_targets[*]}"
  cmake --build "$project_build" -j "$jobs" --target p2pnet_engine "${build_targets[@]}"
}

# start_wine prepares a private, headless wine prefix under build/windows. Mono and
# Gecko installers are disabled: they would open dialogs and are never needed here.
start_wine() {
  export WINEPREFIX=$win/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
  export WINEARCH=win64
  unset DISPLAY
  if [[ ! -f $WINEPREFIX/system.reg ]]; then
    log "creating wine prefix"
    wineboot --init >/dev/null 2>&1 || die "wineboot failed"
  fi
  # Keep one wineserver alive across the test runs instead of one per .exe.
  wineserver --persistent=60 >/dev/null 2>&1 &
}

stop_wine() {
  wineserver --kill >/dev/null 2>&1 || true
}

cmd_test() {
  local started=$SECONDS
  cmd_build
  start_wine
  trap stop_wine EXIT
  local failed=() t exe
  for t in "${build_targets[@]}"; do
    exe=$(find "$project_build" -name "$t.exe" -type f | head -n1)
    [[ -n $exe ]] || { failed+=("$t (no .exe)"); continue; }
    log "run under wine: ${exe#"$top/"}"
    # The working directory is the source tree (drive Z: in wine), so the absolute
    # paths compiled into the tests resolve to the same files.
    if ! wine "$exe" --gtest_color=no; then failed+=("$t"); fi
  done
  log "stage time: $((SECONDS - started)) s"
  if [[ ${#failed[@]} -gt 0 ]]; then
    die "failed under wine: ${failed[*]}"
  fi
  log "all ${#build_targets[@]} test executables passed under wine: ${build_targets[*]}"
}

case ${1:-} in
  deps) cmd_deps ;;
  build) cmd_build ;;
  test) cmd_test ;;
  *) echo "usage: scripts/windows.sh deps|build|test" >&2; exit 2 ;;
esac
