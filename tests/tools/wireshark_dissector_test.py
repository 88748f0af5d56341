#!/usr/bin/env python3
# Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
"""The Wireshark dissector (tools/wireshark/p2pnet.lua) on a real loopback session.

A real `p2pnet serve` and `p2pnet connect` talk through a recording relay on loopback;
the relay's bytes become a pcap through text2pcap (dummy IPv4/TCP headers, server on
port 8080). Capturing with dumpcap or tcpdump needs privileges a CI runner may lack, so
the test records at the relay instead: the bytes are the ones the programs sent, only
the packet boundaries are the relay's. tshark then runs the dissector with and without
the server's key log and the test checks the decoded handshake fields against the
programs' own output and the decrypted plaintext against the lines sent; that two
passes (tshark -2) decode the same, also when one packet carries the end of one unit
and a whole second one; and that a session of 2,000 frames against a key log of 20,000
other lines is decoded quickly (the key log read once, not once per frame).

usage: wireshark_dissector_test.py P2PNET_TOOL DISSECTOR_LUA [--show FILE]
Exit 77 (skipped) only when tshark or text2pcap is not installed.
"""
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
LINES = ["hello wireshark", "second line \x1b[31m"]
SERVER_PORT_IN_PCAP = 8080
TSHARK_TIMEOUT = 120
LONG_LINES = 1000            # 2,000 frames: each line and its echo
KEY_LOG_LINES = 20000        # other sessions' lines in the long session's key log
LONG_BOUND_SECONDS = 60      # each tshark run over the long session (a few seconds here)


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def relay(listener, server_port, chunks):
    """Accept one client, connect to the server, copy bytes both ways until both close."""
    client, _ = listener.accept()
    server = socket.create_connection(("127.0.0.1", server_port))
    peers = {client: (server, "c2s"), server: (client, "s2c")}
    open_ends = {client, server}
    while open_ends:
        readable, _, _ = select.select(list(open_ends), [], [], 10)
        if not readable:
            break
        for sock in readable:
            data = sock.recv(65536)
            other, direction = peers[sock]
            if not data:
                open_ends.discard(sock)
                try:
                    other.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                continue
            chunks.append((direction, data))
            other.sendall(data)
    client.close()
    server.close()


def text2pcap_input(chunks):
    out = []
    for direction, data in chunks:
        out.append("I" if direction == "c2s" else "O")  # -D: I is client -> server here
        for offset in range(0, len(data), 16):
            row = " ".join("%02x" % b for b in data[offset:offset + 16])
            out.append("%06x  %s" % (offset, row))
    return "\n".join(out) + "\n"


def tshark(lua, pcap, *options):
    command = ["tshark", "-n", "-X", "lua_script:" + lua, "-o", "p2pnet.port:%d" % SERVER_PORT_IN_PCAP]
    for option in options:
        command += ["-o", option]
    return command + ["-r", pcap]


def fields(lua, pcap, names, *options, two_pass=False):
    command = tshark(lua, pcap, *options) + (["-2"] if two_pass else []) + \
        ["-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|"]
    for name in names:
        command += ["-e", name]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=TSHARK_TIMEOUT)
    except subprocess.TimeoutExpired:
        fail("tshark did not finish within %d s: %s" % (TSHARK_TIMEOUT, " ".join(command)))
    if result.returncode != 0:
        fail("tshark failed: " + result.stderr)
    if "Lua" in result.stderr and "rror" in result.stderr:
        fail("the dissector raised an error: " + result.stderr)
    values = {name: [] for name in names}
    values["_most_units_in_a_packet"] = 0
    for line in result.stdout.splitlines():
        units = 0
        for name, cell in zip(names, line.split("\t")):
            if cell:
                values[name] += cell.split("|")
                if name in ("p2pnet.type", "p2pnet.frame.seq"):
                    units += len(cell.split("|"))
        values["_most_units_in_a_packet"] = max(values["_most_units_in_a_packet"], units)
    return values


def record_session(tool, keys, key_log, stdin):
    """A real serve and connect through the recording relay; returns the relay's chunks."""
    server = subprocess.Popen([tool, "serve", "server.key", "--port", "0", "--keylog", key_log],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        for line in server.stdout:
            if "Listening on port " in line:
                port = int(line.rsplit(" ", 1)[1])
                break
        if port is None:
            fail("the server did not start")
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        chunks = []
        thread = threading.Thread(target=relay, args=(listener, port, chunks))
        thread.start()
        client = subprocess.run(
            [tool, "connect", "client.key", keys["server"], "--port", str(listener.getsockname()[1])],
            input=stdin, capture_output=True, text=True, timeout=120)
        thread.join(30)
        if client.returncode != 0:
            fail("the client failed: " + client.stdout + client.stderr)
    finally:
        server.terminate()
        server.wait(10)
    return chunks


def make_pcap(chunks, name):
    with open(name + ".txt", "w") as f:
        f.write(text2pcap_input(chunks))
    subprocess.run(["text2pcap", "-q", "-D", "-4", "127.0.0.1,127.0.0.2",
                    "-T", "40000,%d" % SERVER_PORT_IN_PCAP, name + ".txt", name + ".pcap"],
                   check=True, capture_output=True)
    return name + ".pcap"


HANDSHAKE_SIZES = {"c2s": [33, 97], "s2c": [65, 97]}  # ClientHello, KeyExchange; ServerHello, Accept


def straddled(chunks, cut=3):
    """The same bytes in segments that each hold the last |cut| bytes of one message or
    frame, the whole next one and all but |cut| bytes of the one after: every segment
    completes a reassembled unit and carries a second, whole one (two units in one
    packet, the case a per-packet state used to overwrite)."""
    streams = {"c2s": b"", "s2c": b""}
    order = {"c2s": [], "s2c": []}  # (end offset of a chunk in its stream, chunk index)
    for index, (direction, data) in enumerate(chunks):
        streams[direction] += data
        order[direction].append((len(streams[direction]), index))
    segments = []
    for direction, data in streams.items():
        ends, offset = [], 0
        for size in HANDSHAKE_SIZES[direction]:
            offset += size
            ends.append(offset)
        while offset + 4 <= len(data):
            offset += 4 + int.from_bytes(data[offset:offset + 4], "big") + 16
            ends.append(offset)
        cuts = [0] + [end - cut for end in ends[0:-1:2]] + [len(data)]
        for start, stop in zip(cuts, cuts[1:]):
            if stop <= start:
                continue
            index = next((i for end, i in order[direction] if end >= stop), len(chunks))
            segments.append((index, direction, data[start:stop]))
    segments.sort(key=lambda s: (s[0], s[1]))
    return [(direction, data) for _, direction, data in segments]


def timed_fields(lua, pcap, names, *options, two_pass=False):
    start = time.monotonic()
    values = fields(lua, pcap, names, *options, two_pass=two_pass)
    return values, time.monotonic() - start


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    tool, lua = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    show = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--show" else None
    for program in ("tshark", "text2pcap"):
        if shutil.which(program) is None:
            print("SKIP: %s is not installed (scripts/setup.sh test)" % program)
            return SKIP

    work = tempfile.mkdtemp(prefix="p2pnet-wireshark-")
    os.chdir(work)
    keys = {}
    for name in ("server", "client"):
        out = subprocess.run([tool, "keygen", "--out", name + ".key"], capture_output=True, text=True, check=True)
        keys[name] = out.stdout.split("[OK] Public key: ")[1].strip()

    chunks = record_session(tool, keys, "server-keys.log", "\n".join(LINES) + "\n")
    with open("session.txt", "w") as f:
        f.write(text2pcap_input(chunks))
    subprocess.run(["text2pcap", "-q", "-D", "-4", "127.0.0.1,127.0.0.2",
                    "-T", "40000,%d" % SERVER_PORT_IN_PCAP, "session.txt", "session.pcap"],
                   check=True, capture_output=True)
    with open("server-keys.log") as f:
        key_lines = f.read().split()
    if len(key_lines) != 4 or key_lines[0] != "P2PNET_V1_TRAFFIC_KEYS":
        fail("the server's key log is not one line of label, challenge and two keys")
    challenge = key_lines[1]

    names = ["p2pnet.type", "p2pnet.key_text", "p2pnet.challenge", "p2pnet.frame.length",
             "p2pnet.frame.seq", "p2pnet.frame.tag_ok", "p2pnet.frame.close_notify", "p2pnet.text"]
    # Without the key log: the handshake and the frames, nothing decrypted.
    plain = fields(lua, "session.pcap", names)
    types = [t.lower() for t in plain["p2pnet.type"]]
    if types != ["0x01", "0x02", "0x03", "0x04"]:
        fail("handshake messages decoded as %s, expected ClientHello, ServerHello, KeyExchange, Accept" % types)
    if plain["p2pnet.key_text"] != [keys["client"], keys["server"]]:
        fail("keys decoded as %s, the tools printed %s" % (plain["p2pnet.key_text"], keys))
    if plain["p2pnet.challenge"] != [challenge]:
        fail("challenge %s, the key log says %s" % (plain["p2pnet.challenge"], challenge))
    if plain["p2pnet.text"]:
        fail("plaintext shown without a key log")
    if plain["p2pnet.frame.seq"] != ["0", "1", "0", "1", "2", "2"] and \
       sorted(plain["p2pnet.frame.seq"]) != ["0", "0", "1", "1", "2", "2"]:
        fail("frame sequence numbers %s" % plain["p2pnet.frame.seq"])

    # With the server's key log: every tag verifies (the close_notify frames' too), every
    # line is shown both ways, and both close_notify frames are recognised.
    keyed = fields(lua, "session.pcap", names, "p2pnet.keylog:" + os.path.join(work, "server-keys.log"))
    tags = keyed["p2pnet.frame.tag_ok"]
    if len(tags) != 6 or (set(tags) != {"1"} and set(tags) != {"True"}):
        fail("the 6 frames' tags did not all verify: %s" % tags)
    expected = []
    for line in LINES:
        expected += [line.replace("\x1b", "\\x1b")] * 2  # the message and its echo
    if sorted(keyed["p2pnet.text"]) != sorted(expected):
        fail("plaintext %s, sent %s" % (keyed["p2pnet.text"], expected))
    if len(keyed["p2pnet.frame.close_notify"]) != 2:
        fail("close_notify seen %d times, expected 2" % len(keyed["p2pnet.frame.close_notify"]))

    # The same bytes cut into 7-byte segments: every message and frame is reassembled
    # across TCP segments and decodes the same.
    small = [(d, data[i:i + 7]) for d, data in chunks for i in range(0, len(data), 7)]
    with open("small.txt", "w") as f:
        f.write(text2pcap_input(small))
    subprocess.run(["text2pcap", "-q", "-D", "-4", "127.0.0.1,127.0.0.2",
                    "-T", "40000,%d" % SERVER_PORT_IN_PCAP, "small.txt", "small.pcap"],
                   check=True, capture_output=True)
    cut = fields(lua, "small.pcap", names, "p2pnet.keylog:" + os.path.join(work, "server-keys.log"))
    for name in names:
        if sorted(cut[name]) != sorted(keyed[name]):
            fail("7-byte segments decode %s as %s, whole chunks as %s" % (name, cut[name], keyed[name]))

    # A wrong key log is caught by the tag, not shown as garbage.
    wrong = os.path.join(work, "wrong-keys.log")
    with open(wrong, "w") as f:
        f.write("P2PNET_V1_TRAFFIC_KEYS %s %s %s\n" % (challenge, "00" * 32, "11" * 32))
    bad = fields(lua, "session.pcap", names, "p2pnet.keylog:" + wrong)
    if bad["p2pnet.text"] or len(bad["p2pnet.frame.tag_ok"]) != 6 or set(bad["p2pnet.frame.tag_ok"]) - {"0", "False"}:
        fail("a wrong key was not reported as a failed tag: %s" % bad["p2pnet.frame.tag_ok"])

    # Two passes (tshark -2; the GUI redissects the same way when a packet is clicked)
    # decode as one does: whole chunks, 7-byte segments, and segments that each hold the
    # end of one unit and a whole second one (their per-packet state must not collide).
    key_option = "p2pnet.keylog:" + os.path.join(work, "server-keys.log")
    straddle_pcap = make_pcap(straddled(chunks), "straddled")
    for pcap, two_pass in (("session.pcap", True), ("small.pcap", True), (straddle_pcap, False),
                           (straddle_pcap, True)):
        got = fields(lua, pcap, names, key_option, two_pass=two_pass)
        for name in names:
            if sorted(got[name]) != sorted(keyed[name]):
                fail("%s%s decodes %s as %s, expected %s" % (
                    pcap, " with -2" if two_pass else "", name, got[name], keyed[name]))
        if pcap == straddle_pcap and got["_most_units_in_a_packet"] < 2:
            fail("no packet of %s carries two units" % pcap)

    # A long session (2,000 frames) against a key log of 20,000 other sessions' lines:
    # the key log is read once per capture, not once per frame of an unknown session.
    stdin = "".join("line %d\n" % i for i in range(LONG_LINES))
    long_pcap = make_pcap(record_session(tool, keys, "long-keys.log", stdin), "long")
    with open("long-keys.log") as f:
        own = f.read()
    others = ["P2PNET_V1_TRAFFIC_KEYS %s %s %s\n" % (os.urandom(32).hex(), os.urandom(32).hex(),
                                                    os.urandom(32).hex()) for _ in range(KEY_LOG_LINES)]
    with open("others-keys.log", "w") as f:
        f.write("".join(others))
    with open("many-keys.log", "w") as f:
        f.write("".join(others[:KEY_LOG_LINES // 2]) + own + "".join(others[KEY_LOG_LINES // 2:]))
    long_names = ["p2pnet.frame.seq", "p2pnet.frame.tag_ok", "p2pnet.text"]
    frames = 2 * LONG_LINES + 2  # each line, its echo, and the two close_notify
    missing, missing_seconds = timed_fields(lua, long_pcap, long_names,
                                            "p2pnet.keylog:" + os.path.join(work, "others-keys.log"))
    if len(missing["p2pnet.frame.seq"]) != frames or missing["p2pnet.text"] or missing["p2pnet.frame.tag_ok"]:
        fail("without its key: %d frames, %d plaintexts, %d tags checked" % (
            len(missing["p2pnet.frame.seq"]), len(missing["p2pnet.text"]), len(missing["p2pnet.frame.tag_ok"])))
    found, found_seconds = timed_fields(lua, long_pcap, long_names,
                                        "p2pnet.keylog:" + os.path.join(work, "many-keys.log"))
    tags = found["p2pnet.frame.tag_ok"]
    if len(tags) != frames or set(tags) - {"1", "True"}:
        fail("with its key among %d lines: %d of %d tags verified" % (
            KEY_LOG_LINES + 1, len([t for t in tags if t in ("1", "True")]), frames))
    if sorted(found["p2pnet.text"]) != sorted(["line %d" % i for i in range(LONG_LINES)] * 2):
        fail("with its key among %d lines: the plaintexts differ from the lines sent" % (KEY_LOG_LINES + 1))
    for what, seconds in (("without its key", missing_seconds), ("with its key", found_seconds)):
        if seconds > LONG_BOUND_SECONDS:
            fail("%d frames against a %d-line key log %s took %.1f s (bound %d s)" % (
                frames, KEY_LOG_LINES, what, seconds, LONG_BOUND_SECONDS))

    if show:  # what docs/debugging.md shows: the packet list, then the details
        command = tshark(lua, "session.pcap", "p2pnet.keylog:" + os.path.join(work, "server-keys.log"))
        listing = subprocess.run(command, capture_output=True, text=True, check=True)
        details = subprocess.run(command + ["-O", "p2pnet"], capture_output=True, text=True, check=True)
        with open(show, "w") as f:
            f.write(listing.stdout + "\n" + details.stdout)
    shutil.rmtree(work, ignore_errors=True)
    print("wireshark dissector: %d chunks, handshake and %d frames decoded, %d plaintexts" %
          (len(chunks), len(keyed["p2pnet.frame.seq"]), len(keyed["p2pnet.text"])))
    print("long session: %d frames against a %d-line key log: %.1f s without its key, "
          "%.1f s with it (every tag verified)" % (frames, KEY_LOG_LINES, missing_seconds, found_seconds))
    print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
