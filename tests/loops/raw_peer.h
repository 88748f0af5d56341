// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// raw_peer.h: a hand-driven TCP peer for the reset tests (peer_reset_tests.h). It is a
// plain POSIX socket that the test steps one action at a time, between turns of the
// loop under test: send these bytes, take what has arrived, end the stream with FIN and
// then RST. Because the loop does not run while the test acts, the peer's FIN and RST
// both reach our side before it reads what came just before them, every time: the
// test does not depend on a race. A RawHandshake (an engine the test drives by hand)
// makes the valid bytes to send.
#ifndef P2PNET_TESTS_LOOPS_RAW_PEER_H_
#define P2PNET_TESTS_LOOPS_RAW_PEER_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "loop_peers.h"
#include "p2pnet/connection.h"

namespace p2pnet::loops {

// RawSocket owns one connected, non-blocking TCP socket (a descriptor; closed on
// destruction). Move-only.
class RawSocket {
 public:
  RawSocket() = default;
  explicit RawSocket(int fd) : fd_(fd) {}
  ~RawSocket();
  RawSocket(RawSocket&& other) noexcept;
  RawSocket& operator=(RawSocket&& other) noexcept;
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  // connect_to connects to 127.0.0.1:|port|; the connection completes in the kernel's
  // accept queue, before the listener's loop accepts it. |receive_buffer| > 0 sets
  // SO_RCVBUF first: a small window makes the other side's writes stall sooner.
  // Returns an invalid socket on failure.
  static RawSocket connect_to(std::uint16_t port, int receive_buffer = 0);

  bool valid() const { return fd_ >= 0; }
  // send_all writes all of |data|, waiting for room if needed (at most a few seconds);
  // false if the socket failed or stayed full. Never raises SIGPIPE.
  [[nodiscard]] bool send_all(ByteSpan data);
  // wait_for_input waits at most |limit| for something to read (or the stream's end).
  void wait_for_input(Duration limit) const;
  // receive_some appends to received() what one read returns now (at most 16 KiB),
  // without waiting.
  void receive_some();
  const Bytes& received() const { return received_; }
  // reset_after_fin ends our side with FIN (shutdown), then aborts the connection with
  // RST (SO_LINGER {1, 0}, then close): the other side sees the end of stream, and its
  // next write meets a reset connection. The socket is closed afterwards.
  void reset_after_fin();

 private:
  void close();

  int fd_ = -1;
  Bytes received_;
};

// RawListener listens on 127.0.0.1 (an ephemeral port) for one RawSocket.
class RawListener {
 public:
  RawListener();
  ~RawListener();
  RawListener(const RawListener&) = delete;
  RawListener& operator=(const RawListener&) = delete;

  bool valid() const { return fd_ >= 0; }
  std::uint16_t port() const { return port_; }
  // try_accept takes a pending connection without waiting; nullopt when none is there.
  std::optional<RawSocket> try_accept();

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// RawHandshake: an engine whose bytes go through a RawSocket, moved by hand. flush()
// sends what the engine has to say; take_input() offers what the socket received and
// pulls the engine's events. The engine's clock stands still: nothing here waits for a
// deadline.
class RawHandshake {
 public:
  explicit RawHandshake(Connection engine) : engine_(std::move(engine)) {}

  // flush sends every byte the engine has queued; false if the socket refused them.
  [[nodiscard]] bool flush(RawSocket& socket);
  // take_input reads once (receive_some) and offers the engine what it has not consumed.
  void take_input(RawSocket& socket);
  // consumed counts the received bytes the engine has taken so far.
  std::size_t consumed() const { return consumed_; }
  Connection& engine() { return engine_; }

 private:
  Connection engine_;
  std::size_t consumed_ = 0;
};

}  // namespace p2pnet::loops

#endif  // P2PNET_TESTS_LOOPS_RAW_PEER_H_
