// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// fixtures.h: the fixed cast every fuzz target and the corpus generator share. The
// corpora hold real transcripts, and a transcript stays valid only if the target
// rebuilds exactly the identities, random seeds and messages the generator used, so
// all of them are defined here once. Nothing here is secret: these keys exist only
// for fuzzing and tests.
#ifndef P2PNET_FUZZ_SUPPORT_FIXTURES_H_
#define P2PNET_FUZZ_SUPPORT_FIXTURES_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "p2pnet/identity.h"
#include "p2pnet/internal/key_schedule.h"

namespace p2pnet::fuzz {

using Bytes = std::vector<std::uint8_t>;

// identity_from_byte derives the identity whose seed is 32 copies of |b|.
Identity identity_from_byte(std::uint8_t b);

// The client, the server, and a third identity that no allow-list contains and no
// expected_server names. Each is derived from a seed of 32 equal bytes (1, 2, 3).
const Identity& client_identity();
const Identity& server_identity();
const Identity& stranger_identity();

// Seeds of the DeterministicRandom each side uses in the single-connection targets.
// The server target replays a client's KeyExchange, which signs the server's
// challenge, so the server must draw the same challenge on every run.
inline constexpr std::uint64_t kClientRandomSeed = 0xC11E27;
inline constexpr std::uint64_t kServerRandomSeed = 0x5E7E7;

// scripted_message returns the plaintext of the |index|-th message a scripted peer
// sends (1..200 bytes, content fixed by the index). A receiver that delivers
// anything else as its |index|-th message has accepted a forged or reordered frame.
Bytes scripted_message(std::size_t index);
// is_scripted: |received| is scripted_message(0), scripted_message(1), ... in order.
bool is_scripted(const std::vector<Bytes>& received);

// Fixed traffic keys for the channel target: not derived from any handshake.
Key channel_key_c2s();
Key channel_key_s2c();

}  // namespace p2pnet::fuzz

#endif  // P2PNET_FUZZ_SUPPORT_FIXTURES_H_
