#!/usr/bin/env bash
# scripts/windows.sh deps|build|test: the Windows (Winsock) cross-build and its test run
# under wine; `scripts/test.sh windows` (and so CI) calls `test`. See docs/windows.md.
#   deps   installs the mingw-w64 and wine packages, fetches Debian's libsodium source
#          package and cross-builds it (static) and GoogleTest into build/windows/prefix.
#          Work already done is skipped, so a second run takes seconds.
#   build  deps, then configures the project with the mingw-w64 toolchain file and builds
#          its default target (engine, adapters, examples, every test for Windows).
#   test   build, then runs the ctest suite with each .exe under wine (headless, a
#          private WINEPREFIX) and exits non-zero if any test fails.
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

log() { printf 'windows [%4ds]: %s\n' "$SECONDS" "$*"; }  # seconds since the start
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

# stage_header_only copies a header-only package's headers and CMake config into the
# prefix. Pointing the cross build at /usr/include instead would put glibc's headers
# ahead of mingw-w64's; the config computes its include path from its own location.
stage_header_only() {  # stage_header_only INCLUDE_SUBDIR CMAKE_CONFIG_DIR
  local headers=/usr/include/$1 config=/usr/share/cmake/$2
  [[ -d $headers && -d $config ]] || die "$headers or $config missing"
  [[ -d $prefix/share/cmake/$2 ]] && return
  log "staging header-only $2"
  mkdir -p "$prefix/include" "$prefix/share/cmake"
  cp -r "$headers" "$prefix/include/"
  cp -r "$config" "$prefix/share/cmake/"
}

# stage_asio copies standalone Asio (header-only, libasio-dev) into the prefix, so the
# Asio adapter and its loop tests build for Windows too. Only once the adapter's CMake
# has its Windows branch (_WIN32_WINNT and ws2_32/mswsock): before that, a found Asio
# would break the build instead of being skipped. Asio is removed again if the branch
# goes away.
stage_asio() {
  if ! grep -q 'ws2_32' adapters/asio/CMakeLists.txt 2>/dev/null; then
    rm -rf "$prefix/include/asio" "$prefix/include/asio.hpp"
    return
  fi
  [[ -f $prefix/include/asio.hpp ]] && return
  [[ -f /usr/include/asio.hpp ]] || die "/usr/include/asio.hpp missing (package libasio-dev)"
  log "staging header-only asio"
  mkdir -p "$prefix/include"
  cp -r /usr/include/asio /usr/include/asio.hpp "$prefix/include/"
}

cmd_deps() {
  # build: cmake, ninja, pkg-config; test: nlohmann-json3-dev; loops: libasio-dev
  # (both header-only, staged into the prefix).
  scripts/setup.sh build test loops windows
  mkdir -p "$win"
  build_sodium
  build_googletest
  stage_header_only nlohmann nlohmann_json
  stage_asio
}

cmd_build() {
  cmd_deps
  log "configure the project for $host"
  PKG_CONFIG_LIBDIR=$prefix/lib/pkgconfig PKG_CONFIG_PATH= \
  cmake -S . -B "$project_build" -G Ninja -Wno-dev \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DP2PNET_WINDOWS_PREFIX="$prefix" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DP2PNET_WERROR=ON \
    -DCMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE=PRE_TEST \
    -UASIO_INCLUDE_DIR \
    -DP2PNET_BUILD_TESTS=ON -DP2PNET_BUILD_BENCHMARKS=OFF -DP2PNET_BUILD_FUZZERS=OFF \
    -DP2PNET_AEAD_OPENSSL=OFF \
    >/dev/null
  # The default target: engine, adapters, examples and every test the tree registers
  # for this platform. Whatever cannot build for Windows must be left out by its own
  # CMakeLists (if(NOT WIN32)), so a break here is a real portability bug.
  log "build (all targets, -j$jobs)"
  cmake --build "$project_build" -j "$jobs"
}

# start_wine prepares a private, headless wine prefix under build/windows. Mono and
# Gecko installers and the desktop-menu builder are disabled: they would open dialogs
# or touch the user's desktop and are never needed here.
start_wine() {
  export WINEPREFIX=$win/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml,winemenubuilder.exe="
  export WINEARCH=win64
  unset DISPLAY
  # One wineserver and one set of wine's session processes (services.exe and friends)
  # for the whole run, started here with their output on /dev/null. Started lazily by
  # the first test instead, they would inherit ctest's pipe, and ctest waits for that
  # pipe to close: gtest discovery then hangs until its timeout.
  # A server left by an interrupted run of this prefix is stopped first.
  mkdir -p "$WINEPREFIX"
  wineserver --kill >/dev/null 2>&1 || true
  wineserver --persistent >/dev/null 2>&1 || die "wineserver did not start"
  if [[ ! -f $WINEPREFIX/system.reg ]]; then
    log "creating wine prefix"
    wineboot --init >/dev/null 2>&1 </dev/null || die "wineboot --init failed"
  else
    wineboot >/dev/null 2>&1 </dev/null || die "wineboot failed"
  fi
}

stop_wine() {
  wineserver --kill >/dev/null 2>&1 || true
}

# wine_test_count prints how many registered tests ctest runs through wine (the
# others, such as the engine purity check, are host-side cmake or python scripts).
wine_test_count() {
  ctest --test-dir "$project_build" --show-only=json-v1 | python3 -c '
import json, sys
tests = json.load(sys.stdin)["tests"]
print(sum(1 for t in tests if t.get("command") and "wine" in t["command"][0]))'
}

# examples_smoke runs the README's main job with the Windows example programs under
# wine: two identities, the server on a free port, a client that sends two lines and
# must print both echoes, a client given the wrong server key that must fail, then
# Ctrl-C (SIGINT, which wine delivers as a console Ctrl-C) must stop the server with
# exit 0. This drives the non-blocking server (WSAPoll) and the blocking client over
# Winsock, which the gtest suites of tests/adapters do not (they are POSIX-only).
examples_smoke() {
  local bin=$project_build/examples dir=$win/examples-smoke
  if [[ ! -f $bin/10_secure_server.exe ]]; then
    log "examples: not built, smoke test skipped"
    return 0
  fi
  rm -rf "$dir" && mkdir -p "$dir"
  (
    cd "$dir"
    fail() { printf 'windows: examples: %s\n' "$*" >&2; exit 1; }
    key_of() { sed -n 's/^\[OK\] Public key: //p' | tr -d '\r'; }
    server_key=$(wine "$bin/08_generate_identity.exe" --out server.key | key_of)
    wine "$bin/08_generate_identity.exe" --out client.key >/dev/null || fail "08_generate_identity failed"
    wrong_key=$(wine "$bin/08_generate_identity.exe" --out other.key | key_of)
    [[ ${#server_key} -eq 43 && ${#wrong_key} -eq 43 ]] || fail "08_generate_identity printed no key"
    wine "$bin/08_generate_identity.exe" --out client.key >/dev/null 2>&1 &&
      fail "08_generate_identity overwrote a key without --force"

    wine "$bin/10_secure_server.exe" server.key --port 0 >server.log 2>&1 &
    local server=$! port="" i
    for i in $(seq 100); do
      port=$(sed -n 's/^\[INFO\] Listening on port \([0-9]*\).*/\1/p' server.log)
      [[ -n $port ]] && break
      sleep 0.1
    done
    [[ -n $port ]] || { kill "$server"; cat server.log >&2; fail "server did not listen"; }

    printf 'hello from wine\nsecond line\n' |
      timeout 60 wine "$bin/11_secure_client.exe" client.key "$server_key" --port "$port" \
        >client.log 2>&1 || { cat client.log >&2; kill "$server"; fail "client failed"; }
    tr -d '\r' <client.log | grep -qx '\[ECHO\] hello from wine' &&
      tr -d '\r' <client.log | grep -qx '\[ECHO\] second line' ||
      { cat client.log >&2; kill "$server"; fail "client did not print both echoes"; }

    if timeout 60 wine "$bin/11_secure_client.exe" client.key "$wrong_key" --port "$port" \
         </dev/null >wrong.log 2>&1; then
      kill "$server"; fail "client accepted the wrong server key"
    fi
    tr -d '\r' <wrong.log | grep -q '^\[ERROR\] ' || { kill "$server"; fail "no [ERROR] line for the wrong key"; }

    kill -INT "$server"
    local status=0
    wait "$server" || status=$?
    [[ $status -eq 0 ]] || { cat server.log >&2; fail "server exited $status after SIGINT"; }
    tr -d '\r' <server.log | grep -q '^\[INFO\] Shutting down' || fail "server did not shut down cleanly"
  ) || return 1  # explicit: callers use `||`, which turns off set -e in here
  log "examples: handshake, echo, wrong server key and Ctrl-C all behaved under wine"
}

cmd_test() {
  local started=$SECONDS
  cmd_build
  start_wine
  trap stop_wine EXIT
  # ctest runs each test through wine (CMAKE_CROSSCOMPILING_EMULATOR); gtest cases are
  # listed under wine at test time (PRE_TEST discovery) rather than at build time.
  # Working directories are in the build tree, which wine sees as drive Z:, so the
  # absolute paths compiled into the tests resolve to the same files.
  log "run the test suite under wine"
  local rc=0
  # The prefix in the environment too, for tests that configure a nested project with
  # the toolchain file (the install tests' consumer projects, tests/install).
  # --repeat until-pass:2: wine has once failed to start a test process on a fresh
  # prefix (exit after 0.01 s, no output, an engine test that passes everywhere else).
  # Such a test gets one more run; a test that fails twice still fails the stage, and
  # the log shows every retry.
  P2PNET_WINDOWS_PREFIX=$prefix PKG_CONFIG_LIBDIR=$prefix/lib/pkgconfig PKG_CONFIG_PATH= \
    ctest --test-dir "$project_build" -j "$jobs" --timeout 300 --output-on-failure \
      --repeat until-pass:2 || rc=$?
  log "$(wine_test_count) of the registered tests ran as Windows executables under wine"
  [[ $rc -eq 0 ]] || die "tests failed under wine (ctest exit $rc)"
  log "run the example programs under wine"
  examples_smoke || die "example programs failed under wine"
  log "stage time: $((SECONDS - started)) s"
}

case ${1:-} in
  deps) cmd_deps ;;
  build) cmd_build ;;
  test) cmd_test ;;
  *) echo "usage: scripts/windows.sh deps|build|test" >&2; exit 2 ;;
esac
