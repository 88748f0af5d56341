// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// loop_conversation_tests.h: the event-loop test suite, written once over a Harness
// (uv_harness.h, asio_harness.h) and instantiated per loop in uv_loop_test.cc and
// asio_loop_test.cc. Every test runs real TCP over loopback with both ends on the
// same loop, under a guard that aborts everything after a few seconds, so a test can
// fail but never hang.
#ifndef P2PNET_TESTS_LOOPS_LOOP_CONVERSATION_TESTS_H_
#define P2PNET_TESTS_LOOPS_LOOP_CONVERSATION_TESTS_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include "loop_peers.h"
#include "p2pnet/internal/messages.h"
#include "p2pnet/random.h"
#include "pair.h"

namespace p2pnet::loops {

// Every test ends well within this; the guard only matters when something is broken.
inline constexpr Duration kGuard{8'000};
// Short handshake deadline for the tests that wait for it.
inline constexpr Duration kShortDeadline{300};
// The engine's clock counts whole milliseconds (time.h), so a deadline may fire up
// to a millisecond before the test's nanosecond clock says it is due; allow two.
inline constexpr Duration kClockGrain{2};
// A deadline that fires later than this after it is due counts as not firing.
inline constexpr Duration kDeadlineSlack{2'000};

template <typename Harness>
class LoopConversationTest : public ::testing::Test {
 protected:
  using Conn = typename Harness::Conn;
  using Callbacks = typename Harness::Callbacks;
  using Options = typename Harness::Options;

  Identity client_id = testing::identity_from_byte(1);
  Identity server_id = testing::identity_from_byte(2);
  Identity stranger_id = testing::identity_from_byte(9);
  Harness loop;
  PeerState client;
  PeerState server;

  ClientConfig client_config() const {
    ClientConfig config;
    config.identity = &client_id;
    config.expected_server = server_id.public_key();
    return config;
  }
  ServerConfig server_config() const {
    ServerConfig config;
    config.identity = &server_id;
    return config;
  }
  Callbacks peer(PeerState& state) { return echo_peer<Conn, Callbacks>(state); }
};

TYPED_TEST_SUITE_P(LoopConversationTest);

// The main path: handshake, greetings echoed both ways, close_notify both ways.
TYPED_TEST_P(LoopConversationTest, HandshakeEchoBothWaysAndCleanClose) {
  this->client.script = {{to_bytes("from client 1"), to_bytes("from client 2")}, 1, true};
  this->server.script = {{to_bytes("from server")}, 2, false};
  const ClientConfig cc = this->client_config();
  const ServerConfig sc = this->server_config();
  const std::uint16_t port = this->loop.serve(sc, this->peer(this->server));
  ASSERT_TRUE(this->loop.connect(port, cc, this->peer(this->client)));
  ASSERT_TRUE(this->loop.run(kGuard)) << "the loop did not finish on its own";

  for (const PeerState* side : {&this->client, &this->server}) {
    const Observed& seen = side->seen;
    EXPECT_TRUE(seen.established);
    EXPECT_FALSE(seen.error.has_value()) << error_name(*seen.error);
    EXPECT_EQ(seen.error_calls, 0);
    EXPECT_TRUE(seen.send_errors.empty());
    EXPECT_EQ(seen.closed_calls, 1);
    EXPECT_EQ(seen.final_state, "Closed");
    EXPECT_TRUE(seen.sent_close);
    EXPECT_TRUE(seen.peer_closed);
  }
  ASSERT_TRUE(this->client.seen.peer.has_value());
  ASSERT_TRUE(this->server.seen.peer.has_value());
  EXPECT_EQ(*this->client.seen.peer, this->server_id.public_key());
  EXPECT_EQ(*this->server.seen.peer, this->client_id.public_key());
  EXPECT_EQ(this->client.seen.session_key.size(), 32u);
  EXPECT_EQ(this->client.seen.session_key, this->server.seen.session_key);
  EXPECT_FALSE(std::ranges::all_of(this->client.seen.session_key, [](auto b) { return b == 0; }));

  // Order within each direction is the stream's order; the interleaving of greetings
  // and echoes across directions is not fixed, so compare as sets per kind.
  // As text: g++ 12 at -O3 misreads sorting std::vector<std::uint8_t> as an overread
  // (-Wstringop-overread), a false positive.
  auto sorted = [](const std::vector<Bytes>& v) {
    std::vector<std::string> text;
    text.reserve(v.size());
    for (const Bytes& b : v) text.emplace_back(b.begin(), b.end());
    std::ranges::sort(text);
    return text;
  };
  EXPECT_EQ(
      sorted(this->server.seen.messages),
      sorted({to_bytes("from client 1"), to_bytes("from client 2"), to_bytes("echo:from server")}));
  EXPECT_EQ(sorted(this->client.seen.messages),
            sorted({to_bytes("from server"), to_bytes("echo:from client 1"),
                    to_bytes("echo:from client 2")}));
}

// Messages far larger than one read or one write, more of them than the engine's send
// buffer holds: the sender must wait for on_drain, the receiver re-offers partial
// input, and the echoing server is never refused a send because reading pauses while
// its backlog is large.
TYPED_TEST_P(LoopConversationTest, LargeMessagesCrossManyReadsAndWaitForDrain) {
  constexpr std::size_t kMessages = 8;
  constexpr std::size_t kSize = std::size_t{512} << 10;
  DeterministicRandom random(7);
  std::vector<Bytes> greetings(kMessages, Bytes(kSize));
  for (Bytes& g : greetings) ASSERT_TRUE(random.fill(g));
  this->client.script = {greetings, 0, true};
  this->server.script = {{}, kMessages, false};
  const ClientConfig cc = this->client_config();
  const ServerConfig sc = this->server_config();
  const std::uint16_t port = this->loop.serve(sc, this->peer(this->server));
  ASSERT_TRUE(this->loop.connect(port, cc, this->peer(this->client)));
  ASSERT_TRUE(this->loop.run(kGuard)) << "the loop did not finish on its own";

  EXPECT_GT(this->client.seen.send_buffer_full, 0u) << "the test never filled the send buffer";
  EXPECT_EQ(this->server.seen.send_buffer_full, 0u);
  EXPECT_TRUE(this->client.seen.send_errors.empty());
  EXPECT_TRUE(this->server.seen.send_errors.empty());
  ASSERT_EQ(this->server.seen.messages.size(), kMessages);
  ASSERT_EQ(this->client.seen.messages.size(), kMessages);
  for (std::size_t i = 0; i < kMessages; ++i) {
    EXPECT_TRUE(this->server.seen.messages[i] == greetings[i]) << "message " << i;
    Bytes echo = to_bytes(kEchoPrefix);
    echo.insert(echo.end(), greetings[i].begin(), greetings[i].end());
    EXPECT_TRUE(this->client.seen.messages[i] == echo) << "echo " << i;
  }
  EXPECT_EQ(this->client.seen.final_state, "Closed");
  EXPECT_EQ(this->server.seen.final_state, "Closed");
}

// Many small requests arrive in one read, and each is answered with a large reply:
// the server must stop offering input to the engine between messages once its
// backlog passes max_write_backlog, or one read's worth of replies overflows the
// engine's send buffer (kSendBufferFull) and its pending output grows with the read.
TYPED_TEST_P(LoopConversationTest, ManySmallRequestsWithLargeRepliesStayBounded) {
  constexpr std::size_t kRequests = 100;
  constexpr std::size_t kReplyPadding = std::size_t{64} << 10;
  std::vector<Bytes> greetings;
  for (std::size_t i = 0; i < kRequests; ++i) {
    // Not "q" + std::to_string(i): g++ 12 at -O3 reports that as overlapping memcpy
    // (-Wrestrict), a false positive.
    Bytes greeting = to_bytes(std::to_string(i));
    greeting.insert(greeting.begin(), 'q');
    greetings.push_back(std::move(greeting));
  }
  this->client.script = {greetings, 0, true};
  this->server.script = {{}, kRequests, false, kReplyPadding};
  const ClientConfig cc = this->client_config();
  const ServerConfig sc = this->server_config();
  const std::uint16_t port = this->loop.serve(sc, this->peer(this->server));
  ASSERT_TRUE(this->loop.connect(port, cc, this->peer(this->client)));
  ASSERT_TRUE(this->loop.run(kGuard)) << "the loop did not finish on its own";

  EXPECT_EQ(this->client.seen.echoes_received, kRequests);
  EXPECT_EQ(this->server.seen.greetings_received, kRequests);
  EXPECT_EQ(this->server.seen.send_buffer_full, 0u);
  EXPECT_TRUE(this->server.seen.send_errors.empty());
  // Over the bound by at most the one reply that crossed it.
  const std::size_t largest_reply_frame = kEchoPrefix.size() + 3 + kReplyPadding + kFrameOverhead;
  EXPECT_LE(this->server.seen.peak_pending_output,
            typename TestFixture::Options{}.max_write_backlog + largest_reply_frame);
  EXPECT_EQ(this->client.seen.final_state, "Closed");
  EXPECT_EQ(this->server.seen.final_state, "Closed");
}

// The client expects another server: it refuses the ServerHello with Error 0x03, and
// the server learns why.
TYPED_TEST_P(LoopConversationTest, WrongServerIdentityFailsBothSides) {
  ClientConfig cc = this->client_config();
  cc.expected_server = this->stranger_id.public_key();
  const ServerConfig sc = this->server_config();
  const std::uint16_t port = this->loop.serve(sc, this->peer(this->server));
  ASSERT_TRUE(this->loop.connect(port, cc, this->peer(this->client)));
  ASSERT_TRUE(this->loop.run(kGuard)) << "the loop did not finish on its own";

  EXPECT_EQ(this->client.seen.error, Error::kPeerNotAllowed);
  EXPECT_EQ(this->server.seen.error, Error::kPeerAbortNotAccepted);
  for (const PeerState* side : {&this->client, &this->server}) {
    EXPECT_FALSE(side->seen.established);
    EXPECT_FALSE(side->seen.transport_failed) << "the engine, not the socket, should fail";
    EXPECT_EQ(side->seen.error_calls, 1);
    EXPECT_EQ(side->seen.closed_calls, 1);
  }
}

// The server's allow-list does not hold the client.
TYPED_TEST_P(LoopConversationTest, ClientNotOnAllowListFailsBothSides) {
  const ClientConfig cc = this->client_config();
  ServerConfig sc = this->server_config();
  const PublicKey allowed[] = {this->stranger_id.public_key()};
  sc.allowed_clients = std::span<const PublicKey>(allowed);
  const std::uint16_t port = this->loop.serve(sc, this->peer(this->server));
  ASSERT_TRUE(this->loop.connect(port, cc, this->peer(this->client)));
  ASSERT_TRUE(this->loop.run(kGuard)) << "the loop did not finish on its own";

  EXPECT_EQ(this->server.seen.error, Error::kPeerNotAllowed);
  EXPECT_EQ(this->client.seen.error, Error::kPeerAbortNotAccepted);
  EXPECT_FALSE(this->client.seen.established);
  EXPECT_FALSE(this->server.seen.established);
  EXPECT_EQ(this->client.seen.closed_calls, 1);
  EXPECT_EQ(this->server.seen.closed_calls, 1);
}

// A server that accepts and never answers: the client's handshake deadline fires
// through the loop timer, and the silent peer receives Error 0x04 then EOF.
TYPED_TEST_P(LoopConversationTest, HandshakeDeadlineFiresAgainstSilentServer) {
  ClientConfig cc = this->client_config();
  cc.handshake_timeout = kShortDeadline;
  const std::uint16_t port = this->loop.serve_silently();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(this->loop.connect(port, cc, this->peer(this->client)));
  ASSERT_TRUE(this->loop.run(kGuard)) << "the loop did not finish on its own";
  const auto elapsed = std::chrono::steady_clock::now() - start;

  EXPECT_EQ(this->client.seen.error, Error::kTimeout);
  EXPECT_FALSE(this->client.seen.transport_failed);
  EXPECT_EQ(this->client.seen.closed_calls, 1);
  EXPECT_GE(elapsed, kShortDeadline - kClockGrain);
  EXPECT_LT(elapsed, kShortDeadline + kDeadlineSlack);
  // What the silent server saw: the ClientHello, then Error(timeout), then EOF.
  ASSERT_EQ(this->loop.raw_received().size(), kClientHelloSize + kErrorMessageSize);
  const ByteSpan tail = ByteSpan(this->loop.raw_received()).subspan(kClientHelloSize);
  const auto error = parse_error_message(tail);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, WireErrorCode::kTimeout);
  EXPECT_TRUE(this->loop.raw_saw_eof());
}

// A client that connects and never sends its ClientHello: the server's deadline fires
// and the client receives Error 0x04 then EOF.
TYPED_TEST_P(LoopConversationTest, HandshakeDeadlineFiresAgainstSilentClient) {
  ServerConfig sc = this->server_config();
  sc.handshake_timeout = kShortDeadline;
  const std::uint16_t port = this->loop.serve(sc, this->peer(this->server));
  const auto start = std::chrono::steady_clock::now();
  this->loop.connect_silently(port);
  ASSERT_TRUE(this->loop.run(kGuard)) << "the loop did not finish on its own";
  const auto elapsed = std::chrono::steady_clock::now() - start;

  EXPECT_EQ(this->server.seen.error, Error::kTimeout);
  EXPECT_EQ(this->server.seen.closed_calls, 1);
  EXPECT_GE(elapsed, kShortDeadline - kClockGrain);
  EXPECT_LT(elapsed, kShortDeadline + kDeadlineSlack);
  const auto error = parse_error_message(this->loop.raw_received());
  ASSERT_TRUE(error.has_value()) << this->loop.raw_received().size() << " bytes received";
  EXPECT_EQ(error->code, WireErrorCode::kTimeout);
  EXPECT_TRUE(this->loop.raw_saw_eof());
}

// Nothing listens: the connect fails, reported as a transport failure, which the
// engine sees as a stream that ended during the handshake.
TYPED_TEST_P(LoopConversationTest, RefusedConnectIsReportedOnce) {
  const ClientConfig cc = this->client_config();
  const std::uint16_t port = this->loop.closed_port();
  ASSERT_TRUE(this->loop.connect(port, cc, this->peer(this->client)));
  ASSERT_TRUE(this->loop.run(kGuard)) << "the loop did not finish on its own";

  EXPECT_EQ(this->client.seen.error, Error::kConnectionClosed);
  EXPECT_TRUE(this->client.seen.transport_failed);
  EXPECT_EQ(this->client.seen.error_calls, 1);
  EXPECT_EQ(this->client.seen.closed_calls, 1);
  EXPECT_FALSE(this->client.seen.established);
}

// Duration::max() as close_timeout means "no limit": now + close_timeout saturates
// (issue 10 item 8) instead of overflowing into a deadline in the past, which would
// cut the clean close with a timeout error (and is undefined behaviour: UBSan aborts
// the sanitize build).
TYPED_TEST_P(LoopConversationTest, CloseTimeoutOfDurationMaxMeansNoLimit) {
  this->client.script = {{to_bytes("before the close")}, 1, true};
  this->server.script = {{to_bytes("from server")}, 1, false};
  typename TestFixture::Options options;
  options.close_timeout = Duration::max();
  const ClientConfig cc = this->client_config();
  const ServerConfig sc = this->server_config();
  const std::uint16_t port = this->loop.serve(sc, this->peer(this->server), options);
  ASSERT_TRUE(this->loop.connect(port, cc, this->peer(this->client), options));
  ASSERT_TRUE(this->loop.run(kGuard)) << "the loop did not finish on its own";

  for (const PeerState* side : {&this->client, &this->server}) {
    EXPECT_FALSE(side->seen.error.has_value()) << error_name(*side->seen.error);
    EXPECT_FALSE(side->seen.transport_failed);
    EXPECT_EQ(side->seen.closed_calls, 1);
    EXPECT_EQ(side->seen.final_state, "Closed");
  }
}

// A config the engine rejects: connect refuses at once and calls nothing back; a
// server with a bad config accepts and closes each connection, and its client learns
// that the stream ended during the handshake.
TYPED_TEST_P(LoopConversationTest, InvalidConfigsAreRefusedWithoutCallbacks) {
  ClientConfig no_identity = this->client_config();
  no_identity.identity = nullptr;
  ServerConfig bad_server = this->server_config();
  bad_server.handshake_timeout = Duration{0};
  PeerState refused;
  const std::uint16_t port = this->loop.serve(bad_server, this->peer(this->server));
  EXPECT_FALSE(this->loop.connect(port, no_identity, this->peer(refused)));
  ASSERT_TRUE(this->loop.connect(port, this->client_config(), this->peer(this->client)));
  ASSERT_TRUE(this->loop.run(kGuard)) << "the loop did not finish on its own";

  EXPECT_EQ(refused.seen.error_calls, 0);
  EXPECT_EQ(refused.seen.closed_calls, 0);
  EXPECT_EQ(this->loop.refused_accepts(), 1);
  EXPECT_EQ(this->server.seen.closed_calls, 0);
  EXPECT_EQ(this->client.seen.error, Error::kConnectionClosed);
  EXPECT_EQ(this->client.seen.error_calls, 1);
  EXPECT_EQ(this->client.seen.closed_calls, 1);
}

REGISTER_TYPED_TEST_SUITE_P(LoopConversationTest, HandshakeEchoBothWaysAndCleanClose,
                            LargeMessagesCrossManyReadsAndWaitForDrain,
                            ManySmallRequestsWithLargeRepliesStayBounded,
                            WrongServerIdentityFailsBothSides, ClientNotOnAllowListFailsBothSides,
                            HandshakeDeadlineFiresAgainstSilentServer,
                            HandshakeDeadlineFiresAgainstSilentClient, RefusedConnectIsReportedOnce,
                            CloseTimeoutOfDurationMaxMeansNoLimit,
                            InvalidConfigsAreRefusedWithoutCallbacks);

}  // namespace p2pnet::loops

#endif  // P2PNET_TESTS_LOOPS_LOOP_CONVERSATION_TESTS_H_
