#!/usr/bin/env bash
# scripts/demo.sh: the README's main job. Installs missing packages, builds, then runs
# the example programs (docs/adapters.md "Running") over loopback: two identities
# generated in a temporary folder, the secure server started on a free port (read from
# its output), the secure client sending a few lines and printing their echoes, and the
# server stopped with SIGTERM.
# The in-process demo (the engine alone, no socket) runs first as a quick check.
# Exits non-zero if any step fails: the client's status, the server's exit status after
# SIGTERM, and the echoed lines are all checked.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build test
cmake -S . -B build/demo -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DP2PNET_BUILD_TESTS=OFF
cmake --build build/demo -j "$(nproc 2>/dev/null || echo 2)"
bin=build/demo/examples

echo "=== 1. The engine alone (in-process, no socket)"
"$bin/in_process_demo"

echo
echo "=== 2. Secure server and client over loopback"
work=$(mktemp -d)
server_pid=""
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "--- 08_generate_identity (server, then client)"
"$bin/08_generate_identity" --out "$work/server.key" | tee "$work/server-id.txt"
"$bin/08_generate_identity" --out "$work/client.key" | tee "$work/client-id.txt"
server_key=$(sed -n 's/^\[OK\] Public key: //p' "$work/server-id.txt")
client_key=$(sed -n 's/^\[OK\] Public key: //p' "$work/client-id.txt")
[[ ${#server_key} -eq 43 && ${#client_key} -eq 43 ]] || { echo "demo: could not read the public keys" >&2; exit 1; }

# Only the client generated above may connect.
"$bin/10_secure_server" "$work/server.key" --port 0 --allow "$client_key" >"$work/server.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 100); do  # up to 10 s for the server to report its port
  port=$(sed -n 's/^\[INFO\] Listening on port //p' "$work/server.log")
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
[[ -n $port ]] || { echo "demo: the server did not start" >&2; cat "$work/server.log" >&2; exit 1; }

echo "--- 11_secure_client (stdin: three lines)"
lines=$'Hello, secure world!\nThis line travels encrypted.\nGoodbye.'
client_status=0
printf '%s\n' "$lines" | "$bin/11_secure_client" "$work/client.key" "$server_key" --port "$port" --timeout 10 \
  | tee "$work/client.log" || client_status=$?

kill -TERM "$server_pid"
server_status=0
wait "$server_pid" || server_status=$?
server_pid=""
echo "--- 10_secure_server output"
cat "$work/server.log"

expected=$(printf '%s\n' "$lines" | sed 's/^/[ECHO] /')
echoed=$(grep '^\[ECHO\] ' "$work/client.log" || true)
failed=0
[[ $client_status -eq 0 ]] || { echo "demo: client exited with $client_status" >&2; failed=1; }
[[ $server_status -eq 0 ]] || { echo "demo: server exited with $server_status after SIGTERM" >&2; failed=1; }
[[ $echoed == "$expected" ]] || { echo "demo: the echoes do not match the lines sent" >&2; failed=1; }
client_fingerprint=$(sed -n 's/^\[OK\] Session key fingerprint: //p' "$work/client.log")
server_fingerprint=$(sed -n 's/^\[OK\] Session key fingerprint: //p' "$work/server.log")
[[ -n $client_fingerprint && $client_fingerprint == "$server_fingerprint" ]] ||
  { echo "demo: the session key fingerprints differ or are missing" >&2; failed=1; }
[[ $failed -eq 0 ]] || exit 1
echo
echo "demo: OK (handshake with matching session key fingerprints $client_fingerprint," \
  "$(printf "%s\n" "$lines" | wc -l) lines echoed over the encrypted channel, clean shutdown)"
