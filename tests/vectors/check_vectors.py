#!/usr/bin/env python3
"""check_vectors.py: an independent implementation of protocol-v1, in Python with
PyNaCl, that recomputes every message, key and frame of handshake_v1.json from the
case's inputs alone. It shares no code with the engine, so a vector that passes here
and in the engine's own test is what the protocol page says, not what the engine does.

Usage: check_vectors.py handshake_v1.json   (exit 0: all match; 1: mismatch; 77: no PyNaCl)
"""
import hashlib
import json
import sys

try:
    from nacl import bindings as sodium
except ImportError:
    print("check_vectors: PyNaCl (Debian python3-nacl) is not installed; skipping")
    sys.exit(77)


def blake2b_256(data, key=b""):
    return hashlib.blake2b(data, digest_size=32, key=key).digest()


def check_case(case):
    h = bytes.fromhex
    client_pk, client_sk = sodium.crypto_sign_seed_keypair(h(case["client_id_seed"]))
    server_pk, server_sk = sodium.crypto_sign_seed_keypair(h(case["server_id_seed"]))
    client_eph_sk, server_eph_sk = h(case["client_eph_sk"]), h(case["server_eph_sk"])
    client_eph = sodium.crypto_scalarmult_base(client_eph_sk)
    server_eph = sodium.crypto_scalarmult_base(server_eph_sk)
    challenge = h(case["challenge"])

    def sign(sk, message):
        return sodium.crypto_sign(message, sk)[:64]  # detached: the signature prefix

    client_sig = sign(client_sk, b"P2PNet-v1 client auth" + challenge + client_eph + client_pk + server_pk)
    server_sig = sign(server_sk, b"P2PNet-v1 server auth" + challenge + server_eph + client_eph
                      + client_pk + server_pk)
    shared = sodium.crypto_scalarmult(client_eph_sk, server_eph)
    assert shared == sodium.crypto_scalarmult(server_eph_sk, client_eph)
    session_key = blake2b_256(shared + client_pk + server_pk + b"P2PNetSessionKey")
    tail = challenge + client_eph + server_eph
    keys = {"c2s": blake2b_256(b"P2PNet-v1 c2s" + tail, key=session_key),
            "s2c": blake2b_256(b"P2PNet-v1 s2c" + tail, key=session_key)}

    expected = {
        "client_hello": b"\x01" + client_pk,
        "server_hello": b"\x02" + server_pk + challenge,
        "key_exchange": b"\x03" + client_eph + client_sig,
        "accept": b"\x04" + server_eph + server_sig,
        "session_key": session_key,
        "key_c2s": keys["c2s"],
        "key_s2c": keys["s2c"],
    }
    failures = [name for name, value in expected.items() if case[name] != value.hex()]

    counters = {"c2s": 0, "s2c": 0}
    for i, frame in enumerate(case["transport"]):
        direction = frame["direction"]
        plaintext = h(frame["plaintext"])
        header = len(plaintext).to_bytes(4, "big")
        nonce = bytes(4) + counters[direction].to_bytes(8, "little")
        counters[direction] += 1
        sealed = sodium.crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, header, nonce, keys[direction])
        if frame["frame"] != (header + sealed).hex():
            failures.append(f"transport[{i}]")
    return failures


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    bad = 0
    for case in cases:
        failures = check_case(case)
        status = "ok" if not failures else "MISMATCH in " + ", ".join(failures)
        print(f"{case.get('name', '?')}: {status}")
        bad += bool(failures)
    print(f"{len(cases) - bad} passed, {bad} failed")
    return 1 if bad or not cases else 0


if __name__ == "__main__":
    sys.exit(main())
