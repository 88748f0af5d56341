// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// socket_windows_test.cc: the Winsock side of socket_test.cc's close-on-exec check
// (issue 10 item 11). A child process inherits only handles marked inheritable, and
// socket() makes them so by default: every handle the socket layer creates or accepts
// must have HANDLE_FLAG_INHERIT cleared. Built for Windows only; runs under wine.
#include <winsock2.h>
#include <gtest/gtest.h>
#include <windows.h>

#include <optional>
#include <string>

#include "p2pnet/socket/socket.h"

namespace p2pnet::testing {
namespace {

// inheritable: nullopt when the handle cannot be queried.
std::optional<bool> inheritable(net::NativeSocket socket) {
  DWORD flags = 0;
  if (::GetHandleInformation(reinterpret_cast<HANDLE>(static_cast<SOCKET>(socket)), &flags) == 0)
    return std::nullopt;
  return (flags & HANDLE_FLAG_INHERIT) != 0;
}

TEST(SocketWindowsTest, ListenAcceptAndConnectSocketsAreNotInheritable) {
  net::Socket listener;
  ASSERT_TRUE(net::listen_tcp(&listener, "127.0.0.1", 0, 4).ok());
  std::uint16_t port = 0;
  ASSERT_TRUE(net::local_port(listener, &port).ok());
  net::Socket client;
  ASSERT_TRUE(
      net::connect_tcp(&client, "127.0.0.1", port, net::deadline_after(Duration{10'000})).ok());
  unsigned ready = 0;
  ASSERT_TRUE(
      net::wait_ready(listener, net::kWaitReadable, net::deadline_after(Duration{10'000}), &ready)
          .ok());
  net::Socket accepted;
  std::string peer;
  ASSERT_TRUE(net::accept_tcp(listener, &accepted, &peer).ok());

  EXPECT_EQ(inheritable(listener.native()), std::optional<bool>(false)) << "listen_tcp";
  EXPECT_EQ(inheritable(client.native()), std::optional<bool>(false)) << "connect_tcp";
  EXPECT_EQ(inheritable(accepted.native()), std::optional<bool>(false)) << "accept_tcp";

  // The check can fail: a plain socket() handle is inheritable.
  net::Socket plain(static_cast<net::NativeSocket>(::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)));
  ASSERT_TRUE(plain.valid());
  EXPECT_EQ(inheritable(plain.native()), std::optional<bool>(true));
}

}  // namespace
}  // namespace p2pnet::testing
