#!/usr/bin/env bash
# scripts/bench.sh smoke|instructions|report: the benchmark suite (docs/benchmarks.md).
#   smoke   install packages, build in build/bench (Release), run every benchmark for
#           one short iteration and a tiny loopback run; fails if a benchmark is
#           missing or reports an error; then the instruction-count gate below.
#           Asserts no timing. What `scripts/test.sh bench` (and so CI) runs.
#   instructions
#           callgrind counts instructions of fixed-count loops (bench/instruction_counts.cc)
#           per both-sides handshake (engine and crypto floor) and per 16 KiB message
#           (engine and the raw AEAD of the library the engine uses at that size); fails
#           if engine/floor > 1.02 or engine/raw > 1.03; and per both-sides Noise XX
#           handshake of protocol v2 through the Noise core against its libsodium floor
#           (bench/noise_floor.h), failing if engine/floor > 1.02. Instruction counts do not
#           move with the machine's load, so this is the one performance gate. Also
#           prints, without a gate, the same per 1 KiB message, with and without the
#           copy out of the engine's queue (poll_transmit vs peek_transmit).
#   report  the same build, then the suite with repetitions and the loopback load
#           three times; writes docs/benchmarks.md and docs/benchmarks-transport.png.
#           Takes several minutes; run it on a machine as quiet as you can get.
# Environment: BENCH_REPETITIONS (report, default 9), BENCH_MIN_TIME (report, seconds
# per repetition, default 0.5), LOOPBACK_RUNS (report, default 3).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-smoke}
build=build/bench
jobs=2  # the CI machine has two cores
python=/usr/bin/python3

configure_and_build() {
  scripts/setup.sh build bench
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="" -DP2PNET_WERROR=ON \
    -DP2PNET_BUILD_BENCHMARKS=ON -DP2PNET_BUILD_TESTS=OFF >/dev/null
  # Only what the benchmarks need: the suite, the load program and, when they exist,
  # the two example programs the loopback part drives.
  local targets=(p2pnet_bench p2pnet_loopback_load p2pnet_instruction_counts)
  local example
  for example in 08_generate_identity 10_secure_server; do
    local target
    target=$(ninja -C "$build" -t targets all 2>/dev/null |
      sed -n "s|^\([^:]*/${example}\(\.exe\)\?\): CXX_EXECUTABLE_LINKER.*|\1|p" | head -n1)
    [[ -n $target ]] && targets+=("$target")
  done
  cmake --build "$build" -j "$jobs" --target "${targets[@]}"
}

# example_binary NAME prints the path of a built example program, or nothing.
example_binary() {
  find "$build" -type f -perm -u+x -name "$1" 2>/dev/null | head -n1
}

# run_loopback OUT [load options...]: generates a server identity, runs the load
# program against the example server; JSON lines go to OUT. Returns 3 if the example
# programs are not built.
run_loopback() {
  local out=$1; shift
  local generate server
  generate=$(example_binary 08_generate_identity)
  server=$(example_binary 10_secure_server)
  if [[ -z $generate || -z $server ]]; then
    echo "loopback: the example programs 08_generate_identity and 10_secure_server are not built"
    return 3
  fi
  local dir
  dir=$(mktemp -d)
  local pubkey
  pubkey=$("$generate" --out "$dir/server.key" | sed -n 's/^\[OK\] Public key: \([A-Za-z0-9_-]\{43\}\)$/\1/p')
  if [[ -z $pubkey ]]; then
    echo "loopback: 08_generate_identity did not print a public key" >&2
    rm -rf "$dir"
    return 1
  fi
  # Room for the idle connections, if this server version can be told so.
  local server_args=("$dir/server.key" --host 127.0.0.1 --port 0)
  local help
  help=$("$server" --help 2>&1 || true)
  if [[ $help == *--max-connections* ]]; then
    server_args+=(--max-connections 11000)
  fi
  # Every load client comes from 127.0.0.1: the per-address handshake cap (default 8)
  # would measure the cap, not the server. 256 is the whole handshake table.
  if [[ $help == *--max-handshakes-per-address* ]]; then
    server_args+=(--max-handshakes-per-address 256)
  fi
  "$build/bench/p2pnet_loopback_load" --pin "$pubkey" --log "$dir/server.log" "$@" \
    -- "$server" "${server_args[@]}" >"$out"
  local status=$?
  cat "$out"
  if [[ $status -ne 0 ]]; then
    echo "loopback: load program failed; server log tail:" >&2
    tail -n 20 "$dir/server.log" >&2 || true
  fi
  rm -rf "$dir"
  return $status
}

# instructions_of MODE COUNT [SIZE]: instructions callgrind counts for COUNT iterations.
instructions_of() {
  local out
  out=$(mktemp)
  if ! valgrind --tool=callgrind --callgrind-out-file="$out" \
      "$build/bench/p2pnet_instruction_counts" "$@" >/dev/null 2>"$out.log"; then
    echo "instructions: $* failed under callgrind:" >&2
    tail -n 20 "$out.log" >&2
    rm -f "$out" "$out.log"
    return 1
  fi
  sed -n 's/^summary: *\([0-9][0-9]*\).*/\1/p' "$out" | head -n1
  rm -f "$out" "$out.log"
}

# per_iteration MODE LOW HIGH [SIZE]: the instructions of one iteration, from two
# counts, so that start-up (library initialisation, the first buffers) cancels out.
per_iteration() {
  local low high
  low=$(instructions_of "$1" "$2" ${4:+"$4"}) || return 1
  high=$(instructions_of "$1" "$3" ${4:+"$4"}) || return 1
  echo $(((high - low) / ($3 - $2)))
}

# run_instructions OUT: the gate; JSON goes to OUT for the report.
run_instructions() {
  local out=$1
  local engine floor message raw library small small_copy small_raw small_library
  local noise noise_floor
  engine=$(per_iteration handshake-engine 2 12)
  floor=$(per_iteration handshake-floor 2 12)
  noise=$(per_iteration noise-engine 2 12)
  noise_floor=$(per_iteration noise-floor 2 12)
  message=$(per_iteration message-engine 10 110)
  raw=$(per_iteration message-raw 10 110)
  library=$("$build/bench/p2pnet_instruction_counts" library 1)
  small=$(per_iteration message-engine 10 110 1024)
  small_copy=$(per_iteration message-engine-copy 10 110 1024)
  small_raw=$(per_iteration message-raw 10 110 1024)
  small_library=$("$build/bench/p2pnet_instruction_counts" library 1 1024)
  "$python" - "$out" "$engine" "$floor" "$message" "$raw" "$library" \
    "$small" "$small_copy" "$small_raw" "$small_library" "$noise" "$noise_floor" <<'PY'
import json, sys
out, engine, floor, message, raw, library = sys.argv[1], *map(int, sys.argv[2:6]), sys.argv[6]
small, small_copy, small_raw, small_library = *map(int, sys.argv[7:10]), sys.argv[10]
noise, noise_floor = map(int, sys.argv[11:13])
result = {"handshake_engine": engine, "handshake_floor": floor, "handshake_ratio": engine / floor,
          "message_size": 16384, "message_engine": message, "message_raw": raw,
          "message_ratio": message / raw, "message_library": library,
          "handshake_gate": 1.02, "message_gate": 1.03,
          # 1 KiB, reported without a gate: with and without the copy out of the queue.
          "small_size": 1024, "small_engine": small, "small_engine_copy": small_copy,
          "small_raw": small_raw, "small_library": small_library,
          # Protocol v2's Noise XX through the engine's Noise core vs its libsodium floor.
          "noise_engine": noise, "noise_floor": noise_floor,
          "noise_ratio": noise / noise_floor, "noise_gate": 1.02}
with open(out, "w") as f:
    json.dump(result, f)
print(f"instructions per both-sides handshake: engine {engine:,}, floor {floor:,}, "
      f"engine/floor {result['handshake_ratio']:.4f} (gate {result['handshake_gate']})")
print(f"instructions per both-sides Noise_XX_25519_ChaChaPoly_BLAKE2b handshake (v2 payloads): "
      f"engine {noise:,}, floor {noise_floor:,}, "
      f"engine/floor {result['noise_ratio']:.4f} (gate {result['noise_gate']})")
print(f"instructions per 16 KiB message (seal + open, {library}): engine {message:,}, raw AEAD {raw:,}, "
      f"engine/raw {result['message_ratio']:.4f} (gate {result['message_gate']})")
print(f"instructions per 1 KiB message (seal + open, {small_library}): engine {small:,} "
      f"({small / small_raw:.4f} of raw), copying out of the queue {small_copy:,} "
      f"({small_copy / small_raw:.4f}), raw AEAD {small_raw:,} (no gate)")
failed = [name for name, ratio, gate in (("handshake engine/floor", result["handshake_ratio"], 1.02),
                                         ("noise engine/floor", result["noise_ratio"], 1.02),
                                         ("message engine/raw", result["message_ratio"], 1.03)) if ratio > gate]
if failed:
    print("instructions: over the gate: " + ", ".join(failed), file=sys.stderr)
    sys.exit(1)
PY
}

case $mode in
  instructions)
    configure_and_build
    run_instructions "$build/instructions.json"
    echo "bench instructions: passed" ;;
  smoke)
    configure_and_build
    "$build/bench/p2pnet_bench" --benchmark_min_time=0.001 \
      --benchmark_out="$build/smoke.json" --benchmark_out_format=json
    "$python" bench/make_report.py check "$build/smoke.json"
    status=0
    run_loopback "$build/smoke-loopback.jsonl" --levels 1,4 --seconds 0.5 --idle 64 || status=$?
    if [[ $status -eq 0 ]]; then
      "$python" bench/make_report.py check-loopback "$build/smoke-loopback.jsonl" 64
    elif [[ $status -ne 3 ]]; then
      exit "$status"
    fi
    run_instructions "$build/instructions.json"
    echo "bench smoke: passed" ;;
  report)
    configure_and_build
    repetitions=${BENCH_REPETITIONS:-9}
    min_time=${BENCH_MIN_TIME:-0.5}
    loopback_runs=${LOOPBACK_RUNS:-3}
    "$python" bench/make_report.py machine >"$build/machine.json"
    "$build/bench/p2pnet_bench" --benchmark_repetitions="$repetitions" \
      --benchmark_min_time="$min_time" --benchmark_display_aggregates_only=true \
      --benchmark_out="$build/results.json" --benchmark_out_format=json 2> >(tee "$build/bench-stderr.log" >&2)
    "$python" bench/make_report.py check "$build/results.json"
    : >"$build/loopback.jsonl"
    for ((run = 1; run <= loopback_runs; ++run)); do
      status=0
      run_loopback "$build/loopback-run.jsonl" || status=$?
      [[ $status -eq 3 ]] && break
      [[ $status -eq 0 ]] && cat "$build/loopback-run.jsonl" >>"$build/loopback.jsonl"
    done
    run_instructions "$build/instructions.json"
    "$python" bench/make_report.py machine-end "$build/machine.json"
    "$python" bench/make_report.py report --results "$build/results.json" \
      --stderr "$build/bench-stderr.log" --machine "$build/machine.json" \
      --loopback "$build/loopback.jsonl" --repetitions "$repetitions" \
      --instructions "$build/instructions.json" \
      --markdown docs/benchmarks.md --plot docs/benchmarks-transport.png
    echo "bench report: wrote docs/benchmarks.md and docs/benchmarks-transport.png" ;;
  *)
    echo "bench.sh: unknown mode '$mode' (smoke, instructions, report)" >&2; exit 2 ;;
esac
