// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "loopback.h"

#include <gtest/gtest.h>
#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif

#include <chrono>

namespace p2pnet::testing {

RunningServer::RunningServer(net::ServerOptions options, std::uint16_t port) {
  const net::Status s = net::Server::create(&server_, options, *this, "127.0.0.1", port);
  if (!s.ok()) {
    ADD_FAILURE() << "server: " << s.message();
    std::abort();
  }
  thread_ = std::thread([this] {
    const net::Status run = server_->run(stop_);
    if (!run.ok()) ADD_FAILURE() << "server loop: " << run.message();
  });
}

RunningServer::~RunningServer() {
  stop_.store(true);
  thread_.join();
}

std::vector<Error> RunningServer::handshake_failures() const {
  std::lock_guard lock(mutex_);
  return failures_;
}

std::vector<net::StatusCode> RunningServer::handshake_failure_codes() const {
  std::lock_guard lock(mutex_);
  return failure_codes_;
}

std::vector<net::StatusCode> RunningServer::session_end_codes() const {
  std::lock_guard lock(mutex_);
  return end_codes_;
}

std::vector<Error> RunningServer::session_end_errors() const {
  std::lock_guard lock(mutex_);
  return end_errors_;
}

bool RunningServer::wait_for(const std::function<bool(const net::ServerStats&)>& condition,
                             Duration timeout) const {
  const auto deadline = net::Clock::now() + timeout;
  while (net::Clock::now() < deadline) {
    if (condition(stats())) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition(stats());
}

void RunningServer::on_handshake_failed(net::ConnectionId, const net::Status& reason) {
  std::lock_guard lock(mutex_);
  failures_.push_back(reason.engine_error());
  failure_codes_.push_back(reason.code());
}

void RunningServer::on_message(net::ConnectionId id, ByteSpan message) {
  // Called on the server thread, inside run_once: the server is not shared here.
  const Error error = server_->send(id, message);
  if (error != Error::kNone) ADD_FAILURE() << "echo refused: " << error_message(error);
}

void RunningServer::on_closed(net::ConnectionId, const net::Status& reason) {
  std::lock_guard lock(mutex_);
  end_codes_.push_back(reason.code());
  end_errors_.push_back(reason.engine_error());
}

net::Socket connect_raw(std::uint16_t port) {
  net::Socket socket;
  const net::Status s =
      net::connect_tcp(&socket, "127.0.0.1", port, net::deadline_after(kTestDeadline));
  EXPECT_TRUE(s.ok()) << s.message();
  return socket;
}

net::Socket connect_from(const std::string& source, std::uint16_t port) {
  // bind before connect chooses the source address. The socket layer has no call for
  // it (only these tests need one), so this is plain sockets; a connect over loopback
  // completes at once from the kernel's backlog, so it is done blocking.
  sockaddr_in local{};
  local.sin_family = AF_INET;
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  if (::inet_pton(AF_INET, source.c_str(), &local.sin_addr) != 1 ||
      ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr) != 1) {
    ADD_FAILURE() << "bad source address " << source;
    return net::Socket();
  }
#ifdef _WIN32
  net::Socket socket(static_cast<net::NativeSocket>(::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)));
  const SOCKET handle = static_cast<SOCKET>(socket.native());
#else
  net::Socket socket(::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP));
  const int handle = socket.native();
#endif
  if (!socket.valid() ||
      ::bind(handle, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(handle, reinterpret_cast<const sockaddr*>(&remote), sizeof remote) != 0) {
    ADD_FAILURE() << "connect from " << source << ": "
                  << net::system_error_text(net::last_system_error());
    return net::Socket();
  }
#ifdef _WIN32
  u_long on = 1;
  const bool nonblocking = ::ioctlsocket(handle, static_cast<long>(FIONBIO), &on) == 0;
#else
  const bool nonblocking = ::fcntl(handle, F_SETFL, ::fcntl(handle, F_GETFL, 0) | O_NONBLOCK) == 0;
#endif
  if (!nonblocking) {
    ADD_FAILURE() << "O_NONBLOCK: " << net::system_error_text(net::last_system_error());
    return net::Socket();
  }
  return socket;
}

bool send_all(const net::Socket& socket, ByteSpan data, Duration timeout) {
  const net::Deadline deadline = net::deadline_after(timeout);
  while (!data.empty()) {
    const net::IoResult io = net::send_some(socket, data);
    if (io.state == net::IoState::kDone) {
      data = data.subspan(io.bytes);
      continue;
    }
    if (io.state != net::IoState::kWouldBlock) return false;
    unsigned ready = 0;
    if (!net::wait_ready(socket, net::kWaitWritable, deadline, &ready).ok()) return false;
  }
  return true;
}

Bytes receive_exactly(const net::Socket& socket, std::size_t n, Duration timeout) {
  const net::Deadline deadline = net::deadline_after(timeout);
  Bytes out(n);
  std::size_t got = 0;
  while (got < n) {
    const net::IoResult io = net::receive_some(socket, MutableByteSpan(out).subspan(got));
    if (io.state == net::IoState::kDone) {
      got += io.bytes;
      continue;
    }
    if (io.state != net::IoState::kWouldBlock) break;
    unsigned ready = 0;
    if (!net::wait_ready(socket, net::kWaitReadable, deadline, &ready).ok()) break;
  }
  out.resize(got);
  return out;
}

bool wait_for_end(const net::Socket& socket, Duration timeout) {
  const net::Deadline deadline = net::deadline_after(timeout);
  std::uint8_t buffer[4096];
  for (;;) {
    const net::IoResult io = net::receive_some(socket, buffer);
    if (io.state == net::IoState::kEndOfStream || io.state == net::IoState::kReset ||
        io.state == net::IoState::kError) {
      return true;
    }
    if (io.state == net::IoState::kDone) continue;
    unsigned ready = 0;
    if (!net::wait_ready(socket, net::kWaitReadable, deadline, &ready).ok()) return false;
  }
}

void reset_close(net::Socket& socket) {
  linger option{};
  option.l_onoff = 1;
  option.l_linger = 0;
#ifdef _WIN32  // Winsock takes a SOCKET and a char pointer
  ::setsockopt(static_cast<SOCKET>(socket.native()), SOL_SOCKET, SO_LINGER,
               reinterpret_cast<const char*>(&option), sizeof option);
#else
  ::setsockopt(socket.native(), SOL_SOCKET, SO_LINGER, &option, sizeof option);
#endif
  socket.close();
}

net::Status client_session(std::uint16_t port, const ClientConfig& config, net::Socket* socket,
                           std::unique_ptr<net::BlockingSession>* session) {
  if (net::Status s =
          net::connect_tcp(socket, "127.0.0.1", port, net::deadline_after(kTestDeadline));
      !s.ok()) {
    return s;
  }
  return net::BlockingSession::handshake_client(session, *socket, config,
                                                net::deadline_after(kTestDeadline));
}

net::Status client_session_from(const std::string& source, std::uint16_t port,
                                const ClientConfig& config, net::Socket* socket,
                                std::unique_ptr<net::BlockingSession>* session) {
  *socket = connect_from(source, port);
  if (!socket->valid())
    return net::Status(net::StatusCode::kConnectFailed, "connect from " + source + " failed");
  return net::BlockingSession::handshake_client(session, *socket, config,
                                                net::deadline_after(kTestDeadline));
}

bool echo_once(net::BlockingSession& session, const std::string& text, std::string* error) {
  const ByteSpan message(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  if (net::Status s = session.send(message, net::deadline_after(kTestDeadline)); !s.ok()) {
    *error = "send: " + s.message();
    return false;
  }
  ByteSpan echo;
  if (net::Status s = session.receive(&echo, net::deadline_after(kTestDeadline)); !s.ok()) {
    *error = "receive: " + s.message();
    return false;
  }
  if (std::string(echo.begin(), echo.end()) != text) {
    *error = "echo differs";
    return false;
  }
  return true;
}

}  // namespace p2pnet::testing
