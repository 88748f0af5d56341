#!/usr/bin/env python3
"""check_libp2p_vectors.py: an independent implementation of the libp2p profile
(docs/libp2p.md), in Python with PyNaCl and hashlib, that recomputes every byte both
sides send in libp2p_v1.json from the case's inputs alone: multistream-select, the
three Noise_XX_25519_ChaChaPoly_SHA256 messages with their signed payloads, and one
transport message each way. It shares no code with the engine, which reproduces the
same file in tests/engine/libp2p/vectors_test.cc.

Usage: check_libp2p_vectors.py libp2p_v1.json          (exit 0: all match; 1: mismatch;
                                                        77: no PyNaCl)
       check_libp2p_vectors.py --write libp2p_v1.json  (fills in the expected bytes)
"""
import hashlib
import hmac
import json
import sys

try:
    from nacl import bindings as sodium
except ImportError:
    print("check_libp2p_vectors: PyNaCl (Debian python3-nacl) is not installed; skipping")
    sys.exit(77)

PROTOCOL = b"Noise_XX_25519_ChaChaPoly_SHA256"


def sha256(data):
    return hashlib.sha256(data).digest()


def hkdf(ck, ikm, n):
    temp = hmac.new(ck, ikm, hashlib.sha256).digest()
    out1 = hmac.new(temp, b"\x01", hashlib.sha256).digest()
    out2 = hmac.new(temp, out1 + b"\x02", hashlib.sha256).digest()
    return (out1, out2) if n == 2 else None


class Cipher:
    def __init__(self, key=None):
        self.k, self.n = key, 0

    def nonce(self):
        return b"\x00" * 4 + self.n.to_bytes(8, "little")

    def encrypt(self, ad, plaintext):
        if self.k is None:
            return plaintext
        out = sodium.crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, ad, self.nonce(), self.k)
        self.n += 1
        return out

    def decrypt(self, ad, ciphertext):
        if self.k is None:
            return ciphertext
        out = sodium.crypto_aead_chacha20poly1305_ietf_decrypt(ciphertext, ad, self.nonce(), self.k)
        self.n += 1
        return out


class Symmetric:
    def __init__(self):
        self.h = PROTOCOL if len(PROTOCOL) == 32 else sha256(PROTOCOL)
        self.ck = self.h
        self.cipher = Cipher()
        self.mix_hash(b"")  # the empty prologue

    def mix_hash(self, data):
        self.h = sha256(self.h + data)

    def mix_key(self, ikm):
        self.ck, k = hkdf(self.ck, ikm, 2)
        self.cipher = Cipher(k)

    def encrypt_and_hash(self, plaintext):
        c = self.cipher.encrypt(self.h, plaintext)
        self.mix_hash(c)
        return c

    def decrypt_and_hash(self, ciphertext):
        p = self.cipher.decrypt(self.h, ciphertext)
        self.mix_hash(ciphertext)
        return p

    def split(self):
        k1, k2 = hkdf(self.ck, b"", 2)
        return Cipher(k1), Cipher(k2)


def varint(n):
    out = b""
    while True:
        byte = n & 0x7F
        n >>= 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def field(number, value):
    return varint(number << 3 | 2) + varint(len(value)) + value


def multistream(text):
    line = text.encode() + b"\n"
    return varint(len(line)) + line


def frame(message):
    return len(message).to_bytes(2, "big") + message


def payload(identity_seed, static_public, muxers):
    public, secret = sodium.crypto_sign_seed_keypair(identity_seed)
    key = bytes.fromhex("08011220") + public
    signature = sodium.crypto_sign(b"noise-libp2p-static-key:" + static_public, secret)[:64]
    extensions = b"".join(field(2, m.encode()) for m in muxers)
    return field(1, key) + field(2, signature) + field(4, extensions)


def transcript(case):
    h = bytes.fromhex
    d_s, l_s = h(case["dialer_static"]), h(case["listener_static"])
    d_e, l_e = h(case["dialer_ephemeral"]), h(case["listener_ephemeral"])
    d_s_pub, l_s_pub = sodium.crypto_scalarmult_base(d_s), sodium.crypto_scalarmult_base(l_s)
    d_e_pub, l_e_pub = sodium.crypto_scalarmult_base(d_e), sodium.crypto_scalarmult_base(l_e)
    dh = sodium.crypto_scalarmult
    d, l = Symmetric(), Symmetric()

    # -> e (empty payload)
    d.mix_hash(d_e_pub)
    m1 = d_e_pub + d.encrypt_and_hash(b"")
    l.mix_hash(m1[:32])
    assert l.decrypt_and_hash(m1[32:]) == b""
    # <- e, ee, s, es + the listener's payload
    l.mix_hash(l_e_pub)
    l.mix_key(dh(l_e, d_e_pub))
    m2 = l_e_pub + l.encrypt_and_hash(l_s_pub)
    l.mix_key(dh(l_s, d_e_pub))
    m2 += l.encrypt_and_hash(payload(h(case["listener_identity_seed"]), l_s_pub, case["listener_muxers"]))
    d.mix_hash(m2[:32])
    d.mix_key(dh(d_e, m2[:32]))
    assert d.decrypt_and_hash(m2[32:80]) == l_s_pub
    d.mix_key(dh(d_e, l_s_pub))
    d.decrypt_and_hash(m2[80:])
    # -> s, se + the dialer's payload
    m3 = d.encrypt_and_hash(d_s_pub)
    d.mix_key(dh(d_s, l_e_pub))
    m3 += d.encrypt_and_hash(payload(h(case["dialer_identity_seed"]), d_s_pub, case["dialer_muxers"]))
    assert l.decrypt_and_hash(m3[:48]) == d_s_pub
    l.mix_key(dh(l_e, d_s_pub))
    l.decrypt_and_hash(m3[48:])
    assert d.h == l.h
    d_send, d_receive = d.split()
    l_receive, l_send = l.split()
    d_data, l_data = h(case["dialer_data"]), h(case["listener_data"])
    t_d = d_send.encrypt(b"", d_data)
    t_l = l_send.encrypt(b"", l_data)
    assert l_receive.decrypt(b"", t_d) == d_data and d_receive.decrypt(b"", t_l) == l_data

    dialer_stream = frame(m1) + frame(m3) + frame(t_d)
    listener_stream = frame(m2) + frame(t_l)
    if case["negotiate"]:
        dialer_stream = multistream("/multistream/1.0.0") + multistream("/noise") + dialer_stream
        listener_stream = multistream("/multistream/1.0.0") + multistream("/noise") + listener_stream
    return {"dialer_sends": dialer_stream.hex(), "listener_sends": listener_stream.hex(),
            "handshake_hash": d.h.hex()}


def main():
    write = sys.argv[1] == "--write"
    path = sys.argv[-1]
    with open(path) as f:
        vectors = json.load(f)
    failures = 0
    for case in vectors["cases"]:
        expected = transcript(case)
        if write:
            case.update(expected)
            continue
        for key, value in expected.items():
            if case.get(key) != value:
                failures += 1
                print("MISMATCH %s: %s" % (case["name"], key))
    if write:
        with open(path, "w") as f:
            json.dump(vectors, f, indent=2)
            f.write("\n")
        print("check_libp2p_vectors: wrote %d cases" % len(vectors["cases"]))
        return 0
    print("check_libp2p_vectors: %d cases, %d passed, %d failed" %
          (len(vectors["cases"]), len(vectors["cases"]) - failures, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
