#!/usr/bin/env python3
# Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
"""The p2pnet tool keeps the command-line conventions of docs/cli.md.

--help/-h on stdout with exit 0, --version, "--opt=value", usage errors on stderr with
exit 2, runtime failures on stderr with exit 1, diagnostics prefixed with the program
name, timestamped log lines when stdout is not a terminal, full public keys in the
server's log (a refused client's too, from the library's log hook), peer text escaped,
the key log file (--keylog, P2PNET_KEYLOGFILE) created with mode 0600 and refused
unless it is a regular file of this user's with one link and mode 0600 (a symbolic
link, a FIFO without hanging, a hard link, mode 0640, another user's file), and
public keys that start with '-' accepted as SERVER_PUBKEY and by --allow.

usage: cli_conventions_test.py P2PNET_TOOL
"""
import base64
import os
import pwd
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


def run(*args, stdin="", env=None, timeout=60):
    return subprocess.run([TOOL, *args], input=stdin, capture_output=True, text=True, timeout=timeout,
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
    expect(run("serve", "x.key", "--frame-timeout=0"), 2, "--frame-timeout=0", stdout_empty=True)
    expect(run("serve", "x.key", "--max-connections-per-address=0"), 2,
           "--max-connections-per-address=0", stdout_empty=True)
    expect(run("serve", "x.key", "--per-address-limits-above=101"), 2,
           "--per-address-limits-above=101", stdout_empty=True)
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
    server = subprocess.Popen([TOOL, "serve", "server.key", "--port=0", "--allow=" + keys["client"], "--verbose",
                               "--frame-timeout=5", "--max-connections-per-address=4",
                               "--per-address-limits-above=50"],
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
        expect(r, 1, "a group-readable key log is refused", stderr_prefix="p2pnet connect: error: refusing key log keys.log: its mode is 0644")
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


def refused_key_log(keys, path, what, env=None, needle=None):
    """connect with the key log at |path| (the option, or P2PNET_KEYLOGFILE with env):
    refused before any connection, exit 1, a message that names the reason."""
    args = ["connect", "client.key", keys["server"], "--port=1", "--timeout=2"]
    if env is None:
        args.append("--keylog=" + path)
    try:
        r = run(*args, env=env, timeout=15)
    except subprocess.TimeoutExpired:
        check(False, "key log %s: refused at once, not hanging" % what)
        return
    expect(r, 1, "key log " + what, stdout_empty=True,
           stderr_prefix="p2pnet connect: error: refusing key log " + path + ": ")
    if needle is not None:
        check(needle in r.stderr, "key log %s: the refusal says %r" % (what, needle), r)


def key_log_refusals(keys):
    os.mkdir("keylogs")
    good = os.path.join("keylogs", "good.log")
    os.close(os.open(good, os.O_WRONLY | os.O_CREAT, 0o600))
    os.chmod(good, 0o600)

    link = os.path.join("keylogs", "link.log")
    os.symlink("good.log", link)
    refused_key_log(keys, link, "behind a symbolic link", needle="symbolic link")
    dangling = os.path.join("keylogs", "dangling.log")
    os.symlink("nothing-here.log", dangling)
    refused_key_log(keys, dangling, "a dangling symbolic link", needle="symbolic link")
    check(not os.path.exists(os.path.join("keylogs", "nothing-here.log")),
          "a dangling symbolic link's target is not created")

    fifo = os.path.join("keylogs", "fifo.log")
    os.mkfifo(fifo, 0o600)
    refused_key_log(keys, fifo, "a FIFO without a reader", needle="a FIFO")
    refused_key_log(keys, fifo, "a FIFO through P2PNET_KEYLOGFILE", env={"P2PNET_KEYLOGFILE": fifo},
                    needle="a FIFO")
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader: the open succeeds, fstat refuses
    try:
        refused_key_log(keys, fifo, "a FIFO with a reader", needle="a FIFO")
    finally:
        os.close(reader)

    hard = os.path.join("keylogs", "hard.log")
    os.link(good, hard)
    refused_key_log(keys, hard, "with a second hard link", needle="2 names")
    refused_key_log(keys, good, "whose other name is a hard link", needle="2 names")
    os.unlink(hard)

    group = os.path.join("keylogs", "group.log")
    os.close(os.open(group, os.O_WRONLY | os.O_CREAT, 0o600))
    os.chmod(group, 0o640)
    refused_key_log(keys, group, "of mode 0640", needle="mode is 0640")

    if os.geteuid() == 0:  # only root can give a file away
        other = os.path.join("keylogs", "other.log")
        os.close(os.open(other, os.O_WRONLY | os.O_CREAT, 0o600))
        os.chmod(other, 0o600)
        os.chown(other, pwd.getpwnam("nobody").pw_uid, -1)
        refused_key_log(keys, other, "owned by another user", needle="owned by user")
    else:
        print("note: not root, the other-owner key log case is not run")

    # The checks pass for a file of this user's, mode 0600, one link: the tool gets as
    # far as connecting (to a closed port, so it fails there).
    r = run("connect", "client.key", keys["server"], "--port=1", "--timeout=2", "--keylog=" + good)
    expect(r, 1, "a good existing key log is accepted")
    check("refusing key log" not in r.stderr and "writing session keys" in r.stderr,
          "a good existing key log is accepted", r)


# Valid public keys (multiples of the Ed25519 base point) whose text starts with '-':
# one key in 64 does, one in 4096 with "--"; "-p", "-h", "-t" and "-v" also spell
# options of connect and serve.
DASH_KEYS = [
    "-eQtLtyB0jNnlnNStH5IVrgleGNObB3nIoDOi2DOcMA",
    "--XgIJpsLP2HmwEx79TOtWdDNlZ2Oa9iANWftxpKegM",
    "-pmrPwnkD7uWV4qVjzCesNchpuAh6auC7tK5DLHtJkA",
    "-hZ_C9oZ6K1UpXPvZf_6KyzU7c-BZOrR0OH-Yb7TEV0",
    "-tRbPeHkM0Ds6Bpz5oBHTyKC6hR48FnV9M86qrP8wwQ",
    "-vHgeFRQCRy7qlOhSsxp43E1pNW2ahPPEAD8qgdAsxQ",
]


def start_server(*args):
    """serve with |args| on a free port; returns (process, log path, port or None)."""
    path = "dash-server-%d.log" % len(os.listdir("."))
    log = open(path, "w")
    server = subprocess.Popen([TOOL, "serve", *args, "--port=0"], stdout=log, stderr=subprocess.PIPE, text=True)
    log.close()
    for _ in range(100):
        m = re.search(r"Listening on port (\d+)", open(path).read())
        if m:
            return server, path, m.group(1)
        if server.poll() is not None:
            break
        time.sleep(0.05)
    return server, path, None


def stop_server(server, what):
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
    _, err = server.communicate(timeout=20)
    check(server.returncode == 0, "%s: serve exits 0 (got %s, stderr %r)" % (what, server.returncode, err[-300:]))


def keygens_starting_with_dash(count):
    """Identity files whose public keys start with '-' (one in 64), as [(path, key)]:
    keygen runs 16 at a time (each syncs its file); 1,024 tries miss with odds 1e-6."""
    found = []
    for batch in range(64):
        paths = ["dash-%d-%d.key" % (batch, i) for i in range(16)]
        children = [subprocess.Popen([TOOL, "keygen", "--out", path], stdout=subprocess.PIPE, text=True)
                    for path in paths]
        for path, child in zip(paths, children):
            out, _ = child.communicate(timeout=60)
            key = out.split("Public key: ")[1].strip() if "Public key: " in out else ""
            if key.startswith("-") and len(found) < count:
                found.append((path, key))
        if len(found) == count:
            return found
    return None


def keys_starting_with_dash(keys):
    # SERVER_PUBKEY as a positional, anywhere among the options, and after "--": the
    # key is parsed (no usage error) and the client gets as far as connecting.
    for key in DASH_KEYS:
        for args in (["client.key", key, "--port=1"],
                     ["--port", "1", "client.key", key, "-v"],
                     ["client.key", "--timeout", "2", key, "--port", "1"],
                     ["client.key", "--port=1", "--", key]):
            r = run("connect", *args)
            expect(r, 1, "connect %s" % " ".join(args))
            check("connect to 127.0.0.1:1 failed" in r.stderr, "connect %s: the key is parsed" % " ".join(args), r)
    r = run("connect", "client.key", DASH_KEYS[0], "extra")
    expect(r, 2, "connect with a '-' key and an extra positional", stderr_prefix="p2pnet connect: error: ")
    r = run("connect", "client.key", "-x" + DASH_KEYS[0][2:])  # not a key: an unknown option
    expect(r, 2, "connect with an invalid '-' argument", stderr_prefix="p2pnet connect: error: ")

    # --allow KEY and --allow=KEY, repeated.
    args = ["server.key"]
    for key in DASH_KEYS:
        args += ["--allow", key] if key[1] != "t" else ["--allow=" + key]
    server, _, port = start_server(*args)
    check(port is not None, "serve --allow with keys that start with '-' starts")
    stop_server(server, "serve --allow with '-' keys")

    # A whole session: a server key and a client key that start with '-'.
    identities = keygens_starting_with_dash(2)
    check(identities is not None, "keygen makes keys that start with '-'")
    if identities is None:
        return
    (server_file, server_key), (client_file, client_key) = identities
    server, log, port = start_server(server_file, "--allow", client_key)
    check(port is not None, "serve --allow -KEY starts")
    if port is not None:
        r = run("connect", client_file, server_key, "--port", port, "--timeout=5", stdin="dash\n")
        expect(r, 0, "connect KEYFILE -KEY to a server that allows a '-' client key")
        check("[ECHO] dash" in r.stdout, "the session with '-' keys echoes", r)
        r = run("connect", "client.key", "--port=" + port, "--timeout=5", "--", server_key, stdin="x\n")
        expect(r, 1, "a client not on a '-' allow-list is refused", stderr_prefix="p2pnet connect: error: Handshake failed")
    stop_server(server, "serve --allow -KEY")

def workers(keys):
    """--workers 2: the connection ids in the shared log are unique, W.N (issue 21 item 7)."""
    if not sys.platform.startswith("linux"):
        return  # SO_REUSEPORT spreads connections among workers on Linux
    log = open("workers.log", "w")
    server = subprocess.Popen([TOOL, "serve", "server.key", "--port=0", "--workers=2", "--verbose"],
                              stdout=log, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        for _ in range(100):
            m = re.search(r"Listening on port (\d+)", open("workers.log").read())
            if m:
                port = m.group(1)
                break
            time.sleep(0.05)
        check(port is not None, "serve --workers=2 logs its port")
        if port is None:
            return
        for i in range(8):
            r = run("connect", "client.key", keys["server"], "--port", port, stdin="w%d\n" % i)
            expect(r, 0, "a client of two workers")
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=20)
        log.close()
    ids = re.findall(r"\[INFO\] connection (\S+): handshake complete", open("workers.log").read())
    check(len(ids) == 8, "each of 8 handshakes logged once by --verbose: %r" % ids)
    check(len(set(ids)) == len(ids), "connection ids are unique across workers: %r" % ids)
    check(all(re.match(r"^[12]\.\d+$", i) for i in ids), "worker ids read W.N: %r" % ids)


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
    key_log_refusals(keys)
    keys_starting_with_dash(keys)

    workers(keys)
    for failure in FAILURES:
        print("FAIL: " + failure)
    print("cli conventions: %d checks" % CHECKS)
    print("%d passed, %d failed" % (CHECKS - len(FAILURES), len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
