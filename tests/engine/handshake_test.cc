// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Handshake state machine tests: each protocol-v1 rule, with one side played by hand
// where the test needs it to misbehave.
#include "p2pnet/internal/handshake.h"

#include <gtest/gtest.h>

#include "hex.h"
#include "low_order_points.h"
#include "p2pnet/internal/channel.h"
#include "pair.h"
#include "wire.h"

namespace p2pnet {
namespace {

using testing::Bytes;
using testing::encode;
using namespace std::chrono_literals;

Bytes output_of(Handshake& h) {
  Bytes out(h.pending_transmit());
  out.resize(h.poll_transmit(out));
  return out;
}

Bytes error_bytes(WireErrorCode code) { return encode(ErrorMessage{code}); }

Bytes concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// Counts the bytes drawn, to show when no challenge was issued.
class CountingRandom final : public RandomSource {
 public:
  explicit CountingRandom(std::uint64_t seed) : inner_(seed) {}
  bool fill(std::span<std::uint8_t> out) override {
    drawn += out.size();
    return inner_.fill(out);
  }
  std::size_t drawn = 0;

 private:
  DeterministicRandom inner_;
};

class HandshakeTest : public ::testing::Test {
 protected:
  Identity client_identity = testing::identity_from_byte(1);
  Identity server_identity = testing::identity_from_byte(2);
  Identity mallory_identity = testing::identity_from_byte(3);
  DeterministicRandom client_random{11};
  CountingRandom server_random{22};
  Instant now{1000};

  ClientConfig client_config() {
    ClientConfig c;
    c.identity = &client_identity;
    c.expected_server = server_identity.public_key();
    c.random = &client_random;
    return c;
  }
  ServerConfig server_config() {
    ServerConfig s;
    s.identity = &server_identity;
    s.random = &server_random;
    return s;
  }

  // The keys each side handed over, if it completed (HandshakeStep::keys).
  struct Keys {
    std::optional<SessionKeys> client, server;
  };

  // Runs both real sides to the end, message by message, keeping the keys each side
  // hands over in the step that completes it.
  Keys run(Handshake& client, Handshake& server) {
    Keys keys;
    auto keep = [](HandshakeStep step, std::optional<SessionKeys>& out) {
      if (step.keys) {
        EXPECT_FALSE(out.has_value()) << "keys handed over twice";
        out = std::move(step.keys);
      }
    };
    for (int i = 0; i < 4; ++i) {
      const Bytes to_server = output_of(client);
      if (!to_server.empty()) keep(server.handle_bytes(to_server, now), keys.server);
      const Bytes to_client = output_of(server);
      if (!to_client.empty()) keep(client.handle_bytes(to_client, now), keys.client);
    }
    return keys;
  }

  // A client's KeyExchange for |challenge|, signed over |content| by |signer|.
  KeyExchange key_exchange(const Identity& signer, const EphemeralKeyPair& eph, ByteSpan content) {
    return KeyExchange{eph.public_key, signer.sign(content)};
  }

  static EphemeralKeyPair eph_of(std::uint8_t b) {
    Secret<kX25519KeySize> s;
    std::fill(s.bytes().begin(), s.bytes().end(), b);
    return ephemeral_from_secret(std::move(s));
  }
};

TEST_F(HandshakeTest, CompletesWithTheSameKeysAndTheRightPeers) {
  Handshake client = Handshake::client(client_config(), now);
  Handshake server = Handshake::server(server_config(), now);
  EXPECT_EQ(client.state(), HandshakeState::kClientAwaitServerHello);
  EXPECT_EQ(server.state(), HandshakeState::kServerAwaitClientHello);
  const Keys keys = run(client, server);
  ASSERT_TRUE(client.is_complete()) << error_message(client.error());
  ASSERT_TRUE(server.is_complete()) << error_message(server.error());
  ASSERT_TRUE(keys.client && keys.server);
  EXPECT_EQ(client.peer_identity(), server_identity.public_key());
  EXPECT_EQ(server.peer_identity(), client_identity.public_key());
  EXPECT_TRUE(
      equal_constant_time(keys.client->session_key.bytes(), keys.server->session_key.bytes()));
  EXPECT_TRUE(equal_constant_time(keys.client->key_c2s.bytes(), keys.server->key_c2s.bytes()));
  EXPECT_TRUE(equal_constant_time(keys.client->key_s2c.bytes(), keys.server->key_s2c.bytes()));
  EXPECT_EQ(client.poll_timeout(), std::nullopt);
  EXPECT_EQ(handshake_state_name(client.state()), "Complete");
}

TEST_F(HandshakeTest, ClientSendsClientHelloFirst) {
  Handshake client = Handshake::client(client_config(), now);
  EXPECT_EQ(output_of(client), encode(ClientHello{client_identity.public_key()}));
}

TEST_F(HandshakeTest, AnyServerIsAcceptedWhenNoneIsExpected) {
  ClientConfig config = client_config();
  config.expected_server = std::nullopt;
  Handshake client = Handshake::client(config, now);
  Handshake server = Handshake::server(server_config(), now);
  run(client, server);
  EXPECT_TRUE(client.is_complete());
}

TEST_F(HandshakeTest, WrongServerIdentityAbortsBeforeKeyExchange) {
  ClientConfig config = client_config();
  config.expected_server = mallory_identity.public_key();
  Handshake client = Handshake::client(config, now);
  Handshake server = Handshake::server(server_config(), now);
  (void)server.handle_bytes(output_of(client), now);
  const HandshakeStep result = client.handle_bytes(output_of(server), now);
  EXPECT_EQ(result.error, Error::kPeerNotAllowed);
  EXPECT_EQ(client.state(), HandshakeState::kFailed);
  // No KeyExchange: only the Error 0x03 goes out.
  EXPECT_EQ(output_of(client), error_bytes(WireErrorCode::kIdentityNotAccepted));
}

TEST_F(HandshakeTest, ClientNotOnTheAllowListIsRefusedBeforeAnyChallenge) {
  const PublicKey allowed[] = {mallory_identity.public_key()};
  ServerConfig config = server_config();
  config.allowed_clients = allowed;
  Handshake client = Handshake::client(client_config(), now);
  Handshake server = Handshake::server(config, now);
  const HandshakeStep result = server.handle_bytes(output_of(client), now);
  EXPECT_EQ(result.error, Error::kPeerNotAllowed);
  EXPECT_EQ(server_random.drawn, 0u);  // no challenge was drawn
  const Bytes reply = output_of(server);
  EXPECT_EQ(reply, error_bytes(WireErrorCode::kIdentityNotAccepted));
  EXPECT_EQ(client.handle_bytes(reply, now).error, Error::kPeerAbortNotAccepted);
  EXPECT_TRUE(output_of(client).empty());  // an Error is never answered
}

TEST_F(HandshakeTest, ClientOnTheAllowListIsServed) {
  const PublicKey allowed[] = {mallory_identity.public_key(), client_identity.public_key()};
  ServerConfig config = server_config();
  config.allowed_clients = allowed;
  Handshake client = Handshake::client(client_config(), now);
  Handshake server = Handshake::server(config, now);
  run(client, server);
  EXPECT_TRUE(server.is_complete());
}

TEST_F(HandshakeTest, ServerRejectsABadClientSignature) {
  Handshake client = Handshake::client(client_config(), now);
  Handshake server = Handshake::server(server_config(), now);
  (void)server.handle_bytes(output_of(client), now);
  (void)client.handle_bytes(output_of(server), now);
  Bytes exchange = output_of(client);
  ASSERT_EQ(exchange.size(), kKeyExchangeSize);
  for (std::size_t i = 1; i < exchange.size(); i += 7) {  // the key and the signature
    Handshake fresh_server = Handshake::server(server_config(), now);
    server_random = CountingRandom(22);
    (void)fresh_server.handle_bytes(encode(ClientHello{client_identity.public_key()}), now);
    (void)output_of(fresh_server);
    Bytes corrupt = exchange;
    corrupt[i] ^= 0x20;
    EXPECT_EQ(fresh_server.handle_bytes(corrupt, now).error, Error::kAuthenticationFailed) << i;
    EXPECT_EQ(output_of(fresh_server), error_bytes(WireErrorCode::kAuthenticationFailed));
  }
}

TEST_F(HandshakeTest, ClientRejectsABadServerSignature) {
  Handshake client = Handshake::client(client_config(), now);
  Handshake server = Handshake::server(server_config(), now);
  (void)server.handle_bytes(output_of(client), now);
  (void)client.handle_bytes(output_of(server), now);
  (void)server.handle_bytes(output_of(client), now);
  Bytes accept = output_of(server);
  ASSERT_EQ(accept.size(), kAcceptSize);
  accept[60] ^= 0x01;  // inside the signature
  EXPECT_EQ(client.handle_bytes(accept, now).error, Error::kAuthenticationFailed);
  EXPECT_EQ(output_of(client), error_bytes(WireErrorCode::kAuthenticationFailed));
}

// The original design signed challenge || eph only (docs/protocol.md "Signatures");
// protocol-v1 requires the label and both identities, so a peer signing the original
// content must be rejected.
TEST_F(HandshakeTest, ServerRejectsAClientSigningThePlansContent) {
  Handshake server = Handshake::server(server_config(), now);
  (void)server.handle_bytes(encode(ClientHello{client_identity.public_key()}), now);
  const auto hello = parse_server_hello(output_of(server));
  ASSERT_TRUE(hello);
  const EphemeralKeyPair eph = eph_of(5);
  Bytes plan_content(hello->challenge.begin(), hello->challenge.end());
  plan_content.insert(plan_content.end(), eph.public_key.begin(), eph.public_key.end());
  const Bytes exchange = encode(key_exchange(client_identity, eph, plan_content));
  EXPECT_EQ(server.handle_bytes(exchange, now).error, Error::kAuthenticationFailed);
}

TEST_F(HandshakeTest, ClientRejectsAServerSigningThePlansContent) {
  Handshake client = Handshake::client(client_config(), now);
  (void)output_of(client);
  Challenge challenge{};
  challenge.fill(0x42);
  (void)client.handle_bytes(encode(ServerHello{server_identity.public_key(), challenge}), now);
  const auto exchange = parse_key_exchange(output_of(client));
  ASSERT_TRUE(exchange);
  const EphemeralKeyPair eph = eph_of(6);
  Bytes plan_content(challenge.begin(), challenge.end());
  plan_content.insert(plan_content.end(), eph.public_key.begin(), eph.public_key.end());
  plan_content.insert(plan_content.end(), exchange->client_eph.begin(), exchange->client_eph.end());
  const Bytes accept = encode(Accept{eph.public_key, server_identity.sign(plan_content)});
  EXPECT_EQ(client.handle_bytes(accept, now).error, Error::kAuthenticationFailed);
}

TEST_F(HandshakeTest, AServerThatSignsCorrectlyByHandIsAccepted) {
  // The positive control for the two tests above and the low-order tests below: the
  // hand-made Accept differs from theirs only in what is signed.
  Handshake client = Handshake::client(client_config(), now);
  (void)output_of(client);
  Challenge challenge{};
  challenge.fill(0x42);
  (void)client.handle_bytes(encode(ServerHello{server_identity.public_key(), challenge}), now);
  const auto exchange = parse_key_exchange(output_of(client));
  ASSERT_TRUE(exchange);
  const EphemeralKeyPair eph = eph_of(6);
  Transcript t{client_identity.public_key(), server_identity.public_key(), challenge,
               exchange->client_eph, eph.public_key};
  const Bytes accept =
      encode(Accept{eph.public_key, server_identity.sign(server_signed_content(t).span())});
  EXPECT_EQ(client.handle_bytes(accept, now).error, Error::kNone);
  EXPECT_TRUE(client.is_complete());
}

// Identity misbinding (unknown key share): Mallory, a legitimate identity, sits
// between Alice (client) and Bob (server). She forwards Bob's ServerHello to Alice,
// re-signs Alice's ephemeral key as herself towards Bob, and relays Bob's Accept.
// Against the original design's signatures Alice would finish believing she talks to Bob while
// Bob believes he talks to Mallory. protocol-v1 signs both identities, so Alice fails.
TEST_F(HandshakeTest, RelayAttackIsDetected) {
  Handshake alice = Handshake::client(client_config(), now);
  Handshake bob = Handshake::server(server_config(), now);

  (void)output_of(alice);  // Alice's ClientHello is swallowed by Mallory
  (void)bob.handle_bytes(encode(ClientHello{mallory_identity.public_key()}), now);
  const Bytes server_hello = output_of(bob);
  ASSERT_EQ(alice.handle_bytes(server_hello, now).error, Error::kNone);  // relayed as is
  const auto alice_exchange = parse_key_exchange(output_of(alice));
  ASSERT_TRUE(alice_exchange);

  // Mallory signs Alice's ephemeral key with her own identity for Bob.
  const auto hello = parse_server_hello(server_hello);
  Transcript towards_bob{mallory_identity.public_key(),
                         server_identity.public_key(),
                         hello->challenge,
                         alice_exchange->client_eph,
                         {}};
  const KeyExchange forged{alice_exchange->client_eph,
                           mallory_identity.sign(client_signed_content(towards_bob).span())};
  ASSERT_EQ(bob.handle_bytes(encode(forged), now).error, Error::kNone);
  ASSERT_TRUE(bob.is_complete());
  EXPECT_EQ(bob.peer_identity(), mallory_identity.public_key());  // Bob knows it is Mallory

  // Bob's Accept binds Mallory's identity; relayed to Alice it must not verify.
  EXPECT_EQ(alice.handle_bytes(output_of(bob), now).error, Error::kAuthenticationFailed);
  EXPECT_FALSE(alice.is_complete());
}

TEST_F(HandshakeTest, ServerRejectsEveryLowOrderClientEphemeralKey) {
  for (const EphemeralPublicKey& point : testing::low_order_points()) {
    Handshake server = Handshake::server(server_config(), now);
    (void)server.handle_bytes(encode(ClientHello{client_identity.public_key()}), now);
    const auto hello = parse_server_hello(output_of(server));
    ASSERT_TRUE(hello);
    // Validly signed, so only the DH check can catch it.
    Transcript t{
        client_identity.public_key(), server_identity.public_key(), hello->challenge, point, {}};
    const KeyExchange exchange{point, client_identity.sign(client_signed_content(t).span())};
    EXPECT_EQ(server.handle_bytes(encode(exchange), now).error, Error::kAuthenticationFailed);
    EXPECT_EQ(output_of(server), error_bytes(WireErrorCode::kAuthenticationFailed));
  }
}

TEST_F(HandshakeTest, ClientRejectsEveryLowOrderServerEphemeralKey) {
  for (const EphemeralPublicKey& point : testing::low_order_points()) {
    Handshake client = Handshake::client(client_config(), now);
    (void)output_of(client);
    Challenge challenge{};
    challenge.fill(0x17);
    (void)client.handle_bytes(encode(ServerHello{server_identity.public_key(), challenge}), now);
    const auto exchange = parse_key_exchange(output_of(client));
    ASSERT_TRUE(exchange);
    Transcript t{client_identity.public_key(), server_identity.public_key(), challenge,
                 exchange->client_eph, point};
    const Accept accept{point, server_identity.sign(server_signed_content(t).span())};
    EXPECT_EQ(client.handle_bytes(encode(accept), now).error, Error::kAuthenticationFailed);
    EXPECT_EQ(output_of(client), error_bytes(WireErrorCode::kAuthenticationFailed));
  }
}

// A small-order identity key is not validated at hello (that costs a scalar
// multiplication per handshake); it must fail at verification instead. The neutral
// element as the key makes the forged signature (R = B, s = 1) valid under a naive
// verification equation, so this shows libsodium's small-order rejection is in force.
Signature forged_for_neutral_key() {
  Signature sig{};
  const auto base_point =
      testing::from_hex("5866666666666666666666666666666666666666666666666666666666666666");
  std::copy(base_point->begin(), base_point->end(), sig.begin());
  sig[32] = 1;  // s = 1
  return sig;
}

TEST_F(HandshakeTest, SmallOrderIdentityKeysFailAuthentication) {
  PublicKey neutral{};
  neutral.bytes[0] = 1;
  {
    Handshake server = Handshake::server(server_config(), now);
    ASSERT_EQ(server.handle_bytes(encode(ClientHello{neutral}), now).error, Error::kNone);
    (void)output_of(server);
    const KeyExchange exchange{eph_of(7).public_key, forged_for_neutral_key()};
    EXPECT_EQ(server.handle_bytes(encode(exchange), now).error, Error::kAuthenticationFailed);
    EXPECT_EQ(output_of(server), error_bytes(WireErrorCode::kAuthenticationFailed));
  }
  {
    ClientConfig config = client_config();
    config.expected_server = std::nullopt;
    Handshake client = Handshake::client(config, now);
    (void)output_of(client);
    ASSERT_EQ(client.handle_bytes(encode(ServerHello{neutral, {}}), now).error, Error::kNone);
    (void)output_of(client);
    const Accept accept{eph_of(8).public_key, forged_for_neutral_key()};
    EXPECT_EQ(client.handle_bytes(encode(accept), now).error, Error::kAuthenticationFailed);
    EXPECT_EQ(output_of(client), error_bytes(WireErrorCode::kAuthenticationFailed));
  }
}

TEST_F(HandshakeTest, ClientTimesOutAtTheDeadlineAndSaysSo) {
  Handshake client = Handshake::client(client_config(), now);
  (void)output_of(client);
  EXPECT_EQ(client.poll_timeout(), now + kDefaultHandshakeTimeout);
  EXPECT_EQ(client.handle_timeout(now + kDefaultHandshakeTimeout - 1ms), Error::kNone);
  EXPECT_EQ(client.handle_timeout(now + kDefaultHandshakeTimeout), Error::kTimeout);
  EXPECT_EQ(output_of(client), error_bytes(WireErrorCode::kTimeout));
  EXPECT_EQ(client.poll_timeout(), std::nullopt);
}

TEST_F(HandshakeTest, ServerTimesOutMidHandshake) {
  ServerConfig config = server_config();
  config.handshake_timeout = 2s;
  Handshake server = Handshake::server(config, now);
  (void)server.handle_bytes(encode(ClientHello{client_identity.public_key()}), now);
  (void)output_of(server);
  // A KeyExchange arriving after the deadline is too late even before handle_timeout.
  const HandshakeStep late = server.handle_bytes(Bytes(kKeyExchangeSize, 0), now + 2s);
  EXPECT_EQ(late.error, Error::kTimeout);
  EXPECT_EQ(late.consumed, 0u);
  EXPECT_EQ(output_of(server), error_bytes(WireErrorCode::kTimeout));
}

// now + handshake_timeout saturates: the largest timeout means "no deadline", not an
// overflow (undefined behaviour) that put the deadline in the past.
TEST_F(HandshakeTest, HugeTimeoutSaturatesTheDeadline) {
  const Duration largest_that_fits = Instant::max() - now;
  for (const Duration timeout : {Duration::max(), largest_that_fits, largest_that_fits + 1ms}) {
    ServerConfig config = server_config();
    config.handshake_timeout = timeout;
    Handshake server = Handshake::server(config, now);
    EXPECT_EQ(server.poll_timeout(), timeout > largest_that_fits ? Instant::max() : now + timeout);
    EXPECT_EQ(server.handle_bytes(encode(ClientHello{client_identity.public_key()}), now).error,
              Error::kNone);
    EXPECT_EQ(server.state(), HandshakeState::kServerAwaitKeyExchange);
    EXPECT_EQ(server.handle_timeout(Instant::max() - 1ms), Error::kNone);
  }
  ClientConfig config = client_config();
  config.handshake_timeout = Duration::max();
  Handshake client = Handshake::client(config, now);
  EXPECT_EQ(client.handle_timeout(now + 24h), Error::kNone);
  EXPECT_EQ(client.handle_timeout(Instant::max()), Error::kTimeout);
}

TEST_F(HandshakeTest, ReceivedErrorEndsEachSideWithoutAReply) {
  Handshake client = Handshake::client(client_config(), now);
  (void)output_of(client);
  EXPECT_EQ(client.handle_bytes(error_bytes(WireErrorCode::kInternal), now).error,
            Error::kPeerAbortInternal);
  EXPECT_TRUE(output_of(client).empty());

  Handshake server = Handshake::server(server_config(), now);
  (void)server.handle_bytes(encode(ClientHello{client_identity.public_key()}), now);
  (void)output_of(server);
  EXPECT_EQ(server.handle_bytes(error_bytes(WireErrorCode::kTimeout), now).error,
            Error::kPeerAbortTimeout);
  EXPECT_TRUE(output_of(server).empty());
}

// protocol-v1: an Error is never answered, not even one whose code is undefined.
// The side ends as for any received Error (a peer abort) and sends nothing.
TEST_F(HandshakeTest, MalformedErrorIsNeverAnswered) {
  const std::uint8_t undefined_codes[] = {0x00, 0x07, 0x80, 0xFE, 0xFF};
  for (const std::uint8_t code : undefined_codes) {
    Handshake client = Handshake::client(client_config(), now);
    (void)output_of(client);
    const Error client_error = client.handle_bytes(Bytes{0xFF, code}, now).error;
    EXPECT_EQ(client_error, Error::kPeerAbortUnknownCode) << int{code};
    EXPECT_EQ(error_category(client_error), ErrorCategory::kPeerAbort) << int{code};
    EXPECT_TRUE(output_of(client).empty()) << int{code};

    Handshake server = Handshake::server(server_config(), now);
    const Error early = server.handle_bytes(Bytes{0xFF, code}, now).error;
    EXPECT_EQ(early, Error::kPeerAbortUnknownCode) << int{code};
    EXPECT_TRUE(output_of(server).empty()) << int{code};

    Handshake later = Handshake::server(server_config(), now);
    (void)later.handle_bytes(encode(ClientHello{client_identity.public_key()}), now);
    (void)output_of(later);
    // Split after the type byte: the code arrives in a second call.
    EXPECT_EQ(later.handle_bytes(Bytes{0xFF}, now).error, Error::kNone) << int{code};
    const Error late = later.handle_bytes(Bytes{code}, now).error;
    EXPECT_EQ(late, Error::kPeerAbortUnknownCode) << int{code};
    EXPECT_EQ(wire_code_for(late), WireErrorCode::kNone) << int{code};
    EXPECT_TRUE(output_of(later).empty()) << int{code};
  }
}

TEST_F(HandshakeTest, ReplayedChallengeIsRefused) {
  ReplayCache cache;
  ClientConfig config = client_config();
  config.replay_cache = &cache;
  Challenge challenge{};
  challenge.fill(0x99);
  const Bytes hello = encode(ServerHello{server_identity.public_key(), challenge});

  Handshake first = Handshake::client(config, now);
  (void)output_of(first);
  EXPECT_EQ(first.handle_bytes(hello, now).error, Error::kNone);

  Handshake second = Handshake::client(config, now);
  (void)output_of(second);
  EXPECT_EQ(second.handle_bytes(hello, now).error, Error::kReplayedChallenge);
  EXPECT_EQ(output_of(second), error_bytes(WireErrorCode::kReplayedChallenge));
}

TEST_F(HandshakeTest, MalformedInputFailsAtTheFirstWrongByte) {
  struct Case {
    const char* name;
    Bytes input;
  };
  const Case cases[] = {
      {"unknown type", {0x00}},
      {"type 0x05", {0x05}},
      {"client's own message type", {0x01}},
      {"Accept before ServerHello", {0x04}},
  };
  for (const Case& c : cases) {
    Handshake client = Handshake::client(client_config(), now);
    (void)output_of(client);
    Bytes input = c.input;
    input.resize(200, 0xAB);
    const HandshakeStep result = client.handle_bytes(input, now);
    EXPECT_EQ(result.error, Error::kMalformedMessage) << c.name;
    EXPECT_EQ(result.consumed, 1u) << c.name;
    EXPECT_EQ(output_of(client), error_bytes(WireErrorCode::kMalformed)) << c.name;
  }
}

TEST_F(HandshakeTest, PeerClosingMidHandshakeIsReported) {
  Handshake server = Handshake::server(server_config(), now);
  EXPECT_EQ(server.handle_bytes(Bytes(10, 0x01), now).error, Error::kNone);  // partial hello
  EXPECT_EQ(server.handle_bytes({}, now).error, Error::kConnectionClosed);
  EXPECT_TRUE(output_of(server).empty());
}

TEST_F(HandshakeTest, FailureIsTerminalAndRepeatsTheSameError) {
  Handshake server = Handshake::server(server_config(), now);
  EXPECT_EQ(server.handle_bytes(Bytes{0x09}, now).error, Error::kMalformedMessage);
  EXPECT_EQ(server.handle_bytes(encode(ClientHello{client_identity.public_key()}), now).error,
            Error::kMalformedMessage);
  EXPECT_EQ(server.handle_timeout(now + 1h), Error::kMalformedMessage);
  EXPECT_EQ(server.error(), Error::kMalformedMessage);
}

TEST_F(HandshakeTest, InvalidConfigFailsAtOnce) {
  ClientConfig no_identity = client_config();
  no_identity.identity = nullptr;
  EXPECT_EQ(Handshake::client(no_identity, now).error(), Error::kInvalidArgument);
  ServerConfig no_time = server_config();
  no_time.handshake_timeout = 0ms;
  EXPECT_EQ(Handshake::server(no_time, now).error(), Error::kInvalidArgument);
}

// A send queue bound below one frame of the largest message fails the connection
// before any handshake byte, as a bad max_message_size does.
TEST_F(HandshakeTest, PendingOutputBelowOneFullFrameFailsAtOnce) {
  ClientConfig client = client_config();
  client.channel.max_pending_output = kDefaultMaxMessageSize + kFrameOverhead - 1;
  Handshake client_handshake = Handshake::client(client, now);
  EXPECT_EQ(client_handshake.error(), Error::kInvalidArgument);
  EXPECT_TRUE(output_of(client_handshake).empty());
  ServerConfig server = server_config();
  server.channel.max_pending_output = 1;
  EXPECT_EQ(Handshake::server(server, now).error(), Error::kInvalidArgument);
  server.channel.max_pending_output = kDefaultMaxMessageSize + kFrameOverhead;
  EXPECT_EQ(Handshake::server(server, now).error(), Error::kNone);
}

TEST_F(HandshakeTest, RandomFailureFailsClosedWithInternalError) {
  struct Broken : RandomSource {
    bool fill(std::span<std::uint8_t>) override { return false; }
  } broken;
  ServerConfig config = server_config();
  config.random = &broken;
  Handshake server = Handshake::server(config, now);
  EXPECT_EQ(server.handle_bytes(encode(ClientHello{client_identity.public_key()}), now).error,
            Error::kRandomFailure);
  EXPECT_EQ(output_of(server), error_bytes(WireErrorCode::kInternal));
}

TEST_F(HandshakeTest, ConsumesNothingPastItsLastMessage) {
  Handshake client = Handshake::client(client_config(), now);
  Handshake server = Handshake::server(server_config(), now);
  (void)server.handle_bytes(output_of(client), now);
  (void)client.handle_bytes(output_of(server), now);
  const Bytes exchange_and_more = concat(output_of(client), Bytes{1, 2, 3});
  const HandshakeStep result = server.handle_bytes(exchange_and_more, now);
  EXPECT_EQ(result.error, Error::kNone);
  EXPECT_EQ(result.consumed, kKeyExchangeSize);
  EXPECT_TRUE(server.is_complete());
}

// The keys come out once, in the step that completes the handshake; every later call,
// with or without input, hands out nothing (there is no copy left to hand out, so no
// all-zero keys either), and the handshake holds none of them
// (ConnectionTestAccess::key_holders checks the memory through a Connection).
TEST_F(HandshakeTest, KeysAreHandedOverOnceByTheCompletingStep) {
  Handshake client = Handshake::client(client_config(), now);
  Handshake server = Handshake::server(server_config(), now);
  const Keys keys = run(client, server);
  ASSERT_TRUE(client.is_complete());
  ASSERT_TRUE(keys.client.has_value());
  const std::array<std::uint8_t, 32> zero{};
  EXPECT_FALSE(std::ranges::equal(keys.client->session_key.bytes(), zero));
  for (const Bytes& input : {Bytes{}, Bytes{0x00}, Bytes(kAcceptSize, 0x04)}) {
    const HandshakeStep again = client.handle_bytes(input, now);
    EXPECT_FALSE(again.keys.has_value());
    EXPECT_EQ(again.consumed, 0u);
    EXPECT_EQ(again.error, Error::kNone);
  }
  EXPECT_FALSE(client.handle_bytes(Bytes{0x00}, now + kDefaultHandshakeTimeout).keys.has_value());
}

}  // namespace
}  // namespace p2pnet
