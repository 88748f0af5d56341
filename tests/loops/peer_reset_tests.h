// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// peer_reset_tests.h: no peer may raise SIGPIPE in the process that embeds a loop
// adapter (docs/event-loops.md, "SIGPIPE"). A raw peer (raw_peer.h) ends the stream
// with FIN and then RST at each step of the handshake, and once established, always
// at a moment when our side still has something to write: the reply the peer's last
// message calls for, or a large message the peer never reads (so the write waits in
// the loop for room when the reset arrives). On Linux, a socket that received FIN and
// then RST fails its next write with EPIPE, and a write without MSG_NOSIGNAL raises
// SIGPIPE, whose default action ends the process. The test keeps SIGPIPE at that
// default, so a write that raises it kills the test; surviving, the adapter must
// report the failure once (on_error) and close (on_closed).
//
// Written once over a Harness (uv_harness.h, asio_harness.h) and instantiated per
// loop in uv_loop_test.cc and asio_loop_test.cc.
#ifndef P2PNET_TESTS_LOOPS_PEER_RESET_TESTS_H_
#define P2PNET_TESTS_LOOPS_PEER_RESET_TESTS_H_

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "loop_peers.h"
#include "p2pnet/internal/messages.h"
#include "pair.h"
#include "raw_peer.h"

namespace p2pnet::loops {

// How often each step is repeated: the outcome must not depend on timing.
inline constexpr int kResetRounds = 20;
// In the kWhileWriting steps our side sends kFloodMessages messages of
// kFloodMessageSize bytes to a peer that reads none: 16 MiB, far more than the socket
// buffers between the two ends hold with the peer's small receive window (a few MiB on
// loopback), so our side is still writing when the reset arrives. The same buffer is
// sent each time, and only what fits is ever sealed.
inline constexpr std::size_t kFloodMessages = 32;
inline constexpr std::size_t kFloodMessageSize = std::size_t{512} << 10;
inline constexpr int kSmallReceiveWindow = 4096;
// Turns of the loop without progress after which our side's writes count as stalled:
// one message takes kFloodMessageSize / 64 KiB (the adapters' write chunk) writes, and
// a turn completes at most one.
inline constexpr int kStallTurns = 200;
// Bound on each wait; only a broken adapter or test reaches it.
inline constexpr Duration kResetGuard{8'000};
// Between two turns of the loop the test waits this long for bytes to move.
inline constexpr Duration kPollPause{1};

// Where the raw client resets the connection to our server.
enum class ServerStep {
  kBeforeClientHello,  // our server has nothing to say
  kAfterClientHello,   // its ServerHello is due
  kAfterKeyExchange,   // its Accept is due
  kAfterMessage,       // established: the echo of the client's message is due
  kWhileWriting,       // established: a large message waits for room to be written
};
// Where the raw server resets the connection from our client.
enum class ClientStep {
  kAfterTcpAccept,    // its ClientHello may still be due
  kAfterServerHello,  // its KeyExchange is due
  kAfterAccept,       // established: its greeting is due
  kWhileWriting,      // established: a large message waits for room to be written
};

inline const char* step_name(ServerStep step) {
  switch (step) {
    case ServerStep::kBeforeClientHello: return "server, reset before ClientHello";
    case ServerStep::kAfterClientHello: return "server, reset after ClientHello";
    case ServerStep::kAfterKeyExchange: return "server, reset after KeyExchange";
    case ServerStep::kAfterMessage: return "server, reset after a message";
    case ServerStep::kWhileWriting: return "server, reset while it writes";
  }
  return "?";
}

inline const char* step_name(ClientStep step) {
  switch (step) {
    case ClientStep::kAfterTcpAccept: return "client, reset after the TCP accept";
    case ClientStep::kAfterServerHello: return "client, reset after ServerHello";
    case ClientStep::kAfterAccept: return "client, reset after Accept";
    case ClientStep::kWhileWriting: return "client, reset while it writes";
  }
  return "?";
}

// Flood: our side's output in the kWhileWriting steps, as callbacks that wrap the echo
// peer's: once established, and at each on_drain, send |message| until the connection
// refuses one for lack of room or all kFloodMessages are sent.
struct Flood {
  Bytes message = Bytes(kFloodMessageSize, 0x5a);
  std::size_t left = kFloodMessages;
};

template <typename Conn, typename Callbacks>
Callbacks flooding_peer(PeerState& state, Flood& flood) {
  Callbacks callbacks = echo_peer<Conn, Callbacks>(state);
  auto send_more = [&state, &flood](Conn& conn) {
    while (flood.left > 0) {
      const Error error = conn.send(flood.message);
      if (error == Error::kSendBufferFull) {
        ++state.seen.send_buffer_full;
        return;  // on_drain resumes
      }
      if (error != Error::kNone) {
        state.seen.send_errors.push_back(error);
        return;
      }
      --flood.left;
    }
  };
  callbacks.on_established = [established = callbacks.on_established, send_more](Conn& conn) {
    established(conn);
    send_more(conn);
  };
  callbacks.on_drain = send_more;
  return callbacks;
}

// announce names the step about to run on stderr: when a write raises SIGPIPE, the
// process ends without a test failure to read, and this line says where it was.
inline void announce(const char* step) {
  std::cerr << "[ STEP     ] " << step << " (" << kResetRounds << " rounds)" << std::endl;
}

// sigpipe_disposition is the process's current SIGPIPE handler (SIG_DFL, SIG_IGN or a
// function), read without changing it.
inline void (*sigpipe_disposition())(int) {
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) != 0) return nullptr;
  return current.sa_handler;
}

template <typename Harness>
class PeerResetTest : public ::testing::Test {
 protected:
  using Conn = typename Harness::Conn;
  using Callbacks = typename Harness::Callbacks;

  Identity client_id = testing::identity_from_byte(1);
  Identity server_id = testing::identity_from_byte(2);

  void SetUp() override {
    // The test process is the embedder here. A parent (a shell, a CI runner) may hand
    // SIGPIPE down ignored, which would hide the failure this test looks for; the
    // default action (end the process) is what the library must never trigger.
    if (sigpipe_disposition() == SIG_IGN) ::signal(SIGPIPE, SIG_DFL);
    ASSERT_EQ(sigpipe_disposition(), SIG_DFL);
  }
  void TearDown() override {
    EXPECT_EQ(sigpipe_disposition(), SIG_DFL) << "something changed the SIGPIPE disposition";
  }

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

  // callbacks_for: the echo peer, or the flooding one in the kWhileWriting steps.
  Callbacks callbacks_for(bool flooding, PeerState& state, Flood& flood) {
    return flooding ? flooding_peer<Conn, Callbacks>(state, flood)
                    : echo_peer<Conn, Callbacks>(state);
  }

  // drive runs the loop until |done| holds; while |raw| is given, it also sends what the
  // raw engine has queued and feeds it what arrives. False (with a test failure) on a
  // broken socket or after kResetGuard.
  template <typename Done>
  bool drive(Harness& loop, RawSocket* raw, RawHandshake* raw_engine, Done done) {
    const auto deadline = std::chrono::steady_clock::now() + kResetGuard;
    for (;;) {
      if (raw != nullptr && !raw_engine->flush(*raw)) {
        ADD_FAILURE() << "the raw peer could not send";
        return false;
      }
      if (done()) return true;
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "gave up waiting after " << kResetGuard.count() << " ms";
        return false;
      }
      loop.poll();
      if (raw != nullptr) {
        raw->wait_for_input(kPollPause);  // the loop's output, if any comes
        raw_engine->take_input(*raw);
      } else {
        pause();
      }
    }
  }

  // wait_until_stalled turns the loop until our side has handed no message of |flood|
  // to its connection for kStallTurns turns in a row: its writes then wait for room in
  // the socket, the peer's window and our send buffer being full. False (with a test
  // failure) if all of it went out, or after kResetGuard.
  bool wait_until_stalled(Harness& loop, const Flood& flood) {
    const auto deadline = std::chrono::steady_clock::now() + kResetGuard;
    std::size_t last = flood.left;
    for (int still = 0; still < kStallTurns; ++still) {
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "our side kept writing for " << kResetGuard.count() << " ms";
        return false;
      }
      loop.poll();
      if (flood.left != last) {
        last = flood.left;
        still = 0;
      }
    }
    if (flood.left == 0) ADD_FAILURE() << "the socket buffers took the whole flood";
    return flood.left > 0;
  }

  // pause lets the kernel move bytes between the two ends between turns of the loop.
  static void pause() { std::this_thread::sleep_for(kPollPause); }

  // expect_reported: our side survived; it heard of the failure once, then closed.
  void expect_reported(const PeerState& side, bool established, Error error) {
    const Observed& seen = side.seen;
    EXPECT_EQ(seen.established, established);
    EXPECT_EQ(seen.error_calls, 1);
    ASSERT_TRUE(seen.error.has_value());
    EXPECT_EQ(*seen.error, error) << error_name(*seen.error);
    EXPECT_EQ(seen.closed_calls, 1);
  }

  void run_server_round(ServerStep step);
  void run_client_round(ClientStep step);
};

TYPED_TEST_SUITE_P(PeerResetTest);

template <typename Harness>
void PeerResetTest<Harness>::run_server_round(ServerStep step) {
  Harness loop;
  PeerState server;
  Flood flood;
  const ServerConfig sc = server_config();
  const std::uint16_t port =
      loop.serve(sc, callbacks_for(step == ServerStep::kWhileWriting, server, flood));
  RawSocket raw =
      RawSocket::connect_to(port, step == ServerStep::kWhileWriting ? kSmallReceiveWindow : 0);
  ASSERT_TRUE(raw.valid());
  RawHandshake client(Connection::client(client_config(), Instant{0}));
  Connection& engine = client.engine();
  auto exchange_until = [&](auto done) { return drive(loop, &raw, &client, done); };
  auto run_until = [&](auto done) { return drive(loop, nullptr, nullptr, done); };

  switch (step) {
    case ServerStep::kBeforeClientHello: break;
    case ServerStep::kAfterClientHello: ASSERT_TRUE(client.flush(raw)); break;
    case ServerStep::kAfterKeyExchange:
      ASSERT_TRUE(exchange_until([&] { return client.consumed() >= kServerHelloSize; }));
      break;
    case ServerStep::kAfterMessage:
      ASSERT_TRUE(exchange_until([&] { return engine.is_established(); }));
      ASSERT_EQ(engine.send(to_bytes("ping")), Error::kNone);
      ASSERT_TRUE(client.flush(raw));
      break;
    case ServerStep::kWhileWriting:
      ASSERT_TRUE(exchange_until([&] { return engine.is_established(); }));
      // From here on the raw client reads nothing: our server's writes stall.
      ASSERT_TRUE(run_until([&] { return server.seen.send_buffer_full > 0; }));
      ASSERT_TRUE(wait_until_stalled(loop, flood));
      break;
  }
  raw.reset_after_fin();
  ASSERT_TRUE(run_until([&] { return server.seen.closed; }));

  switch (step) {
    case ServerStep::kBeforeClientHello:
    case ServerStep::kAfterClientHello:
      expect_reported(server, false, Error::kConnectionClosed);
      break;
    case ServerStep::kAfterKeyExchange:
    case ServerStep::kAfterMessage:
    case ServerStep::kWhileWriting: expect_reported(server, true, Error::kTruncated); break;
  }
}

template <typename Harness>
void PeerResetTest<Harness>::run_client_round(ClientStep step) {
  Harness loop;
  RawListener listener;
  ASSERT_TRUE(listener.valid());
  PeerState client;
  client.script.greetings = {to_bytes("hello")};
  Flood flood;
  ASSERT_TRUE(loop.connect(listener.port(), client_config(),
                           callbacks_for(step == ClientStep::kWhileWriting, client, flood)));
  auto run_until = [&](auto done) { return drive(loop, nullptr, nullptr, done); };
  std::optional<RawSocket> accepted;
  ASSERT_TRUE(run_until([&] {
    accepted = listener.try_accept();
    return accepted.has_value();
  }));
  RawSocket raw = std::move(*accepted);
  RawHandshake server(Connection::server(server_config(), Instant{0}));
  auto exchange_until = [&](auto done) { return drive(loop, &raw, &server, done); };

  switch (step) {
    case ClientStep::kAfterTcpAccept: break;
    case ClientStep::kAfterServerHello:
      ASSERT_TRUE(exchange_until([&] { return server.consumed() >= kClientHelloSize; }));
      break;
    case ClientStep::kAfterAccept:
      ASSERT_TRUE(exchange_until([&] { return server.engine().is_established(); }));
      break;
    case ClientStep::kWhileWriting:
      ASSERT_TRUE(exchange_until([&] { return server.engine().is_established(); }));
      ASSERT_TRUE(run_until([&] { return client.seen.send_buffer_full > 0; }));
      ASSERT_TRUE(wait_until_stalled(loop, flood));
      break;
  }
  raw.reset_after_fin();
  ASSERT_TRUE(run_until([&] { return client.seen.closed; }));

  switch (step) {
    case ClientStep::kAfterTcpAccept:
    case ClientStep::kAfterServerHello:
      expect_reported(client, false, Error::kConnectionClosed);
      break;
    case ClientStep::kAfterAccept:
    case ClientStep::kWhileWriting: expect_reported(client, true, Error::kTruncated); break;
  }
}

TYPED_TEST_P(PeerResetTest, ServerSurvivesPeerResetAtEveryHandshakeStep) {
  for (const ServerStep step :
       {ServerStep::kBeforeClientHello, ServerStep::kAfterClientHello,
        ServerStep::kAfterKeyExchange, ServerStep::kAfterMessage, ServerStep::kWhileWriting}) {
    announce(step_name(step));
    for (int round = 0; round < kResetRounds; ++round) {
      SCOPED_TRACE(std::string(step_name(step)) + ", round " + std::to_string(round));
      this->run_server_round(step);
      ASSERT_FALSE(this->HasFailure());
    }
  }
}

TYPED_TEST_P(PeerResetTest, ClientSurvivesPeerResetAtEveryHandshakeStep) {
  for (const ClientStep step : {ClientStep::kAfterTcpAccept, ClientStep::kAfterServerHello,
                                ClientStep::kAfterAccept, ClientStep::kWhileWriting}) {
    announce(step_name(step));
    for (int round = 0; round < kResetRounds; ++round) {
      SCOPED_TRACE(std::string(step_name(step)) + ", round " + std::to_string(round));
      this->run_client_round(step);
      ASSERT_FALSE(this->HasFailure());
    }
  }
}

// The frame deadline (issue 21 item 2) is the engine's, so the loop adapters enforce
// it with the timer they arm for the handshake: a raw client that completes its
// handshake, then sends the first bytes of a frame and nothing more, is cut when
// ServerConfig::channel.frame_timeout has passed.
TYPED_TEST_P(PeerResetTest, ServerCutsAFrameLeftUnfinishedAtItsDeadline) {
  constexpr Duration kFrameTimeout{300};
  TypeParam loop;
  PeerState server;
  Flood unused;
  ServerConfig sc = this->server_config();
  sc.channel.frame_timeout = kFrameTimeout;
  const std::uint16_t port = loop.serve(sc, this->callbacks_for(false, server, unused));
  RawSocket raw = RawSocket::connect_to(port);
  ASSERT_TRUE(raw.valid());
  RawHandshake client(Connection::client(this->client_config(), Instant{0}));
  ASSERT_TRUE(this->drive(loop, &raw, &client, [&] { return client.engine().is_established(); }));
  const std::uint8_t started[] = {0x00, 0x00, 0x00, 0x10, 0xAB};  // 16 bytes announced, 1 sent
  ASSERT_TRUE(raw.send_all(started));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(this->drive(loop, nullptr, nullptr, [&] { return server.seen.error.has_value(); }));
  EXPECT_GE(std::chrono::steady_clock::now() - start, kFrameTimeout - Duration{20});
  // Our side now waits for the peer to leave (its close_timeout): it does.
  raw.reset_after_fin();
  ASSERT_TRUE(this->drive(loop, nullptr, nullptr, [&] { return server.seen.closed; }));
  this->expect_reported(server, true, Error::kFrameTimeout);
}

REGISTER_TYPED_TEST_SUITE_P(PeerResetTest, ServerSurvivesPeerResetAtEveryHandshakeStep,
                            ClientSurvivesPeerResetAtEveryHandshakeStep,
                            ServerCutsAFrameLeftUnfinishedAtItsDeadline);

}  // namespace p2pnet::loops

#endif  // P2PNET_TESTS_LOOPS_PEER_RESET_TESTS_H_
