// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The Noise HandshakeState (engine/src/noise/handshake_state.cc): a handshake of
// every pattern of the table with each cipher and hash, and every error its header
// documents: refused at initialize (invalid pattern, missing keys, PSK count,
// missing functions), out of turn, truncated, tampered, low-order keys, a failing
// random source, sizes; failure is terminal; split once, by role, one-way
// directions disabled, h kept.
#include "p2pnet/internal/noise/handshake_state.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "low_order_points.h"
#include "noise_parties.h"

namespace p2pnet::noise {
namespace {

using Bytes = std::vector<std::uint8_t>;
using testing::NoiseParties;

Protocol protocol_of(const std::string& name) {
  Protocol protocol;
  EXPECT_EQ(parse_protocol_name(&protocol, name), Error::kNone) << name;
  return protocol;
}

class FailingRandom final : public RandomSource {
 public:
  bool fill(std::span<std::uint8_t>) override { return false; }
};

struct Handshake {
  explicit Handshake(const std::string& name, std::uint64_t seed = 1)
      : parties(seed), protocol(protocol_of(name)) {}
  Error init() {
    const Error a = initiator.initialize(parties.config(protocol, Role::kInitiator));
    const Error b = responder.initialize(parties.config(protocol, Role::kResponder));
    return a != Error::kNone ? a : b;
  }
  Error play(ByteSpan payload = {}) {
    return testing::play_handshake(initiator, responder, payload, message, payload_out);
  }
  NoiseParties parties;
  Protocol protocol;
  HandshakeState initiator;
  HandshakeState responder;
  Bytes message = Bytes(kMaxMessageLen);
  Bytes payload_out = Bytes(kMaxMessageLen);
};

Bytes seal(CipherState& state, const Bytes& text) {
  Bytes out(text.size() + kTagLen);
  std::size_t written = 0;
  EXPECT_EQ(state.encrypt_with_ad(&written, out, {}, text), Error::kNone);
  out.resize(written);
  return out;
}

TEST(NoiseHandshakeStateTest, EveryPatternCipherAndHash) {
  for (const Pattern& pattern : pattern_table()) {
    for (const std::string suite :
         {"ChaChaPoly_BLAKE2b", "ChaChaPoly_SHA256", "AESGCM_SHA512", "AESGCM_BLAKE2s"}) {
      const std::string name = "Noise_" + std::string(pattern.name()) + "psk1_25519_" + suite;
      Handshake h(name);
      if (!cipher_available(h.protocol.cipher) || !hash_available(h.protocol.hash)) continue;
      ASSERT_EQ(h.init(), Error::kNone) << name;
      const Bytes payload = {'h', 'i'};
      ASSERT_EQ(h.play(payload), Error::kNone) << name;
      ASSERT_EQ(h.initiator.handshake_hash().size(), hash_len(h.protocol.hash));
      EXPECT_TRUE(std::ranges::equal(h.initiator.handshake_hash(), h.responder.handshake_hash()));
      CipherState is, ir, rs, rr;
      ASSERT_EQ(h.initiator.split(&is, &ir), Error::kNone);
      ASSERT_EQ(h.responder.split(&rs, &rr), Error::kNone);
      Bytes out(64);
      std::size_t n = 0;
      ASSERT_EQ(rr.decrypt_with_ad(&n, out, {}, seal(is, payload)), Error::kNone) << name;
      EXPECT_EQ(Bytes(out.begin(), out.begin() + 2), payload);
      if (pattern.one_way()) {
        EXPECT_EQ(rs.key_state(), CipherKeyState::kDisabled);
        EXPECT_EQ(ir.key_state(), CipherKeyState::kDisabled);
      } else {
        ASSERT_EQ(ir.decrypt_with_ad(&n, out, {}, seal(rs, payload)), Error::kNone) << name;
      }
      // The peers' static keys arrived where the pattern sends them.
      if (h.initiator.remote_static().size() == kDhLen) {
        EXPECT_TRUE(
            std::ranges::equal(h.initiator.remote_static(), h.parties.responder_static_public));
      }
    }
  }
}

TEST(NoiseHandshakeStateTest, RefusedAtInitialize) {
  NoiseParties parties(2);
  HandshakeState state;
  // An invalid hand-made pattern: the reason is kept.
  Protocol bad = protocol_of("Noise_NN_25519_ChaChaPoly_BLAKE2b");
  ASSERT_TRUE(parse_message_pattern(&bad.pattern.messages[1], "e, ee, ee"));
  EXPECT_EQ(state.initialize(parties.config(bad, Role::kInitiator)), Error::kInvalidArgument);
  EXPECT_EQ(state.status(), HandshakeStatus::kFailed);
  EXPECT_EQ(state.last_pattern_check(), PatternCheck::kDhTwice);

  // XX needs s.
  HandshakeConfig config =
      parties.config(protocol_of("Noise_XX_25519_ChaChaPoly_BLAKE2b"), Role::kResponder);
  config.static_key = nullptr;
  EXPECT_EQ(state.initialize(config), Error::kInvalidArgument);
  EXPECT_EQ(state.last_pattern_check(), PatternCheck::kValid);
  // NN does not.
  config = parties.config(protocol_of("Noise_NN_25519_ChaChaPoly_BLAKE2b"), Role::kResponder);
  config.static_key = nullptr;
  EXPECT_EQ(state.initialize(config), Error::kNone);
  // NK's initiator needs rs, of the right size.
  config = parties.config(protocol_of("Noise_NK_25519_ChaChaPoly_BLAKE2b"), Role::kInitiator);
  config.remote_static = config.remote_static.first(31);
  EXPECT_EQ(state.initialize(config), Error::kInvalidArgument);
  config.remote_static = {};
  EXPECT_EQ(state.initialize(config), Error::kInvalidArgument);
  // Exactly as many PSKs as psk tokens.
  config =
      parties.config(protocol_of("Noise_NNpsk0+psk2_25519_ChaChaPoly_BLAKE2b"), Role::kInitiator);
  EXPECT_EQ(state.initialize(config), Error::kNone);
  config.psks = config.psks.first(1);
  EXPECT_EQ(state.initialize(config), Error::kInvalidArgument);
  config = parties.config(protocol_of("Noise_NN_25519_ChaChaPoly_BLAKE2b"), Role::kInitiator);
  config.psks = std::span<const Psk>(parties.psks).first(1);
  EXPECT_EQ(state.initialize(config), Error::kInvalidArgument);
  // Functions this build lacks.
  if (!cipher_available(CipherKind::kAesGcm)) {
    config = parties.config(protocol_of("Noise_NN_25519_AESGCM_BLAKE2b"), Role::kInitiator);
    EXPECT_EQ(state.initialize(config), Error::kInvalidArgument);
  }
}

TEST(NoiseHandshakeStateTest, PreMessageEphemeral) {
  // A hand-made pattern with the initiator's e in a pre-message (as fallback has):
  //   -> e  ...  -> s   <- e, ee, se
  Protocol protocol = protocol_of("Noise_NN_25519_ChaChaPoly_SHA256");
  ASSERT_TRUE(protocol.pattern.set_name("Ne"));
  ASSERT_TRUE(parse_message_pattern(&protocol.pattern.initiator_premessage, "e"));
  ASSERT_TRUE(parse_message_pattern(&protocol.pattern.messages[0], "s"));
  ASSERT_TRUE(parse_message_pattern(&protocol.pattern.messages[1], "e, ee, se"));
  ASSERT_EQ(check_pattern(protocol.pattern), PatternCheck::kValid);
  NoiseParties parties(3);
  DhKeypair e;
  ASSERT_EQ(dh_generate_keypair(&e, parties.initiator_random), Error::kNone);
  HandshakeConfig initiator_config = parties.config(protocol, Role::kInitiator);
  HandshakeConfig responder_config = parties.config(protocol, Role::kResponder);
  HandshakeState initiator;
  HandshakeState responder;
  // Without the keys the pre-message names, initialize refuses.
  initiator_config.ephemeral_key = nullptr;
  responder_config.remote_ephemeral = {};
  EXPECT_EQ(initiator.initialize(initiator_config), Error::kInvalidArgument);
  EXPECT_EQ(responder.initialize(responder_config), Error::kInvalidArgument);
  initiator_config.ephemeral_key = &e.private_key;
  responder_config.remote_ephemeral = e.public_key;
  ASSERT_EQ(initiator.initialize(initiator_config), Error::kNone);
  ASSERT_EQ(responder.initialize(responder_config), Error::kNone);
  Bytes message(kMaxMessageLen), payload(kMaxMessageLen);
  ASSERT_EQ(testing::play_handshake(initiator, responder, {}, message, payload), Error::kNone);
  EXPECT_TRUE(std::ranges::equal(initiator.handshake_hash(), responder.handshake_hash()));
  EXPECT_TRUE(std::ranges::equal(responder.remote_ephemeral(), e.public_key));
  EXPECT_TRUE(std::ranges::equal(initiator.local_ephemeral(), e.public_key));
  // The initiator's e sent again in a message as well: invalid (rule 2).
  ASSERT_TRUE(parse_message_pattern(&protocol.pattern.messages[0], "e, s"));
  initiator_config.protocol = protocol;
  EXPECT_EQ(initiator.initialize(initiator_config), Error::kInvalidArgument);
  EXPECT_EQ(initiator.last_pattern_check(), PatternCheck::kKeySentTwice);
}

TEST(NoiseHandshakeStateTest, OutOfTurnFailsForGood) {
  Handshake h("Noise_XX_25519_ChaChaPoly_BLAKE2b");
  ASSERT_EQ(h.init(), Error::kNone);
  EXPECT_EQ(h.initiator.status(), HandshakeStatus::kWriteMessage);
  EXPECT_EQ(h.responder.status(), HandshakeStatus::kReadMessage);
  std::size_t n = 0;
  EXPECT_EQ(h.responder.write_message(&n, h.message, {}), Error::kWrongState);
  EXPECT_EQ(h.responder.status(), HandshakeStatus::kFailed);
  EXPECT_EQ(h.responder.read_message(&n, h.payload_out, Bytes(32)), Error::kWrongState);
  EXPECT_EQ(h.responder.error(), Error::kWrongState);
  CipherState a, b;
  EXPECT_EQ(h.responder.split(&a, &b), Error::kWrongState);
  EXPECT_EQ(h.initiator.split(&a, &b), Error::kWrongState);  // not complete
  EXPECT_TRUE(h.initiator.handshake_hash().empty());
  HandshakeState fresh;
  EXPECT_EQ(fresh.write_message(&n, h.message, {}), Error::kWrongState);
  EXPECT_EQ(fresh.status(), HandshakeStatus::kUninitialized);
}

TEST(NoiseHandshakeStateTest, TamperedAndTruncatedMessagesFail) {
  for (const std::string name :
       {"Noise_XX_25519_ChaChaPoly_BLAKE2b", "Noise_IKpsk2_25519_ChaChaPoly_SHA256"}) {
    // Truncated first message (shorter than e).
    {
      Handshake h(name);
      ASSERT_EQ(h.init(), Error::kNone);
      std::size_t n = 0;
      ASSERT_EQ(h.initiator.write_message(&n, h.message, {}), Error::kNone);
      EXPECT_EQ(h.responder.read_message(&n, h.payload_out, ByteSpan(h.message).first(31)),
                Error::kMalformedMessage);
      EXPECT_EQ(h.responder.status(), HandshakeStatus::kFailed);
    }
    // A flipped bit in the second message's encrypted part.
    {
      Handshake h(name);
      ASSERT_EQ(h.init(), Error::kNone);
      std::size_t n = 0, read = 0;
      ASSERT_EQ(h.initiator.write_message(&n, h.message, Bytes{1, 2, 3}), Error::kNone);
      ASSERT_EQ(h.responder.read_message(&read, h.payload_out, ByteSpan(h.message).first(n)),
                Error::kNone);
      ASSERT_EQ(h.responder.write_message(&n, h.message, Bytes{4}), Error::kNone);
      h.message[n - 1] ^= 0x80;
      EXPECT_EQ(h.initiator.read_message(&read, h.payload_out, ByteSpan(h.message).first(n)),
                Error::kAuthenticationFailed);
      EXPECT_EQ(read, 0U);
      EXPECT_EQ(h.initiator.write_message(&n, h.message, {}), Error::kAuthenticationFailed);
    }
  }
}

TEST(NoiseHandshakeStateTest, DifferentPrologueFailsAtTheFirstEncryptedPayload) {
  Handshake h("Noise_NN_25519_ChaChaPoly_BLAKE2b");
  HandshakeConfig config = h.parties.config(h.protocol, Role::kResponder);
  const Bytes other = {1};
  config.prologue = other;
  ASSERT_EQ(h.initiator.initialize(h.parties.config(h.protocol, Role::kInitiator)), Error::kNone);
  ASSERT_EQ(h.responder.initialize(config), Error::kNone);
  std::size_t n = 0, read = 0;
  ASSERT_EQ(h.initiator.write_message(&n, h.message, {}), Error::kNone);
  // The first message has no key, so nothing can notice yet.
  ASSERT_EQ(h.responder.read_message(&read, h.payload_out, ByteSpan(h.message).first(n)),
            Error::kNone);
  ASSERT_EQ(h.responder.write_message(&n, h.message, {}), Error::kNone);
  EXPECT_EQ(h.initiator.read_message(&read, h.payload_out, ByteSpan(h.message).first(n)),
            Error::kAuthenticationFailed);
}

TEST(NoiseHandshakeStateTest, LowOrderEphemeralIsRefused) {
  for (const auto& point : testing::low_order_points()) {
    Handshake h("Noise_NN_25519_ChaChaPoly_BLAKE2b");
    ASSERT_EQ(h.init(), Error::kNone);
    std::size_t n = 0, read = 0;
    ASSERT_EQ(h.initiator.write_message(&n, h.message, {}), Error::kNone);
    ASSERT_EQ(h.responder.read_message(&read, h.payload_out, ByteSpan(h.message).first(n)),
              Error::kNone);
    ASSERT_EQ(h.responder.write_message(&n, h.message, {}), Error::kNone);
    std::ranges::copy(point, h.message.begin());
    EXPECT_EQ(h.initiator.read_message(&read, h.payload_out, ByteSpan(h.message).first(n)),
              Error::kAuthenticationFailed);
  }
}

TEST(NoiseHandshakeStateTest, RandomFailure) {
  Handshake h("Noise_NN_25519_ChaChaPoly_BLAKE2b");
  FailingRandom failing;
  HandshakeConfig config = h.parties.config(h.protocol, Role::kInitiator);
  config.random = &failing;
  ASSERT_EQ(h.initiator.initialize(config), Error::kNone);
  std::size_t n = 0;
  EXPECT_EQ(h.initiator.write_message(&n, h.message, {}), Error::kRandomFailure);
  EXPECT_EQ(h.initiator.error(), Error::kRandomFailure);
}

TEST(NoiseHandshakeStateTest, Sizes) {
  Handshake h("Noise_XX_25519_ChaChaPoly_BLAKE2b");
  ASSERT_EQ(h.init(), Error::kNone);
  EXPECT_EQ(h.initiator.next_message_size(5), 32U + 5U);
  EXPECT_EQ(h.responder.next_message_size(5), 0U);  // not its turn
  std::size_t n = 0;
  EXPECT_EQ(h.initiator.write_message(&n, MutableByteSpan(h.message).first(36), Bytes(5)),
            Error::kInvalidArgument);
  Handshake big("Noise_XX_25519_ChaChaPoly_BLAKE2b");
  ASSERT_EQ(big.init(), Error::kNone);
  EXPECT_EQ(big.initiator.write_message(&n, big.message, Bytes(kMaxMessageLen - 31)),
            Error::kMessageTooLarge);
  Handshake fits("Noise_XX_25519_ChaChaPoly_BLAKE2b");
  ASSERT_EQ(fits.init(), Error::kNone);
  ASSERT_EQ(fits.initiator.write_message(&n, fits.message, Bytes(kMaxMessageLen - 32)),
            Error::kNone);
  EXPECT_EQ(n, kMaxMessageLen);
  std::size_t read = 0;
  EXPECT_EQ(fits.responder.read_message(&read, MutableByteSpan(fits.payload_out).first(10),
                                        ByteSpan(fits.message).first(n)),
            Error::kInvalidArgument);
  Handshake over("Noise_XX_25519_ChaChaPoly_BLAKE2b");
  ASSERT_EQ(over.init(), Error::kNone);
  EXPECT_EQ(over.responder.read_message(&read, over.payload_out, Bytes(kMaxMessageLen + 1)),
            Error::kMalformedMessage);
}

TEST(NoiseHandshakeStateTest, SplitOnceKeepsTheHashAndReuses) {
  Handshake h("Noise_XXpsk3_25519_AESGCM_SHA256");
  if (!cipher_available(CipherKind::kAesGcm)) GTEST_SKIP() << "no AESGCM in this build";
  ASSERT_EQ(h.init(), Error::kNone);
  ASSERT_EQ(h.play(), Error::kNone);
  EXPECT_EQ(h.initiator.status(), HandshakeStatus::kComplete);
  const Bytes hash(h.initiator.handshake_hash().begin(), h.initiator.handshake_hash().end());
  CipherState send, receive;
  EXPECT_EQ(h.initiator.split(&send, &send), Error::kInvalidArgument);
  EXPECT_EQ(h.initiator.status(), HandshakeStatus::kComplete);
  ASSERT_EQ(h.initiator.split(&send, &receive), Error::kNone);
  EXPECT_EQ(h.initiator.status(), HandshakeStatus::kSplit);
  EXPECT_TRUE(std::ranges::equal(h.initiator.handshake_hash(), hash));
  CipherState again_send, again_receive;
  EXPECT_EQ(h.initiator.split(&again_send, &again_receive), Error::kWrongState);
  EXPECT_FALSE(again_send.has_key());
  EXPECT_TRUE(send.has_key());
  EXPECT_EQ(send.kind(), CipherKind::kAesGcm);
  // The same states run a second handshake.
  ASSERT_EQ(h.init(), Error::kNone);
  ASSERT_EQ(h.play(), Error::kNone);
  EXPECT_FALSE(std::ranges::equal(h.initiator.handshake_hash(), hash));  // fresh ephemerals
}

// A static public key given with the private key is used as is (no scalar
// multiplication per handshake): the right one completes the handshake and is what the
// peer receives; a wrong one (derived, it could not be) makes the handshake fail at the
// DH that uses it.
TEST(NoiseHandshakeStateTest, GivenStaticPublicKeyIsUsed) {
  for (const bool right : {true, false}) {
    Handshake h("Noise_XX_25519_ChaChaPoly_BLAKE2b");
    DhPublicKey given{};
    dh_public_key(&given, right ? h.parties.initiator_static : h.parties.responder_static);
    HandshakeConfig config = h.parties.config(h.protocol, Role::kInitiator);
    config.static_public_key = &given;
    ASSERT_EQ(h.initiator.initialize(config), Error::kNone);
    ASSERT_EQ(h.responder.initialize(h.parties.config(h.protocol, Role::kResponder)), Error::kNone);
    EXPECT_EQ(h.play(), right ? Error::kNone : Error::kAuthenticationFailed) << right;
    if (right) {
      EXPECT_TRUE(std::ranges::equal(h.responder.remote_static(), given));
    }
  }
}

TEST(NoiseHandshakeStateTest, StatusNames) {
  EXPECT_EQ(handshake_status_name(HandshakeStatus::kWriteMessage), "WriteMessage");
  EXPECT_EQ(handshake_status_name(HandshakeStatus::kSplit), "Split");
}

}  // namespace
}  // namespace p2pnet::noise
