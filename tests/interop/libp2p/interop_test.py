#!/usr/bin/env python3
# Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
"""The libp2p interop test (docs/interop.md): js-libp2p against js-libp2p and P2PNet.

Installs the pinned js-libp2p packages of this directory with `npm ci` into WORK (once
per package-lock.json), then runs the named cases. Every process it starts has a
deadline of its own and is stopped by this driver. Exit status 77 (skipped) only when
node or npm is missing, or npm cannot reach its registry; the reason is printed.

usage: interop_test.py --js-dir DIR --work DIR CASE...
cases:
  js-selftest   js-to-js: a js-libp2p node dialled by another (noise + yamux), and
                secureInbound/secureOutbound on a plain TCP socket in both roles with
                1 byte to 1 MiB echoed, the expected peer ID enforced, and the stream
                muxer chosen from the extensions
"""
import argparse
import hashlib
import os
import queue
import shutil
import subprocess
import sys
import threading
import time

SKIP = 77
FAILURES = []
PASSED = 0
JS_FILES = ("package.json", "package-lock.json", "polyfill.mjs", "common.mjs", "listen.mjs",
            "dial.mjs", "noise_peer.mjs")
# 1 byte to 1 MiB, around the Noise message limits (65535 bytes, 65519 of plaintext).
SIZES = "1,2,100,65518,65519,65520,65535,65536,1048576"


def check(condition, what, detail=""):
    global PASSED
    if condition:
        PASSED += 1
        print("ok:", what)
    else:
        FAILURES.append(what)
        print("FAILED:", what, detail)


class Process:
    """A child process whose standard output is read line by line on a thread."""

    def __init__(self, args, cwd, name):
        self.name = name
        self.lines = queue.Queue()
        self.seen = []
        self.proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, prefix, timeout=30):
        """The rest of the first line that starts with |prefix|, or None at the deadline
        or at the end of output."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                return None
            self.seen.append(line)
            if line.startswith(prefix + " ") or line == prefix:
                return line[len(prefix):].strip()

    def finish(self, timeout=60):
        """Waits for the exit (killing the process at the deadline); returns the status
        and every output line."""
        try:
            status = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = self.proc.wait()
        while True:
            try:
                line = self.lines.get(timeout=5)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
        return status, self.seen

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def install(js_dir, work):
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            print("skipped: %s is not installed (docs/interop.md says which Node)" % tool)
            sys.exit(SKIP)
    os.makedirs(work, exist_ok=True)
    for name in JS_FILES:
        shutil.copyfile(os.path.join(js_dir, name), os.path.join(work, name))
    with open(os.path.join(work, "package-lock.json"), "rb") as f:
        lock_hash = hashlib.sha256(f.read()).hexdigest()
    stamp = os.path.join(work, "node_modules", ".p2pnet-lock-sha256")
    if os.path.exists(stamp) and open(stamp).read().strip() == lock_hash:
        print("npm: node_modules already installed from this package-lock.json")
    else:
        started = time.monotonic()
        result = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=work,
                                capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            ping = subprocess.run(["npm", "ping"], cwd=work, capture_output=True, text=True,
                                  timeout=120)
            if ping.returncode != 0:
                print("skipped: npm cannot reach its registry (npm ping failed):",
                      (ping.stderr or ping.stdout).strip()[-300:])
                sys.exit(SKIP)
            print(result.stdout[-2000:], result.stderr[-2000:])
            print("npm ci failed although the registry answers")
            sys.exit(1)
        with open(stamp, "w") as f:
            f.write(lock_hash + "\n")
        print("npm: ci took %.1f s" % (time.monotonic() - started))
    version = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    print("node", version)


def node(work, script, *args, name=None):
    return Process(["node", script, *args], work, name or script)


def js_selftest(work):
    # 1. Two js-libp2p nodes: the listener prints its peer ID and address, the dialler
    # completes noise and yamux and names the same peer.
    listener = node(work, "listen.mjs", "--timeout", "60")
    try:
        peer_id = listener.wait_for("peer-id")
        address = listener.wait_for("address")
        check(peer_id is not None and peer_id.startswith("12D3KooW"), "js listener prints its peer ID")
        check(address is not None and address.endswith("/p2p/" + str(peer_id)), "js listener prints its address")
        dialler = node(work, "dial.mjs", "--address", str(address), "--timeout", "30")
        status, lines = dialler.finish(60)
        check(status == 0 and "secured %s /noise /yamux/1.0.0" % peer_id in lines,
              "js-libp2p dials js-libp2p: noise and yamux", lines)
        check(listener.wait_for("connected") is not None, "the js listener sees the connection")
    finally:
        listener.stop()

    # 2. secureInbound/secureOutbound on a plain TCP socket, both ways round.
    for inbound_then, outbound_then in (("echo", "check"), ("check", "echo")):
        inbound = node(work, "noise_peer.mjs", "--role", "inbound", "--then", inbound_then,
                       "--sizes", SIZES, "--muxers", "/yamux/1.0.0", "--timeout", "60")
        try:
            in_id = inbound.wait_for("peer-id")
            port = inbound.wait_for("listening")
            outbound = node(work, "noise_peer.mjs", "--role", "outbound", "--port", str(port),
                            "--expect-peer", str(in_id), "--then", outbound_then, "--sizes", SIZES,
                            "--muxers", "/mplex/6.7.0,/yamux/1.0.0", "--timeout", "60")
            out_status, out_lines = outbound.finish(90)
            in_status, in_lines = inbound.finish(30)
            what = "secureOutbound(%s) to secureInbound(%s)" % (outbound_then, inbound_then)
            check(out_status == 0 and in_status == 0, what + ": both succeed", out_lines + in_lines)
            check("secured %s muxer=/yamux/1.0.0" % in_id in out_lines,
                  what + ": the expected peer, the muxer both list", out_lines)
            expected = "ok checked %d messages %d bytes" % (len(SIZES.split(",")),
                                                          sum(int(n) for n in SIZES.split(",")))
            check(expected in out_lines + in_lines,
                  what + ": 1 byte to 1 MiB echoed", out_lines + in_lines)
        finally:
            inbound.stop()

    # 3. A dialler that expects another peer ID fails, and so does the listener.
    inbound = node(work, "noise_peer.mjs", "--role", "inbound", "--then", "echo", "--timeout", "30")
    try:
        inbound.wait_for("peer-id")
        port = inbound.wait_for("listening")
        outbound = node(work, "noise_peer.mjs", "--role", "outbound", "--port", str(port),
                        "--expect-peer", "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq",
                        "--timeout", "30")
        out_status, out_lines = outbound.finish(60)
        in_status, in_lines = inbound.finish(30)
        check(out_status == 1 and any("does not match expected" in l for l in out_lines),
              "secureOutbound refuses a peer other than the expected one", out_lines)
        check(in_status != 0, "and the inbound side fails too", in_lines)
    finally:
        inbound.stop()


CASES = {"js-selftest": js_selftest}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--js-dir", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("cases", nargs="+", choices=sorted(CASES))
    args = parser.parse_args()
    install(args.js_dir, args.work)
    started = time.monotonic()
    for case in args.cases:
        print("== case", case)
        CASES[case](args.work)
    print("interop: %.1f s" % (time.monotonic() - started))
    print("%d passed, %d failed" % (PASSED, len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
