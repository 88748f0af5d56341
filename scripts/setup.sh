#!/usr/bin/env bash
# scripts/setup.sh [GROUP...]: installs the Debian packages a build needs, only when
# missing, so a fresh Debian bookworm machine needs nothing done by hand.
# Groups: build (default), test, interop, fuzz, bench, loops, windows, model, lint, all.
set -euo pipefail

declare -A packages=(
  [build]="cmake ninja-build g++ pkg-config libsodium-dev libssl-dev libcli11-dev"
  [test]="libgtest-dev libgmock-dev librapidcheck-dev nlohmann-json3-dev python3-nacl tshark wireshark-common"
  [loops]="libuv1-dev libasio-dev"
  # The independent Noise libraries of tests/interop (docs/interop.md).
  [interop]="python3-dissononce golang-go golang-github-flynn-noise-dev"
  [fuzz]="clang llvm libclang-rt-14-dev zip unzip python3"
  [bench]="libbenchmark-dev gnuplot-nox python3 valgrind"
  [windows]="g++-mingw-w64-x86-64-posix gcc-mingw-w64-x86-64-posix wine wine64 dpkg-dev autoconf automake libtool make googletest"
  [model]="rumur gcc libc6-dev"
  [lint]="clang clang-tidy-14 clang-format-14"
)

groups=("$@")
[[ ${#groups[@]} -gt 0 ]] || groups=(build)
if [[ " ${groups[*]} " == *" all "* ]]; then groups=("${!packages[@]}"); fi

wanted=()
for group in "${groups[@]}"; do
  [[ -n ${packages[$group]+x} ]] || { echo "setup: unknown group '$group'" >&2; exit 2; }
  for pkg in ${packages[$group]}; do wanted+=("$pkg"); done
done

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "setup: installing ${missing[*]}"
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# wireshark-common asks whether non-root users may capture; the tests only read
# files (docs/debugging.md), so answer "no" ahead of time.
if [[ " ${missing[*]} " == *" wireshark-common "* ]]; then
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
fi
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
