// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// socket_test.cc: what the portable socket layer (adapters/socket/src/socket.cc)
// promises about the descriptors it hands out, on POSIX: every socket it creates or
// accepts is close-on-exec, so a program that forks and execs does not leak
// connections into the child (issue 10 item 11), and no send can raise SIGPIPE
// (MSG_NOSIGNAL, SO_NOSIGPIPE where the system has it). The server's descriptors are
// checked from outside, by listing /proc/self/fd (Linux).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "loopback.h"
#include "pair.h"

namespace p2pnet::testing {
namespace {

bool close_on_exec(int fd) {
  const int flags = ::fcntl(fd, F_GETFD);
  return flags >= 0 && (flags & FD_CLOEXEC) != 0;
}

// A listener, a connected client and the accepted side, all made by the socket layer.
struct ConnectedTrio {
  net::Socket listener, client, accepted;
};

void connect_trio(ConnectedTrio* trio) {
  ASSERT_TRUE(net::listen_tcp(&trio->listener, "127.0.0.1", 0, 4).ok());
  std::uint16_t port = 0;
  ASSERT_TRUE(net::local_port(trio->listener, &port).ok());
  const net::Status connected =
      net::connect_tcp(&trio->client, "127.0.0.1", port, net::deadline_after(kTestDeadline));
  ASSERT_TRUE(connected.ok()) << connected.message();
  unsigned ready = 0;
  ASSERT_TRUE(net::wait_ready(trio->listener, net::kWaitReadable,
                              net::deadline_after(kTestDeadline), &ready)
                  .ok());
  std::string peer;
  ASSERT_TRUE(net::accept_tcp(trio->listener, &trio->accepted, &peer).ok());
}

TEST(SocketTest, ListenAcceptAndConnectSocketsAreCloseOnExec) {
  ConnectedTrio trio;
  ASSERT_NO_FATAL_FAILURE(connect_trio(&trio));
  EXPECT_TRUE(close_on_exec(trio.listener.native())) << "listen_tcp";
  EXPECT_TRUE(close_on_exec(trio.client.native())) << "connect_tcp";
  EXPECT_TRUE(close_on_exec(trio.accepted.native())) << "accept_tcp";

  // The same over IPv6 where the machine has it (a container may not).
  net::Socket listener6;
  if (net::listen_tcp(&listener6, "::1", 0, 4).ok()) {
    EXPECT_TRUE(close_on_exec(listener6.native())) << "listen_tcp on ::1";
  }
}

// accept_tcp saves system calls per connection by relying on accept4's SOCK_NONBLOCK
// and, on Linux, on the kernel copying the listener's TCP_NODELAY to accepted sockets
// (socket.cc, prepare_accepted): this checks both on the machine it runs on.
TEST(SocketTest, AcceptedSocketsAreNonBlockingWithoutNagle) {
  ConnectedTrio trio;
  ASSERT_NO_FATAL_FAILURE(connect_trio(&trio));
  for (const net::Socket* socket : {&trio.listener, &trio.client, &trio.accepted}) {
    const int flags = ::fcntl(socket->native(), F_GETFL);
    EXPECT_TRUE(flags >= 0 && (flags & O_NONBLOCK) != 0);
    int nodelay = 0;
    socklen_t length = sizeof nodelay;
    ASSERT_EQ(::getsockopt(socket->native(), IPPROTO_TCP, TCP_NODELAY, &nodelay, &length), 0);
    EXPECT_NE(nodelay, 0);
  }
}

// accept_tcp reports the peer's IP address; an IPv4 peer of an IPv6 socket (seen as
// ::ffff:127.0.0.1) gives the same IpAddress as over IPv4, so the server's per-address
// cap counts it once (docs/adapters.md, "Handshake admission").
TEST(SocketTest, AcceptReportsThePeerAddressIpv4MappedAsIpv4) {
  net::IpAddress loopback_v4;
  loopback_v4.bytes[10] = 0xFF;
  loopback_v4.bytes[11] = 0xFF;
  loopback_v4.bytes[12] = 127;
  loopback_v4.bytes[15] = 1;
  for (const char* host : {"127.0.0.1", "::ffff:127.0.0.1"}) {
    SCOPED_TRACE(host);
    net::Socket listener;
    if (!net::listen_tcp(&listener, host, 0, 4).ok()) {
      ASSERT_STRNE(host, "127.0.0.1");
      GTEST_SKIP() << "no IPv6 socket for " << host;
    }
    std::uint16_t port = 0;
    ASSERT_TRUE(net::local_port(listener, &port).ok());
    net::Socket client;
    ASSERT_TRUE(
        net::connect_tcp(&client, "127.0.0.1", port, net::deadline_after(kTestDeadline)).ok());
    unsigned ready = 0;
    ASSERT_TRUE(
        net::wait_ready(listener, net::kWaitReadable, net::deadline_after(kTestDeadline), &ready)
            .ok());
    net::Socket accepted;
    std::string peer;
    net::IpAddress address;
    ASSERT_TRUE(net::accept_tcp(listener, &accepted, &peer, &address).ok());
    EXPECT_TRUE(address.is_v4()) << peer;
    EXPECT_EQ(address, loopback_v4) << peer;
  }
}

TEST(SocketTest, EveryDescriptorTheServerHoldsIsCloseOnExec) {
  ASSERT_GE(sodium_init(), 0);
  const Identity identity = identity_from_byte(0x71);
  net::ServerOptions options;
  options.identity = &identity;
  RunningServer server(options);
  net::Socket client = connect_raw(server.port());
  ASSERT_TRUE(
      server.wait_for([](const net::ServerStats& st) { return st.active_handshakes == 1; }));

  // Sockets (the server's listener and accepted socket, the test's client) and the
  // poller's descriptor (epoll) are all in this process.
  int sockets = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::stoi(entry.path().filename().string());
    struct stat info {};
    if (::fstat(fd, &info) != 0) continue;  // the directory listing's own descriptor, now closed
    std::error_code error;
    const std::string target = std::filesystem::read_symlink(entry.path(), error).string();
    const bool is_socket = S_ISSOCK(info.st_mode);
    if (!is_socket && target != "anon_inode:[eventpoll]") continue;
    sockets += is_socket ? 1 : 0;
    EXPECT_TRUE(close_on_exec(fd))
        << "descriptor " << fd << " (" << target << ") is inherited by exec";
  }
  EXPECT_GE(sockets, 3) << "expected the listener, the accepted socket and the client";
}

// Issue 10 item 1, socket layer: SIGPIPE keeps its default action (terminate the
// process) during this test, so a send that raised it would kill the test.
TEST(SocketTest, SendingToAResetPeerReportsResetWithoutSigpipe) {
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  struct sigaction previous {};
  ASSERT_EQ(::sigaction(SIGPIPE, &default_action, &previous), 0);

  ConnectedTrio trio;
  ASSERT_NO_FATAL_FAILURE(connect_trio(&trio));
#ifdef SO_NOSIGPIPE
  for (const net::Socket* socket : {&trio.client, &trio.accepted}) {
    int value = 0;
    socklen_t length = sizeof value;
    ASSERT_EQ(::getsockopt(socket->native(), SOL_SOCKET, SO_NOSIGPIPE, &value, &length), 0);
    EXPECT_NE(value, 0) << "SO_NOSIGPIPE is not set";
  }
#endif
  reset_close(trio.accepted);

  // The reset arrives asynchronously; the send after it fails with EPIPE, which is
  // where SIGPIPE would be raised.
  const std::uint8_t data[1024] = {};
  net::IoState state = net::IoState::kDone;
  const net::Deadline deadline = net::deadline_after(kTestDeadline);
  while (state != net::IoState::kReset && state != net::IoState::kError &&
         net::Clock::now() < deadline) {
    state = net::send_some(trio.client, data).state;
    if (state != net::IoState::kReset) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(state, net::IoState::kReset);
  // One more: the socket is now in the EPIPE state for good.
  EXPECT_EQ(net::send_some(trio.client, data).state, net::IoState::kReset);
  ASSERT_EQ(::sigaction(SIGPIPE, &previous, nullptr), 0);
}

}  // namespace
}  // namespace p2pnet::testing
