// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// asio_connection.h: one p2pnet::Connection driven by standalone Asio over one TCP
// socket. Every decision (what to write, when to read, shut down, close, report, time
// out) is the shared stream::Driver's (p2pnet/stream/driver.h); this adapter gives it
// Asio's primitives: the socket (with TCP_NODELAY) and a steady_timer. It follows the
// polling order of connection.h:
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
#include <memory>
#include <optional>
#include <system_error>

#include "p2pnet/connection.h"
#include "p2pnet/stream/callbacks.h"
#include "p2pnet/stream/driver.h"

namespace p2pnet {

class AsioConnection;

// AsioCallbacks: what the embedder hears (p2pnet/stream/callbacks.h has each member).
// on_error's status is the socket's error when it failed, asio::error::timed_out when
// close_timeout cut a closing connection, and empty when the engine failed on its own.
// on_closed is posted to the io_context after the socket closed. Capture no shared_ptr
// to the connection in them: they are stored in it (use the argument).
using AsioCallbacks = stream::Callbacks<AsioConnection, std::error_code>;

// AsioOptions: max_write_backlog and close_timeout (p2pnet/stream/driver.h).
using AsioOptions = stream::Options;

// AsioConnection lives while the embedder or a pending operation holds a shared_ptr
// to it; after on_closed nothing holds it but the embedder. The config, and
// everything it points to (identity, allow-list, random source), must outlive it.
class AsioConnection final : public std::enable_shared_from_this<AsioConnection>,
                             private stream::Transport {
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
                                                 AsioCallbacks callbacks, AsioOptions options = {});

  // accept starts a server handshake on an accepted |socket|. Returns nullptr (the
  // socket is closed) when the config is invalid; no callback is called then.
  static std::shared_ptr<AsioConnection> accept(asio::ip::tcp::socket socket,
                                                const ServerConfig& config, AsioCallbacks callbacks,
                                                AsioOptions options = {});

  AsioConnection(Private, asio::ip::tcp::socket socket, Connection engine, AsioCallbacks callbacks,
                 AsioOptions options, bool connected);
  AsioConnection(const AsioConnection&) = delete;
  AsioConnection& operator=(const AsioConnection&) = delete;

  // send queues one message (see Connection::send). kSendBufferFull: wait for
  // on_drain, then retry. Other errors are the engine's.
  [[nodiscard]] Error send(ByteSpan message) { return driver_.send(message); }
  // close sends close_notify; the socket closes once the peer's close_notify (or EOF)
  // arrives and our output is written, or after close_timeout. Errors: see
  // Connection::close.
  [[nodiscard]] Error close() { return driver_.close(); }
  // abort closes the socket now, without close_notify (the peer sees a truncated
  // stream). No on_error follows; on_closed does.
  void abort() { driver_.abort(); }

  // engine gives read access to the connection: peer_identity(), session_key(),
  // state_name(), error()...
  const Connection& engine() const { return driver_.engine(); }

 private:
  // stream::Transport: Asio's primitives for the driver.
  Instant now() const override;
  void start_write(ByteSpan bytes) override;
  void set_reading(bool on) override;
  void shutdown_write() override;
  void arm_timer(std::optional<Duration> delay) override;
  void close_transport() override;

  void set_no_delay();
  void fail(const std::error_code& ec);  // the socket failed: on_error (once) and close

  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  stream::CallbackEvents<AsioConnection, std::error_code> events_;
  stream::Driver driver_;
  bool read_in_flight_ = false;
};

}  // namespace p2pnet

#endif  // P2PNET_ASIO_CONNECTION_H_
