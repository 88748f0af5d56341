// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// uv_harness.h: a libuv loop with what the loop tests need around UvConnection: a
// one-shot listener on 127.0.0.1:0, a client connect, raw silent peers (a socket that
// never speaks the protocol and records what it receives), and run() with a guard
// timer that aborts everything, so a broken adapter fails a test instead of hanging
// it. The destructor closes what is left and checks that the loop closes with no
// handle leaked (uv_loop_close returns 0).
#ifndef P2PNET_TESTS_LOOPS_UV_HARNESS_H_
#define P2PNET_TESTS_LOOPS_UV_HARNESS_H_

#include <uv.h>

#include <array>
#include <cstdint>
#include <set>

#include "loop_peers.h"
#include "p2pnet/uv_connection.h"

namespace p2pnet::loops {

class UvHarness {
 public:
  using Conn = UvConnection;
  using Callbacks = UvCallbacks;
  using Options = UvOptions;
  static constexpr const char* kName = "libuv";

  UvHarness();
  ~UvHarness();
  UvHarness(const UvHarness&) = delete;
  UvHarness& operator=(const UvHarness&) = delete;

  // serve listens on 127.0.0.1:0 and runs a server Conn on the first connection (the
  // listener then closes). Returns the port.
  std::uint16_t serve(const ServerConfig& config, Callbacks callbacks, Options options = {});
  // connect starts a client Conn to 127.0.0.1:|port|; false if the adapter refused
  // to start one (a nullptr from UvConnection::connect).
  bool connect(std::uint16_t port, const ClientConfig& config, Callbacks callbacks,
               Options options = {});
  // serve_silently accepts one connection and reads it to EOF, never sending a byte.
  std::uint16_t serve_silently();
  // connect_silently connects to |port| and reads to EOF, never sending a byte.
  void connect_silently(std::uint16_t port);
  // closed_port returns a port on 127.0.0.1 that was free a moment ago.
  std::uint16_t closed_port();

  // run runs the loop until nothing is left to do; false if |limit| passed first (then
  // everything was aborted).
  bool run(Duration limit);
  // poll runs what is ready now, without waiting (one turn of the loop).
  void poll();

  // What a silent peer received, and whether it saw the stream end.
  const Bytes& raw_received() const { return raw_received_; }
  bool raw_saw_eof() const { return raw_eof_; }
  // How many incoming connections UvConnection::accept refused (returned nullptr).
  int refused_accepts() const { return refused_accepts_; }

 private:
  std::uint16_t listen();
  Callbacks track(Callbacks callbacks);
  void start_raw_read();
  void close_everything();

  static void on_connection(uv_stream_t* listener, int status);
  static void on_guard(uv_timer_t* timer);

  uv_loop_t loop_{};
  uv_timer_t guard_{};
  uv_tcp_t listener_{};
  bool listening_ = false;
  const ServerConfig* server_config_ = nullptr;  // nullptr: the listener is silent
  Callbacks server_callbacks_;
  Options server_options_;
  std::set<Conn*> live_;  // connections whose on_closed has not run yet
  bool timed_out_ = false;
  int refused_accepts_ = 0;

  uv_tcp_t raw_{};
  bool raw_open_ = false;
  uv_connect_t raw_connect_{};
  std::array<char, 4096> raw_buffer_{};
  Bytes raw_received_;
  bool raw_eof_ = false;
};

}  // namespace p2pnet::loops

#endif  // P2PNET_TESTS_LOOPS_UV_HARNESS_H_
