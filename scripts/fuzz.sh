#!/usr/bin/env bash
# scripts/fuzz.sh MODE: builds and runs the libFuzzer targets of fuzz/ (docs/fuzzing.md).
#   ci            build with clang (-fsanitize=fuzzer,address,undefined) in build/fuzz,
#                 check that the fuzzing build mode stays inside it (mode-check), and
#                 run every target for FUZZ_SECONDS (default 60) from a temporary
#                 copy of its corpus, two at a time; fails on any crash, leak, timeout
#                 or out-of-memory. The committed corpus is never written.
#   mode-check [DIR]   only the check: the fuzzing build DIR (default: build/fuzz,
#                 built first) has no example, adapter or key tool and installs
#                 nothing; a normal build with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#                 in its flags is refused (check_fuzzing_mode below).
#   run TARGET [SECONDS]   fuzz one target, growing a temporary copy of its corpus
#                 (kept under build/fuzz/work/TARGET so new inputs can be merged).
#   seed          regenerate every corpus from real transcripts (fuzz/seed_corpus.cc)
#                 and minimise it with libFuzzer -merge=1 into corpus/<target>/.
#   merge TARGET DIR...    minimise corpus/TARGET plus the inputs in DIR into
#                 corpus/TARGET (to keep what a long run found).
#   measure       executions per second of every target (MEASURE_SECONDS, default 30)
#                 and the engine line coverage of the corpora alone (llvm-cov);
#                 writes both into docs/fuzzing.md between its "measured" markers.
#   cflite-check  runs .clusterfuzzlite/build.sh with the environment ClusterFuzzLite
#                 gives it and checks that every target and its seed corpus land in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

targets=(wire_codec server_connection client_connection channel_frames aead_backends
         identity_file public_key_text pair_session replay_cache c_api_session
         noise_handshake)
parallel=2
fuzz_dir=build/fuzz
sanitize_flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

tool() {  # tool NAME: the LLVM 14 tool when installed under its versioned name
  if command -v "$1-14" >/dev/null; then echo "$1-14"; else echo "$1"; fi
}

configure_fuzzers() {  # configure_fuzzers DIR CXXFLAGS [cmake args...]
  # P2PNET_BUILD_FUZZERS=ON alone, as a user would write it: the fuzzing build mode it
  # turns on defaults every other part off, and check_fuzzing_mode checks the result.
  local dir=$1 flags=$2; shift 2
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" -DP2PNET_BUILD_FUZZERS=ON -DP2PNET_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$parallel"
}

build_fuzzers() {
  scripts/setup.sh build fuzz
  configure_fuzzers "$fuzz_dir" "$sanitize_flags"
}

key_tool_repeats() {  # key_tool_repeats TOOL WORKDIR: true if two runs print the same key
  local tool=$1 work=$2 first second
  mkdir -p "$work"
  first=$("$tool" --out "$work/first.key" | sed -n 's/^\[OK\] Public key: //p')
  second=$("$tool" --out "$work/second.key" | sed -n 's/^\[OK\] Public key: //p')
  echo "mode-check: $tool printed $first, then $second"
  [[ -z $first || $first == "$second" ]]
}

# check_fuzzing_mode DIR: the deterministic random source of the fuzzing build mode
# stays inside the fuzzing build (docs/fuzzing.md). DIR is a configured and built
# fuzzing build (the one mode_ci has just built). Checks:
#   1. DIR holds no example and no adapter, hence no key tool (if a key tool were
#      there, two runs would have to print different keys);
#   2. `cmake --install DIR` installs nothing;
#   3. a normal build whose flags carry the generic FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#      (as OSS-Fuzz and ClusterFuzzLite set it) is refused when configured (if it
#      were not, the key tool it builds would have to print different keys), and
#      random.cc does not compile with the generic macro alone, while it compiles with
#      neither macro and with both (the control that the command itself works).
# Costs one configure that stops at the check, and three syntax-only compiles.
check_fuzzing_mode() {
  local dir=$1 failed=0 scratch tool macro=FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  scratch=$(mktemp -d)
  # 1. No example, no adapter, no tool in the fuzzing build. add_subdirectory
  # leaves a cmake_install.cmake in the folder it adds (fuzz/CMakeLists.txt may still
  # generate a header under adapters/ for the C API's sans-IO objects).
  for part in examples adapters tools; do
    if [[ -e $dir/$part/cmake_install.cmake ]]; then
      echo "mode-check: the fuzzing build $dir builds $part" >&2; failed=1
    fi
  done
  tool=$(find "$dir" -type f -perm -u+x -name '08_generate_identity*' | head -n 1)
  if [[ -n $tool ]] && key_tool_repeats "$tool" "$scratch/fuzz-keys"; then
    echo "mode-check: $tool prints the same key on every run" >&2; failed=1
  fi
  # 2. Installing the fuzzing build installs nothing.
  mkdir -p "$scratch/prefix"
  if ! cmake --install "$dir" --prefix "$scratch/prefix" >"$scratch/install.log" 2>&1; then
    echo "mode-check: cmake --install $dir failed:" >&2; cat "$scratch/install.log" >&2; failed=1
  fi
  local installed
  installed=$(find "$scratch/prefix" -type f | wc -l)
  if (( installed > 0 )); then
    echo "mode-check: cmake --install $dir installed $installed files, e.g.:" >&2
    find "$scratch/prefix" -type f | head -n 5 >&2; failed=1
  fi
  # 3a. A normal build with the generic macro in its flags is refused at configure time.
  if cmake -S . -B "$scratch/normal" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
       -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
       -DCMAKE_C_FLAGS="-D$macro" -DCMAKE_CXX_FLAGS="-D$macro" \
       -DP2PNET_BUILD_TESTS=OFF >"$scratch/normal.log" 2>&1; then
    echo "mode-check: a normal build with -D$macro configures" >&2; failed=1
    if cmake --build "$scratch/normal" --target 08_generate_identity >>"$scratch/normal.log" 2>&1 &&
       key_tool_repeats "$scratch/normal/examples/08_generate_identity" "$scratch/normal-keys"; then
      echo "mode-check: its 08_generate_identity prints the same key on every run" >&2
    fi
  elif ! grep -q "$macro" "$scratch/normal.log"; then
    echo "mode-check: the normal build with -D$macro failed for another reason:" >&2
    tail -n 20 "$scratch/normal.log" >&2; failed=1
  fi
  # 3b. random.cc refuses the generic macro without the project's own define.
  local compile=(clang++ -std=c++20 -fsyntax-only -Iengine/include -Iengine/src/include)
  read -r -a sodium_flags <<<"$(pkg-config --cflags libsodium)"
  compile+=("${sodium_flags[@]}")
  if "${compile[@]}" "-D$macro" engine/src/random.cc >"$scratch/compile.log" 2>&1; then
    echo "mode-check: engine/src/random.cc compiles with -D$macro alone" >&2; failed=1
  elif ! grep -q "#error" "$scratch/compile.log"; then
    echo "mode-check: random.cc with -D$macro failed for another reason:" >&2
    cat "$scratch/compile.log" >&2; failed=1
  fi
  for defines in "" "-D$macro -DP2PNET_$macro"; do
    # shellcheck disable=SC2086  # $defines is zero or two words on purpose
    if ! "${compile[@]}" $defines engine/src/random.cc >"$scratch/compile.log" 2>&1; then
      echo "mode-check: random.cc does not compile with '${defines:-no macro}':" >&2
      cat "$scratch/compile.log" >&2; failed=1
    fi
  done
  rm -rf "$scratch"
  if (( failed )); then return 1; fi
  echo "mode-check: the fuzzing build holds no example, adapter or key tool and installs nothing;" \
    "a normal build with -D$macro is refused (configure and compile)"
}

dict_args() {  # dict_args TARGET: -dict=... when the target has a dictionary
  if [[ -f fuzz/$1.dict ]]; then echo "-dict=fuzz/$1.dict"; fi
}

fuzz_one() {  # fuzz_one TARGET SECONDS WORKDIR: fuzz from a copy of the corpus
  local target=$1 seconds=$2 work=$3
  rm -rf "$work" && mkdir -p "$work/corpus" "$work/artifacts"
  cp corpus/"$target"/* "$work/corpus/"
  # -timeout: one input over 10 s is a hang; -rss_limit_mb: the default 2 GB bound.
  "$fuzz_dir/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=4096 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    $(dict_args "$target") "$work/corpus" >"$work/log" 2>&1
}

mode_ci() {
  local seconds=${FUZZ_SECONDS:-60} failed=()
  build_fuzzers
  check_fuzzing_mode "$fuzz_dir"
  for target in "${targets[@]}"; do
    # Two at a time (one per core); each records its exit status for the summary.
    while (( $(jobs -rp | wc -l) >= parallel )); do wait -n || true; done
    ( if fuzz_one "$target" "$seconds" "$fuzz_dir/work/$target"; then rc=0; else rc=$?; fi
      echo "$rc" >"$fuzz_dir/work/$target.rc" ) &
  done
  wait
  for target in "${targets[@]}"; do
    local log=$fuzz_dir/work/$target/log
    if [[ $(cat "$fuzz_dir/work/$target.rc" 2>/dev/null) == 0 ]]; then
      echo "fuzz: $target: clean, $(awk '/^stat::number_of_executed_units:/ {print $2}' "$log") runs in ${seconds}s"
    else
      failed+=("$target")
      echo "fuzz: $target: FAILED; end of its log:" >&2
      tail -n 60 "$log" >&2 || true
      ls -l "$fuzz_dir/work/$target/artifacts" >&2 || true
    fi
  done
  if (( ${#failed[@]} > 0 )); then
    echo "fuzz: failing targets: ${failed[*]} (reproduce: $fuzz_dir/fuzz/fuzz_TARGET ARTIFACT)" >&2
    exit 1
  fi
  echo "fuzz: all ${#targets[@]} targets ran clean for ${seconds}s each"
}

mode_run() {
  local target=${1:?usage: fuzz.sh run TARGET [SECONDS]} seconds=${2:-60}
  build_fuzzers
  local work=$fuzz_dir/work/$target
  if fuzz_one "$target" "$seconds" "$work"; then status=0; else status=$?; fi
  tail -n 15 "$work/log"
  echo "fuzz: grown corpus in $work/corpus; keep it with: scripts/fuzz.sh merge $target $work/corpus"
  return "$status"
}

merge_into_corpus() {  # merge_into_corpus TARGET DIR...: minimise into corpus/TARGET
  local target=$1; shift
  local merged=$fuzz_dir/merge/$target
  rm -rf "$merged" && mkdir -p "$merged"
  "$fuzz_dir/fuzz/fuzz_$target" -merge=1 -max_len=4096 "$merged" "$@" >"$fuzz_dir/merge/$target.log" 2>&1
  # Inputs that once found a bug (regress-*) stay by name, whatever the merge keeps.
  local regressions=$fuzz_dir/merge/$target.regress
  rm -rf "$regressions" && mkdir -p "$regressions"
  cp corpus/"$target"/regress-* "$regressions/" 2>/dev/null || true
  rm -rf corpus/"$target" && mkdir -p corpus/"$target"
  cp "$merged"/* "$regressions"/* corpus/"$target"/ 2>/dev/null || cp "$merged"/* corpus/"$target"/
  echo "fuzz: corpus/$target: $(ls corpus/"$target" | wc -l) files, $(cat corpus/"$target"/* | wc -c) bytes"
}

mode_seed() {
  build_fuzzers
  # The generator is an ordinary program: build it without fuzzing instrumentation.
  cmake -S . -B build/fuzz-seed -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DP2PNET_BUILD_TESTS=ON -DP2PNET_BUILD_EXAMPLES=OFF -DP2PNET_BUILD_ADAPTERS=OFF >/dev/null
  cmake --build build/fuzz-seed -j "$parallel" --target p2pnet_fuzz_seed_corpus
  local raw=build/fuzz-seed/raw
  rm -rf "$raw"
  build/fuzz-seed/fuzz/p2pnet_fuzz_seed_corpus "$raw"
  for target in "${targets[@]}"; do
    # Keep what is already committed (inputs that once found bugs) beside the seeds.
    local dirs=("$raw/$target")
    [[ -d corpus/$target ]] && dirs+=("corpus/$target")
    local keep=$fuzz_dir/keep/$target
    rm -rf "$keep" && mkdir -p "$keep"
    for dir in "${dirs[@]}"; do cp "$dir"/* "$keep/"; done
    merge_into_corpus "$target" "$keep"
  done
}

mode_merge() {
  local target=${1:?usage: fuzz.sh merge TARGET DIR...}; shift
  build_fuzzers
  local keep=$fuzz_dir/keep/$target
  rm -rf "$keep" && mkdir -p "$keep"
  cp corpus/"$target"/* "$keep/"
  merge_into_corpus "$target" "$keep" "$@"
}

mode_measure() {
  local seconds=${MEASURE_SECONDS:-30} table coverage
  build_fuzzers
  table="| target | corpus files | executions per second |"$'\n'"|---|---|---|"
  for target in "${targets[@]}"; do
    fuzz_one "$target" "$seconds" "$fuzz_dir/work/$target"
    local rate
    rate=$(awk '/^stat::average_exec_per_sec:/ {print $2}' "$fuzz_dir/work/$target/log")
    table+=$'\n'"| $target | $(ls corpus/"$target" | wc -l) | $rate |"
    echo "fuzz: $target: $rate exec/s"
  done

  # Coverage: the corpora alone, run once each (-runs=0) by binaries built with
  # clang's source-based coverage instead of sanitizers.
  local cov=build/fuzz-coverage
  configure_fuzzers "$cov" "-fprofile-instr-generate -fcoverage-mapping"
  rm -rf "$cov/profiles" && mkdir -p "$cov/profiles"
  local objects=()
  for target in "${targets[@]}"; do
    LLVM_PROFILE_FILE="$cov/profiles/$target.profraw" \
      "$cov/fuzz/fuzz_$target" -runs=0 corpus/"$target" >"$cov/profiles/$target.log" 2>&1
    objects+=(-object "$cov/fuzz/fuzz_$target")
  done
  "$(tool llvm-profdata)" merge -sparse "$cov"/profiles/*.profraw -o "$cov/corpora.profdata"
  "$(tool llvm-cov)" report "${objects[@]:1}" -instr-profile="$cov/corpora.profdata" \
    "$root/engine/src" "$root/engine/include" >"$cov/report.txt"
  coverage=$(awk '
    /^Filename/ {next} /^-+$/ {next}
    NF >= 10 {
      name = ($1 == "TOTAL") ? "**total**" : "engine/" $1
      printf "| %s | %s | %s | %s |\n", name, $8, $9, $10
    }' "$cov/report.txt")
  local total
  total=$(awk '$1 == "TOTAL" {print $10}' "$cov/report.txt")
  echo "fuzz: engine line coverage from the corpora alone: $total"

  local block
  block="Measured by \`scripts/fuzz.sh measure\` on $(date -u +%Y-%m-%d), $(nproc) cores, clang $(clang --version | head -n1 | grep -o '[0-9][0-9.]*' | head -n1)."$'\n\n'
  block+="Executions per second, each target fuzzing alone for ${seconds} s from its corpus, built with"$'\n'
  block+="ASan + UBSan (the CI configuration):"$'\n\n'"$table"$'\n\n'
  block+="Line coverage of \`engine/\` reached by the committed corpora alone (no fuzzing; every"$'\n'
  block+="corpus file run once, all targets merged), llvm-cov 14:"$'\n\n'
  block+="| file | lines | missed lines | line coverage |"$'\n'"|---|---|---|---|"$'\n'"$coverage"
  python3 - "$block" <<'PY'
import re, sys
path = "docs/fuzzing.md"
text = open(path).read()
begin, end = "<!-- measured:begin -->", "<!-- measured:end -->"
new = f"{begin}\n{sys.argv[1]}\n{end}"
text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda m: new, text, flags=re.S)
open(path, "w").write(text)
PY
  echo "fuzz: docs/fuzzing.md updated"
}

mode_cflite_check() {
  scripts/setup.sh build fuzz
  local src out
  src=$(mktemp -d) out=$root/build/cflite-out
  trap 'rm -rf "$src"' RETURN
  ln -s "$root" "$src/p2pnet"
  rm -rf "$out" && mkdir -p "$out"
  # build.sh builds in build/cflite under a temporary path, so a cache left by an
  # earlier run names a source folder that no longer exists: start clean, as the
  # builder does.
  rm -rf "$root/build/cflite"
  # The environment ClusterFuzzLite's builder gives build.sh (address sanitizer, libFuzzer),
  # except -stdlib=libc++, which the builder image has and this machine need not.
  local cflags="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
  (cd "$src/p2pnet" && env CC=clang CXX=clang++ CFLAGS="$cflags" CXXFLAGS="$cflags" \
     LIB_FUZZING_ENGINE=-fsanitize=fuzzer SRC="$src" OUT="$out" WORK="$src" \
     bash .clusterfuzzlite/build.sh)
  local missing=0
  for target in "${targets[@]}"; do
    if [[ ! -x $out/$target ]]; then echo "cflite: missing $out/$target" >&2; missing=1; fi
    if [[ ! -s $out/${target}_seed_corpus.zip ]]; then
      echo "cflite: missing $out/${target}_seed_corpus.zip" >&2; missing=1
    elif [[ $(unzip -Z1 "$out/${target}_seed_corpus.zip" | wc -l) -ne $(ls corpus/"$target" | wc -l) ]]; then
      echo "cflite: $target seed corpus does not hold corpus/$target" >&2; missing=1
    fi
  done
  (( missing == 0 )) || exit 1
  # Each target must also run its seed corpus clean, as ClusterFuzzLite's first step does.
  for target in "${targets[@]}"; do
    local seeds=$out/seeds/$target
    mkdir -p "$seeds" && unzip -q -o "$out/${target}_seed_corpus.zip" -d "$seeds"
    "$out/$target" -runs=0 "$seeds" >"$out/$target.check.log" 2>&1 ||
      { echo "cflite: $target fails on its seed corpus" >&2; tail "$out/$target.check.log" >&2; exit 1; }
  done
  echo "cflite: all ${#targets[@]} targets and seed corpora in $out, each runs its seeds clean"
}

mode_mode_check() {  # mode_mode_check [DIR]: check DIR as built, or build build/fuzz first
  if [[ $# -gt 0 ]]; then
    check_fuzzing_mode "$1"
  else
    build_fuzzers && check_fuzzing_mode "$fuzz_dir"
  fi
}

mode=${1:-ci}
shift || true
case $mode in
  ci) mode_ci ;;
  mode-check) mode_mode_check "$@" ;;
  run) mode_run "$@" ;;
  seed) mode_seed ;;
  merge) mode_merge "$@" ;;
  measure) mode_measure ;;
  cflite-check) mode_cflite_check ;;
  *) echo "fuzz.sh: unknown mode '$mode'" \
       "(ci, mode-check, run, seed, merge, measure, cflite-check)" >&2; exit 2 ;;
esac
