#!/usr/bin/env python3
# Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
"""The p2pnet tool keeps the command-line conventions of docs/cli.md.

--help/-h on stdout with exit 0, --version, "--opt=value", usage errors on stderr with
exit 2, runtime failures on stderr with exit 1, diagnostics prefixed with the program
name, timestamped log lines when stdout is not a terminal, full public keys in the
server's log (a refused client's too, from the library's log hook), peer text escaped,
and the key log file (--keylog, P2PNET_KEYLOGFILE) created with mode 0600.

usage: cli_conventions_test.py P2PNET_TOOL
"""
import base64
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import time

TOOL = None
FAILURES = []
CHECKS = 0
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")
KEY = re.compile(r"^[A-Za-z0-9_-]{43}$")


def run(*args, stdin="", env=None):
    return subprocess.run([TOOL, *args], input=stdin, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, **(env or {})))


def check(condition, what, result=None):
    global CHECKS
    CHECKS += 1
    if not condition:
        detail = ""
        if result is not None:
            detail = " (exit %d, stdout %r, stderr %r)" % (result.returncode, result.stdout[-400:], result.stderr[-400:])
        FAILURES.append(what + detail)


def expect(result, code, what, stdout_empty=None, stderr_prefix=None):
    check(result.returncode == code, "%s: exit %d" % (what, code), result)
    if stdout_empty is not None:
        check((result.stdout == "") == stdout_empty, "%s: stdout %s" % (what, "empty" if stdout_empty else "used"), result)
    if stderr_prefix is not None:
        check(result.stderr.startswith(stderr_prefix), "%s: stderr starts with %r" % (what, stderr_prefix), result)


def peer_id_of(key_text):
    """The libp2p peer ID of a 43-character key, computed here from the libp2p
    specifications alone (not by the project's code): base58btc of the identity
    multihash (00 24) of the Ed25519 PublicKey protobuf (08 01 12 20 || key)."""
    key = base64.urlsafe_b64decode(key_text + "=")
    data = bytes.fromhex("0024" "08011220") + key
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    number, text = int.from_bytes(data, "big"), ""
    while number:
        number, digit = divmod(number, 58)
        text = alphabet[digit] + text
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + text


def conventions():
    for flag in ("--help", "-h"):
        r = run(flag)
        expect(r, 0, "p2pnet " + flag, stdout_empty=False)
        check("Usage:" in r.stdout and "serve" in r.stdout and r.stderr == "", flag + " prints usage on stdout", r)
    r = run("serve", "--help")
    expect(r, 0, "serve --help", stdout_empty=False)
    check("--allow" in r.stdout and "--keylog" in r.stdout, "serve --help lists its options", r)
    r = run("--version")
    expect(r, 0, "--version")
    check(re.match(r"^p2pnet \d+\.\d+\.\d+\n$", r.stdout) is not None, "--version prints 'p2pnet X.Y.Z'", r)

    expect(run(), 2, "no subcommand", stdout_empty=True, stderr_prefix="p2pnet: error: ")
    expect(run("frobnicate"), 2, "unknown subcommand", stdout_empty=True, stderr_prefix="p2pnet: error: ")
    expect(run("keygen", "--bogus"), 2, "unknown option", stdout_empty=True, stderr_prefix="p2pnet keygen: error: ")
    expect(run("serve", "x.key", "--port=70000"), 2, "--port=70000", stdout_empty=True,
           stderr_prefix="p2pnet serve: error: ")
    expect(run("serve", "x.key", "--port", "8o8o"), 2, "--port 8o8o", stdout_empty=True)
    expect(run("serve", "x.key", "--allow=not-a-key"), 2, "--allow=not-a-key", stdout_empty=True)
    expect(run("connect", "x.key"), 2, "connect without SERVER_PUBKEY", stdout_empty=True)
    expect(run("connect", "x.key", "A" * 43, "--timeout=-1"), 2, "--timeout=-1", stdout_empty=True)
    expect(run("pubkey"), 2, "pubkey without KEYFILE", stdout_empty=True)
    expect(run("pubkey", "--peer-id"), 2, "pubkey --peer-id without KEYFILE", stdout_empty=True)
    expect(run("connect", "x.key", "--libp2p", "/dns/example/tcp/1"), 2, "--libp2p with a DNS address",
           stdout_empty=True, stderr_prefix="p2pnet connect: error: ")
    expect(run("connect", "x.key", "--libp2p=/ip4/127.0.0.1/tcp/0"), 2, "--libp2p with port 0",
           stdout_empty=True)
    expect(run("connect", "x.key", "--libp2p", "/ip4/127.0.0.1/tcp/1/p2p/QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N"),
           2, "--libp2p with a peer ID that is not Ed25519", stdout_empty=True)
    expect(run("connect", "x.key", "A" * 43, "--libp2p", "/ip4/127.0.0.1/tcp/1"), 2,
           "SERVER_PUBKEY and --libp2p together", stdout_empty=True, stderr_prefix="p2pnet connect: error: ")
    check("--libp2p" in run("connect", "--help").stdout, "connect --help lists --libp2p")
    check("--peer-id" in run("pubkey", "--help").stdout, "pubkey --help lists --peer-id")


def identities():
    r = run("keygen", "--out=server.key")
    expect(r, 0, "keygen --out=server.key", stderr_prefix="")
    line = [l for l in r.stdout.splitlines() if l.startswith("[OK] Public key: ")]
    check(len(line) == 1 and KEY.match(line[0][17:]) is not None, "keygen prints the full key", r)
    check(stat.S_IMODE(os.stat("server.key").st_mode) == 0o600, "keygen writes mode 0600")
    server_key = line[0][17:] if line else ""
    r = run("keygen", "--out", "server.key")
    expect(r, 1, "keygen over an existing file", stdout_empty=True, stderr_prefix="p2pnet keygen: error: ")
    check("--force" in r.stderr, "the refusal mentions --force", r)
    r = run("pubkey", "server.key")
    expect(r, 0, "pubkey")
    check(r.stdout == server_key + "\n", "pubkey prints the key keygen printed, alone", r)
    expect(run("pubkey", "missing.key"), 1, "pubkey of a missing file", stdout_empty=True,
           stderr_prefix="p2pnet pubkey: error: ")
    r = run("pubkey", "--peer-id", "server.key")
    expect(r, 0, "pubkey --peer-id")
    check(r.stdout == peer_id_of(server_key) + "\n", "pubkey --peer-id prints the libp2p peer ID, alone", r)
    check(run("pubkey", "server.key", "--peer-id").stdout == r.stdout, "--peer-id after KEYFILE")
    expect(run("pubkey", "--peer-id", "missing.key"), 1, "pubkey --peer-id of a missing file",
           stdout_empty=True, stderr_prefix="p2pnet pubkey: error: ")
    keys = {"server": server_key}
    for name in ("client", "stranger"):
        keys[name] = run("keygen", "--out", name + ".key").stdout.split("Public key: ")[1].strip()
    r = run("keygen", "--out", "stranger.key", "--force")
    expect(r, 0, "keygen --force")
    keys["stranger"] = r.stdout.split("Public key: ")[1].strip()
    return keys


def session(keys):
    log = open("server.log", "w")
    server = subprocess.Popen([TOOL, "serve", "server.key", "--port=0", "--allow=" + keys["client"], "--verbose"],
                              stdout=log, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        for _ in range(100):
            text = open("server.log").read()
            m = re.search(r"Listening on port (\d+)", text)
            if m:
                port = m.group(1)
                break
            time.sleep(0.05)
        check(port is not None, "serve logs its port")
        if port is None:
            return

        r = run("connect", "stranger.key", keys["server"], "--port=" + port, stdin="hi\n")
        expect(r, 1, "a refused client", stderr_prefix="p2pnet connect: error: Handshake failed")

        os.umask(0o022)  # the key log must be 0600 whatever the umask
        r = run("connect", "client.key", keys["server"], "--port", port, "--timeout=5",
                stdin="hello\n\x1b[2Jbell\x07\n", env={"P2PNET_KEYLOGFILE": "keys.log"})
        expect(r, 0, "an allowed client")
        check("[ECHO] hello" in r.stdout and "[ECHO] \\x1b[2Jbell\\x07" in r.stdout,
              "echoes are escaped", r)
        check("Peer identity: " + keys["server"] in r.stdout, "the client logs the server's full key", r)
        check(all(TIMESTAMP.match(l) for l in r.stdout.splitlines()), "every client log line is timestamped", r)
        check("warning: writing session keys" in r.stderr, "the key log is announced on stderr", r)
        check(os.path.exists("keys.log") and stat.S_IMODE(os.stat("keys.log").st_mode) == 0o600,
              "the key log file is created with mode 0600")
        if os.path.exists("keys.log"):
            fields = open("keys.log").read().split()
            check(len(fields) == 4 and fields[0] == "P2PNET_V1_TRAFFIC_KEYS" and
                  all(re.match(r"^[0-9a-f]{64}$", v) for v in fields[1:]), "the key log holds one line")
        os.chmod("keys.log", 0o644)
        r = run("connect", "client.key", keys["server"], "--port", port, "--keylog=keys.log", stdin="")
        expect(r, 1, "a group-readable key log is refused", stderr_prefix="p2pnet connect: error: key log")
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=20)
        log.close()
    check(server.returncode == 0, "serve exits 0 on SIGTERM (got %s)" % server.returncode)
    text = open("server.log").read()
    lines = [l for l in text.splitlines() if l]
    check(lines and all(TIMESTAMP.match(l) for l in lines), "every server log line is timestamped: %r" % text[:300])
    check(re.search(r"\[WARN\] connection \d+: refused peer " + re.escape(keys["stranger"]) +
                    r": client not on the allow-list", text) is not None,
          "the server logs the refused client's full key: %r" % text)
    check("[OK] Peer identity: " + keys["client"] in text, "the server logs the accepted client's full key")
    check("[RECV] 127.0.0.1:" in text and "\\x1b[2Jbell\\x07" in text and "\x1b" not in text,
          "the server escapes peer text")
    check("[INFO] connection" in text and "handshake complete, peer " + keys["client"] in text,
          "--verbose logs the library's completion event")


def main():
    global TOOL
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    TOOL = os.path.abspath(sys.argv[1])
    os.chdir(tempfile.mkdtemp(prefix="p2pnet-cli-"))
    conventions()
    keys = identities()
    session(keys)
    for failure in FAILURES:
        print("FAIL: " + failure)
    print("cli conventions: %d checks" % CHECKS)
    print("%d passed, %d failed" % (CHECKS - len(FAILURES), len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
