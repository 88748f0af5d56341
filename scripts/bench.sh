#!/usr/bin/env bash
# scripts/bench.sh smoke|instructions|report: the benchmark suite (docs/benchmarks.md).
#   smoke   install packages, build in build/bench (Release), run every benchmark for
#           one short iteration and a tiny loopback run; fails if a benchmark is
#           missing or reports an error; then the instruction-count gate below.
#           Asserts no timing. What `scripts/test.sh bench` (and so CI) runs.
#   instructions
#           callgrind counts instructions of fixed-count loops (bench/instruction_counts.cc)
#           per both-sides handshake (engine and crypto floor) and per message of 64 B,
#           1 KiB and 16 KiB (engine, engine copying the frame out of its queue, and the
#           raw AEAD of the library the engine uses at that size); fails if
#           engine/floor > 1.02, or if the engine's own instructions per message
#           (engine minus raw) pass its bound at any size (message_own_bounds), or if the copying
#           variant does not (the bound must catch an extra copy). Instruction counts do
#           not move with the machine's load, so this is the one performance gate. Also per
#           both-sides Noise XX handshake of protocol v2 through the Noise core against
#           its libsodium floor (bench/noise_floor.h), failing if engine/floor > 1.02.
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

# The engine's own instructions per message (engine minus the raw AEAD of the same
# library: framing, state, the calls between Connection, Channel and the backend) may
# not pass these bounds, SIZE:BOUND. Measured: 477 at 64 B (libsodium), 533 at 1 KiB
# and 533 at 16 KiB (OpenSSL). Copying each frame once more (message-engine-copy,
# poll_transmit into a buffer) adds 131, 431 and 5,231, so an extra copy of the
# message breaks the bound at every size; the gate checks that it still does (a bound
# that an extra copy passes is too loose) and fails if it does not.
message_own_bounds=(64:580 1024:750 16384:750)
# run_instructions OUT: the gate; JSON goes to OUT for the report.
run_instructions() {
  local out=$1
  local engine floor entry rows=()
  local noise noise_floor
  engine=$(per_iteration handshake-engine 2 12)
  floor=$(per_iteration handshake-floor 2 12)
  noise=$(per_iteration noise-engine 2 12)
  noise_floor=$(per_iteration noise-floor 2 12)
  for entry in "${message_own_bounds[@]}"; do
    local size=${entry%%:*} bound=${entry#*:} message copy raw library
    message=$(per_iteration message-engine 10 110 "$size")
    copy=$(per_iteration message-engine-copy 10 110 "$size")
    raw=$(per_iteration message-raw 10 110 "$size")
    library=$("$build/bench/p2pnet_instruction_counts" library 1 "$size")
    rows+=("$size:$bound:$message:$copy:$raw:$library")
  done
  "$python" - "$out" "$engine" "$floor" "$noise" "$noise_floor" "${rows[@]}" <<'PY'
import json, sys
out, engine, floor, noise, noise_floor = sys.argv[1], *map(int, sys.argv[2:6])
messages = []
for row in sys.argv[6:]:
    size, bound, message, copy, raw, library = row.split(":")
    size, bound, message, copy, raw = int(size), int(bound), int(message), int(copy), int(raw)
    messages.append({"size": size, "library": library, "engine": message, "engine_copy": copy,
                     "raw": raw, "own": message - raw, "own_copy": copy - raw, "own_bound": bound})
by_size = {m["size"]: m for m in messages}
large, small = by_size[16384], by_size[1024]
result = {"handshake_engine": engine, "handshake_floor": floor, "handshake_ratio": engine / floor,
          "handshake_gate": 1.02, "messages": messages,
          # The 16 KiB and 1 KiB figures under their earlier names, for the report.
          "message_size": 16384, "message_engine": large["engine"], "message_raw": large["raw"],
          "message_ratio": large["engine"] / large["raw"], "message_library": large["library"],
          "small_size": 1024, "small_engine": small["engine"], "small_engine_copy": small["engine_copy"],
          "small_raw": small["raw"], "small_library": small["library"],
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
failed = []
if result["handshake_ratio"] > result["handshake_gate"]:
    failed.append("handshake engine/floor %.4f > %s" % (result["handshake_ratio"], result["handshake_gate"]))
if result["noise_ratio"] > result["noise_gate"]:
    failed.append("noise engine/floor %.4f > %s" % (result["noise_ratio"], result["noise_gate"]))
for m in messages:
    print(f"instructions per {m['size']}-byte message (seal + open, {m['library']}): engine {m['engine']:,}, "
          f"raw AEAD {m['raw']:,}, the engine's own {m['own']:,} (gate {m['own_bound']:,}); with one more copy "
          f"of the frame (poll_transmit) {m['own_copy']:,}")
    if m["own"] > m["own_bound"]:
        failed.append(f"the engine's own instructions per {m['size']}-byte message: "
                      f"{m['own']:,} > {m['own_bound']:,}")
    if m["own_copy"] <= m["own_bound"]:
        failed.append(f"the gate is too loose at {m['size']} bytes: an extra copy of the frame "
                      f"({m['own_copy']:,} own instructions) stays within {m['own_bound']:,}")
if failed:
    print("instructions: over the gate: " + "; ".join(failed), file=sys.stderr)
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
