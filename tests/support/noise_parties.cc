// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Two Noise parties for tests (noise_parties.h).
#include "noise_parties.h"

namespace p2pnet::testing {

NoiseParties::NoiseParties(std::uint64_t seed)
    : initiator_random(seed * 4 + 1), responder_random(seed * 4 + 2) {
  DeterministicRandom keys(seed * 4 + 3);
  bool ok = keys.fill(initiator_static.bytes()) && keys.fill(responder_static.bytes());
  for (noise::Psk& psk : psks) ok = ok && keys.fill(psk.bytes());
  ok = ok && keys.fill(prologue);
  ok = ok && noise::dh_generate_keypair(&initiator_ephemeral, keys) == Error::kNone;
  ok = ok && noise::dh_generate_keypair(&responder_ephemeral, keys) == Error::kNone;
  (void)ok;  // DeterministicRandom cannot fail
  noise::dh_public_key(&initiator_static_public, initiator_static);
  noise::dh_public_key(&responder_static_public, responder_static);
}

noise::HandshakeConfig NoiseParties::config(const noise::Protocol& protocol, noise::Role role) {
  const bool initiator = role == noise::Role::kInitiator;
  noise::HandshakeConfig config;
  config.protocol = protocol;
  config.role = role;
  config.prologue = prologue;
  config.static_key = initiator ? &initiator_static : &responder_static;
  config.remote_static = initiator ? responder_static_public : initiator_static_public;
  config.psks = std::span<const noise::Psk>(psks).first(protocol.pattern.psk_count());
  config.random = initiator ? &initiator_random : &responder_random;
  const auto has_e = [](const noise::MessagePattern& premessage) {
    return !premessage.span().empty() && premessage.span()[0] == noise::Token::kE;
  };
  const noise::MessagePattern& local =
      initiator ? protocol.pattern.initiator_premessage : protocol.pattern.responder_premessage;
  const noise::MessagePattern& remote =
      initiator ? protocol.pattern.responder_premessage : protocol.pattern.initiator_premessage;
  if (has_e(local)) {
    config.ephemeral_key =
        initiator ? &initiator_ephemeral.private_key : &responder_ephemeral.private_key;
  }
  if (has_e(remote)) {
    config.remote_ephemeral =
        initiator ? responder_ephemeral.public_key : initiator_ephemeral.public_key;
  }
  return config;
}

Error play_handshake(noise::HandshakeState& initiator, noise::HandshakeState& responder,
                     ByteSpan payload, std::span<std::uint8_t> message,
                     std::span<std::uint8_t> payload_out) {
  using noise::HandshakeStatus;
  while (initiator.status() != HandshakeStatus::kComplete ||
         responder.status() != HandshakeStatus::kComplete) {
    const bool initiator_writes = initiator.status() == HandshakeStatus::kWriteMessage;
    noise::HandshakeState& sender = initiator_writes ? initiator : responder;
    noise::HandshakeState& receiver = initiator_writes ? responder : initiator;
    std::size_t written = 0;
    if (const Error err = sender.write_message(&written, message, payload); err != Error::kNone) {
      return err;
    }
    std::size_t read = 0;
    if (const Error err = receiver.read_message(&read, payload_out, message.first(written));
        err != Error::kNone) {
      return err;
    }
  }
  return Error::kNone;
}

}  // namespace p2pnet::testing
