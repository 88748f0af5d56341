// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// AsioConnection: Asio completions in, engine calls out. Theory of operation: every
// completion (connect, read, write, timer) and every embedder call (send, close) ends
// in pump(), which looks at the engine and the socket and does what is due: report a
// failure once, move engine output into the one write in flight, start the next read
// unless the backlog is too large, shut our side down once everything we will ever
// send is written, close when both sides are done, and re-arm the timer. Each
// completion handler holds a shared_ptr, so the object outlives its operations.
//
// Closing is always "lingering": after close_notify or a failure we flush what the
// engine still has (close_notify, or an Error message for the peer), shut down the
// send side, and keep reading (a failed engine's input is discarded) until the peer
// finishes or close_timeout passes. Closing with unread input would make the kernel
// reset the connection, and the peer could lose our last bytes.
#include "p2pnet/asio_connection.h"

#include <asio/buffer.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>
#include <utility>

namespace p2pnet {
namespace {

constexpr std::size_t kReadChunk = std::size_t{64} << 10;
constexpr std::size_t kWriteChunk = std::size_t{64} << 10;

}  // namespace

struct AsioConnection::Private {};

AsioConnection::AsioConnection(Private, asio::ip::tcp::socket socket, Connection engine,
                               AsioCallbacks callbacks, AsioOptions options)
    : socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      engine_(std::move(engine)),
      callbacks_(std::move(callbacks)),
      options_(options),
      read_buffer_(kReadChunk),
      write_buffer_(kWriteChunk) {}

std::shared_ptr<AsioConnection> AsioConnection::connect(asio::io_context& io,
                                                        const asio::ip::tcp::endpoint& endpoint,
                                                        const ClientConfig& config,
                                                        AsioCallbacks callbacks,
                                                        AsioOptions options) {
  Connection engine = Connection::client(config, clock_now());
  if (engine.error() != Error::kNone) return nullptr;
  auto conn = std::make_shared<AsioConnection>(Private{}, asio::ip::tcp::socket(io),
                                               std::move(engine), std::move(callbacks), options);
  conn->socket_.async_connect(endpoint, [self = conn](const std::error_code& ec) {
    self->on_connected(ec);
  });
  conn->pump();  // arms the handshake deadline, which also bounds the TCP connect
  return conn;
}

std::shared_ptr<AsioConnection> AsioConnection::accept(asio::ip::tcp::socket socket,
                                                       const ServerConfig& config,
                                                       AsioCallbacks callbacks,
                                                       AsioOptions options) {
  Connection engine = Connection::server(config, clock_now());
  if (engine.error() != Error::kNone || !socket.is_open()) return nullptr;  // socket closes here
#ifdef SO_NOSIGPIPE
  // Asio sets SO_NOSIGPIPE itself only on the sockets it opens or accepts; one the
  // embedder assigned from a native handle may lack it (docs/event-loops.md, "SIGPIPE").
  const int one = 1;
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
  auto conn = std::make_shared<AsioConnection>(Private{}, std::move(socket), std::move(engine),
                                               std::move(callbacks), options);
  conn->connected_ = true;
  conn->pump();  // starts reading and arms the handshake deadline; calls nothing back
  return conn;
}

Error AsioConnection::send(ByteSpan message) {
  if (closing_) return refused();
  const Error error = engine_.send(message);
  if (error == Error::kSendBufferFull) send_blocked_ = true;
  if (error == Error::kNone) pump();
  return error;
}

Error AsioConnection::close() {
  if (closing_) return refused();
  const Error error = engine_.close();
  if (error == Error::kNone) pump();
  return error;
}

void AsioConnection::abort() { close_transport(); }

Instant AsioConnection::clock_now() {
  return std::chrono::duration_cast<Instant>(std::chrono::steady_clock::now().time_since_epoch());
}

std::size_t AsioConnection::write_backlog() const {
  return engine_.pending_transmit() + write_in_flight_;
}

void AsioConnection::close_transport() {
  if (closing_) return;
  closing_ = true;
  // Pending operations complete with operation_aborted; their handlers see closing_.
  std::error_code ignored;
  socket_.close(ignored);
  timer_.cancel();
  // on_closed is posted, never called from inside send(), close() or abort().
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    if (self->callbacks_.on_closed) self->callbacks_.on_closed(*self);
    self->callbacks_ = {};  // drops whatever the embedder's callbacks captured
  });
}

// --- Completions ----------------------------------------------------------------------

void AsioConnection::on_connected(const std::error_code& ec) {
  if (closing_) return;
  if (ec) {
    fail_transport(ec);
    return;
  }
  connected_ = true;
  pump();
}

void AsioConnection::on_read(const std::error_code& ec, std::size_t n) {
  read_in_flight_ = false;
  if (closing_) return;
  if (ec == asio::error::eof) {
    handle_eof();
    pump();
    return;
  }
  if (ec) {
    fail_transport(ec);
    return;
  }
  unread_ = ByteSpan(read_buffer_.data(), n);
  feed_unread();
  pump();
}

void AsioConnection::on_written(const std::error_code& ec) {
  write_in_flight_ = 0;
  if (closing_) return;
  if (ec) {
    fail_transport(ec);
    return;
  }
  feed_unread();  // input held back by the backlog, now that the backlog shrank
  pump();
}

void AsioConnection::on_timer(const std::error_code& ec) {
  if (ec == asio::error::operation_aborted || closing_) return;  // re-armed or closed
  armed_deadline_.reset();
  const Instant t = clock_now();
  (void)engine_.handle_timeout(t);  // a handshake past its deadline fails with kTimeout
  if (close_deadline_ && t >= *close_deadline_) {
    report_error(make_error_code(asio::error::timed_out));
    close_transport();
    return;
  }
  pump();
}

// --- Driving the engine (pump, events, input: stream::StreamDriver) ---------------

void AsioConnection::pump_once() {
  if (closing_) return;
  const bool failed = engine_.state() == ConnectionState::kFailed;
  if (failed) unread_ = {};  // what the peer sent after the failure is never read
  if ((failed || engine_.sent_close()) && !close_deadline_) {
    close_deadline_ = clock_now() + options_.close_timeout;
  }
  if (failed && !error_reported_) {
    report_error(std::error_code{});
    if (closing_) return;
  }
  if (!connected_) {
    // A client whose handshake failed before the TCP connect finished has nothing
    // it can still send.
    if (failed) {
      close_transport();
    } else {
      arm_timer();
    }
    return;
  }
  flush();
  if (closing_) return;
  if (send_blocked_ && engine_.pending_transmit() == 0) {
    send_blocked_ = false;
    if (callbacks_.on_drain) callbacks_.on_drain(*this);
    if (closing_) return;
  }
  start_read();
  // Everything we will ever send is written: shut our side down (TCP FIN).
  if ((failed || engine_.sent_close()) && !shut_down_ && write_backlog() == 0) {
    shut_down_ = true;
    std::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    if (ec) {
      fail_transport(ec);
      return;
    }
  }
  if (shut_down_ && (eof_ || engine_.peer_closed())) {
    close_transport();
    return;
  }
  arm_timer();
}

void AsioConnection::flush() {
  if (write_in_flight_ != 0 || shut_down_) return;
  const std::size_t n = engine_.poll_transmit(write_buffer_);
  if (n == 0) return;
  write_in_flight_ = n;
  asio::async_write(socket_, asio::buffer(write_buffer_.data(), n),
                    [self = shared_from_this()](const std::error_code& ec, std::size_t) {
                      self->on_written(ec);
                    });
}

void AsioConnection::start_read() {
  // Not reading while input waits or the backlog is large keeps our output bounded.
  if (read_in_flight_ || eof_ || !unread_.empty() ||
      write_backlog() > options_.max_write_backlog) {
    return;
  }
  read_in_flight_ = true;
  socket_.async_read_some(asio::buffer(read_buffer_),
                          [self = shared_from_this()](const std::error_code& ec, std::size_t n) {
                            self->on_read(ec, n);
                          });
}

void AsioConnection::arm_timer() {
  std::optional<Instant> deadline = engine_.poll_timeout();
  if (close_deadline_ && (!deadline || *close_deadline_ < *deadline)) deadline = close_deadline_;
  if (deadline == armed_deadline_) return;
  armed_deadline_ = deadline;
  if (!deadline) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(std::chrono::steady_clock::time_point(*deadline));
  timer_.async_wait([self = shared_from_this()](const std::error_code& ec) { self->on_timer(ec); });
}

}  // namespace p2pnet
