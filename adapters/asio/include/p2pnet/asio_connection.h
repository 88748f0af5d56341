// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// asio_connection.h: one p2pnet::Connection driven by standalone Asio over one TCP
// socket. The adapter owns the socket, a steady_timer and two fixed buffers; the
// engine decides everything else. It follows the polling order of connection.h:
//   - read completion: handle_bytes(bytes, now), pull every event, re-offer the rest;
//     EOF: handle_bytes with empty input;
//   - after every step: drain poll_transmit() into one async_write at a time;
//   - the timer is armed for poll_timeout() and calls handle_timeout(now).
// "now" is std::chrono::steady_clock, read here, never in the engine. Output stays
// bounded: while more than max_write_backlog bytes wait to be written, received bytes
// are not offered to the engine (between two messages of one read) and no read is
// started. docs/event-loops.md has the full mapping and an example.
// No peer can raise SIGPIPE in the embedding process: Asio sends with MSG_NOSIGNAL
// (Linux) or on sockets with SO_NOSIGPIPE (macOS, the BSDs; accept() sets it on the
// socket it is given as well), and the process's signal dispositions are left alone.
//
// Everything runs on the io_context's thread (or one strand); no call here is
// thread-safe.
#ifndef P2PNET_ASIO_CONNECTION_H_
#define P2PNET_ASIO_CONNECTION_H_

#ifndef ASIO_STANDALONE
#define ASIO_STANDALONE
#endif
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include "p2pnet/connection.h"
#include "p2pnet/stream/stream_driver.h"

namespace p2pnet {

class AsioConnection;

// AsioCallbacks: what the embedder hears. Every member may be empty. Each receives the
// connection, on which it may call send(), close() or abort(). Capture no
// shared_ptr to the connection in them: they are stored in it (use the argument).
struct AsioCallbacks {
  // on_established: the peer is authenticated (engine().peer_identity() is set).
  std::function<void(AsioConnection&)> on_established;
  // on_message: one message from the peer; the span is valid during the call only.
  std::function<void(AsioConnection&, ByteSpan)> on_message;
  // on_peer_closed: the peer sent close_notify. When empty, the adapter answers with
  // close() at once; otherwise the embedder may still send, then must call close().
  std::function<void(AsioConnection&)> on_peer_closed;
  // on_drain: a send() refused with kSendBufferFull may be retried now.
  std::function<void(AsioConnection&)> on_drain;
  // on_error: called at most once, at the first failure. |error| is the engine's
  // error (a stream that breaks is shown to the engine as EOF, so a broken handshake
  // reads kConnectionClosed and a broken channel kTruncated); it is kNone when only
  // the transport failed after a clean close_notify. |transport| is the socket's
  // error when it failed, asio::error::timed_out when close_timeout cut a closing
  // connection, and empty when the engine failed on its own.
  std::function<void(AsioConnection&, Error error, std::error_code transport)> on_error;
  // on_closed: the last callback, posted to the io_context after the socket closed.
  std::function<void(AsioConnection&)> on_closed;
};

struct AsioOptions {
  // No read is started while more than this many bytes wait to be written.
  std::size_t max_write_backlog = std::size_t{256} << 10;
  // How long a closing or failed connection may take to flush its output and see the
  // peer's close_notify (or EOF) before the socket is closed anyway.
  Duration close_timeout{5'000};
};

// AsioConnection lives while the embedder or a pending operation holds a shared_ptr
// to it; after on_closed nothing holds it but the embedder. The config, and
// everything it points to (identity, allow-list, random source), must outlive it.
class AsioConnection : public std::enable_shared_from_this<AsioConnection>,
                       private stream::StreamDriver<AsioConnection> {
 public:
  struct Private;  // makes the constructor usable by make_shared only

  // connect starts a TCP connection to |endpoint| and a client handshake over it.
  // The handshake deadline runs from this call, so it also bounds the TCP connect.
  // Returns nullptr, having called no callback, when the config is invalid
  // (Connection::client fails with kInvalidArgument); otherwise every outcome,
  // including a failed connect, arrives via |callbacks|.
  static std::shared_ptr<AsioConnection> connect(asio::io_context& io,
                                                 const asio::ip::tcp::endpoint& endpoint,
                                                 const ClientConfig& config,
                                                 AsioCallbacks callbacks,
                                                 AsioOptions options = {});

  // accept starts a server handshake on an accepted |socket|. Returns nullptr (the
  // socket is closed) when the config is invalid; no callback is called then.
  static std::shared_ptr<AsioConnection> accept(asio::ip::tcp::socket socket,
                                                const ServerConfig& config,
                                                AsioCallbacks callbacks,
                                                AsioOptions options = {});

  AsioConnection(Private, asio::ip::tcp::socket socket, Connection engine,
                 AsioCallbacks callbacks, AsioOptions options);
  AsioConnection(const AsioConnection&) = delete;
  AsioConnection& operator=(const AsioConnection&) = delete;

  // send queues one message (see Connection::send). kSendBufferFull: wait for
  // on_drain, then retry. Other errors are the engine's.
  [[nodiscard]] Error send(ByteSpan message);
  // close sends close_notify; the socket closes once the peer's close_notify (or EOF)
  // arrives and our output is written, or after close_timeout. Errors: see
  // Connection::close.
  [[nodiscard]] Error close();
  // abort closes the socket now, without close_notify (the peer sees a truncated
  // stream). No on_error follows; on_closed does.
  void abort();

  // engine gives read access to the connection: peer_identity(), session_key(),
  // state_name(), error()...
  const Connection& engine() const { return engine_; }

 private:
  friend class stream::StreamDriver<AsioConnection>;  // engine driving shared with libuv

  static Instant clock_now();
  Instant now() const { return clock_now(); }
  std::size_t write_backlog() const;
  void close_transport();  // closes the socket and posts on_closed

  void on_connected(const std::error_code& ec);
  void on_read(const std::error_code& ec, std::size_t n);
  void on_written(const std::error_code& ec);
  void on_timer(const std::error_code& ec);

  void pump_once();  // one pass of pump(): report, flush, read or pause, shut down, re-arm
  void flush();
  void start_read();
  void arm_timer();

  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  Connection engine_;
  AsioCallbacks callbacks_;
  AsioOptions options_;

  std::vector<std::uint8_t> read_buffer_;
  std::vector<std::uint8_t> write_buffer_;
  std::size_t write_in_flight_ = 0;  // bytes of write_buffer_ handed to async_write

  bool connected_ = false;
  bool read_in_flight_ = false;
  bool shut_down_ = false;
  bool send_blocked_ = false;  // a send() got kSendBufferFull: on_drain is owed
  std::optional<Instant> close_deadline_;
  std::optional<Instant> armed_deadline_;
};

}  // namespace p2pnet

#endif  // P2PNET_ASIO_CONNECTION_H_
