// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// driver.cc: the loop adapters' one driver. The theory of operation is in driver.h;
// pump_once() below is its list of decisions, in that order.
#include "p2pnet/stream/driver.h"

#include <utility>

#include "p2pnet/time.h"

namespace p2pnet::stream {

Driver::Driver(Connection engine, Transport& transport, Events& events, Options options,
               bool connected)
    : engine_(std::move(engine)),
      transport_(transport),
      events_(events),
      options_(options),
      state_(connected ? State::kOpen : State::kConnecting),
      read_buffer_(kReadChunk),
      write_buffer_(kWriteChunk) {}

std::string_view Driver::state_name() const {
  switch (state_) {
    case State::kConnecting: return "Connecting";
    case State::kOpen: return "Open";
    case State::kShuttingDown: return "ShuttingDown";
    case State::kWriteShut: return "WriteShut";
    case State::kClosed: return "Closed";
  }
  return "Unknown";
}

// --- The embedder's calls --------------------------------------------------------------

Error Driver::send(ByteSpan message) {
  if (closed()) return refused();
  const Error error = engine_.send(message);
  if (error == Error::kSendBufferFull) drain_owed_ = true;
  if (error == Error::kNone) pump();
  return error;
}

Error Driver::close() {
  if (closed()) return refused();
  const Error error = engine_.close();
  if (error == Error::kNone) pump();
  return error;
}

Error Driver::refused() const {
  const Error error = engine_.error();
  return error != Error::kNone ? error : Error::kWrongState;
}

// --- Completions -------------------------------------------------------------------------

void Driver::on_connected() {
  if (state_ != State::kConnecting) return;
  state_ = State::kOpen;
  pump();
}

void Driver::on_read(std::size_t size) {
  if (closed()) return;
  unread_ = ByteSpan(read_buffer_).first(size);
  feed_unread();
  pump();
}

void Driver::on_eof() {
  if (closed()) return;
  eof_ = true;
  // The engine decides whether the end is clean (after close_notify) or not; a failed
  // engine has said its last word.
  if (engine_.state() != ConnectionState::kFailed) (void)feed_end(engine_, transport_.now(), *this);
  pump();
}

void Driver::on_write_done() {
  write_in_flight_ = 0;
  if (closed()) return;
  feed_unread();  // input held back by the backlog, now that the backlog shrank
  pump();
}

void Driver::on_shutdown_done() {
  if (state_ != State::kShuttingDown) return;
  state_ = State::kWriteShut;
  pump();
}

void Driver::on_timer() {
  if (closed()) return;
  armed_deadline_.reset();
  const Instant now = transport_.now();
  (void)engine_.handle_timeout(now);  // a handshake past its deadline fails with kTimeout
  if (close_deadline_ && now >= *close_deadline_) {
    report_error(Failure::kCloseTimeout);
    close_now();
    return;
  }
  pump();
}

void Driver::on_transport_error() {
  if (closed()) return;
  // Show the engine the stream's end, so it names the failure in protocol terms.
  if (!eof_ && engine_.state() != ConnectionState::kFailed) {
    (void)feed_end(engine_, transport_.now(), *this);
  }
  eof_ = true;
  report_error(Failure::kTransport);
  close_now();
}

// --- Input ------------------------------------------------------------------------------

void Driver::feed_unread() {
  // What the peer sends after a failure is discarded while we linger for its end.
  if (engine_.state() == ConnectionState::kFailed) unread_ = {};
  if (unread_.empty()) return;
  // A pass that a callback runs inside feed() may clear unread_; the rest is counted
  // from what was offered.
  const ByteSpan offered = unread_;
  const FeedResult result = feed(engine_, offered, transport_.now(), *this);
  switch (result.stop) {
    case FeedStop::kInputUsed:
    case FeedStop::kPaused: unread_ = offered.subspan(result.consumed); return;
    case FeedStop::kFailed: unread_ = {}; return;
    case FeedStop::kStalled:
      unread_ = {};
      close_now();
      return;
  }
}

bool Driver::wants_input() const {
  return !closed() && write_backlog() <= options_.max_write_backlog;
}

void Driver::on_handshake_complete() {
  if (!closed()) events_.on_established();
}

void Driver::on_message(ByteSpan message) {
  if (!closed()) events_.on_message(message);
}

bool Driver::on_peer_closed() { return closed() || events_.on_peer_closed(); }

// --- pump: every decision, in driver.h's order --------------------------------------------

void Driver::pump() {
  if (pumping_) {
    repump_ = true;
    return;
  }
  pumping_ = true;
  do {
    repump_ = false;
    pump_once();
  } while (repump_ && !closed());
  pumping_ = false;
}

void Driver::pump_once() {
  if (closed()) return;
  const bool failed = engine_.state() == ConnectionState::kFailed;
  const bool finishing = failed || engine_.sent_close();
  if (failed) unread_ = {};
  // 1. Report a failure once.
  if (failed && !error_reported_) {
    report_error(Failure::kEngine);
    if (closed()) return;
  }
  // 2. The close deadline.
  if (finishing && !close_deadline_) {
    close_deadline_ = saturating_add(transport_.now(), options_.close_timeout);
  }
  // 3. Not connected yet.
  if (state_ == State::kConnecting) {
    if (failed) {
      close_now();
    } else {
      arm_timer();
    }
    return;
  }
  // 4. Output into the write in flight.
  flush();
  if (closed()) return;
  // 5. Drain notification.
  if (drain_owed_ && engine_.pending_transmit() == 0) {
    drain_owed_ = false;
    events_.on_drain();
    if (closed()) return;
  }
  // 6. Read or pause.
  transport_.set_reading(!eof_ && unread_.empty() && write_backlog() <= options_.max_write_backlog);
  if (closed()) return;
  // 7. Shut down writing after the last byte.
  if (finishing && state_ == State::kOpen && write_backlog() == 0) {
    state_ = State::kShuttingDown;
    transport_.shutdown_write();
    if (closed()) return;
  }
  // 8. Close when both sides are done.
  if (state_ == State::kWriteShut && (eof_ || engine_.peer_closed())) {
    close_now();
    return;
  }
  // 9. The timer.
  arm_timer();
}

void Driver::flush() {
  if (state_ != State::kOpen || write_in_flight_ != 0) return;
  write_in_flight_ = engine_.poll_transmit(write_buffer_);
  if (write_in_flight_ != 0)
    transport_.start_write(ByteSpan(write_buffer_).first(write_in_flight_));
}

void Driver::arm_timer() {
  std::optional<Instant> deadline = engine_.poll_timeout();
  if (close_deadline_ && (!deadline || *close_deadline_ < *deadline)) deadline = close_deadline_;
  if (deadline == armed_deadline_) return;
  armed_deadline_ = deadline;
  if (!deadline) {
    transport_.arm_timer(std::nullopt);
    return;
  }
  // deadline - now cannot overflow: now is not negative and deadline <= Instant::max().
  const Instant now = transport_.now();
  transport_.arm_timer(*deadline > now ? *deadline - now : Duration::zero());
}

void Driver::report_error(Failure failure) {
  if (error_reported_) return;
  error_reported_ = true;
  events_.on_error(engine_.error(), failure);
}

void Driver::close_now() {
  if (closed()) return;
  state_ = State::kClosed;
  transport_.close_transport();
}

}  // namespace p2pnet::stream
