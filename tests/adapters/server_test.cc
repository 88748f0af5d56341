// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// server_test.cc: the non-blocking server and the blocking client over loopback,
// against good clients and against clients that are wrong, slow, hostile or gone.
// Each test asserts on what a peer observes (bytes, errors, time) and on the server's
// own counters (handshakes, buffered bytes), never on log text.
#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <latch>

#include "loopback.h"
#include "p2pnet/internal/key_schedule.h"
#include "p2pnet/internal/messages.h"
#include "pair.h"

namespace p2pnet::testing {
namespace {

using net::StatusCode;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GE(sodium_init(), 0); }

  net::ServerOptions options() {
    net::ServerOptions o;
    o.identity = &server_identity_;
    return o;
  }
  ClientConfig client_config() {
    ClientConfig c;
    c.identity = &client_identity_;
    c.expected_server = server_identity_.public_key();
    return c;
  }

  Identity server_identity_ = identity_from_byte(0x51);
  Identity client_identity_ = identity_from_byte(0xC1);
  Identity other_identity_ = identity_from_byte(0x07);
};

TEST_F(ServerTest, HandshakeAndEcho) {
  RunningServer server(options());
  net::Socket socket;
  std::unique_ptr<net::BlockingSession> session;
  const net::Status s = client_session(server.port(), client_config(), &socket, &session);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(session->peer_identity(), server_identity_.public_key());
  std::string error;
  for (const std::string& text :
       std::vector<std::string>{"first", "second message", std::string(100'000, 'x')}) {
    EXPECT_TRUE(echo_once(*session, text, &error)) << error;
  }
  // Clean close both ways: our close_notify, then the server's.
  ASSERT_TRUE(session->close(net::deadline_after(kTestDeadline)).ok());
  ByteSpan none;
  EXPECT_EQ(session->receive(&none, net::deadline_after(kTestDeadline)).code(),
            StatusCode::kPeerClosed);
  ASSERT_TRUE(server.wait_for([](const net::ServerStats& st) { return st.sessions_closed == 1; }));
  EXPECT_EQ(server.session_end_codes(), std::vector<StatusCode>{StatusCode::kPeerClosed});
  const net::ServerStats st = server.stats();
  EXPECT_EQ(st.handshakes_completed, 1u);
  EXPECT_EQ(st.messages_received, 3u);
  EXPECT_EQ(st.buffered_bytes, 0u);
}

// Workers (10_secure_server --workers N): N servers, each its own loop on its own
// thread, share one port through SO_REUSEPORT and all serve at the same time.
TEST_F(ServerTest, WorkersSharingAPortAllServeAtOnce) {
  net::ServerOptions o = options();
  o.reuse_port = true;
  if (!net::reuse_port_supported()) {
    std::unique_ptr<net::Server> server;
    net::ServerHandler handler;
    EXPECT_EQ(net::Server::create(&server, o, handler, "127.0.0.1", 0).code(),
              StatusCode::kInvalidArgument);
    GTEST_SKIP() << "no SO_REUSEPORT on this platform";
  }
  constexpr int kWorkers = 4;
  constexpr std::size_t kClients = 48;
  o.max_handshakes_per_address = kClients;
  std::vector<std::unique_ptr<RunningServer>> workers;
  workers.push_back(std::make_unique<RunningServer>(o));
  for (int w = 1; w < kWorkers; ++w)
    workers.push_back(std::make_unique<RunningServer>(o, workers[0]->port()));

  // Every client stays connected, so the sessions are open on all workers at once.
  std::vector<net::Socket> sockets(kClients);
  std::vector<std::unique_ptr<net::BlockingSession>> sessions(kClients);
  for (std::size_t i = 0; i < kClients; ++i) {
    const net::Status s =
        client_session(workers[0]->port(), client_config(), &sockets[i], &sessions[i]);
    ASSERT_TRUE(s.ok()) << "client " << i << ": " << s.message();
  }
  std::uint64_t completed = 0;
  for (const auto& worker : workers) {
    EXPECT_TRUE(worker->wait_for([](const net::ServerStats& st) { return st.active_sessions > 0; }))
        << "a worker got no connection";
    completed += worker->stats().handshakes_completed;
  }
  EXPECT_EQ(completed, static_cast<std::uint64_t>(kClients));
  std::string error;
  for (std::size_t i = 0; i < kClients; ++i) {
    EXPECT_TRUE(echo_once(*sessions[i], "to whichever worker " + std::to_string(i), &error))
        << error;
  }
  std::size_t open = 0;
  for (const auto& worker : workers) open += worker->stats().active_sessions;
  EXPECT_EQ(open, kClients);
}

// Issue 21 item 7: workers number their connections W.N, so the ids in a log they
// share (the log hook's connection id) never repeat.
TEST_F(ServerTest, WorkersGiveEveryConnectionAnIdOfItsOwn) {
  class IdRecorder final : public net::ServerHandler {
   public:
    void on_accepted(net::ConnectionId id, const std::string&) override { ids.push_back(id); }
    std::vector<net::ConnectionId> ids;
  };
  constexpr unsigned kWorkers = 3;
  std::vector<IdRecorder> recorders(kWorkers);
  std::vector<std::unique_ptr<net::Server>> servers(kWorkers);
  for (unsigned w = 0; w < kWorkers; ++w) {
    net::ServerOptions o = options();
    o.worker = w + 1;
    ASSERT_TRUE(net::Server::create(&servers[w], o, recorders[w], "127.0.0.1", 0).ok());
  }
  std::vector<net::Socket> sockets;
  for (unsigned w = 0; w < kWorkers; ++w) {
    for (int i = 0; i < 2; ++i) {
      sockets.push_back(connect_raw(servers[w]->port()));
      while (recorders[w].ids.size() < static_cast<std::size_t>(i) + 1) {
        ASSERT_TRUE(servers[w]->run_once(kTestDeadline).ok());
      }
    }
  }
  std::vector<std::string> texts;
  for (const IdRecorder& recorder : recorders) {
    for (const net::ConnectionId id : recorder.ids) texts.push_back(net::connection_id_text(id));
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"1.1", "1.2", "2.1", "2.2", "3.1", "3.2"}));
  // A lone server (worker 0) keeps plain numbers; a worker out of range is refused.
  EXPECT_EQ(net::connection_id_text(7), "7");
  net::ServerOptions o = options();
  o.worker = net::kMaxWorker + 1;
  std::unique_ptr<net::Server> refused;
  IdRecorder unused;
  EXPECT_EQ(net::Server::create(&refused, o, unused, "127.0.0.1", 0).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ServerTest, WrongServerIdentityIsRejectedByTheClient) {
  RunningServer server(options());
  ClientConfig config = client_config();
  config.expected_server = other_identity_.public_key();
  net::Socket socket;
  std::unique_ptr<net::BlockingSession> session;
  const net::Status s = client_session(server.port(), config, &socket, &session);
  EXPECT_EQ(s.code(), StatusCode::kEngine);
  EXPECT_EQ(s.engine_error(), Error::kPeerNotAllowed);
  EXPECT_EQ(session, nullptr);
  ASSERT_TRUE(
      server.wait_for([](const net::ServerStats& st) { return st.handshakes_failed == 1; }));
  // The client said why (Error 0x03) before leaving, without sending KeyExchange.
  EXPECT_EQ(server.handshake_failures(), std::vector<Error>{Error::kPeerAbortNotAccepted});
  EXPECT_EQ(server.stats().handshakes_completed, 0u);
}

TEST_F(ServerTest, ClientNotOnTheAllowListIsRefused) {
  net::ServerOptions o = options();
  o.allowed_clients = std::vector<PublicKey>{other_identity_.public_key()};
  RunningServer server(o);
  net::Socket socket;
  std::unique_ptr<net::BlockingSession> session;
  const net::Status s = client_session(server.port(), client_config(), &socket, &session);
  EXPECT_EQ(s.engine_error(), Error::kPeerAbortNotAccepted) << s.message();
  ASSERT_TRUE(
      server.wait_for([](const net::ServerStats& st) { return st.handshakes_failed == 1; }));
  EXPECT_EQ(server.handshake_failures(), std::vector<Error>{Error::kPeerNotAllowed});

  // The allowed identity still gets in.
  ClientConfig allowed = client_config();
  allowed.identity = &other_identity_;
  net::Socket socket2;
  EXPECT_TRUE(client_session(server.port(), allowed, &socket2, &session).ok());
}

// A raw peer that runs the client side by hand and signs wrongly.
enum class BadSignature { kFlippedBit, kPlanLiteralContent, kOtherKey };

class InvalidSignatureTest : public ServerTest,
                             public ::testing::WithParamInterface<BadSignature> {};

TEST_P(InvalidSignatureTest, KeyExchangeWithABadSignatureFailsAuthentication) {
  RunningServer server(options());
  net::Socket socket = connect_raw(server.port());

  std::array<std::uint8_t, kClientHelloSize> hello{};
  ByteWriter hello_writer(hello);
  ASSERT_TRUE(write_client_hello(hello_writer, ClientHello{client_identity_.public_key()}));
  ASSERT_TRUE(send_all(socket, hello));
  const Bytes server_hello_bytes = receive_exactly(socket, kServerHelloSize);
  const auto server_hello = parse_server_hello(server_hello_bytes);
  ASSERT_TRUE(server_hello.has_value());

  Secret<kX25519KeySize> eph_secret;
  randombytes_buf(eph_secret.data(), eph_secret.kSize);
  const EphemeralKeyPair eph = ephemeral_from_secret(std::move(eph_secret));
  Transcript t;
  t.client_id = client_identity_.public_key();
  t.server_id = server_hello->server_id;
  t.challenge = server_hello->challenge;
  t.client_eph = eph.public_key;
  Signature signature{};
  switch (GetParam()) {
    case BadSignature::kFlippedBit:
      signature = client_identity_.sign(client_signed_content(t).span());
      signature[10] ^= 0x01;
      break;
    case BadSignature::kPlanLiteralContent: {
      // The original design's signed data (challenge || eph, docs/protocol.md
      // "Signatures"): protocol-v1 must reject it.
      Bytes content(t.challenge.begin(), t.challenge.end());
      content.insert(content.end(), t.client_eph.begin(), t.client_eph.end());
      signature = client_identity_.sign(content);
      break;
    }
    case BadSignature::kOtherKey:
      signature = other_identity_.sign(client_signed_content(t).span());
      break;
  }
  std::array<std::uint8_t, kKeyExchangeSize> exchange{};
  ByteWriter exchange_writer(exchange);
  ASSERT_TRUE(write_key_exchange(exchange_writer, KeyExchange{eph.public_key, signature}));
  ASSERT_TRUE(send_all(socket, exchange));

  // The server answers Error 0x02 (authentication failed) and closes.
  const Bytes reply = receive_exactly(socket, kErrorMessageSize);
  ASSERT_EQ(reply.size(), kErrorMessageSize);
  EXPECT_EQ(reply[0], 0xFF);
  EXPECT_EQ(reply[1], 0x02);
  EXPECT_TRUE(wait_for_end(socket));
  ASSERT_TRUE(
      server.wait_for([](const net::ServerStats& st) { return st.handshakes_failed == 1; }));
  EXPECT_EQ(server.handshake_failures(), std::vector<Error>{Error::kAuthenticationFailed});
  EXPECT_EQ(server.stats().handshakes_completed, 0u);
}

INSTANTIATE_TEST_SUITE_P(Signatures, InvalidSignatureTest,
                         ::testing::Values(BadSignature::kFlippedBit,
                                           BadSignature::kPlanLiteralContent,
                                           BadSignature::kOtherKey));

// Issue 21 item 10: 200 clients from one address (127.0.0.1: a load test, or users
// behind one NAT) at the same moment, to an idle server with the default bounds. The
// per-address share bites only when the table is more than half full, so all are
// served.
TEST_F(ServerTest, TwoHundredClientsFromOneAddressHandshakeAtOnceWithTheDefaults) {
  constexpr int kClients = 200;
  RunningServer server(options());
  std::atomic<int> succeeded{0};
  std::mutex errors_mutex;
  std::vector<std::string> errors;
  std::latch start(kClients);
  std::vector<std::thread> clients;
  clients.reserve(kClients);
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      const Identity me = identity_from_byte(static_cast<std::uint8_t>(i));
      ClientConfig config = client_config();
      config.identity = &me;
      start.arrive_and_wait();  // every client connects at the same moment
      net::Socket socket;
      std::unique_ptr<net::BlockingSession> session;
      const net::Status s = client_session(server.port(), config, &socket, &session);
      std::string error;
      if (s.ok() && echo_once(*session, "client " + std::to_string(i), &error)) {
        succeeded.fetch_add(1);
      } else {
        std::lock_guard lock(errors_mutex);
        errors.push_back(s.ok() ? error : s.message());
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(succeeded.load(), kClients) << (errors.empty() ? "" : errors.front());
  EXPECT_EQ(server.stats().handshakes_completed, static_cast<std::uint64_t>(kClients));
  EXPECT_EQ(server.stats().refused, 0u);
}

TEST_F(ServerTest, StalledHandshakeIsCutAtTheDeadlineWhileOthersAreServed) {
  net::ServerOptions o = options();
  o.handshake_timeout = Duration{600};
  RunningServer server(o);

  // Half a ClientHello, then silence.
  net::Socket staller = connect_raw(server.port());
  std::array<std::uint8_t, kClientHelloSize> hello{};
  ByteWriter writer(hello);
  ASSERT_TRUE(write_client_hello(writer, ClientHello{client_identity_.public_key()}));
  const auto started = net::Clock::now();
  ASSERT_TRUE(send_all(staller, ByteSpan(hello).first(10)));

  // Meanwhile other clients get through.
  for (int i = 0; i < 5; ++i) {
    net::Socket socket;
    std::unique_ptr<net::BlockingSession> session;
    ASSERT_TRUE(client_session(server.port(), client_config(), &socket, &session).ok());
    std::string error;
    EXPECT_TRUE(echo_once(*session, "while another stalls", &error)) << error;
  }

  // The staller is told "timeout" (Error 0x04) and cut off at about the deadline.
  const Bytes reply = receive_exactly(staller, kErrorMessageSize);
  const auto elapsed = net::Clock::now() - started;
  ASSERT_EQ(reply.size(), kErrorMessageSize);
  EXPECT_EQ(reply[0], 0xFF);
  EXPECT_EQ(reply[1], 0x04);
  EXPECT_TRUE(wait_for_end(staller));
  EXPECT_GE(elapsed, std::chrono::milliseconds(550));
  EXPECT_LT(elapsed, std::chrono::milliseconds(5000));
  ASSERT_TRUE(
      server.wait_for([](const net::ServerStats& st) { return st.handshakes_timed_out == 1; }));
  EXPECT_EQ(server.stats().handshakes_completed, 5u);
}

TEST_F(ServerTest, ClientLeavingAfterEveryByteCountOfTheHandshakeLeavesTheServerHealthy) {
  RunningServer server(options());
  constexpr std::size_t kClientBytes = kClientHelloSize + kKeyExchangeSize;
  std::uint64_t ended = 0;
  for (std::size_t n = 0; n <= kClientBytes; ++n) {
    SCOPED_TRACE("bytes sent: " + std::to_string(n));
    net::Socket socket = connect_raw(server.port());
    // The server takes the connection before the client leaves, so each count tests a
    // connection it serves. A reset that came sooner would test the listen queue,
    // where Winsock drops the connection before the server ever sees it (see
    // AConnectionResetInTheListenQueueDoesNotHoldUpTheNextOne).
    ASSERT_TRUE(
        server.wait_for([&](const net::ServerStats& st) { return st.accepted == ended + 1; }));
    ClientConfig config = client_config();
    Connection client = Connection::client(config, net::engine_now());
    const Bytes client_hello = take_output(client);
    ASSERT_EQ(client_hello.size(), kClientHelloSize);
    ASSERT_TRUE(send_all(socket, ByteSpan(client_hello).first(std::min(n, kClientHelloSize))));
    if (n > kClientHelloSize) {
      const Bytes server_hello = receive_exactly(socket, kServerHelloSize);
      Inbox inbox;
      ASSERT_EQ(feed(client, server_hello, net::engine_now(), inbox), Error::kNone);
      const Bytes key_exchange = take_output(client);
      ASSERT_EQ(key_exchange.size(), kKeyExchangeSize);
      ASSERT_TRUE(send_all(socket, ByteSpan(key_exchange).first(n - kClientHelloSize)));
    }
    // Leave: a FIN for even counts, a reset for odd ones.
    if (n % 2 == 0) {
      socket.close();
    } else {
      reset_close(socket);
    }
    ++ended;
    ASSERT_TRUE(server.wait_for([&](const net::ServerStats& st) {
      return st.handshakes_failed + st.sessions_closed == ended && st.active_handshakes == 0 &&
             st.active_sessions == 0;
    })) << "server did not settle";
  }
  // Every count but the last leaves mid-handshake; the last completes it first.
  EXPECT_EQ(server.stats().handshakes_failed, kClientBytes);
  EXPECT_EQ(server.stats().handshakes_completed, 1u);
  EXPECT_EQ(server.stats().buffered_bytes, 0u);

  net::Socket socket;
  std::unique_ptr<net::BlockingSession> session;
  ASSERT_TRUE(client_session(server.port(), client_config(), &socket, &session).ok());
  std::string error;
  EXPECT_TRUE(echo_once(*session, "still healthy", &error)) << error;
}

// A client that resets its connection while it still waits in the listen queue: Linux
// hands the dead connection to accept, but Winsock drops it there, and accept fails for
// it (WSAECONNRESET on Windows; WSAENOTCONN under wine). Either way the listener is
// fine, so the connection queued behind it is accepted in the same pass, not after the
// back-off the server takes when accepting fails (e.g. out of descriptors).
TEST_F(ServerTest, AConnectionResetInTheListenQueueDoesNotHoldUpTheNextOne) {
  struct Accepted final : net::ServerHandler {
    void on_accepted(net::ConnectionId, const std::string& address) override {
      addresses.push_back(address);
    }
    std::vector<std::string> addresses;
  } handler;
  std::unique_ptr<net::Server> server;
  ASSERT_TRUE(net::Server::create(&server, options(), handler, "127.0.0.1", 0).ok());
  // The server does not run while both connect: a loopback connect completes in the
  // listen queue, and the reset reaches the queued connection before anyone accepts it.
  net::Socket gone = connect_raw(server->port());
  reset_close(gone);
  net::Socket next = connect_raw(server->port());
  std::uint16_t next_port = 0;
  ASSERT_TRUE(net::local_port(next, &next_port).ok());

  ASSERT_TRUE(server->run_once(kTestDeadline).ok());
  const std::string next_address = "127.0.0.1:" + std::to_string(next_port);
  EXPECT_NE(std::find(handler.addresses.begin(), handler.addresses.end(), next_address),
            handler.addresses.end())
      << "the connection behind the reset one was not accepted in the first pass ("
      << handler.addresses.size() << " accepted)";
}

TEST_F(ServerTest, TenMegabytesOfRandomBytesAreRejectedQuicklyWithBoundedBuffers) {
  RunningServer server(options());
  Bytes garbage(10u << 20);
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    DeterministicRandom random(seed);
    ASSERT_TRUE(random.fill(garbage));
    const std::uint64_t failed_before = server.stats().handshakes_failed;
    const auto started = net::Clock::now();
    net::Socket socket = connect_raw(server.port());
    (void)send_all(socket, garbage, Duration{5'000});  // the server cuts us off partway
    EXPECT_TRUE(wait_for_end(socket, Duration{5'000}));
    ASSERT_TRUE(server.wait_for(
        [&](const net::ServerStats& st) { return st.handshakes_failed == failed_before + 1; }));
    EXPECT_LT(net::Clock::now() - started, std::chrono::seconds(5));
  }
  const net::ServerStats st = server.stats();
  std::printf(
      "3 x 10 MB of garbage: server read %llu bytes in all, peak per-connection buffer %zu bytes\n",
      static_cast<unsigned long long>(st.bytes_received), st.peak_connection_buffered);
  // The server read at most a few 16 KiB reads per connection before closing, and
  // never held more than one read's worth for any connection.
  EXPECT_LT(st.bytes_received, 3u * (1u << 20)) << "server kept reading garbage";
  EXPECT_LE(st.peak_connection_buffered, 16u * 1024);
  EXPECT_EQ(st.buffered_bytes, 0u);
  EXPECT_EQ(st.active_handshakes, 0u);
  const std::vector<Error> failures = server.handshake_failures();
  for (const Error e : failures) {
    EXPECT_TRUE(e == Error::kMalformedMessage || e == Error::kAuthenticationFailed)
        << error_name(e);
  }
}

TEST_F(ServerTest, ClientThatNeverReadsIsThrottledAndOthersAreServed) {
  net::ServerOptions o = options();
  o.max_message_size = 64 * 1024;
  RunningServer server(o);
  ClientConfig config = client_config();
  config.channel.max_message_size = o.max_message_size;
  net::Socket flooder_socket;
  std::unique_ptr<net::BlockingSession> flooder;
  ASSERT_TRUE(client_session(server.port(), config, &flooder_socket, &flooder).ok());

  // Send until the server stops reading and TCP fills up: a send then times out.
  const Bytes chunk(o.max_message_size, 0x5A);
  int sent = 0;
  for (; sent < 4000; ++sent) {
    if (!flooder->send(chunk, net::deadline_after(Duration{1'000})).ok()) break;
  }
  EXPECT_LT(sent, 4000) << "the server never pushed back";

  // The flooder's backlog is capped...
  const std::size_t limit = 2 * (o.max_message_size + kFrameOverhead) + 2 * 16 * 1024;
  std::printf(
      "flooder: %d x 64 KiB sent before the server pushed back; peak per-connection buffer %zu "
      "bytes (limit %zu)\n",
      sent, server.stats().peak_connection_buffered, limit);
  EXPECT_LE(server.stats().peak_connection_buffered, limit);
  // ...and another client is served while it is stuck.
  net::Socket socket;
  std::unique_ptr<net::BlockingSession> session;
  ASSERT_TRUE(client_session(server.port(), client_config(), &socket, &session).ok());
  std::string error;
  EXPECT_TRUE(echo_once(*session, "not disturbed", &error)) << error;

  reset_close(flooder_socket);
  ASSERT_TRUE(server.wait_for([](const net::ServerStats& st) { return st.sessions_closed == 1; }));
  EXPECT_EQ(server.session_end_codes(), std::vector<StatusCode>{StatusCode::kConnectionClosed});
}

// expect_overload_and_end: the server said Error 0x06 (overload) and closed.
void expect_overload_and_end(const net::Socket& socket) {
  const Bytes reply = receive_exactly(socket, kErrorMessageSize);
  ASSERT_EQ(reply.size(), kErrorMessageSize);
  EXPECT_EQ(reply[0], 0xFF);
  EXPECT_EQ(reply[1], 0x06);
  EXPECT_TRUE(wait_for_end(socket));
}

TEST_F(ServerTest, HandshakesOverTheAddressShareAreRefusedWithOverload) {
  net::ServerOptions o = options();
  o.max_handshakes = 4;
  o.max_handshakes_per_address = 2;
  o.per_address_limits_above = 0;  // the share applies always, not only under pressure
  RunningServer server(o);
  // With two addresses in a table of 4, each address's share is 2.
  net::Socket other = connect_from("127.0.0.3", server.port());
  net::Socket first = connect_raw(server.port());
  net::Socket second = connect_raw(server.port());
  ASSERT_TRUE(
      server.wait_for([](const net::ServerStats& st) { return st.active_handshakes == 3; }));
  net::Socket third = connect_raw(server.port());
  expect_overload_and_end(third);
  EXPECT_EQ(server.stats().refused, 1u);
  EXPECT_EQ(server.stats().refused_per_address, 1u);

  // Another address is not affected...
  net::Socket socket;
  std::unique_ptr<net::BlockingSession> session;
  ASSERT_TRUE(
      client_session_from("127.0.0.2", server.port(), client_config(), &socket, &session).ok());
  // ...and once a slot of 127.0.0.1 frees up, its handshakes go through again.
  first.close();
  ASSERT_TRUE(
      server.wait_for([](const net::ServerStats& st) { return st.active_handshakes == 2; }));
  net::Socket socket2;
  EXPECT_TRUE(client_session(server.port(), client_config(), &socket2, &session).ok());
  EXPECT_EQ(server.stats().handshakes_evicted, 0u);
}

// A full table evicts the oldest handshake of the address with the most (issue 21
// item 8): a ClientHello costs nothing, so it earns no protection, and a lone client
// waiting a round trip for its KeyExchange is kept while another address holds more,
// even when it is the oldest in the table. (The policy before it protected the
// handshakes past their ClientHello, oldest last: here it evicted the honest client.)
TEST_F(ServerTest, FullHandshakeTableEvictsTheOldestOfTheLargestShareNotTheNewcomer) {
  net::ServerOptions o = options();
  o.max_handshakes = 4;
  RunningServer server(o);
  // Table: |honest| from 127.0.0.2 past its ClientHello (the oldest), then three
  // connections from 127.0.0.1 past theirs too (a ClientHello is free to send).
  net::Socket honest = connect_from("127.0.0.2", server.port());
  ASSERT_TRUE(honest.valid());
  Connection client = Connection::client(client_config(), net::engine_now());
  ASSERT_TRUE(send_all(honest, take_output(client)));
  const Bytes server_hello = receive_exactly(honest, kServerHelloSize);
  ASSERT_EQ(server_hello.size(), kServerHelloSize);
  Connection flood_client = Connection::client(client_config(), net::engine_now());
  const Bytes flood_hello = take_output(flood_client);
  std::vector<net::Socket> flood;
  for (int i = 0; i < 3; ++i) {
    flood.push_back(connect_raw(server.port()));
    ASSERT_TRUE(send_all(flood.back(), flood_hello));
    ASSERT_EQ(receive_exactly(flood.back(), kServerHelloSize).size(), kServerHelloSize);
  }
  ASSERT_EQ(server.stats().active_handshakes, 4u);

  // Newcomers from two other addresses find the table full: 127.0.0.1's oldest goes
  // each time, not the newcomer and not the honest client.
  net::Socket third = connect_from("127.0.0.3", server.port());
  expect_overload_and_end(flood[0]);
  ASSERT_TRUE(server.wait_for([](const net::ServerStats& st) {
    return st.handshakes_evicted == 1 && st.active_handshakes == 4;
  }));
  net::Socket fourth = connect_from("127.0.0.4", server.port());
  expect_overload_and_end(flood[1]);
  ASSERT_TRUE(server.wait_for([](const net::ServerStats& st) {
    return st.handshakes_evicted == 2 && st.active_handshakes == 4;
  }));

  // |honest| was never disturbed: it finishes its handshake.
  Inbox inbox;
  ASSERT_EQ(feed(client, server_hello, net::engine_now(), inbox), Error::kNone);
  ASSERT_TRUE(send_all(honest, take_output(client)));
  const Bytes accept = receive_exactly(honest, kAcceptSize);
  ASSERT_EQ(feed(client, accept, net::engine_now(), inbox), Error::kNone);
  EXPECT_TRUE(client.is_established());
  ASSERT_TRUE(
      server.wait_for([](const net::ServerStats& st) { return st.handshakes_completed == 1; }));
  const net::ServerStats st = server.stats();
  EXPECT_EQ(st.refused, 0u);
  EXPECT_EQ(st.handshakes_failed, 2u);
  EXPECT_EQ(server.handshake_failure_codes(),
            (std::vector<StatusCode>{StatusCode::kOverloaded, StatusCode::kOverloaded}));
}

TEST_F(ServerTest, AConnectionBoundFullWithAHandshakeEvictsItNotTheNewcomer) {
  net::ServerOptions o = options();
  o.max_connections = 2;
  RunningServer server(o);
  net::Socket session_socket;
  std::unique_ptr<net::BlockingSession> session;
  ASSERT_TRUE(client_session(server.port(), client_config(), &session_socket, &session).ok());
  net::Socket silent = connect_raw(server.port());
  ASSERT_TRUE(
      server.wait_for([](const net::ServerStats& st) { return st.active_handshakes == 1; }));

  // Both connections are taken; the silent handshake makes room, the session stays.
  net::Socket socket;
  std::unique_ptr<net::BlockingSession> newcomer;
  ASSERT_TRUE(
      client_session_from("127.0.0.2", server.port(), client_config(), &socket, &newcomer).ok());
  expect_overload_and_end(silent);
  std::string error;
  EXPECT_TRUE(echo_once(*session, "the session stays", &error)) << error;
  EXPECT_TRUE(echo_once(*newcomer, "the newcomer is served", &error)) << error;
  const net::ServerStats st = server.stats();
  EXPECT_EQ(st.handshakes_evicted, 1u);
  EXPECT_EQ(st.refused, 0u);

  // Now both are sessions: nothing can be evicted, so the next one is refused.
  net::Socket third = connect_raw(server.port());
  expect_overload_and_end(third);
  EXPECT_EQ(server.stats().refused, 1u);
  EXPECT_EQ(server.stats().active_sessions, 2u);
}

// Issue 10 item 3: "256 silent sockets lock every client out of the socket server".
// Silent connections (connected, never a byte) from one source address, then a real
// client from another: it must complete its handshake and an echo.
constexpr int kSilentSockets = 300;

TEST_F(ServerTest, ThreeHundredSilentSocketsFromOneAddressDoNotLockOutAnotherClient) {
  RunningServer server(options());
  std::vector<net::Socket> silent;
  silent.reserve(kSilentSockets);
  for (int i = 0; i < kSilentSockets; ++i) {
    silent.push_back(connect_from("127.0.0.2", server.port()));
    ASSERT_TRUE(silent.back().valid());
  }
  ASSERT_TRUE(
      server.wait_for([](const net::ServerStats& st) { return st.accepted == kSilentSockets; }));

  net::Socket socket;
  std::unique_ptr<net::BlockingSession> session;
  const net::Status s =
      client_session_from("127.0.0.3", server.port(), client_config(), &socket, &session);
  ASSERT_TRUE(s.ok()) << s.message();
  std::string error;
  EXPECT_TRUE(echo_once(*session, "through the flood", &error)) << error;

  // 127.0.0.2, alone, could fill the table (its share is all of it while no other
  // address competes); the rest of it was refused, over its share of a full table.
  // The client made room by evicting 127.0.0.2's oldest, and completed.
  const net::ServerStats st = server.stats();
  const std::size_t table = net::ServerOptions().max_handshakes;
  EXPECT_EQ(st.active_handshakes, table - 1);
  EXPECT_EQ(st.refused_per_address, kSilentSockets - table);
  EXPECT_EQ(st.refused, kSilentSockets - table);
  EXPECT_EQ(st.handshakes_evicted, 1u);
  EXPECT_EQ(st.handshakes_completed, 1u);
}

// The same flood spread over 200 addresses (127.0.0.2 .. 127.0.0.201), each under the
// per-address cap, with a second wave arriving while the real client tries. The
// client (127.0.0.3, itself one of the flooding addresses) gets at most kMaxTries.
TEST_F(ServerTest, ThreeHundredSilentSocketsFromTwoHundredAddressesDoNotLockOutAClient) {
  constexpr int kAddresses = 200;
  constexpr int kSecondWave = 200;
  constexpr int kMaxTries = 5;
  const auto source = [](int i) { return "127.0.0." + std::to_string(2 + i % kAddresses); };
  RunningServer server(options());
  std::vector<net::Socket> silent;
  silent.reserve(kSilentSockets);
  for (int i = 0; i < kSilentSockets; ++i) {
    silent.push_back(connect_from(source(i), server.port()));
    ASSERT_TRUE(silent.back().valid());
  }
  ASSERT_TRUE(
      server.wait_for([](const net::ServerStats& st) { return st.accepted == kSilentSockets; }));

  std::vector<net::Socket> wave;
  wave.reserve(kSecondWave);
  std::thread flooder([&] {
    for (int i = 0; i < kSecondWave; ++i) wave.push_back(connect_from(source(i), server.port()));
  });
  int tries = 0;
  bool served = false;
  std::string last_error;
  while (!served && tries < kMaxTries) {
    ++tries;
    net::Socket socket;
    std::unique_ptr<net::BlockingSession> session;
    const net::Status s =
        client_session_from("127.0.0.3", server.port(), client_config(), &socket, &session);
    if (!s.ok()) {
      last_error = s.message();
      continue;
    }
    served = echo_once(*session, "through the spread flood", &last_error);
  }
  flooder.join();
  ASSERT_TRUE(served) << "not served in " << kMaxTries << " tries; last failure: " << last_error;

  // Every silent connection was admitted (no address reached its cap) and the table
  // stayed at its bound by evicting: the flood made room for itself and the client.
  ASSERT_TRUE(server.wait_for([&](const net::ServerStats& st) {
    return st.accepted == static_cast<std::uint64_t>(kSilentSockets + kSecondWave + tries);
  }));
  const net::ServerStats st = server.stats();
  const std::size_t table = net::ServerOptions().max_handshakes;
  EXPECT_EQ(st.refused, 0u);
  // Full, less the client's slot if it completed after the last silent one came in.
  EXPECT_LE(st.active_handshakes, table);
  EXPECT_GE(st.active_handshakes, table - 1);
  EXPECT_EQ(st.handshakes_completed, 1u);
  EXPECT_EQ(st.handshakes_failed, st.handshakes_evicted);
  EXPECT_EQ(st.handshakes_evicted + st.handshakes_completed + st.active_handshakes, st.accepted);
  EXPECT_GE(st.handshakes_evicted, kSilentSockets + kSecondWave - table);
  std::printf(
      "spread flood: %d + %d silent connections from %d addresses, %llu evicted; the client was "
      "served at try %d\n",
      kSilentSockets, kSecondWave, kAddresses,
      static_cast<unsigned long long>(st.handshakes_evicted), tries);
}

TEST_F(ServerTest, ResetAndTruncatedSessionsAreReportedAndForgotten) {
  RunningServer server(options());
  for (const bool reset : {true, false}) {
    net::Socket socket;
    std::unique_ptr<net::BlockingSession> session;
    ASSERT_TRUE(client_session(server.port(), client_config(), &socket, &session).ok());
    std::string error;
    ASSERT_TRUE(echo_once(*session, "then gone", &error)) << error;
    session.reset();
    if (reset) {
      reset_close(socket);
    } else {
      socket.close();  // FIN without close_notify: truncated
    }
  }
  ASSERT_TRUE(server.wait_for([](const net::ServerStats& st) { return st.sessions_closed == 2; }));
  EXPECT_EQ(server.session_end_codes(), (std::vector<StatusCode>{StatusCode::kConnectionClosed,
                                                                 StatusCode::kConnectionClosed}));
  EXPECT_EQ(server.stats().active_sessions, 0u);
  EXPECT_EQ(server.stats().buffered_bytes, 0u);
}

TEST_F(ServerTest, IdleSessionIsClosed) {
  net::ServerOptions o = options();
  o.idle_timeout = Duration{300};
  RunningServer server(o);
  net::Socket socket;
  std::unique_ptr<net::BlockingSession> session;
  ASSERT_TRUE(client_session(server.port(), client_config(), &socket, &session).ok());
  const auto started = net::Clock::now();
  ByteSpan message;
  const net::Status s = session->receive(&message, net::deadline_after(kTestDeadline));
  EXPECT_EQ(s.code(), StatusCode::kConnectionClosed) << s.message();
  EXPECT_GE(net::Clock::now() - started, std::chrono::milliseconds(250));
  ASSERT_TRUE(server.wait_for([](const net::ServerStats& st) { return st.sessions_closed == 1; }));
  EXPECT_EQ(server.session_end_codes(), std::vector<StatusCode>{StatusCode::kTimeout});
}

// Duration::max() as the idle timeout means "never idle": last_activity + idle_timeout
// saturates instead of overflowing (issue 10 item 8), so the session is neither cut at
// once nor undefined behaviour (UBSan aborts the sanitize build on signed overflow).
TEST_F(ServerTest, IdleTimeoutOfDurationMaxNeverClosesTheSession) {
  net::ServerOptions o = options();
  o.idle_timeout = Duration::max();
  RunningServer server(o);
  net::Socket socket;
  std::unique_ptr<net::BlockingSession> session;
  ASSERT_TRUE(client_session(server.port(), client_config(), &socket, &session).ok());
  std::string error;
  EXPECT_TRUE(echo_once(*session, "first", &error)) << error;
  // Several passes of the server loop, each computing the idle deadlines.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(echo_once(*session, "still here", &error)) << error;
  const net::ServerStats st = server.stats();
  EXPECT_EQ(st.active_sessions, 1u);
  EXPECT_EQ(st.sessions_closed, 0u);
}

// run_once(Duration::max()) waits for readiness without a bound of its own: now +
// max_wait saturates, so the wait neither overflows nor ends at once.
TEST_F(ServerTest, RunOnceWithDurationMaxWaitsForReadiness) {
  net::ServerHandler handler;
  std::unique_ptr<net::Server> server;
  ASSERT_TRUE(net::Server::create(&server, options(), handler, "127.0.0.1", 0).ok());
  const std::uint16_t port = server->port();
  net::Socket client;
  std::thread connector([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    client = connect_raw(port);
  });
  const net::Status s = server->run_once(Duration::max());
  connector.join();
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(server->stats().accepted, 1u) << "run_once returned before anything was ready";
}

// trickle_until_closed: after a session's handshake, sends the header of a 100-byte
// frame and then one byte of it every |every|, never finishing it, until the server
// closes the session or kTestDeadline passes. Returns whether the server closed it.
bool trickle_until_closed(RunningServer& server, const net::Socket& socket, Duration every) {
  const std::uint8_t header[] = {0x00, 0x00, 0x00, 100};
  if (!send_all(socket, header)) return false;
  const auto give_up = net::Clock::now() + kTestDeadline;
  const std::uint8_t byte[1] = {0x5A};
  for (int sent = 0; sent < 100 + 16 - 1 && net::Clock::now() < give_up; ++sent) {
    if (server.wait_for([](const net::ServerStats& st) { return st.sessions_closed == 1; }, every))
      return true;
    if (!send_all(socket, byte)) break;  // the server closed it meanwhile
  }
  return server.wait_for([](const net::ServerStats& st) { return st.sessions_closed == 1; });
}

// Issue 21 item 2, the trickle: a session sending an unfinished frame one byte at a
// time is closed by the frame deadline (the engine's, ChannelConfig::frame_timeout),
// although every byte would have reset a timer that counted bytes.
TEST_F(ServerTest, AFrameTrickledAByteAtATimeIsCutByTheFrameDeadline) {
  net::ServerOptions o = options();
  o.frame_timeout = Duration{600};
  o.idle_timeout = Duration{3'600'000};  // only the frame deadline can end it
  RunningServer server(o);
  net::Socket socket;
  std::unique_ptr<net::BlockingSession> session;
  ASSERT_TRUE(
      client_session_from("127.0.0.2", server.port(), client_config(), &socket, &session).ok());
  const auto started = net::Clock::now();
  ASSERT_TRUE(trickle_until_closed(server, socket, Duration{100}));
  EXPECT_GE(net::Clock::now() - started, std::chrono::milliseconds(550));
  EXPECT_EQ(server.session_end_codes(), std::vector<StatusCode>{StatusCode::kTimeout});
  EXPECT_EQ(server.session_end_errors(), std::vector<Error>{Error::kFrameTimeout});
  EXPECT_TRUE(wait_for_end(socket));
}

// The trickle against the idle timeout: it counts complete messages, not bytes, so
// a session that sends bytes but never a whole message is idle.
TEST_F(ServerTest, AFrameTrickledAByteAtATimeDoesNotDefeatTheIdleTimeout) {
  net::ServerOptions o = options();
  o.frame_timeout = Duration{3'600'000};  // only the idle timeout can end it
  o.idle_timeout = Duration{600};
  RunningServer server(o);
  net::Socket socket;
  std::unique_ptr<net::BlockingSession> session;
  ASSERT_TRUE(
      client_session_from("127.0.0.2", server.port(), client_config(), &socket, &session).ok());
  std::string error;
  ASSERT_TRUE(echo_once(*session, "a whole message first", &error)) << error;
  ASSERT_TRUE(trickle_until_closed(server, socket, Duration{100}));
  EXPECT_EQ(server.session_end_codes(), std::vector<StatusCode>{StatusCode::kTimeout});
  EXPECT_EQ(server.session_end_errors(), std::vector<Error>{Error::kNone});  // the server's own
  EXPECT_TRUE(wait_for_end(socket));
}

// Issue 21 item 2, the lockout: sessions from 127.0.0.2 try to take every slot of
// the server; under pressure the address is held to max_connections_per_address, so
// a client from 127.0.0.1 still gets in.
TEST_F(ServerTest, SessionsFromOneAddressCannotLockAnotherAddressOut) {
  constexpr std::size_t kAttempts = 50;
  net::ServerOptions o = options();
  o.max_connections = kAttempts;
  RunningServer server(o);
  std::vector<net::Socket> sockets(kAttempts);
  std::vector<std::unique_ptr<net::BlockingSession>> sessions(kAttempts);
  std::size_t held = 0;
  for (std::size_t i = 0; i < kAttempts; ++i) {
    if (client_session_from("127.0.0.2", server.port(), client_config(), &sockets[i], &sessions[i])
            .ok()) {
      ++held;
    }
  }
  const std::size_t cap = net::ServerOptions().max_connections_per_address;
  EXPECT_EQ(held, cap);
  ASSERT_TRUE(server.wait_for(
      [&](const net::ServerStats& st) { return st.refused_per_address == kAttempts - cap; }));

  net::Socket socket;
  std::unique_ptr<net::BlockingSession> session;
  const net::Status s = client_session(server.port(), client_config(), &socket, &session);
  ASSERT_TRUE(s.ok()) << s.message();
  std::string error;
  EXPECT_TRUE(echo_once(*session, "not locked out", &error)) << error;
  EXPECT_EQ(server.stats().active_sessions, cap + 1);
}

#ifndef _WIN32  // its one user, the churn test below, is skipped under wine
// slow_handshake runs a client handshake over a raw socket from 127.0.0.1 as a client
// across a wide-area link would: |round_trip| passes between the ServerHello and the
// KeyExchange. Returns whether the handshake completed.
bool slow_handshake(std::uint16_t port, const ClientConfig& config, Duration round_trip) {
  net::Socket socket = connect_raw(port);
  Connection client = Connection::client(config, net::engine_now());
  if (!send_all(socket, take_output(client))) return false;
  const Bytes server_hello = receive_exactly(socket, kServerHelloSize);
  if (server_hello.size() != kServerHelloSize) return false;
  std::this_thread::sleep_for(round_trip);
  Inbox inbox;
  if (feed(client, server_hello, net::engine_now(), inbox) != Error::kNone) return false;
  if (!send_all(socket, take_output(client))) return false;
  const Bytes accept = receive_exactly(socket, kAcceptSize);
  if (accept.size() != kAcceptSize) return false;
  return feed(client, accept, net::engine_now(), inbox) == Error::kNone && client.is_established();
}
#endif

// Issue 21 item 8: 64 addresses (127.0.0.2 .. 127.0.0.65) churn connections through
// their ClientHello at the admission limit (the handshake table full, each address
// at its share), while an honest client from 127.0.0.1, 20 ms of round trip away,
// runs 100 handshakes one after another. A ClientHello buys no priority and the
// largest share loses first, so the honest client completes (nearly) all of them.
TEST_F(ServerTest, ChurningClientHellosFromSixtyFourAddressesDoNotStarveAnHonestClient) {
#ifdef _WIN32
  GTEST_SKIP() << "hundreds of connections a second are too slow under wine";
#else
  constexpr int kAddresses = 64;
  constexpr int kSlotsPerAddress = 5;  // 320 sockets: more than the table's 256
  constexpr int kThreads = 8;
  constexpr int kHandshakes = 100;
  constexpr Duration kRoundTrip{20};
  RunningServer server(options());
  Connection hello_source = Connection::client(client_config(), net::engine_now());
  const Bytes client_hello = take_output(hello_source);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> churned{0};
  std::vector<std::thread> churners;
  churners.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    churners.emplace_back([&, t] {
      std::vector<net::Socket> slots(kAddresses / kThreads * kSlotsPerAddress);
      while (!stop.load()) {
        for (std::size_t i = 0; i < slots.size() && !stop.load(); ++i) {
          const int address = t * (kAddresses / kThreads) + static_cast<int>(i) / kSlotsPerAddress;
          slots[i].close();
          slots[i] = connect_from("127.0.0." + std::to_string(2 + address), server.port());
          if (slots[i].valid()) (void)net::send_some(slots[i], client_hello);
          churned.fetch_add(1);
        }
      }
    });
  }
  // Let the flood fill the table first.
  const bool full = server.wait_for([](const net::ServerStats& st) {
    return st.handshakes_evicted > 0 || st.refused_per_address > 0;
  });
  int completed = 0;
  for (int i = 0; i < kHandshakes && full; ++i) {
    if (slow_handshake(server.port(), client_config(), kRoundTrip)) ++completed;
  }
  stop.store(true);
  for (auto& churner : churners) churner.join();
  ASSERT_TRUE(full) << "the churn never filled the table";
  const net::ServerStats st = server.stats();
  std::printf(
      "churn: %llu connections from %d addresses, %llu evicted, %llu refused; the honest "
      "client completed %d of %d\n",
      static_cast<unsigned long long>(churned.load()), kAddresses,
      static_cast<unsigned long long>(st.handshakes_evicted),
      static_cast<unsigned long long>(st.refused), completed, kHandshakes);
  EXPECT_GE(completed, 95);
#endif
}

}  // namespace
}  // namespace p2pnet::testing
