// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// noise_parties.h: two Noise parties for tests of the engine's Noise core: static
// keys, PSKs and a prologue derived from a seed, the HandshakeConfig for either role
// of any protocol (each side gets the other's static public key, used when a
// pre-message lists it, and as many PSKs as the pattern has; fixed ephemeral keys when
// a pre-message lists an e), and a loop that plays
// a handshake between two HandshakeStates without allocating.
#ifndef P2PNET_TESTS_SUPPORT_NOISE_PARTIES_H_
#define P2PNET_TESTS_SUPPORT_NOISE_PARTIES_H_

#include <array>
#include <cstdint>
#include <span>

#include "p2pnet/internal/noise/handshake_state.h"
#include "p2pnet/random.h"

namespace p2pnet::testing {

struct NoiseParties {
  explicit NoiseParties(std::uint64_t seed);

  // config for |role| in |protocol|; it points into this object.
  noise::HandshakeConfig config(const noise::Protocol& protocol, noise::Role role);

  noise::DhPrivateKey initiator_static;
  noise::DhPrivateKey responder_static;
  noise::DhPublicKey initiator_static_public{};
  noise::DhPublicKey responder_static_public{};
  noise::DhKeypair initiator_ephemeral;  // used only for a pre-message e
  noise::DhKeypair responder_ephemeral;
  std::array<noise::Psk, noise::kMaxPsks> psks;
  std::array<std::uint8_t, 16> prologue{};
  DeterministicRandom initiator_random;
  DeterministicRandom responder_random;
};

// play_handshake runs the messages of a handshake between |initiator| and |responder|
// (both initialized) until both are complete, each message carrying |payload|, using
// |message| and |payload_out| as buffers (kMaxMessageLen bytes each is always
// enough). Returns the first error either side reports, or kNone.
Error play_handshake(noise::HandshakeState& initiator, noise::HandshakeState& responder,
                     ByteSpan payload, std::span<std::uint8_t> message,
                     std::span<std::uint8_t> payload_out);

}  // namespace p2pnet::testing

#endif  // P2PNET_TESTS_SUPPORT_NOISE_PARTIES_H_
