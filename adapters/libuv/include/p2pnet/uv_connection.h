// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// uv_connection.h: one p2pnet::Connection driven by a libuv loop over one TCP stream.
// Every decision (what to write, when to read, shut down, close, report, time out) is
// the shared stream::Driver's (p2pnet/stream/driver.h); this adapter gives it libuv's
// primitives: a uv_tcp_t (with TCP_NODELAY) for reading, connecting, shutting down and
// closing, a uv_timer_t, and the write path below. It follows the polling order of
// connection.h:
//   - read callback: handle_bytes(bytes, uv_now), pull every event, re-offer the rest;
//     EOF: handle_bytes with empty input;
//   - after every step: drain poll_transmit() into one write at a time;
//   - the loop timer is armed for poll_timeout() and calls handle_timeout(uv_now).
// No peer can raise SIGPIPE in the embedding process, and the process's signal
// dispositions are left alone. libuv writes with write()/writev(), which on Linux
// raise SIGPIPE when the peer has reset the connection, also later, from inside
// uv_run, for a write that had to wait for room. So on POSIX the adapter writes
// itself, with send(MSG_NOSIGNAL) (SO_NOSIGPIPE is set too where the system has it),
// and waits for room with a uv_poll_t on a duplicate of the socket's descriptor: each
// connection holds two descriptors. Windows has no SIGPIPE: there it uses uv_write.
// docs/event-loops.md ("SIGPIPE") has the reasons and the alternatives rejected.
// Output stays bounded: while more than max_write_backlog bytes wait to be written,
// received bytes are not offered to the engine (between two messages of one read)
// and the socket is not read, so a peer that does not read cannot make us buffer
// without limit. docs/event-loops.md has the full mapping and an example.
//
// Everything runs on the loop's thread; no call here is thread-safe.
#ifndef P2PNET_UV_CONNECTION_H_
#define P2PNET_UV_CONNECTION_H_

#include <uv.h>

#include <cstddef>
#include <optional>

#include "p2pnet/connection.h"
#include "p2pnet/stream/callbacks.h"
#include "p2pnet/stream/driver.h"
#ifndef _WIN32
#include "p2pnet/socket/socket.h"
#endif

namespace p2pnet {

class UvConnection;

// UvCallbacks: what the embedder hears (p2pnet/stream/callbacks.h has each member).
// on_error's status is the libuv error (negative) when the socket failed,
// UV_ETIMEDOUT when close_timeout cut a closing connection, and 0 when the engine
// failed on its own. on_closed runs once the socket is closed; the object is freed as
// soon as it returns.
using UvCallbacks = stream::Callbacks<UvConnection, int>;

// UvOptions: max_write_backlog and close_timeout (p2pnet/stream/driver.h).
using UvOptions = stream::Options;

// UvConnection manages its own lifetime: it frees itself after on_closed. A pointer
// returned by connect() or accept() is valid until on_closed returns. The config, and
// everything it points to (identity, allow-list, random source), must outlive it.
class UvConnection final : private stream::Transport {
 public:
  UvConnection(const UvConnection&) = delete;
  UvConnection& operator=(const UvConnection&) = delete;

  // connect starts a TCP connection to |address| and a client handshake over it. The
  // handshake deadline runs from this call, so it also bounds the TCP connect. Returns
  // nullptr, having called no callback, when the config is invalid
  // (Connection::client fails with kInvalidArgument) or libuv refuses the connect;
  // otherwise every outcome, including a failed connect, arrives via |callbacks|.
  static UvConnection* connect(uv_loop_t* loop, const sockaddr* address, const ClientConfig& config,
                               UvCallbacks callbacks, UvOptions options = {});

  // accept takes the pending connection of |listener| (call it from the listener's
  // connection callback) and starts a server handshake on it. Returns nullptr, having
  // called no callback, when uv_accept fails, the config is invalid or the write path
  // cannot be set up (no descriptor left for its duplicate); the pending connection is
  // then accepted and closed, so the listener does not stall.
  static UvConnection* accept(uv_stream_t* listener, const ServerConfig& config,
                              UvCallbacks callbacks, UvOptions options = {});

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
  uv_loop_t* loop() const { return loop_; }

 private:
  UvConnection(uv_loop_t* loop, Connection engine, UvCallbacks callbacks, UvOptions options,
               bool connected);
  ~UvConnection() = default;

  // Setting up, for the factories.
  bool init_handles();  // false: close_quietly() frees what was made
  int init_writer();    // once connected: the write path (0, or a libuv error)
  uv_stream_t* stream();
  void close_quietly();  // closes the handles without calling back
  void on_connected(int status);
  static void connect_cb(uv_connect_t* request, int status);

  // stream::Transport (libuv's primitives for the driver), each with the libuv
  // callbacks that complete it, grouped by what they do.
  Instant now() const override;
  void arm_timer(std::optional<Duration> delay) override;
  static void timer_cb(uv_timer_t* timer);

  void set_reading(bool on) override;
  void on_read(ssize_t nread);
  static void alloc_cb(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void read_cb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);

  void start_write(ByteSpan bytes) override;
  void on_written(int status);  // the write in flight completed (from a loop callback)
#ifdef _WIN32
  static void write_cb(uv_write_t* request, int status);
#else
  // send_rest sends what the socket takes now. False: it waits for room; true: the
  // write is done, or failed with write_error_.
  [[nodiscard]] bool send_rest();
  void on_writable(int status);
  static void writable_cb(uv_poll_t* poll, int status, int events);
#endif

  void shutdown_write() override;
  static void shutdown_cb(uv_shutdown_t* request, int status);

  void close_transport() override;
  void on_handle_closed();
  static void close_cb(uv_handle_t* handle);

  void fail(int status);  // the socket failed: on_error (once) and close

  uv_loop_t* loop_;
  stream::CallbackEvents<UvConnection, int> events_;
  stream::Driver driver_;

  uv_tcp_t tcp_{};
  uv_timer_t timer_{};
  uv_connect_t connect_request_{};
  uv_shutdown_t shutdown_request_{};
  ByteSpan write_;  // the write in flight (the driver's buffer), empty when none
#ifdef _WIN32
  uv_write_t write_request_{};
#else
  net::Socket write_socket_;  // a duplicate of tcp_'s descriptor, for send(MSG_NOSIGNAL)
  uv_poll_t write_poll_{};    // waits until write_socket_ has room
  bool write_poll_open_ = false;
  std::size_t write_offset_ = 0;  // bytes of the write in flight already sent
  int write_error_ = 0;           // the write in flight failed (a libuv error)
#endif

  int open_handles_ = 0;  // opened in this order: timer_, tcp_, then write_poll_
  bool reading_ = false;
  bool quiet_ = false;  // closed by a factory: no callback at all
};

}  // namespace p2pnet

#endif  // P2PNET_UV_CONNECTION_H_
