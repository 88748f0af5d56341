// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// loopback.h: what the adapter tests share. RunningServer runs the non-blocking
// server with an echo handler on its own thread and records every failure reason;
// the raw helpers let a test act as a hostile or broken client byte by byte. Every
// wait has a deadline, so a broken server fails a test instead of hanging it.
#ifndef P2PNET_TESTS_ADAPTERS_LOOPBACK_H_
#define P2PNET_TESTS_ADAPTERS_LOOPBACK_H_

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "p2pnet/socket/blocking.h"
#include "p2pnet/socket/server.h"

namespace p2pnet::testing {

using Bytes = std::vector<std::uint8_t>;
inline constexpr Duration kTestDeadline{10'000};  // bound on any single wait in a test

// RunningServer: the server on a thread, echoing every message.
class RunningServer final : public net::ServerHandler {
 public:
  // |port| 0 picks a free one; a given port is for servers that share it (reuse_port).
  explicit RunningServer(net::ServerOptions options, std::uint16_t port = 0);
  ~RunningServer() override;

  std::uint16_t port() const { return server_->port(); }
  net::ServerStats stats() const { return server_->stats(); }
  // handshake_failures: the engine error of every failed handshake so far.
  std::vector<Error> handshake_failures() const;
  std::vector<net::StatusCode> handshake_failure_codes() const;
  std::vector<net::StatusCode> session_end_codes() const;
  // session_end_errors: the engine error of every ended session (kNone when the
  // server, not the engine, ended it: idle timeout, reset, clean close).
  std::vector<Error> session_end_errors() const;
  // wait_for polls |condition| on the stats until it holds or |timeout| passes.
  bool wait_for(const std::function<bool(const net::ServerStats&)>& condition,
                Duration timeout = kTestDeadline) const;

  void on_handshake_failed(net::ConnectionId, const net::Status& reason) override;
  void on_message(net::ConnectionId id, ByteSpan message) override;
  void on_closed(net::ConnectionId, const net::Status& reason) override;

 private:
  std::unique_ptr<net::Server> server_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<Error> failures_;
  std::vector<net::StatusCode> failure_codes_;
  std::vector<net::StatusCode> end_codes_;
  std::vector<Error> end_errors_;
};

// connect_raw connects to 127.0.0.1:port (asserting success).
net::Socket connect_raw(std::uint16_t port);
// connect_from connects to 127.0.0.1:port from the IPv4 address |source| (any of
// 127/8: the loopback interface answers them all on Linux), so one test can play
// clients at many addresses. Returns a non-blocking socket, or an invalid one.
net::Socket connect_from(const std::string& source, std::uint16_t port);
// send_all writes |data| completely or returns false (reset, timeout).
bool send_all(const net::Socket& socket, ByteSpan data, Duration timeout = kTestDeadline);
// receive_exactly reads |n| bytes; returns fewer if the stream ends or times out.
Bytes receive_exactly(const net::Socket& socket, std::size_t n, Duration timeout = kTestDeadline);
// wait_for_end reads and discards until end of stream or reset; false on timeout.
bool wait_for_end(const net::Socket& socket, Duration timeout = kTestDeadline);
// reset_close closes with SO_LINGER 0, so the peer sees a reset instead of a FIN.
void reset_close(net::Socket& socket);

// client_session connects and runs a client handshake; returns its status.
net::Status client_session(std::uint16_t port, const ClientConfig& config, net::Socket* socket,
                           std::unique_ptr<net::BlockingSession>* session);
// client_session_from is client_session from the source address |source|.
net::Status client_session_from(const std::string& source, std::uint16_t port,
                                const ClientConfig& config, net::Socket* socket,
                                std::unique_ptr<net::BlockingSession>* session);
// echo_once sends |text| and checks the echo; returns false with a message otherwise.
bool echo_once(net::BlockingSession& session, const std::string& text, std::string* error);

}  // namespace p2pnet::testing

#endif  // P2PNET_TESTS_ADAPTERS_LOOPBACK_H_
