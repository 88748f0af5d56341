// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// UvConnection: libuv's primitives for the shared stream::Driver, and libuv's
// callbacks turned into the driver's completions. No decision is made here: when to
// write, read, shut down, close, time out or report is the driver's
// (p2pnet/stream/driver.h, "Theory of operation"). Every libuv callback reports to the
// driver and returns; a failed libuv call is reported as a transport failure (fail()).
//
// Writing (POSIX): libuv's uv_write would write with write()/writev(), which raise
// SIGPIPE on a reset connection, and finishes a write that had to wait from inside
// uv_run, where no code of ours runs. So we write ourselves (net::send_some:
// send(MSG_NOSIGNAL), SO_NOSIGPIPE where it exists) and wait for room with a
// uv_poll_t. libuv allows one handle per descriptor number, and tcp_ already watches
// its own, so the poll watches a duplicate (epoll and kqueue take the second
// registration: it is another descriptor of the same socket). A write, done or
// failed, completes from the poll's callback, never inside the call that started it,
// as with uv_write, which is what the driver's Transport::start_write asks: so input
// held back by the backlog is only offered again from a loop callback, and on_error
// never runs inside send() or close(). libuv's own write queue stays empty, so
// uv_shutdown sends FIN at once. docs/event-loops.md, "SIGPIPE".
#include "p2pnet/uv_connection.h"

#ifndef _WIN32
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#endif

#include <cstdint>
#include <utility>

namespace p2pnet {
namespace {

// loop_now is the loop's cached monotonic clock in milliseconds, the engine's Instant.
Instant loop_now(const uv_loop_t* loop) { return Instant{static_cast<Instant::rep>(uv_now(loop))}; }

UvConnection* from_handle(const uv_handle_t* handle) {
  return static_cast<UvConnection*>(handle->data);
}

}  // namespace

UvConnection::UvConnection(uv_loop_t* loop, Connection engine, UvCallbacks callbacks,
                           UvOptions options, bool connected)
    : loop_(loop),
      events_(*this, std::move(callbacks), UV_ETIMEDOUT),
      driver_(std::move(engine), *this, events_, options, connected) {}

bool UvConnection::init_handles() {
  if (uv_timer_init(loop_, &timer_) < 0) return false;
  timer_.data = this;
  ++open_handles_;
  if (uv_tcp_init(loop_, &tcp_) < 0) return false;
  tcp_.data = this;
  ++open_handles_;
  // The driver's stream has Nagle off (stream::Transport). libuv applies it when the
  // socket is made (connect) or taken (accept); best effort, like the socket layer's.
  (void)uv_tcp_nodelay(&tcp_, 1);
  return true;
}

UvConnection* UvConnection::connect(uv_loop_t* loop, const sockaddr* address,
                                    const ClientConfig& config, UvCallbacks callbacks,
                                    UvOptions options) {
  // Called from outside a loop callback, the cached loop time may be old; the
  // handshake deadline must count from now.
  uv_update_time(loop);
  auto* conn = new UvConnection(loop, Connection::client(config, loop_now(loop)),
                                std::move(callbacks), options, /*connected=*/false);
  if (!conn->init_handles() || conn->engine().error() != Error::kNone) {
    conn->close_quietly();
    return nullptr;
  }
  conn->connect_request_.data = conn;
  if (uv_tcp_connect(&conn->connect_request_, &conn->tcp_, address, connect_cb) < 0) {
    conn->close_quietly();
    return nullptr;
  }
  conn->driver_.start();  // arms the handshake deadline, which also bounds the TCP connect
  return conn;
}

UvConnection* UvConnection::accept(uv_stream_t* listener, const ServerConfig& config,
                                   UvCallbacks callbacks, UvOptions options) {
  auto* conn =
      new UvConnection(listener->loop, Connection::server(config, loop_now(listener->loop)),
                       std::move(callbacks), options, /*connected=*/true);
  if (!conn->init_handles()) {
    conn->close_quietly();
    return nullptr;
  }
  // Accept even with a bad config, so the pending connection leaves the backlog.
  const int rc = uv_accept(listener, conn->stream());
  if (rc < 0 || conn->engine().error() != Error::kNone || conn->init_writer() < 0) {
    conn->close_quietly();
    return nullptr;
  }
  conn->driver_.start();  // starts reading and arms the handshake deadline
  return conn;
}

int UvConnection::init_writer() {
#ifdef _WIN32
  return 0;  // uv_write: Windows has no SIGPIPE
#else
  uv_os_fd_t fd = -1;
  int rc = uv_fileno(reinterpret_cast<const uv_handle_t*>(&tcp_), &fd);
  if (rc < 0) return rc;
  // F_DUPFD_CLOEXEC: like libuv's own descriptors, the duplicate must not leak into a
  // child process the embedder spawns.
  write_socket_ = net::Socket(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!write_socket_.valid()) return uv_translate_sys_error(errno);
  if (!net::forbid_sigpipe(write_socket_.native())) return uv_translate_sys_error(errno);
  rc = uv_poll_init_socket(loop_, &write_poll_, write_socket_.native());
  if (rc < 0) return rc;
  write_poll_.data = this;
  write_poll_open_ = true;
  ++open_handles_;
  return 0;
#endif
}

uv_stream_t* UvConnection::stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }

void UvConnection::fail(int status) {
  events_.set_transport_status(status);
  driver_.on_transport_error();
}

// --- Closing ------------------------------------------------------------------------

void UvConnection::close_quietly() {
  quiet_ = true;
  if (open_handles_ == 0) {
    delete this;
    return;
  }
  driver_.abort();  // closes the handles; any completion still owed is ignored
}

void UvConnection::close_transport() {
  reading_ = false;
  // Pending connect, write and shutdown requests complete with UV_ECANCELED before
  // the close callbacks run, so the object is still alive for them (and the driver,
  // closed, ignores them).
  if (open_handles_ >= 1) uv_close(reinterpret_cast<uv_handle_t*>(&timer_), close_cb);
  if (open_handles_ >= 2) uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), close_cb);
#ifndef _WIN32
  // Closing the poll stops its watch on the duplicate descriptor; write_socket_ closes
  // that descriptor with the object, after every close callback has run.
  if (write_poll_open_) uv_close(reinterpret_cast<uv_handle_t*>(&write_poll_), close_cb);
#endif
}

void UvConnection::on_handle_closed() {
  if (--open_handles_ > 0) return;
  if (!quiet_) events_.on_closed();
  delete this;
}

// --- stream::Transport ----------------------------------------------------------------

Instant UvConnection::now() const { return loop_now(loop_); }

void UvConnection::set_reading(bool on) {
  if (on == reading_) return;
  const int rc = on ? uv_read_start(stream(), alloc_cb, read_cb) : uv_read_stop(stream());
  reading_ = on;
  if (rc < 0) fail(rc);
}

void UvConnection::shutdown_write() {
  shutdown_request_.data = this;
  const int rc = uv_shutdown(&shutdown_request_, stream(), shutdown_cb);
  if (rc < 0) fail(rc);
}

void UvConnection::arm_timer(std::optional<Duration> delay) {
  if (!delay) {
    uv_timer_stop(&timer_);
    return;
  }
  // uv_timer_start clamps a due time past the end of its clock to "never".
  (void)uv_timer_start(&timer_, timer_cb, static_cast<std::uint64_t>(delay->count()), 0);
}

#ifdef _WIN32

void UvConnection::start_write(ByteSpan bytes) {
  write_ = bytes;
  // uv_buf_t serves reads and writes alike, hence the non-const pointer; uv_write only
  // reads. The driver writes at most 64 KiB at a time, so the length cast is exact.
  const uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(const_cast<std::uint8_t*>(bytes.data())),
                                   static_cast<unsigned int>(bytes.size()));
  write_request_.data = this;
  const int rc = uv_write(&write_request_, stream(), &buf, 1, write_cb);
  if (rc < 0) fail(rc);
}

#else

void UvConnection::start_write(ByteSpan bytes) {
  write_ = bytes;
  write_offset_ = 0;
  write_error_ = 0;
  (void)send_rest();
  // Written, failed or waiting, the write completes from the poll's callback, like
  // uv_write's: at the next turn of the loop when it is done (a broken socket counts
  // as writable, so a failure is reported then too), once the socket has room
  // otherwise. The poll stays on while writes follow each other.
  if (uv_is_active(reinterpret_cast<const uv_handle_t*>(&write_poll_))) return;
  const int rc = uv_poll_start(&write_poll_, UV_WRITABLE, writable_cb);
  if (rc < 0) fail(rc);
}

bool UvConnection::send_rest() {
  while (write_offset_ < write_.size() && write_error_ == 0) {
    const net::IoResult result = net::send_some(write_socket_, write_.subspan(write_offset_));
    switch (result.state) {
      case net::IoState::kDone: write_offset_ += result.bytes; break;
      case net::IoState::kWouldBlock: return false;
      case net::IoState::kEndOfStream:  // not a send result; a failure all the same
      case net::IoState::kReset:
      case net::IoState::kError:
        write_error_ = result.system_error > 0 ? uv_translate_sys_error(result.system_error)
                                               : UV_EPIPE;  // never 0: that would mean success
        break;
    }
  }
  return true;
}

void UvConnection::on_writable(int status) {
  if (write_.empty()) return;  // a stale wake-up: nothing is being written
  if (!send_rest()) {
    // Still no room. On a socket error libuv stops the poll and reports UV_EBADF, but
    // the send above names the real error (EPIPE, ECONNRESET) first, so this is only
    // a fallback.
    if (status < 0) fail(status);
    return;
  }
  on_written(write_error_);
  // Nothing follows (the driver started no new write): stop watching for room.
  if (write_.empty() && driver_.state() != stream::Driver::State::kClosed) {
    uv_poll_stop(&write_poll_);
  }
}

#endif

void UvConnection::on_written(int status) {
  write_ = {};
  if (status < 0) {
    fail(status);
    return;
  }
  driver_.on_write_done();
}

// --- libuv callbacks ------------------------------------------------------------------

void UvConnection::on_connected(int status) {
  // Closed while connecting (the handshake deadline): no write path for a dead socket.
  if (driver_.state() == stream::Driver::State::kClosed) return;
  if (status < 0) {
    fail(status);
    return;
  }
  if (const int rc = init_writer(); rc < 0) {
    fail(rc);
    return;
  }
  driver_.on_connected();
}

void UvConnection::on_read(ssize_t nread) {
  if (nread == 0) return;  // nothing read this time (EAGAIN)
  if (nread == UV_EOF) {
    driver_.on_eof();
  } else if (nread < 0) {
    fail(static_cast<int>(nread));
  } else {
    driver_.on_read(static_cast<std::size_t>(nread));
  }
}

void UvConnection::connect_cb(uv_connect_t* request, int status) {
  static_cast<UvConnection*>(request->data)->on_connected(status);
}

void UvConnection::alloc_cb(uv_handle_t* handle, std::size_t /*suggested*/, uv_buf_t* buf) {
  const MutableByteSpan space = from_handle(handle)->driver_.read_buffer();
  *buf =
      uv_buf_init(reinterpret_cast<char*>(space.data()), static_cast<unsigned int>(space.size()));
}

void UvConnection::read_cb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* /*buf*/) {
  from_handle(reinterpret_cast<uv_handle_t*>(stream))->on_read(nread);
}

#ifdef _WIN32
void UvConnection::write_cb(uv_write_t* request, int status) {
  static_cast<UvConnection*>(request->data)->on_written(status);
}
#else
void UvConnection::writable_cb(uv_poll_t* poll, int status, int /*events*/) {
  from_handle(reinterpret_cast<uv_handle_t*>(poll))->on_writable(status);
}
#endif

void UvConnection::shutdown_cb(uv_shutdown_t* request, int status) {
  auto* conn = static_cast<UvConnection*>(request->data);
  if (status < 0) {
    conn->fail(status);
  } else {
    conn->driver_.on_shutdown_done();
  }
}

void UvConnection::timer_cb(uv_timer_t* timer) {
  from_handle(reinterpret_cast<uv_handle_t*>(timer))->driver_.on_timer();
}

void UvConnection::close_cb(uv_handle_t* handle) { from_handle(handle)->on_handle_closed(); }

}  // namespace p2pnet
