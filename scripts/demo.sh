#!/usr/bin/env bash
# scripts/demo.sh: the README's main job. Installs missing packages, builds, and runs
# a server and a client that complete the handshake and exchange encrypted messages.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build test
cmake -S . -B build/demo -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DP2PNET_BUILD_TESTS=OFF
cmake --build build/demo -j "$(nproc 2>/dev/null || echo 2)"
build/demo/examples/in_process_demo
