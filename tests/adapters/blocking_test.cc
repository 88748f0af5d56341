// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// blocking_test.cc: the blocking driver never waits past its deadline: against a
// server that accepts and says nothing, a session that receives nothing, and a port
// where nobody listens. A handshake that ends at the caller's deadline still tells the
// peer (Error 0x04), and Duration::max() timeouts saturate instead of overflowing. A
// frame left unfinished ends a receive at the frame deadline.
// Plus the server's connection bound.
#include <gtest/gtest.h>
#include <sodium.h>

#include "loopback.h"
#include "p2pnet/internal/messages.h"
#include "pair.h"

namespace p2pnet::testing {
namespace {

using net::StatusCode;

class BlockingTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GE(sodium_init(), 0); }
  Identity server_identity_ = identity_from_byte(0x61);
  Identity client_identity_ = identity_from_byte(0x62);
};

TEST_F(BlockingTest, HandshakeAgainstASilentServerTimesOutAndSaysSo) {
  net::Socket listener;
  ASSERT_TRUE(net::listen_tcp(&listener, "127.0.0.1", 0, 4).ok());
  std::uint16_t port = 0;
  ASSERT_TRUE(net::local_port(listener, &port).ok());

  net::Socket client_socket = connect_raw(port);
  net::Socket accepted;
  std::string peer;
  unsigned ready = 0;
  ASSERT_TRUE(
      net::wait_ready(listener, net::kWaitReadable, net::deadline_after(kTestDeadline), &ready)
          .ok());
  ASSERT_TRUE(net::accept_tcp(listener, &accepted, &peer).ok());

  ClientConfig config;
  config.identity = &client_identity_;
  config.handshake_timeout = Duration{300};
  std::unique_ptr<net::BlockingSession> session;
  const auto started = net::Clock::now();
  const net::Status s = net::BlockingSession::handshake_client(&session, client_socket, config,
                                                               net::deadline_after(kTestDeadline));
  const auto elapsed = net::Clock::now() - started;
  EXPECT_EQ(s.code(), StatusCode::kTimeout) << s.message();
  EXPECT_EQ(s.engine_error(), Error::kTimeout);
  EXPECT_GE(elapsed, std::chrono::milliseconds(250));
  EXPECT_LT(elapsed, std::chrono::milliseconds(3000));
  // The silent server got the ClientHello, then Error 0x04 (timeout).
  const Bytes got = receive_exactly(accepted, kClientHelloSize + kErrorMessageSize);
  ASSERT_EQ(got.size(), kClientHelloSize + kErrorMessageSize);
  EXPECT_EQ(got[kClientHelloSize], 0xFF);
  EXPECT_EQ(got[kClientHelloSize + 1], 0x04);
}

// protocol-v1 "Timeouts": a handshake that gives up sends Error 0x04, also when the
// caller's deadline comes before handshake_timeout (whose default, 10 s, stays here).
class CallerDeadlineTest : public BlockingTest {
 protected:
  void SetUp() override {
    BlockingTest::SetUp();
    ASSERT_TRUE(net::listen_tcp(&listener_, "127.0.0.1", 0, 4).ok());
    ASSERT_TRUE(net::local_port(listener_, &port_).ok());
    connecting_ = connect_raw(port_);
    unsigned ready = 0;
    std::string peer;
    ASSERT_TRUE(
        net::wait_ready(listener_, net::kWaitReadable, net::deadline_after(kTestDeadline), &ready)
            .ok());
    ASSERT_TRUE(net::accept_tcp(listener_, &accepted_, &peer).ok());
  }
  // expect_timeout checks a handshake that ended at the caller's 300 ms deadline.
  static void expect_timeout(const net::Status& s, net::Clock::duration elapsed) {
    EXPECT_EQ(s.code(), StatusCode::kTimeout) << s.message();
    EXPECT_EQ(s.engine_error(), Error::kTimeout) << s.message();
    EXPECT_GE(elapsed, std::chrono::milliseconds(290));
    EXPECT_LT(elapsed, std::chrono::milliseconds(3000));
  }
  static constexpr Duration kCallerDeadline{300};
  net::Socket listener_;
  std::uint16_t port_ = 0;
  net::Socket connecting_;
  net::Socket accepted_;
};

TEST_F(CallerDeadlineTest, ClientHandshakeEndingAtTheCallersDeadlineSendsError04) {
  ClientConfig config;
  config.identity = &client_identity_;
  std::unique_ptr<net::BlockingSession> session;
  const auto started = net::Clock::now();
  const net::Status s = net::BlockingSession::handshake_client(
      &session, connecting_, config, net::deadline_after(kCallerDeadline));
  expect_timeout(s, net::Clock::now() - started);
  connecting_.close();  // so a missing Error message shows as a short read, not a wait
  const Bytes got = receive_exactly(accepted_, kClientHelloSize + kErrorMessageSize);
  ASSERT_EQ(got.size(), kClientHelloSize + kErrorMessageSize)
      << "no Error message after the ClientHello";
  EXPECT_EQ(got[kClientHelloSize], 0xFF);
  EXPECT_EQ(got[kClientHelloSize + 1], 0x04);
}

TEST_F(CallerDeadlineTest, ServerHandshakeEndingAtTheCallersDeadlineSendsError04) {
  ServerConfig config;
  config.identity = &server_identity_;
  std::unique_ptr<net::BlockingSession> session;
  const auto started = net::Clock::now();
  const net::Status s = net::BlockingSession::handshake_server(
      &session, accepted_, config, net::deadline_after(kCallerDeadline));
  expect_timeout(s, net::Clock::now() - started);
  accepted_.close();
  const Bytes got = receive_exactly(connecting_, kErrorMessageSize);
  ASSERT_EQ(got.size(), kErrorMessageSize) << "no Error message";
  EXPECT_EQ(got[0], 0xFF);
  EXPECT_EQ(got[1], 0x04);
}

// Duration::max() as a timeout means "no limit" to a careful user. It used to
// overflow now + timeout (undefined behaviour, and in practice a deadline in the
// past, so the first message failed with kTimeout); it must saturate instead.
TEST_F(BlockingTest, DurationMaxTimeoutsSaturateInsteadOfOverflowing) {
  const net::Deadline now = net::Clock::now();
  EXPECT_EQ(net::deadline_after(Duration::max()), net::Deadline::max());
  EXPECT_LE(net::deadline_after(Duration::min()), now);
  EXPECT_EQ(net::to_deadline(Instant::max()), net::Deadline::max());
  EXPECT_EQ(net::to_deadline(Instant::min()), net::Deadline::min());
  EXPECT_GT(net::remaining_ms(net::Deadline::max()), 0);
  EXPECT_EQ(net::remaining_ms(net::Deadline::min()), 0);

  net::ServerOptions options;
  options.identity = &server_identity_;
  RunningServer server(options);
  ClientConfig config;
  config.identity = &client_identity_;
  config.expected_server = server_identity_.public_key();
  config.handshake_timeout = Duration::max();
  net::Socket socket = connect_raw(server.port());
  std::unique_ptr<net::BlockingSession> session;
  const net::Status s = net::BlockingSession::handshake_client(
      &session, socket, config, net::deadline_after(Duration::max()));
  ASSERT_TRUE(s.ok()) << s.message();
  const std::string text = "no deadline";
  const ByteSpan message(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  ASSERT_TRUE(session->send(message, net::deadline_after(Duration::max())).ok());
  ByteSpan echo;
  const net::Status received = session->receive(&echo, net::deadline_after(Duration::max()));
  ASSERT_TRUE(received.ok()) << received.message();
  EXPECT_EQ(std::string(echo.begin(), echo.end()), text);
  EXPECT_TRUE(session->close(net::deadline_after(Duration::max())).ok());
}

TEST_F(BlockingTest, ReceiveTimesOutAndTheSessionStaysUsable) {
  net::ServerOptions options;
  options.identity = &server_identity_;
  RunningServer server(options);
  ClientConfig config;
  config.identity = &client_identity_;
  config.expected_server = server_identity_.public_key();
  net::Socket socket;
  std::unique_ptr<net::BlockingSession> session;
  ASSERT_TRUE(client_session(server.port(), config, &socket, &session).ok());

  ByteSpan message;
  const auto started = net::Clock::now();
  EXPECT_EQ(session->receive(&message, net::deadline_after(Duration{200})).code(),
            StatusCode::kTimeout);
  const auto elapsed = net::Clock::now() - started;
  EXPECT_GE(elapsed, std::chrono::milliseconds(190));
  EXPECT_LT(elapsed, std::chrono::milliseconds(2000));
  std::string error;
  EXPECT_TRUE(echo_once(*session, "after a timeout", &error)) << error;
}

// The frame deadline in the blocking driver (issue 21 item 2): a peer that starts a
// frame and stops is cut at ChannelConfig::frame_timeout, counted from the frame's
// first byte, even when the caller waits longer; a caller's earlier deadline still
// ends its own wait first, without failing the session.
TEST_F(BlockingTest, ReceiveEndsAtTheFrameDeadlineOfAnUnfinishedFrame) {
  net::Socket listener;
  ASSERT_TRUE(net::listen_tcp(&listener, "127.0.0.1", 0, 4).ok());
  std::uint16_t port = 0;
  ASSERT_TRUE(net::local_port(listener, &port).ok());
  net::Socket client_socket = connect_raw(port);
  net::Socket accepted;
  std::string peer;
  unsigned ready = 0;
  ASSERT_TRUE(
      net::wait_ready(listener, net::kWaitReadable, net::deadline_after(kTestDeadline), &ready)
          .ok());
  ASSERT_TRUE(net::accept_tcp(listener, &accepted, &peer).ok());

  ServerConfig server_config;
  server_config.identity = &server_identity_;
  std::unique_ptr<net::BlockingSession> server;
  std::thread server_side([&] {
    EXPECT_TRUE(net::BlockingSession::handshake_server(&server, accepted, server_config,
                                                       net::deadline_after(kTestDeadline))
                    .ok());
  });
  ClientConfig config;
  config.identity = &client_identity_;
  config.expected_server = server_identity_.public_key();
  config.channel.frame_timeout = Duration{400};
  std::unique_ptr<net::BlockingSession> session;
  ASSERT_TRUE(net::BlockingSession::handshake_client(&session, client_socket, config,
                                                     net::deadline_after(kTestDeadline))
                  .ok());
  server_side.join();
  // A 16-byte frame announced, one byte of it sent.
  const std::uint8_t started[] = {0x00, 0x00, 0x00, 0x10, 0xAB};
  ASSERT_TRUE(send_all(accepted, started));
  const auto first_byte = net::Clock::now();
  ByteSpan message;
  const net::Status early = session->receive(&message, net::deadline_after(Duration{100}));
  EXPECT_EQ(early.code(), StatusCode::kTimeout);
  EXPECT_EQ(early.engine_error(), Error::kNone);  // the caller's own deadline
  const net::Status late = session->receive(&message, net::deadline_after(kTestDeadline));
  EXPECT_EQ(late.code(), StatusCode::kTimeout) << late.message();
  EXPECT_EQ(late.engine_error(), Error::kFrameTimeout);
  EXPECT_GE(net::Clock::now() - first_byte, std::chrono::milliseconds(350));
}

TEST_F(BlockingTest, ConnectToAClosedPortFails) {
  net::Socket listener;
  ASSERT_TRUE(net::listen_tcp(&listener, "127.0.0.1", 0, 1).ok());
  std::uint16_t port = 0;
  ASSERT_TRUE(net::local_port(listener, &port).ok());
  listener.close();  // nobody listens there now
  net::Socket socket;
  const net::Status s =
      net::connect_tcp(&socket, "127.0.0.1", port, net::deadline_after(kTestDeadline));
  EXPECT_EQ(s.code(), StatusCode::kConnectFailed) << s.message();
  EXPECT_EQ(net::connect_tcp(&socket, "localhost", port, net::deadline_after(kTestDeadline)).code(),
            StatusCode::kAddress);
}

TEST_F(BlockingTest, ServerRefusesConnectionsOverItsConnectionBound) {
  net::ServerOptions options;
  options.identity = &server_identity_;
  options.max_connections = 1;
  RunningServer server(options);
  ClientConfig config;
  config.identity = &client_identity_;
  config.expected_server = server_identity_.public_key();
  net::Socket socket;
  std::unique_ptr<net::BlockingSession> session;
  ASSERT_TRUE(client_session(server.port(), config, &socket, &session).ok());

  net::Socket second;
  std::unique_ptr<net::BlockingSession> refused;
  const net::Status s = client_session(server.port(), config, &second, &refused);
  EXPECT_EQ(s.engine_error(), Error::kPeerAbortInternal) << s.message();  // Error 0x06: overload
  EXPECT_EQ(server.stats().refused, 1u);
  std::string error;
  EXPECT_TRUE(echo_once(*session, "the first is unaffected", &error)) << error;
}

}  // namespace
}  // namespace p2pnet::testing
