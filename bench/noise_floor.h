// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// noise_floor.h: the cost of a protocol v2 handshake (Noise_XX_25519_ChaChaPoly_BLAKE2b
// with v2's prologue and payloads) through the engine's Noise core, and its floor: the
// libsodium calls that handshake obliges both sides to make, and nothing else
// (docs/benchmarks.md, "Noise"). Per side, both alike:
//   - one X25519 key pair (the ephemeral) and three X25519 (ee, es, se);
//   - one Ed25519-to-X25519 public key conversion (the peer's identity payload, which
//     v2 checks against the Noise remote static key) and its compare;
//   - two ChaCha20-Poly1305 seals or opens of a static key and two of a payload (the
//     first message's empty payload goes unencrypted);
//   - eight MixHash (BLAKE2b-512 of h || data) and twelve HMAC-BLAKE2b (three per
//     MixKey, three for Split), each HMAC two BLAKE2b over a 128-byte padded key block
//     and its data: the spec's HMAC, computed the plain way.
// The instruction-count gate (scripts/bench.sh instructions) compares the two.
#ifndef P2PNET_BENCH_NOISE_FLOOR_H_
#define P2PNET_BENCH_NOISE_FLOOR_H_

#include <sodium.h>

#include <array>
#include <cstdint>

#include "p2pnet/internal/noise/dh.h"
#include "p2pnet/internal/noise/handshake_state.h"

namespace p2pnet::bench {

// The two sides' long-term identities, made once: Ed25519 key pairs and the X25519
// static keys converted from them, as protocol v2 does when it loads an identity.
struct NoiseIdentities {
  NoiseIdentities();
  std::array<std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES>, 2> ed25519_public{};
  std::array<noise::DhPrivateKey, 2> static_private;
  std::array<noise::DhPublicKey, 2> static_public{};
};

// noise_xx_engine runs one protocol v2 handshake through two HandshakeStates (client
// initiator, server responder), v2's payload checks included, and splits. Returns false
// if anything failed or the two sides disagree.
bool noise_xx_engine(const NoiseIdentities& ids);

// noise_xx_floor makes the libsodium calls listed above for both sides. Returns false
// if the two sides did not agree (never, unless broken).
bool noise_xx_floor(const NoiseIdentities& ids);

}  // namespace p2pnet::bench

#endif  // P2PNET_BENCH_NOISE_FLOOR_H_
