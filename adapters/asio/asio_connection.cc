// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// AsioConnection: Asio's primitives for the shared stream::Driver, and Asio's
// completions turned into the driver's. No decision is made here: when to write,
// read, shut down, close, time out or report is the driver's (p2pnet/stream/driver.h,
// "Theory of operation"). Each completion handler holds a shared_ptr, so the object
// outlives its operations; after close every completion is still delivered (with
// operation_aborted) and the driver ignores it.
#include "p2pnet/asio_connection.h"

#include <algorithm>
#include <asio/buffer.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <utility>

namespace p2pnet {
namespace {

using SteadyClock = std::chrono::steady_clock;

Instant clock_now() { return std::chrono::floor<Instant>(SteadyClock::now().time_since_epoch()); }

// kLongestWait: a timer delay steady_clock can count (its nanoseconds hold about 292
// years; Duration::max() milliseconds would overflow them). A longer one never fires
// in practice, which is what it means.
constexpr Duration kLongestWait = std::chrono::floor<Duration>(SteadyClock::duration::max()) / 2;

}  // namespace

struct AsioConnection::Private {};

AsioConnection::AsioConnection(Private, asio::ip::tcp::socket socket, Connection engine,
                               AsioCallbacks callbacks, AsioOptions options, bool connected)
    : socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      events_(*this, std::move(callbacks), make_error_code(asio::error::timed_out)),
      driver_(std::move(engine), *this, events_, options, connected) {}

std::shared_ptr<AsioConnection> AsioConnection::connect(asio::io_context& io,
                                                        const asio::ip::tcp::endpoint& endpoint,
                                                        const ClientConfig& config,
                                                        AsioCallbacks callbacks,
                                                        AsioOptions options) {
  Connection engine = Connection::client(config, clock_now());
  if (engine.error() != Error::kNone) return nullptr;
  auto conn =
      std::make_shared<AsioConnection>(Private{}, asio::ip::tcp::socket(io), std::move(engine),
                                       std::move(callbacks), options, /*connected=*/false);
  conn->socket_.async_connect(endpoint, [self = conn](const std::error_code& ec) {
    if (ec) {
      self->fail(ec);
      return;
    }
    self->set_no_delay();
    self->driver_.on_connected();
  });
  conn->driver_.start();  // arms the handshake deadline, which also bounds the TCP connect
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
                                               std::move(callbacks), options, /*connected=*/true);
  conn->set_no_delay();
  conn->driver_.start();  // starts reading and arms the handshake deadline
  return conn;
}

void AsioConnection::set_no_delay() {
  // The driver's stream has Nagle off (stream::Transport); best effort, like the
  // socket layer's.
  std::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
}

void AsioConnection::fail(const std::error_code& ec) {
  events_.set_transport_status(ec);
  driver_.on_transport_error();
}

// --- stream::Transport ----------------------------------------------------------------

Instant AsioConnection::now() const { return clock_now(); }

void AsioConnection::start_write(ByteSpan bytes) {
  asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()),
                    [self = shared_from_this()](const std::error_code& ec, std::size_t) {
                      if (ec) {
                        self->fail(ec);
                      } else {
                        self->driver_.on_write_done();
                      }
                    });
}

void AsioConnection::set_reading(bool on) {
  // A read is one async_read_some; the driver says again after each whether it wants
  // the next.
  if (!on || read_in_flight_) return;
  read_in_flight_ = true;
  const MutableByteSpan space = driver_.read_buffer();
  socket_.async_read_some(asio::buffer(space.data(), space.size()),
                          [self = shared_from_this()](const std::error_code& ec, std::size_t n) {
                            self->read_in_flight_ = false;
                            if (ec == asio::error::eof) {
                              self->driver_.on_eof();
                            } else if (ec) {
                              self->fail(ec);
                            } else {
                              self->driver_.on_read(n);
                            }
                          });
}

void AsioConnection::shutdown_write() {
  std::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (ec) {
    fail(ec);
  } else {
    driver_.on_shutdown_done();
  }
}

void AsioConnection::arm_timer(std::optional<Duration> delay) {
  if (!delay) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(std::min(*delay, kLongestWait));  // cancels the wait before
  timer_.async_wait([self = shared_from_this()](const std::error_code& ec) {
    if (ec != asio::error::operation_aborted) self->driver_.on_timer();  // else re-armed or closed
  });
}

void AsioConnection::close_transport() {
  // Pending operations complete with operation_aborted; the driver ignores them.
  std::error_code ignored;
  socket_.close(ignored);
  timer_.cancel();
  // on_closed is posted, never called from inside send(), close() or abort().
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->events_.on_closed(); });
}

}  // namespace p2pnet
