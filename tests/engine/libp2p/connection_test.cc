// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hex.h"
#include "p2pnet/internal/libp2p/multistream.h"
#include "p2pnet/libp2p_connection.h"
#include "pair.h"

namespace p2pnet {
namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr Instant kStart{1000};

// Side: one connection and what it received.
struct Side {
  explicit Side(Libp2pConnection c) : conn(std::move(c)) {}
  Libp2pConnection conn;
  Bytes received;
  int completed = 0;
  int ended = 0;

  // feed offers |bytes| (empty: the end of the stream) and pulls every event.
  void feed(const Bytes& bytes, Instant now = kStart) {
    ByteSpan rest(bytes);
    if (bytes.empty()) {
      (void)conn.handle_bytes({}, now);
      pull();
      return;
    }
    while (!rest.empty()) {
      const ReadResult r = conn.handle_bytes(rest, now);
      pull();
      if (r.error != Error::kNone) return;
      rest = rest.subspan(r.consumed);
    }
  }
  void pull() {
    while (auto event = conn.poll_event()) {
      switch (event->type) {
        case Libp2pEventType::kHandshakeComplete: ++completed; break;
        case Libp2pEventType::kData:
          received.insert(received.end(), event->data.begin(), event->data.end());
          break;
        case Libp2pEventType::kPeerEnded: ++ended; break;
      }
    }
  }
  Bytes take() {
    Bytes out(conn.pending_transmit());
    out.resize(conn.poll_transmit(out));
    return out;
  }
};

// pump moves bytes between the two sides until neither has any to send.
void pump(Side& a, Side& b) {
  for (int i = 0; i < 64; ++i) {
    const Bytes from_a = a.take();
    const Bytes from_b = b.take();
    if (from_a.empty() && from_b.empty()) return;
    if (!from_a.empty()) b.feed(from_a);
    if (!from_b.empty()) a.feed(from_b);
  }
}

Bytes pattern(std::size_t n, std::size_t seed) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<std::uint8_t>(i * 31 + seed * 7 + (i >> 8));
  return out;
}

class Libp2pConnectionTest : public ::testing::Test {
 protected:
  Identity dialer_identity_ = testing::identity_from_byte(1);
  Identity listener_identity_ = testing::identity_from_byte(2);
  Identity stranger_identity_ = testing::identity_from_byte(3);
  Libp2pStaticKey dialer_static_ = Libp2pStaticKey::from_private_key(fixed(0x11));
  Libp2pStaticKey listener_static_ = Libp2pStaticKey::from_private_key(fixed(0x22));
  DeterministicRandom dialer_random_{7};
  DeterministicRandom listener_random_{8};
  std::vector<std::string_view> dialer_muxers_ = {"/mplex/6.7.0", "/yamux/1.0.0"};
  std::vector<std::string_view> listener_muxers_ = {"/yamux/1.0.0", "/mplex/6.7.0"};

  static std::array<std::uint8_t, 32> fixed(std::uint8_t byte) {
    std::array<std::uint8_t, 32> out{};
    out.fill(byte);
    return out;
  }

  Libp2pConfig dialer_config() {
    Libp2pConfig c;
    c.identity = &dialer_identity_;
    c.static_key = &dialer_static_;
    c.expected_peer = listener_identity_.public_key();
    c.stream_muxers = dialer_muxers_;
    c.random = &dialer_random_;
    return c;
  }
  Libp2pConfig listener_config() {
    Libp2pConfig c;
    c.identity = &listener_identity_;
    c.static_key = &listener_static_;
    c.stream_muxers = listener_muxers_;
    c.random = &listener_random_;
    return c;
  }
  Side dialer(const Libp2pConfig& c) { return Side(Libp2pConnection::dialer(c, kStart)); }
  Side listener(const Libp2pConfig& c) { return Side(Libp2pConnection::listener(c, kStart)); }
};

TEST_F(Libp2pConnectionTest, HandshakeAuthenticatesBothAndAgreesOnTheMuxer) {
  Side d = dialer(dialer_config());
  Side l = listener(listener_config());
  pump(d, l);
  ASSERT_EQ(d.conn.state(), Libp2pState::kEstablished) << error_name(d.conn.error());
  ASSERT_EQ(l.conn.state(), Libp2pState::kEstablished) << error_name(l.conn.error());
  EXPECT_EQ(d.completed, 1);
  EXPECT_EQ(l.completed, 1);
  EXPECT_EQ(*d.conn.peer_identity(), listener_identity_.public_key());
  EXPECT_EQ(*l.conn.peer_identity(), dialer_identity_.public_key());
  // The first of the initiator's list that the responder also lists.
  EXPECT_EQ(d.conn.stream_muxer(), "/mplex/6.7.0");
  EXPECT_EQ(l.conn.stream_muxer(), "/mplex/6.7.0");
  ASSERT_EQ(d.conn.handshake_hash().size(), 32u);
  EXPECT_TRUE(std::ranges::equal(d.conn.handshake_hash(), l.conn.handshake_hash()));
  EXPECT_FALSE(d.conn.poll_timeout());
}

TEST_F(Libp2pConnectionTest, TheDialerOpensWithTheHeaderAndNoiseProposalOnly) {
  Side d = dialer(dialer_config());
  const Bytes first = d.take();
  std::string expected = "\x13/multistream/1.0.0\n\x07/noise\n";
  EXPECT_EQ(std::string(first.begin(), first.end()), expected);
  EXPECT_EQ(d.conn.state(), Libp2pState::kNegotiating);
  // The listener's header and the echo of "/noise" start the handshake: -> e, 32 bytes.
  d.feed(Bytes(expected.begin(), expected.end()));
  const Bytes e = d.take();
  ASSERT_EQ(e.size(), 2u + 32u);
  EXPECT_EQ(e[0], 0);
  EXPECT_EQ(e[1], 32);
  EXPECT_EQ(d.conn.state(), Libp2pState::kHandshake);
}

TEST_F(Libp2pConnectionTest, StreamBytesBothWaysAcrossChunkBoundaries) {
  Side d = dialer(dialer_config());
  Side l = listener(listener_config());
  pump(d, l);
  Bytes sent_by_dialer;
  Bytes sent_by_listener;
  for (std::size_t size :
       {std::size_t{1}, std::size_t{65519}, std::size_t{65520}, std::size_t{1024 * 1024}}) {
    const Bytes a = pattern(size, 1);
    const Bytes b = pattern(size, 2);
    ASSERT_EQ(d.conn.send(a), Error::kNone);
    ASSERT_EQ(l.conn.send(b), Error::kNone);
    sent_by_dialer.insert(sent_by_dialer.end(), a.begin(), a.end());
    sent_by_listener.insert(sent_by_listener.end(), b.begin(), b.end());
    pump(d, l);
  }
  EXPECT_EQ(l.received, sent_by_dialer);
  EXPECT_EQ(d.received, sent_by_listener);
}

TEST_F(Libp2pConnectionTest, OneMebibyteIsSixteenFullMessagesAndARest) {
  Side d = dialer(dialer_config());
  Side l = listener(listener_config());
  pump(d, l);
  ASSERT_EQ(d.conn.send(pattern(1024 * 1024, 3)), Error::kNone);
  const Bytes wire = d.take();
  // 1048576 = 16 * 65519 + 272: 17 messages, each with a 2-byte length and a 16-byte tag.
  EXPECT_EQ(wire.size(), 1024u * 1024u + 17u * 18u);
  EXPECT_EQ((std::size_t{wire[0]} << 8) | wire[1], 65535u);
}

TEST_F(Libp2pConnectionTest, WithoutNegotiationTheHandshakeStartsAtOnce) {
  Libp2pConfig dc = dialer_config();
  Libp2pConfig lc = listener_config();
  dc.negotiate = false;
  lc.negotiate = false;
  Side d = dialer(dc);
  Side l = listener(lc);
  EXPECT_EQ(d.conn.pending_transmit(), 2u + 32u);
  EXPECT_EQ(l.conn.pending_transmit(), 0u);
  pump(d, l);
  EXPECT_EQ(d.conn.state(), Libp2pState::kEstablished);
  EXPECT_EQ(l.conn.state(), Libp2pState::kEstablished);
}

TEST_F(Libp2pConnectionTest, NoCommonMuxerOrNoListIsNoMuxer) {
  std::vector<std::string_view> other = {"/other/1.0.0"};
  Libp2pConfig lc = listener_config();
  lc.stream_muxers = other;
  Side d = dialer(dialer_config());
  Side l = listener(lc);
  pump(d, l);
  ASSERT_EQ(d.conn.state(), Libp2pState::kEstablished);
  EXPECT_EQ(d.conn.stream_muxer(), "");
  EXPECT_EQ(l.conn.stream_muxer(), "");
  Libp2pConfig dc = dialer_config();
  dc.stream_muxers = {};
  Side d2 = dialer(dc);
  Side l2 = listener(listener_config());
  pump(d2, l2);
  ASSERT_EQ(l2.conn.state(), Libp2pState::kEstablished);
  EXPECT_EQ(l2.conn.stream_muxer(), "");
}

TEST_F(Libp2pConnectionTest, TheDialerRefusesAnotherPeerThanTheExpectedOne) {
  Libp2pConfig dc = dialer_config();
  dc.expected_peer = stranger_identity_.public_key();
  Side d = dialer(dc);
  Side l = listener(listener_config());
  pump(d, l);
  EXPECT_EQ(d.conn.error(), Error::kPeerNotAllowed);
  EXPECT_EQ(d.completed, 0);
  EXPECT_EQ(d.conn.peer_identity(), nullptr);
  // The dialer stops before its third message: the listener never completes.
  EXPECT_NE(l.conn.state(), Libp2pState::kEstablished);
}

TEST_F(Libp2pConnectionTest, TheListenerRefusesAPeerOffItsAllowList) {
  const std::vector<PublicKey> allowed = {stranger_identity_.public_key()};
  Libp2pConfig lc = listener_config();
  lc.allowed_peers = allowed;
  Side d = dialer(dialer_config());
  Side l = listener(lc);
  pump(d, l);
  EXPECT_EQ(l.conn.error(), Error::kPeerNotAllowed);
  EXPECT_EQ(l.completed, 0);
  const std::vector<PublicKey> both = {stranger_identity_.public_key(),
                                       dialer_identity_.public_key()};
  lc.allowed_peers = both;
  Side d2 = dialer(dialer_config());
  Side l2 = listener(lc);
  pump(d2, l2);
  EXPECT_EQ(l2.conn.state(), Libp2pState::kEstablished);
}

// Every byte of every handshake message, flipped, makes the side that reads it fail
// (and the other side never completes with it).
TEST_F(Libp2pConnectionTest, AFlippedByteInAnyHandshakeMessageFailsTheReader) {
  for (int message = 0; message < 3; ++message) {
    Libp2pConfig dc = dialer_config();
    Libp2pConfig lc = listener_config();
    dc.negotiate = lc.negotiate = false;
    // Message sizes with no muxers: 32; 32+48+payload+16; 48+payload+16.
    for (std::size_t at = 2;; at += 7) {
      Side d = dialer(dc);
      Side l = listener(lc);
      Bytes m1 = d.take();
      if (message == 0) {
        if (at >= m1.size()) break;
        m1[at] ^= 0x01;
      }
      l.feed(m1);
      Bytes m2 = l.take();
      if (message == 0) {
        // -> e is not authenticated until the listener's next message: the dialer fails.
        d.feed(m2);
        EXPECT_NE(d.conn.error(), Error::kNone) << message << " " << at;
        continue;
      }
      if (message == 1) {
        if (at >= m2.size()) break;
        m2[at] ^= 0x01;
      }
      d.feed(m2);
      if (message == 1) {
        EXPECT_EQ(d.conn.error(), Error::kAuthenticationFailed) << at;
        EXPECT_EQ(d.completed, 0);
        continue;
      }
      Bytes m3 = d.take();
      if (at >= m3.size()) break;
      m3[at] ^= 0x01;
      l.feed(m3);
      EXPECT_EQ(l.conn.error(), Error::kAuthenticationFailed) << at;
      EXPECT_EQ(l.completed, 0);
    }
  }
}

TEST_F(Libp2pConnectionTest, TheDialerFailsWhenTheListenerSaysNa) {
  Side d = dialer(dialer_config());
  (void)d.take();
  const std::string answer = "\x13/multistream/1.0.0\n\x03na\n";
  d.feed(Bytes(answer.begin(), answer.end()));
  EXPECT_EQ(d.conn.error(), Error::kProtocolNotSupported);
}

TEST_F(Libp2pConnectionTest, TheListenerAnswersNaThenAcceptsNoise) {
  Side l = listener(listener_config());
  EXPECT_EQ(l.take().size(), 20u);  // its header, sent at once
  const std::string proposals = "\x13/multistream/1.0.0\n\x06/tls1\n\x07/noise\n";
  l.feed(Bytes(proposals.begin(), proposals.end()));
  const Bytes answer = l.take();
  EXPECT_EQ(std::string(answer.begin(), answer.end()), "\x03na\n\x07/noise\n");
  EXPECT_EQ(l.conn.state(), Libp2pState::kHandshake);
}

TEST_F(Libp2pConnectionTest, TheListenerBoundsRefusedProposals) {
  Side l = listener(listener_config());
  std::string proposals = "\x13/multistream/1.0.0\n";
  for (int i = 0; i < 9; ++i) proposals += "\x05/tls\n";
  l.feed(Bytes(proposals.begin(), proposals.end()));
  EXPECT_EQ(l.conn.error(), Error::kMalformedMessage);
}

TEST_F(Libp2pConnectionTest, AWrongHeaderIsMalformed) {
  Side l = listener(listener_config());
  const std::string header = "\x13/multistream/2.0.0\n";
  l.feed(Bytes(header.begin(), header.end()));
  EXPECT_EQ(l.conn.error(), Error::kMalformedMessage);
  Side d = dialer(dialer_config());
  const std::string over = "\x81\x08";  // a length of 1025
  d.feed(Bytes(over.begin(), over.end()));
  EXPECT_EQ(d.conn.error(), Error::kMalformedMessage);
}

TEST_F(Libp2pConnectionTest, EndOfStreamBetweenMessagesIsReportedNotData) {
  Side d = dialer(dialer_config());
  Side l = listener(listener_config());
  pump(d, l);
  ASSERT_EQ(d.conn.send(pattern(100, 4)), Error::kNone);
  pump(d, l);
  l.feed({});
  EXPECT_EQ(l.ended, 1);
  EXPECT_EQ(l.conn.state(), Libp2pState::kPeerEnded);
  EXPECT_EQ(l.received.size(), 100u);
  // Sending goes on after the peer's end; receiving more is an error.
  EXPECT_EQ(l.conn.send(pattern(5, 5)), Error::kNone);
  l.feed(Bytes{0, 1});
  EXPECT_EQ(l.conn.error(), Error::kDataAfterClose);
}

TEST_F(Libp2pConnectionTest, EndOfStreamInsideAMessageIsTruncated) {
  Side d = dialer(dialer_config());
  Side l = listener(listener_config());
  pump(d, l);
  ASSERT_EQ(d.conn.send(pattern(100, 4)), Error::kNone);
  Bytes wire = d.take();
  wire.pop_back();
  l.feed(wire);
  EXPECT_TRUE(l.received.empty());
  l.feed({});
  EXPECT_EQ(l.conn.error(), Error::kTruncated);
  EXPECT_EQ(l.ended, 0);
}

TEST_F(Libp2pConnectionTest, EndOfStreamDuringTheHandshakeIsConnectionClosed) {
  Side d = dialer(dialer_config());
  d.feed({});
  EXPECT_EQ(d.conn.error(), Error::kConnectionClosed);
}

TEST_F(Libp2pConnectionTest, ATamperedTransportMessageFails) {
  Side d = dialer(dialer_config());
  Side l = listener(listener_config());
  pump(d, l);
  ASSERT_EQ(d.conn.send(pattern(100, 4)), Error::kNone);
  Bytes wire = d.take();
  wire[50] ^= 0x80;
  l.feed(wire);
  EXPECT_EQ(l.conn.error(), Error::kFrameAuthFailed);
  EXPECT_TRUE(l.received.empty());
  EXPECT_EQ(l.conn.send(pattern(1, 1)), Error::kWrongState);
}

TEST_F(Libp2pConnectionTest, TheHandshakeHasADeadline) {
  Side d = dialer(dialer_config());
  ASSERT_TRUE(d.conn.poll_timeout());
  EXPECT_EQ(*d.conn.poll_timeout(), kStart + Duration(10'000));
  d.conn.handle_timeout(kStart + Duration(9'999));
  EXPECT_EQ(d.conn.error(), Error::kNone);
  d.conn.handle_timeout(kStart + Duration(10'000));
  EXPECT_EQ(d.conn.error(), Error::kTimeout);
  EXPECT_EQ(d.conn.pending_transmit(), 0u);
}

TEST_F(Libp2pConnectionTest, SendIsRefusedBeforeTheHandshakeAfterCloseAndOverTheBound) {
  Libp2pConfig dc = dialer_config();
  dc.max_pending_output = 2 + 65535;
  Side d = dialer(dc);
  Side l = listener(listener_config());
  EXPECT_EQ(d.conn.send(pattern(1, 1)), Error::kWrongState);
  EXPECT_EQ(d.conn.close(), Error::kWrongState);
  pump(d, l);
  EXPECT_EQ(d.conn.send(pattern(65520, 1)), Error::kSendBufferFull);
  EXPECT_EQ(d.conn.state(), Libp2pState::kEstablished);  // not terminal
  EXPECT_EQ(d.conn.send(pattern(65519, 1)), Error::kNone);
  EXPECT_EQ(d.conn.close(), Error::kNone);
  EXPECT_EQ(d.conn.send(pattern(1, 1)), Error::kAlreadyClosed);
  pump(d, l);
  EXPECT_EQ(l.received.size(), 65519u);
}

TEST_F(Libp2pConnectionTest, AnUnusableConfigFailsTheConnection) {
  Libp2pConfig c = dialer_config();
  c.identity = nullptr;
  EXPECT_EQ(Libp2pConnection::dialer(c, kStart).error(), Error::kInvalidArgument);
  c = dialer_config();
  c.static_key = nullptr;
  EXPECT_EQ(Libp2pConnection::listener(c, kStart).error(), Error::kInvalidArgument);
  c = dialer_config();
  std::vector<std::string_view> empty_name = {""};
  c.stream_muxers = empty_name;
  EXPECT_EQ(Libp2pConnection::dialer(c, kStart).error(), Error::kInvalidArgument);
  c = dialer_config();
  std::vector<std::string_view> many(kLibp2pMaxStreamMuxers + 1, "/m");
  c.stream_muxers = many;
  EXPECT_EQ(Libp2pConnection::dialer(c, kStart).error(), Error::kInvalidArgument);
  c = dialer_config();
  c.max_pending_output = 1000;
  Libp2pConnection failed = Libp2pConnection::dialer(c, kStart);
  EXPECT_EQ(failed.error(), Error::kInvalidArgument);
  EXPECT_EQ(failed.state(), Libp2pState::kFailed);
  EXPECT_EQ(failed.handle_bytes(Bytes{1}, kStart).error, Error::kInvalidArgument);
}

TEST_F(Libp2pConnectionTest, TheStaticKeyIsX25519OfItsPrivateKey) {
  // RFC 7748 section 6.1: Alice's private key and public key.
  const auto priv =
      *testing::from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const Libp2pStaticKey key =
      Libp2pStaticKey::from_private_key(std::span<const std::uint8_t, 32>(priv.data(), 32));
  EXPECT_EQ(testing::to_hex(key.public_key()),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  DeterministicRandom r1(1), r2(1);
  EXPECT_EQ(Libp2pStaticKey::generate(r1)->public_key(),
            Libp2pStaticKey::generate(r2)->public_key());
}

}  // namespace
}  // namespace p2pnet
