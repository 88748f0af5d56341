// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// driver.h: one p2pnet::Connection driven over one byte stream by an event loop. The
// loop adapters (uv_connection.h, asio_connection.h) differ in how they write, read,
// wait and close; every decision about what to do and when is made here, once.
//
// Theory of operation. An adapter holds a Driver (composition) and gives it two
// interfaces: Transport, the primitives only the loop can do (start a write, read or
// stop reading, shut down writing, arm a timer, close), and Events, the embedder's
// callbacks. The adapter reports each completion to the Driver (on_connected, on_read,
// on_eof, on_write_done, on_shutdown_done, on_timer, on_transport_error) and passes
// the embedder's send(), close() and abort() on. Every one of those ends in pump(),
// which looks at the engine and the stream and does what is due, in this order:
//   1. a failed engine: report the failure once (Events::on_error);
//   2. a failed or closing engine (close_notify or an Error message is the last thing
//      it will send): start the close deadline, now + close_timeout, once;
//   3. a client whose TCP connect is still pending only waits (and a failed one
//      closes: it has nothing it can still send);
//   4. move engine output into the one write in flight (poll_transmit);
//   5. a send() was refused with kSendBufferFull and the engine's output has all been
//      handed to the stream: Events::on_drain, once per refusal;
//   6. read, unless input waits or the write backlog is over max_write_backlog;
//   7. everything we will ever send is written: shut down writing (TCP FIN);
//   8. our FIN is out and the peer has ended (close_notify or EOF): close;
//   9. arm the timer for the earlier of the engine's deadline and the close deadline.
// Keeping them in one function means no completion can forget one. pump() never
// nests: a call made from an embedder's callback inside it asks for another pass.
//
// Received bytes go to the engine through the feed loop (feed.h), which stops between
// two messages once the write backlog is over its bound: one read can hold thousands
// of small requests, each of which the embedder may answer, and this is what keeps our
// output bounded. Input is only fed from loop completions (a read, a write done),
// never from send() or close(), so an embedder's call never runs its own callbacks.
// A peer's close_notify is answered with ours unless the embedder takes it
// (on_peer_closed returns true).
//
// Closing always lingers: after close_notify or a failure the driver flushes what the
// engine still has, shuts down writing and keeps reading (a failed engine's input is
// discarded) until the peer finishes or the close deadline passes. Closing with
// unread input would make the kernel reset the connection, and the peer could lose
// our last bytes. The deadline is computed once, here, saturating: close_timeout =
// Duration::max() means no limit.
//
// The embedder hears of at most one failure: on_error is reported once, whatever
// follows. After the transport closed (State::kClosed) every completion is ignored.
//
// Everything runs on the loop's thread; nothing here is thread-safe. No socket, clock
// or loop header: time comes from Transport::now().
#ifndef P2PNET_STREAM_DRIVER_H_
#define P2PNET_STREAM_DRIVER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "p2pnet/connection.h"
#include "p2pnet/stream/feed.h"

namespace p2pnet::stream {

// Transport: what a loop adapter provides. It makes no protocol decision; it reports
// completions through the Driver's on_* calls, each from a loop callback, never from
// inside the Transport call that started the operation (shutdown_write excepted).
// The stream is a connected TCP stream with Nagle's algorithm off (TCP_NODELAY), set
// by the adapter: handshake messages are small and each waits for an answer, and
// output leaves in writes of up to 64 KiB whose short tail Nagle would hold back until
// the peer's delayed ACK (about 40 ms on Linux).
class Transport {
 public:
  // now: the loop's monotonic clock as the engine's Instant (never negative).
  virtual Instant now() const = 0;
  // start_write starts writing all of |bytes|; on_write_done (or on_transport_error)
  // follows from a later loop callback. The bytes stay valid and unchanged until then.
  // At most one write is in flight.
  virtual void start_write(ByteSpan bytes) = 0;
  // set_reading(true) asks for what arrives (on_read into read_buffer(), on_eof);
  // false: start no new read (one already started may still complete). Said on every
  // pass, often with the same value.
  virtual void set_reading(bool on) = 0;
  // shutdown_write sends FIN after what was written; on_shutdown_done follows, which
  // may come from inside this call.
  virtual void shutdown_write() = 0;
  // arm_timer: on_timer after |delay|, replacing any earlier timer; nullopt stops it.
  virtual void arm_timer(std::optional<Duration> delay) = 0;
  // close_transport closes the stream and stops the timer now. The adapter tells the
  // embedder (on_closed) later, from the loop; completions that still arrive are
  // ignored.
  virtual void close_transport() = 0;

 protected:
  ~Transport() = default;
};

// Failure: what a reported failure was about.
enum class Failure : std::uint8_t {
  kEngine,        // the engine failed on its own (protocol, peer's Error, deadline)
  kTransport,     // the stream failed (reset, refused connect, ...): the adapter
                  // knows the loop's status for it
  kCloseTimeout,  // close_timeout passed before a closing connection finished
};

// Events: what the Driver tells the embedder, through the adapter's callbacks.
class Events {
 public:
  virtual void on_established() = 0;
  // on_message: one message from the peer, valid during the call only.
  virtual void on_message(ByteSpan message) = 0;
  // on_peer_closed: the peer sent close_notify. True: the embedder takes it (and will
  // call close()); false: the Driver answers with close_notify at once.
  [[nodiscard]] virtual bool on_peer_closed() = 0;
  // on_drain: a send() refused with kSendBufferFull may be retried now.
  virtual void on_drain() = 0;
  // on_error: the first failure, and only that one. |error| is the engine's (a stream
  // that breaks is shown to the engine as EOF first, so a broken handshake reads
  // kConnectionClosed and a broken channel kTruncated); kNone when only the transport
  // failed after a clean close_notify.
  virtual void on_error(Error error, Failure failure) = 0;

 protected:
  ~Events() = default;
};

struct Options {
  // Received bytes are not offered to the engine (between two messages of one read),
  // and no read is started, while more than this many bytes wait to be written.
  std::size_t max_write_backlog = std::size_t{256} << 10;
  // How long a closing or failed connection may take to flush its output and see the
  // peer's close_notify (or EOF) before the stream is closed anyway. Duration::max()
  // (or anything past the clock's range): no limit.
  Duration close_timeout{5'000};
};

class Driver final : private FeedSink {
 public:
  // State: the stream's side of the connection (the engine has its own states).
  enum class State : std::uint8_t {
    kConnecting,    // a client's TCP connect is pending: only the timer runs
    kOpen,          // reading and writing
    kShuttingDown,  // everything we will send is written; shutdown_write is under way
    kWriteShut,     // our FIN is out; reading until the peer ends or the deadline
    kClosed,        // the transport is closed: every completion is ignored
  };

  // The engine's output is taken in writes of this size, and one read fills at most
  // this much; both buffers belong to the Driver.
  static constexpr std::size_t kReadChunk = std::size_t{64} << 10;
  static constexpr std::size_t kWriteChunk = std::size_t{64} << 10;

  // Driver takes |engine|; |transport| and |events| must outlive it (the adapter owns
  // all three). |connected|: false for a client whose TCP connect is pending
  // (on_connected or on_transport_error follows). Nothing happens before start().
  Driver(Connection engine, Transport& transport, Events& events, Options options, bool connected);
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  // start runs the first pass: arms the handshake deadline and, once connected,
  // starts reading and writing. It calls no Events method.
  void start() { pump(); }

  // send queues one message (Connection::send). kSendBufferFull: on_drain follows
  // once the engine's output has been handed to the stream. Once closed: the
  // engine's error, or kWrongState.
  [[nodiscard]] Error send(ByteSpan message);
  // close sends close_notify (Connection::close); the stream closes once the peer's
  // close_notify (or EOF) arrived and our output is written, or at the close deadline.
  [[nodiscard]] Error close();
  // abort closes the stream now, without close_notify and without on_error.
  void abort() { close_now(); }

  const Connection& engine() const { return engine_; }
  State state() const { return state_; }
  // state_name gives a stable name for logs, e.g. "WriteShut".
  std::string_view state_name() const;

  // read_buffer is where the adapter reads to; on_read(n) says n bytes arrived there.
  MutableByteSpan read_buffer() { return read_buffer_; }

  // Completions, from the adapter's loop callbacks.
  void on_connected();
  void on_read(std::size_t size);
  void on_eof();
  void on_write_done();
  void on_shutdown_done();
  void on_timer();
  // on_transport_error: the stream failed (the adapter keeps its status for on_error).
  void on_transport_error();

 private:
  // FeedSink, for the feed loop.
  bool wants_input() const override;
  void on_handshake_complete() override;
  void on_message(ByteSpan message) override;
  bool on_peer_closed() override;

  void pump();
  void pump_once();
  void flush();
  void feed_unread();
  void arm_timer();
  void report_error(Failure failure);
  void close_now();
  Error refused() const;
  std::size_t write_backlog() const { return engine_.pending_transmit() + write_in_flight_; }
  bool closed() const { return state_ == State::kClosed; }

  Connection engine_;
  Transport& transport_;
  Events& events_;
  Options options_;
  State state_;

  std::vector<std::uint8_t> read_buffer_;
  std::vector<std::uint8_t> write_buffer_;
  ByteSpan unread_;                  // read, not yet consumed by the engine
  std::size_t write_in_flight_ = 0;  // bytes of write_buffer_ being written
  bool eof_ = false;                 // the peer's stream ended (or broke)
  bool error_reported_ = false;      // on_error was called, or is no longer owed
  bool drain_owed_ = false;          // a send() got kSendBufferFull
  std::optional<Instant> close_deadline_;
  std::optional<Instant> armed_deadline_;  // what the transport's timer is set for
  bool pumping_ = false;  // inside pump(): a nested call only asks for another pass
  bool repump_ = false;
};

}  // namespace p2pnet::stream

#endif  // P2PNET_STREAM_DRIVER_H_
