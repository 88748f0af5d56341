#!/usr/bin/env bash
# scripts/test.sh [STAGE...]: builds and runs the whole test suite; the README's test
# command and what .ci/run calls. Installs missing Debian packages first.
#   unit      g++ build, every ctest suite (engine, properties, adapters, interop,
#             fuzz replay)
#   model     rumur model check of the handshake: the model passes, every mutation fails
#             with its expected invariant (scripts/model.sh ci, docs/model.md)
#   sanitize  the same suites under AddressSanitizer + UndefinedBehaviorSanitizer
#   fuzz      clang libFuzzer targets, each run for a bounded time from its corpus
#   windows   mingw-w64 cross-build, Winsock and engine tests under wine
#   bench     benchmark suite built and run for one short iteration (no timing asserted),
#             and the instruction-count gate (scripts/bench.sh instructions)
#   lint      clang-tidy over every source, failing on findings not in the baseline, and
#             clang-format over every tracked source (scripts/lint.sh, CONTRIBUTING.md)
# With no STAGE, all of them run in that order.
set -euo pipefail
cd "$(dirname "$0")/.."

all_stages=(unit model sanitize fuzz windows bench lint)
stages=("$@")
[[ ${#stages[@]} -gt 0 ]] || stages=("${all_stages[@]}")
jobs=$(nproc 2>/dev/null || echo 2)

# The project's own builds turn -Werror on (it is off by default for users). The unit
# stage builds Release, what users build; the sanitize stage RelWithDebInfo, the default.
run_ctest_build() {  # run_ctest_build DIR BUILD_TYPE [cmake args...]
  local dir=$1 build_type=$2; shift 2
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" -DP2PNET_WERROR=ON "$@"
  cmake --build "$dir" -j "$jobs"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 300
}

for stage in "${stages[@]}"; do
  echo "=== stage: $stage"
  case $stage in
    unit)
      scripts/setup.sh build test loops interop
      run_ctest_build build/unit Release ;;
    model)
      scripts/model.sh ci ;;
    sanitize)
      scripts/setup.sh build test loops
      ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        run_ctest_build build/sanitize RelWithDebInfo -DP2PNET_SANITIZE=address,undefined ;;
    fuzz)
      scripts/fuzz.sh ci ;;
    windows)
      scripts/windows.sh test ;;
    bench)
      scripts/bench.sh smoke ;;
    lint)
      scripts/lint.sh check ;;
    *)
      echo "test.sh: unknown stage '$stage' (stages: ${all_stages[*]})" >&2; exit 2 ;;
  esac
done
echo "=== all stages passed: ${stages[*]}"
