// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// blocking.cc: the blocking driver. Every wait goes through wait_ready, bounded by
// the caller's deadline, or during the handshake by the engine's deadline; after it,
// by the earlier of the caller's and the engine's (a frame in progress).
//
// A handshake that gives up must tell the peer (protocol-v1 "Timeouts": Error 0x04),
// and only the engine writes that message, when its own deadline passes. So the
// engine's deadline is made the handshake's only one: it starts as the earlier of
// handshake_timeout and the caller's deadline (rounded down to the millisecond, so
// it is never later), and the waits during the handshake end at it.
//
// Received bytes go to the engine through the feed loop every driver shares
// (p2pnet/stream/feed.h), which here stops after each message: receive() returns it
// before the next is offered. A peer's close_notify is the caller's to answer
// (receive() reports kPeerClosed; the caller may still send, then close()).
#include "p2pnet/socket/blocking.h"

#include <algorithm>

#include "connection_status.h"
#include "p2pnet/stream/feed.h"

namespace p2pnet::net {
namespace {

// bounded_timeout is |timeout| cut to the time from |now| to the caller's |deadline|,
// in whole milliseconds rounded down, so that Instant to_instant(now) + the result is
// never after |deadline|. A deadline less than a millisecond away (or past) gives the
// smallest timeout the engine takes, 1 ms. A timeout the engine refuses (zero or
// negative) is passed on unchanged, so the engine reports kInvalidArgument as usual.
Duration bounded_timeout(Duration timeout, Deadline now, Deadline deadline) {
  if (timeout <= Duration::zero()) return timeout;
  if (deadline <= now) return Duration{1};
  // deadline - now cannot overflow: deadline > now >= 0 (steady_clock counts up from
  // boot), so the difference is at most Deadline::max().
  const Duration left = std::chrono::floor<Duration>(deadline - now);
  return std::clamp(left, Duration{1}, timeout);
}

}  // namespace

// Sink: what the feed loop does with the session's events.
class BlockingSession::Sink final : public stream::FeedSink {
 public:
  explicit Sink(BlockingSession& session) : session_(session) {}

  // One message at a time: the next is offered once receive() has returned this one.
  bool wants_input() const override { return !session_.message_; }
  void on_handshake_complete() override { session_.handshake_done_ = true; }
  void on_message(ByteSpan message) override { session_.message_ = message; }
  bool on_peer_closed() override {
    session_.peer_closed_ = true;
    return true;  // the caller answers: receive() tells it
  }

 private:
  BlockingSession& session_;
};

Status BlockingSession::handshake_client(std::unique_ptr<BlockingSession>* out, Socket& socket,
                                         const ClientConfig& config, Deadline deadline) {
  const Deadline now = Clock::now();
  ClientConfig bounded = config;
  bounded.handshake_timeout = bounded_timeout(config.handshake_timeout, now, deadline);
  return run_handshake(out, socket, Connection::client(bounded, to_instant(now)), deadline);
}

Status BlockingSession::handshake_server(std::unique_ptr<BlockingSession>* out, Socket& socket,
                                         const ServerConfig& config, Deadline deadline) {
  const Deadline now = Clock::now();
  ServerConfig bounded = config;
  bounded.handshake_timeout = bounded_timeout(config.handshake_timeout, now, deadline);
  return run_handshake(out, socket, Connection::server(bounded, to_instant(now)), deadline);
}

Status BlockingSession::run_handshake(std::unique_ptr<BlockingSession>* out, Socket& socket,
                                      Connection connection, Deadline deadline) {
  std::unique_ptr<BlockingSession> session(new BlockingSession(socket, std::move(connection)));
  // A config the engine rejects fails at once (kInvalidArgument): report it as is.
  if (session->connection_.error() != Error::kNone)
    return Status::engine(session->connection_.error());
  while (!session->handshake_done_) {
    if (Status s = session->read_and_handle(deadline); !s.ok()) return s;
    if (session->end_of_stream_ && !session->handshake_done_) {
      return Status(StatusCode::kConnectionClosed,
                    "peer closed the connection during the handshake");
    }
  }
  // The server's Accept (and anything queued after it) goes out before we return.
  if (Status s = session->flush(deadline); !s.ok()) return s;
  *out = std::move(session);
  return Status();
}

Status BlockingSession::send(ByteSpan message, Deadline deadline) {
  Error error = connection_.send(message);
  if (error == Error::kSendBufferFull) {
    if (Status s = flush(deadline); !s.ok()) return s;
    error = connection_.send(message);
  }
  if (error != Error::kNone) return Status::engine(error);
  return flush(deadline);
}

Status BlockingSession::close(Deadline deadline) {
  if (const Error error = connection_.close(); error != Error::kNone) return Status::engine(error);
  return flush(deadline);
}

Status BlockingSession::receive(ByteSpan* message, Deadline deadline) {
  for (;;) {
    if (Status s = handle_buffered(); !s.ok()) return s;
    if (message_) {
      *message = *message_;
      message_.reset();
      return Status();
    }
    if (peer_closed_)
      return Status(StatusCode::kPeerClosed, "peer closed the session (close_notify)");
    if (end_of_stream_) return Status(StatusCode::kConnectionClosed, "peer closed the connection");
    if (Status s = read_and_handle(deadline); !s.ok()) return s;
  }
}

Status BlockingSession::flush(Deadline deadline) {
  // Straight from the engine's queue: what the socket does not take stays there.
  for (;;) {
    const ByteSpan pending = connection_.peek_transmit();
    if (pending.empty()) return Status();
    const IoResult io = send_some(*socket_, pending);
    switch (io.state) {
      case IoState::kDone: connection_.consume_transmit(io.bytes); break;
      case IoState::kWouldBlock: {
        unsigned ready = 0;
        if (Status s = wait_ready(*socket_, kWaitWritable, deadline, &ready); !s.ok()) {
          if (s.code() == StatusCode::kTimeout)
            return Status(StatusCode::kTimeout, "timed out sending to the peer");
          return s;
        }
        break;
      }
      case IoState::kEndOfStream:
      case IoState::kReset:
        return Status(StatusCode::kConnectionClosed, "connection reset by peer");
      case IoState::kError:
        return Status(StatusCode::kSystem, "send: " + system_error_text(io.system_error));
    }
  }
}

void BlockingSession::flush_best_effort() {
  // After a failure the engine may hold an Error message for the peer; one attempt,
  // no waiting: the connection is over either way.
  (void)flush(Clock::now());
}

Status BlockingSession::fail_with_engine_error() {
  flush_best_effort();
  return connection_failure(connection_.error());
}

Status BlockingSession::handle_buffered() {
  Sink sink(*this);
  const stream::FeedResult result =
      stream::feed(connection_, ByteSpan(input_).subspan(input_begin_, input_end_ - input_begin_),
                   engine_now(), sink);
  input_begin_ += result.consumed;
  switch (result.stop) {
    case stream::FeedStop::kInputUsed:
    case stream::FeedStop::kPaused: return Status();
    case stream::FeedStop::kFailed: return fail_with_engine_error();
    case stream::FeedStop::kStalled:
      input_begin_ = input_end_;  // never offered again: a caller that retries cannot spin
      return Status(StatusCode::kSystem, "the engine took no input and had no event");
  }
  return Status();
}

Status BlockingSession::read_and_handle(Deadline deadline) {
  if (input_begin_ < input_end_) return handle_buffered();
  if (Status s = flush(deadline); !s.ok()) return s;

  // During the handshake the engine's deadline is the one to wait for: the start of
  // the handshake made it no later than the caller's (see the top of this file),
  // except by under a millisecond when the caller's deadline had already passed.
  // Once established the engine's deadline is that of a frame in progress
  // (ChannelConfig::frame_timeout), and the earlier of the two ends the wait.
  const std::optional<Instant> engine_deadline = connection_.poll_timeout();
  const bool handshaking = connection_.state() == ConnectionState::kHandshaking;
  Deadline wait_until = deadline;
  if (engine_deadline) {
    wait_until = handshaking ? to_deadline(*engine_deadline)
                             : std::min(deadline, to_deadline(*engine_deadline));
  }
  unsigned ready = 0;
  if (Status s = wait_ready(*socket_, kWaitReadable, wait_until, &ready); !s.ok()) {
    if (s.code() != StatusCode::kTimeout) return s;
    if (engine_deadline) {
      // The handshake deadline: the engine fails with kTimeout and queues Error 0x04,
      // which goes out (without waiting) before the timeout is reported. A frame
      // deadline fails it with kFrameTimeout, and nothing is sent.
      if (connection_.handle_timeout(engine_now()) != Error::kNone) return fail_with_engine_error();
      // Not quite reached (the clock rounds to milliseconds), or the caller's deadline
      // is still ahead: wait again.
      if (handshaking || Clock::now() < deadline) return Status();
    }
    return Status(StatusCode::kTimeout, "timed out waiting for the peer");
  }

  const IoResult io = receive_some(*socket_, input_);
  switch (io.state) {
    case IoState::kDone:
      input_begin_ = 0;
      input_end_ = io.bytes;
      return handle_buffered();
    case IoState::kWouldBlock: return Status();
    case IoState::kEndOfStream: {
      end_of_stream_ = true;
      // Empty input tells the engine the stream ended (truncated unless close_notify).
      Sink sink(*this);
      if (stream::feed_end(connection_, engine_now(), sink) != Error::kNone)
        return fail_with_engine_error();
      return Status();
    }
    case IoState::kReset: return Status(StatusCode::kConnectionClosed, "connection reset by peer");
    case IoState::kError:
      return Status(StatusCode::kSystem, "recv: " + system_error_text(io.system_error));
  }
  return Status();
}

}  // namespace p2pnet::net
