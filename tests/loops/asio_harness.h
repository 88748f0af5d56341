// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// asio_harness.h: an io_context with what the loop tests need around AsioConnection:
// a one-shot acceptor on 127.0.0.1:0, a client connect, raw silent peers (a socket
// that never speaks the protocol and records what it receives), and run() bounded by
// run_for, after which everything left is aborted, so a broken adapter fails a test
// instead of hanging it. The destructor aborts what is left and drains the context.
#ifndef P2PNET_TESTS_LOOPS_ASIO_HARNESS_H_
#define P2PNET_TESTS_LOOPS_ASIO_HARNESS_H_

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "loop_peers.h"
#include "p2pnet/asio_connection.h"

namespace p2pnet::loops {

class AsioHarness {
 public:
  using Conn = AsioConnection;
  using Callbacks = AsioCallbacks;
  using Options = AsioOptions;
  static constexpr const char* kName = "Asio";

  AsioHarness() = default;
  ~AsioHarness();
  AsioHarness(const AsioHarness&) = delete;
  AsioHarness& operator=(const AsioHarness&) = delete;

  // serve listens on 127.0.0.1:0 and runs a server Conn on the first connection (the
  // acceptor then closes). Returns the port.
  std::uint16_t serve(const ServerConfig& config, Callbacks callbacks, Options options = {});
  // connect starts a client Conn to 127.0.0.1:|port|; false if the adapter refused
  // to start one (a nullptr from AsioConnection::connect).
  bool connect(std::uint16_t port, const ClientConfig& config, Callbacks callbacks,
               Options options = {});
  // serve_silently accepts one connection and reads it to EOF, never sending a byte.
  std::uint16_t serve_silently();
  // connect_silently connects to |port| and reads to EOF, never sending a byte.
  void connect_silently(std::uint16_t port);
  // closed_port returns a port on 127.0.0.1 that was free a moment ago.
  std::uint16_t closed_port();

  // run runs the context until it has no work; false if |limit| passed first (then
  // everything was aborted).
  bool run(Duration limit);
  // poll runs the handlers that are ready now, without waiting.
  void poll();

  const Bytes& raw_received() const { return raw_received_; }
  bool raw_saw_eof() const { return raw_eof_; }
  // How many incoming connections AsioConnection::accept refused (returned nullptr).
  int refused_accepts() const { return refused_accepts_; }

 private:
  std::uint16_t listen();
  void read_raw();
  void close_everything();

  // Declared first, destroyed last: every I/O object below belongs to it.
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_{io_};
  std::vector<std::shared_ptr<Conn>> conns_;
  asio::ip::tcp::socket raw_{io_};
  std::array<std::uint8_t, 4096> raw_buffer_{};
  Bytes raw_received_;
  bool raw_eof_ = false;
  int refused_accepts_ = 0;
};

}  // namespace p2pnet::loops

#endif  // P2PNET_TESTS_LOOPS_ASIO_HARNESS_H_
