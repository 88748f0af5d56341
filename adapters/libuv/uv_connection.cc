// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// UvConnection: libuv callbacks in, engine calls out. Theory of operation: every
// callback (connect, read, write, shutdown, timer) and every embedder call (send,
// close) ends in pump(), which looks at the engine and the socket and does what is
// due: report a failure once, move engine output into the one write in flight, read
// or pause reading by the backlog, shut our side down once everything we will ever
// send is written, close when both sides are done, and re-arm the timer. Keeping all
// of those decisions in one place means no callback can forget one.
//
// Closing is always "lingering": after close_notify or a failure we flush what the
// engine still has (close_notify, or an Error message for the peer), shut down the
// write side, and keep reading (a failed engine's input is discarded) until the peer
// finishes or close_timeout passes. Closing with unread input would make the kernel
// reset the connection, and the peer could lose our last bytes.
//
// Writing (POSIX): libuv's uv_write would write with write()/writev(), which raise
// SIGPIPE on a reset connection, and finishes a write that had to wait from inside
// uv_run, where no code of ours runs. So we write ourselves (net::send_some:
// send(MSG_NOSIGNAL), SO_NOSIGPIPE where it exists) and wait for room with a
// uv_poll_t. libuv allows one handle per descriptor number, and tcp_ already watches
// its own, so the poll watches a duplicate (epoll and kqueue take the second
// registration: it is another descriptor of the same socket). A write, done or
// failed, completes from the poll's callback, never inside the call that started it,
// as with uv_write: so input held back by the backlog is only offered again from a
// loop callback (stream_driver.h), and on_error never runs inside send() or close().
// libuv's own write queue stays empty, so uv_shutdown sends FIN at once.
// docs/event-loops.md, "SIGPIPE".
#include "p2pnet/uv_connection.h"

#ifndef _WIN32
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#endif

#include <utility>

namespace p2pnet {
namespace {

constexpr std::size_t kReadChunk = std::size_t{64} << 10;
constexpr std::size_t kWriteChunk = std::size_t{64} << 10;

// loop_now is the loop's cached monotonic clock in milliseconds, the engine's Instant.
Instant loop_now(const uv_loop_t* loop) {
  return Instant{static_cast<Instant::rep>(uv_now(loop))};
}

UvConnection* from_handle(const uv_handle_t* handle) {
  return static_cast<UvConnection*>(handle->data);
}

}  // namespace

UvConnection::UvConnection(uv_loop_t* loop, Connection engine, UvCallbacks callbacks,
                           UvOptions options)
    : loop_(loop),
      engine_(std::move(engine)),
      callbacks_(std::move(callbacks)),
      options_(options),
      read_buffer_(kReadChunk),
      write_buffer_(kWriteChunk) {}

bool UvConnection::init_handles() {
  if (uv_timer_init(loop_, &timer_) < 0) return false;
  timer_.data = this;
  ++open_handles_;
  if (uv_tcp_init(loop_, &tcp_) < 0) return false;
  tcp_.data = this;
  ++open_handles_;
  // TCP_NODELAY, as the socket layer sets it: output leaves in 64 KiB writes, so Nagle
  // only holds back the short tail of a burst until the peer's delayed ACK (about
  // 40 ms on Linux). libuv applies it when the socket is made (connect) or taken
  // (accept); best effort, like the socket layer's.
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
                                std::move(callbacks), options);
  if (!conn->init_handles() || conn->engine_.error() != Error::kNone) {
    conn->close_quietly();
    return nullptr;
  }
  conn->connect_request_.data = conn;
  if (uv_tcp_connect(&conn->connect_request_, &conn->tcp_, address, connect_cb) < 0) {
    conn->close_quietly();
    return nullptr;
  }
  conn->pump();  // arms the handshake deadline, which also bounds the TCP connect
  return conn;
}

UvConnection* UvConnection::accept(uv_stream_t* listener, const ServerConfig& config,
                                   UvCallbacks callbacks, UvOptions options) {
  auto* conn = new UvConnection(listener->loop, Connection::server(config, loop_now(listener->loop)),
                                std::move(callbacks), options);
  if (!conn->init_handles()) {
    conn->close_quietly();
    return nullptr;
  }
  // Accept even with a bad config, so the pending connection leaves the backlog.
  const int rc = uv_accept(listener, conn->stream());
  if (rc < 0 || conn->engine_.error() != Error::kNone || conn->init_writer() < 0) {
    conn->close_quietly();
    return nullptr;
  }
  conn->connected_ = true;
  conn->pump();  // starts reading and arms the handshake deadline; calls nothing back
  return conn;
}

Error UvConnection::send(ByteSpan message) {
  if (closing_) return refused();
  const Error error = engine_.send(message);
  if (error == Error::kSendBufferFull) send_blocked_ = true;
  if (error == Error::kNone) pump();
  return error;
}

Error UvConnection::close() {
  if (closing_) return refused();
  const Error error = engine_.close();
  if (error == Error::kNone) pump();
  return error;
}

void UvConnection::abort() { close_transport(); }

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

Instant UvConnection::now() const { return loop_now(loop_); }

uv_stream_t* UvConnection::stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }

std::size_t UvConnection::write_backlog() const {
  return engine_.pending_transmit() + write_in_flight_;
}

// --- Closing ------------------------------------------------------------------------

void UvConnection::close_quietly() {
  quiet_ = true;
  if (open_handles_ == 0) {
    delete this;
    return;
  }
  close_transport();
}

void UvConnection::close_transport() {
  if (closing_) return;
  closing_ = true;
  reading_ = false;
  // Pending connect, write and shutdown requests complete with UV_ECANCELED before
  // the close callbacks run, so the object is still alive for them.
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
  if (!quiet_ && callbacks_.on_closed) callbacks_.on_closed(*this);
  delete this;
}

// --- Loop callbacks -----------------------------------------------------------------

void UvConnection::on_connected(int status) {
  if (closing_) return;
  if (status < 0) {
    fail_transport(status);
    return;
  }
  if (const int rc = init_writer(); rc < 0) {
    fail_transport(rc);
    return;
  }
  connected_ = true;
  pump();
}

void UvConnection::on_read(ssize_t nread) {
  if (closing_ || nread == 0) return;  // 0: nothing read this time (EAGAIN)
  if (nread == UV_EOF) {
    handle_eof();
    pump();
    return;
  }
  if (nread < 0) {
    fail_transport(static_cast<int>(nread));
    return;
  }
  unread_ = ByteSpan(read_buffer_.data(), static_cast<std::size_t>(nread));
  feed_unread();
  pump();
}

void UvConnection::on_written(int status) {
  write_in_flight_ = 0;
  if (closing_) return;
  if (status < 0) {
    fail_transport(status);
    return;
  }
  feed_unread();  // input held back by the backlog, now that the backlog shrank
  pump();
}

void UvConnection::on_shutdown(int status) {
  shutdown_done_ = true;
  if (closing_) return;
  if (status < 0) {
    fail_transport(status);
    return;
  }
  pump();
}

void UvConnection::on_timer() {
  if (closing_) return;
  armed_deadline_.reset();
  const Instant t = now();
  (void)engine_.handle_timeout(t);  // a handshake past its deadline fails with kTimeout
  if (close_deadline_ && t >= *close_deadline_) {
    report_error(UV_ETIMEDOUT);
    close_transport();
    return;
  }
  pump();
}

// --- Driving the engine (pump, events, input: stream::StreamDriver) ---------------

void UvConnection::pump_once() {
  if (closing_) return;
  const bool failed = engine_.state() == ConnectionState::kFailed;
  if (failed) unread_ = {};  // what the peer sent after the failure is never read
  if ((failed || engine_.sent_close()) && !close_deadline_) {
    close_deadline_ = now() + options_.close_timeout;
  }
  if (failed && !error_reported_) {
    report_error(0);
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
  update_reading();
  if (closing_) return;
  // Everything we will ever send is written: shut our side down (TCP FIN).
  if ((failed || engine_.sent_close()) && !shutdown_started_ && write_backlog() == 0) {
    shutdown_started_ = true;
    shutdown_request_.data = this;
    const int rc = uv_shutdown(&shutdown_request_, stream(), shutdown_cb);
    if (rc < 0) {
      fail_transport(rc);
      return;
    }
  }
  if (shutdown_done_ && (eof_ || engine_.peer_closed())) {
    close_transport();
    return;
  }
  arm_timer();
}

void UvConnection::flush() {
  if (write_in_flight_ != 0 || shutdown_started_) return;
  write_in_flight_ = engine_.poll_transmit(write_buffer_);
  if (write_in_flight_ != 0) start_write();
}

#ifdef _WIN32

void UvConnection::start_write() {
  // write_in_flight_ <= kWriteChunk, so the cast to libuv's unsigned length is exact.
  const uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(write_buffer_.data()),
                                   static_cast<unsigned int>(write_in_flight_));
  write_request_.data = this;
  const int rc = uv_write(&write_request_, stream(), &buf, 1, write_cb);
  if (rc < 0) fail_transport(rc);
}

#else

void UvConnection::start_write() {
  write_offset_ = 0;
  write_error_ = 0;
  (void)send_rest();
  // Written, failed or waiting, the write completes from the poll's callback, like
  // uv_write's: at the next turn of the loop when it is done (a broken socket counts
  // as writable, so a failure is reported then too), once the socket has room
  // otherwise. The poll stays on while writes follow each other.
  if (uv_is_active(reinterpret_cast<const uv_handle_t*>(&write_poll_))) return;
  const int rc = uv_poll_start(&write_poll_, UV_WRITABLE, writable_cb);
  if (rc < 0) fail_transport(rc);
}

bool UvConnection::send_rest() {
  while (write_offset_ < write_in_flight_ && write_error_ == 0) {
    const ByteSpan rest =
        ByteSpan(write_buffer_).subspan(write_offset_, write_in_flight_ - write_offset_);
    const net::IoResult result = net::send_some(write_socket_, rest);
    switch (result.state) {
      case net::IoState::kDone:
        write_offset_ += result.bytes;
        break;
      case net::IoState::kWouldBlock:
        return false;
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
  if (closing_) return;
  if (!send_rest()) {
    // Still no room. On a socket error libuv stops the poll and reports UV_EBADF, but
    // the send above names the real error (EPIPE, ECONNRESET) first, so this is only
    // a fallback.
    if (status < 0) fail_transport(status);
    return;
  }
  on_written(write_error_);
  if (!closing_ && write_in_flight_ == 0) uv_poll_stop(&write_poll_);  // nothing follows
}

#endif

void UvConnection::update_reading() {
  const bool want = !eof_ && unread_.empty() && write_backlog() <= options_.max_write_backlog;
  if (want == reading_) return;
  const int rc = want ? uv_read_start(stream(), alloc_cb, read_cb) : uv_read_stop(stream());
  reading_ = want;
  if (rc < 0) fail_transport(rc);
}

void UvConnection::arm_timer() {
  std::optional<Instant> deadline = engine_.poll_timeout();
  if (close_deadline_ && (!deadline || *close_deadline_ < *deadline)) deadline = close_deadline_;
  if (deadline == armed_deadline_) return;
  armed_deadline_ = deadline;
  if (!deadline) {
    uv_timer_stop(&timer_);
    return;
  }
  const Instant t = now();
  const std::uint64_t delay =
      *deadline > t ? static_cast<std::uint64_t>((*deadline - t).count()) : 0;
  (void)uv_timer_start(&timer_, timer_cb, delay, 0);  // fails only on a closing handle
}

// --- Trampolines from libuv's C callbacks ---------------------------------------------

void UvConnection::connect_cb(uv_connect_t* request, int status) {
  static_cast<UvConnection*>(request->data)->on_connected(status);
}

void UvConnection::alloc_cb(uv_handle_t* handle, std::size_t /*suggested*/, uv_buf_t* buf) {
  UvConnection* conn = from_handle(handle);
  *buf = uv_buf_init(reinterpret_cast<char*>(conn->read_buffer_.data()),
                     static_cast<unsigned int>(conn->read_buffer_.size()));
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
  static_cast<UvConnection*>(request->data)->on_shutdown(status);
}

void UvConnection::timer_cb(uv_timer_t* timer) {
  from_handle(reinterpret_cast<uv_handle_t*>(timer))->on_timer();
}

void UvConnection::close_cb(uv_handle_t* handle) { from_handle(handle)->on_handle_closed(); }

}  // namespace p2pnet
