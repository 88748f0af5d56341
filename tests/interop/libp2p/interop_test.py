#!/usr/bin/env python3
# Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
"""The libp2p interop test (docs/interop.md): js-libp2p against js-libp2p and P2PNet.

Installs the pinned js-libp2p packages of this directory with `npm ci` into WORK (once
per package-lock.json), then runs the named cases. Every process it starts has a
deadline of its own and is stopped by this driver. Exit status 77 (skipped) only when
node or npm is missing, or npm cannot reach its registry; the reason is printed.

usage: interop_test.py --js-dir DIR --work DIR [--peer LIBP2P_PEER] [--tool P2PNET] CASE...
cases:
  js-selftest   js-to-js: a js-libp2p node dialled by another (noise + yamux), and
                secureInbound/secureOutbound on a plain TCP socket in both roles with
                1 byte to 1 MiB echoed, the expected peer ID enforced, and the stream
                muxer chosen from the extensions
  dial          (a) the project's dialer (libp2p_peer, multistream-select + Noise)
                reaches a js-libp2p node listening with noise and yamux, checks its
                printed peer ID, and decrypts its first message: a yamux frame when the
                muxer was agreed in the handshake, a multistream-select header when not
  secure        (b) secureInbound and secureOutbound on a plain TCP socket against the
                project's dialer and listener: 1 byte to 1 MiB both ways
  tamper        (c) a byte flipped by a proxy in each of the three handshake messages,
                in both role pairings: both sides fail, every time
"""
import socket
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


def js_selftest(args):
    work = args.work
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


def peer(args, *options):
    return Process([args.peer, *options], args.work, "libp2p_peer")


def dial(args):
    listener = node(args.work, "listen.mjs", "--open-stream", "--timeout", "60")
    try:
        peer_id = listener.wait_for("peer-id")
        address = listener.wait_for("address")
        check(peer_id is not None and address is not None, "js-libp2p node listening", listener.seen)
        port = address.split("/")[4] if address else "0"
        # With /yamux/1.0.0 offered in the handshake's extensions: the node's first
        # bytes are a yamux frame (12-byte header, version 0).
        ours = peer(args, "--role", "dial", "--port", port, "--expect-peer", str(peer_id),
                    "--negotiate", "--muxers", "/yamux/1.0.0", "--then", "first", "--timeout", "30")
        status, lines = ours.finish(60)
        check(status == 0 and "secured %s muxer=/yamux/1.0.0" % peer_id in lines,
              "the project dials js-libp2p: /noise negotiated, its peer ID checked, yamux agreed", lines)
        first = next((l.split()[1] for l in lines if l.startswith("first ")), "")
        check(len(first) >= 24 and first[0:2] == "00", "its first message decrypts to a yamux frame", first)
        # Without a muxer in the handshake: multistream-select inside the encrypted stream.
        ours = peer(args, "--role", "dial", "--port", port, "--expect-peer", str(peer_id),
                    "--negotiate", "--then", "first", "--timeout", "30")
        status, lines = ours.finish(60)
        header = "13" + b"/multistream/1.0.0\n".hex()
        first = next((l.split()[1] for l in lines if l.startswith("first ")), "")
        check(status == 0 and first.startswith(header),
              "without a muxer its first message decrypts to a multistream-select header", lines)
        # The tool: `p2pnet connect --libp2p MULTIADDR` prints the peer ID and the first bytes.
        if args.tool:
            keyfile = os.path.join(args.work, "interop.key")
            subprocess.run([args.tool, "keygen", "--out", keyfile, "--force"], capture_output=True,
                           timeout=30, check=True)
            tool = Process([args.tool, "connect", keyfile, "--libp2p", str(address), "--timeout", "20"],
                           args.work, "p2pnet")
            status, lines = tool.finish(60)
            check(status == 0 and any(l.endswith("[OK] Secured with /noise: peer " + str(peer_id)) for l in lines)
                  and any(" [DATA] 12 bytes: 00" in l for l in lines) and any(l.endswith("[OK] Closed") for l in lines),
                  "p2pnet connect --libp2p: the node's peer ID, its first bytes (a yamux frame), closed", lines)
        # A dialer that expects another peer fails the handshake.
        ours = peer(args, "--role", "dial", "--port", port, "--negotiate", "--expect-peer",
                    "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq", "--timeout", "30")
        status, lines = ours.finish(60)
        check(status == 1 and any("not accepted" in l for l in lines),
              "the project's dialer refuses a js node that is not the expected peer", lines)
    finally:
        listener.stop()


def secure(args):
    total = "ok checked %d messages %d bytes" % (len(SIZES.split(",")), sum(int(n) for n in SIZES.split(",")))
    # The project dials (check), js secureInbound (echo); then js dials, the project echoes.
    for ours_role, ours_then in (("dial", "check"), ("dial", "echo"), ("listen", "echo"),
                                 ("listen", "check")):
        js_then = "echo" if ours_then == "check" else "check"
        what = "project %s (%s) with js %s (%s)" % (ours_role, ours_then,
                                                   "secureInbound" if ours_role == "dial" else "secureOutbound",
                                                   js_then)
        if ours_role == "dial":
            js = node(args.work, "noise_peer.mjs", "--role", "inbound", "--then", js_then,
                      "--sizes", SIZES, "--muxers", "/yamux/1.0.0", "--timeout", "60")
            js_id = js.wait_for("peer-id")
            port = js.wait_for("listening")
            ours = peer(args, "--role", "dial", "--port", str(port), "--expect-peer", str(js_id),
                        "--muxers", "/mplex/6.7.0,/yamux/1.0.0", "--then", ours_then, "--sizes", SIZES,
                        "--timeout", "60")
        else:
            ours = peer(args, "--role", "listen", "--muxers", "/yamux/1.0.0", "--then", ours_then,
                        "--sizes", SIZES, "--timeout", "60")
            ours_id = ours.wait_for("peer-id")
            port = ours.wait_for("listening")
            js = node(args.work, "noise_peer.mjs", "--role", "outbound", "--port", str(port),
                      "--expect-peer", str(ours_id), "--muxers", "/mplex/6.7.0,/yamux/1.0.0",
                      "--then", js_then, "--sizes", SIZES, "--timeout", "60")
        try:
            ours_status, ours_lines = ours.finish(90)
            js_status, js_lines = js.finish(90)
        finally:
            js.stop()
            ours.stop()
        check(ours_status == 0 and js_status == 0, what + ": both succeed", ours_lines + js_lines)
        check(any(l.startswith("secured ") and l.endswith("muxer=/yamux/1.0.0") for l in ours_lines),
              what + ": authenticated, /yamux/1.0.0 agreed", ours_lines)
        check(total in ours_lines + js_lines, what + ": 1 byte to 1 MiB echoed byte for byte",
              ours_lines + js_lines)


class TamperProxy:
    """Relays one TCP connection to 127.0.0.1:|target| and flips one byte of the
    |message|-th Noise handshake message (1: dialer's -> e, 2: listener's <- e, ee, s,
    es, 3: dialer's -> s, se), reading the 2-byte big-endian framing."""

    def __init__(self, target, message):
        self.target = target
        self.message = message
        self.flipped = False
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(30)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        try:
            dialer, _ = self.listener.accept()
            listener = socket.create_connection(("127.0.0.1", self.target), timeout=30)
        except OSError:
            return
        # Frames from the dialer: messages 1 and 3; from the listener: message 2.
        wanted = {True: {1: 1, 3: 2}, False: {2: 1}}
        for source, sink, from_dialer in ((dialer, listener, True), (listener, dialer, False)):
            frame = wanted[from_dialer].get(self.message)
            threading.Thread(target=self._relay, args=(source, sink, frame), daemon=True).start()

    def _relay(self, source, sink, frame):
        buffer, seen = b"", 0
        try:
            source.settimeout(60)
            while True:
                data = source.recv(65536)
                if not data:
                    break
                buffer += data
                out = b""
                while frame is not None and seen < frame and len(buffer) >= 2:
                    length = int.from_bytes(buffer[:2], "big")
                    if len(buffer) < 2 + length:
                        break
                    body = bytearray(buffer[2:2 + length])
                    seen += 1
                    if seen == frame:
                        body[len(body) // 2] ^= 0x01
                        self.flipped = True
                    out += buffer[:2] + bytes(body)
                    buffer = buffer[2 + length:]
                if frame is None or seen >= frame:
                    out, buffer = out + buffer, b""
                if out:
                    sink.sendall(out)
        except OSError:
            pass
        finally:
            for s in (sink, source):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def tamper(args):
    # Each side then sends one byte and expects it back: in XX the dialer's handshake is
    # complete once it has sent message 3, so a flip there is noticed by the listener,
    # which drops the connection, and the dialer fails at its first read.
    then = ("--then", "check", "--sizes", "1")
    for message in (1, 2, 3):
        for ours_role in ("dial", "listen"):
            if ours_role == "dial":
                js = node(args.work, "noise_peer.mjs", "--role", "inbound", *then, "--timeout", "30")
                js.wait_for("peer-id")
                target = int(js.wait_for("listening") or 0)
                proxy = TamperProxy(target, message)
                ours = peer(args, "--role", "dial", "--port", str(proxy.port), *then, "--timeout", "30")
            else:
                ours = peer(args, "--role", "listen", *then, "--timeout", "30")
                ours.wait_for("peer-id")
                target = int(ours.wait_for("listening") or 0)
                proxy = TamperProxy(target, message)
                js = node(args.work, "noise_peer.mjs", "--role", "outbound", "--port", str(proxy.port),
                          *then, "--timeout", "30")
            try:
                ours_status, ours_lines = ours.finish(60)
                js_status, js_lines = js.finish(60)
            finally:
                js.stop()
                ours.stop()
            what = "handshake message %d flipped, project as %s" % (message, ours_role)
            check(proxy.flipped, what + ": the proxy flipped a byte")
            check(ours_status != 0, what + ": the project fails", ours_lines)
            check(js_status != 0, what + ": js-libp2p fails", js_lines)
            check(not (any(l.startswith("ok") for l in ours_lines + js_lines)),
                  what + ": no side carries data", ours_lines + js_lines)


CASES = {"js-selftest": js_selftest, "dial": dial, "secure": secure, "tamper": tamper}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--js-dir", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--peer", help="the project's libp2p_peer program")
    parser.add_argument("--tool", help="the p2pnet tool (its connect --libp2p)")
    parser.add_argument("cases", nargs="+", choices=sorted(CASES))
    args = parser.parse_args()
    for name in ("peer", "tool", "work", "js_dir"):
        if getattr(args, name):
            setattr(args, name, os.path.abspath(getattr(args, name)))
    install(args.js_dir, args.work)
    started = time.monotonic()
    for case in args.cases:
        print("== case", case)
        if case != "js-selftest" and not args.peer:
            parser.error("case %s needs --peer" % case)
        CASES[case](args)
    print("interop: %.1f s" % (time.monotonic() - started))
    print("%d passed, %d failed" % (PASSED, len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
