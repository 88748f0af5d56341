// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "connection_driver.h"

#include <algorithm>

#include "fuzz_check.h"
#include "p2pnet/internal/connection_test_access.h"

namespace p2pnet::fuzz {

ConnectionDriver::ConnectionDriver(Connection& conn, const PublicKey& expected_peer,
                                   const ChannelConfig& channel)
    : conn_(conn), expected_peer_(expected_peer), channel_(channel) {
  after_call();
}

bool ConnectionDriver::pull_events() {
  bool any = false;
  while (const auto event = conn_.poll_event()) {
    any = true;
    FUZZ_CHECK(!failed_seen_);  // nothing is reported after a failure was returned
    switch (event->type) {
      case EventType::kHandshakeComplete:
        FUZZ_CHECK(!handshake_complete_);
        FUZZ_CHECK(conn_.peer_identity() != nullptr);
        handshake_complete_ = true;
        session_key_at_completion_.assign(conn_.session_key().begin(), conn_.session_key().end());
        // Empty only if the channel failed on bytes that came with the last message.
        FUZZ_CHECK(session_key_at_completion_.size() ==
                   (conn_.error() == Error::kNone ? kKeySize : 0));
        break;
      case EventType::kMessage:
        FUZZ_CHECK(handshake_complete_);
        FUZZ_CHECK(!peer_closed_);
        FUZZ_CHECK(!event->message.empty());
        FUZZ_CHECK(event->message.size() <= channel_.max_message_size);
        received_.emplace_back(event->message.begin(), event->message.end());
        break;
      case EventType::kPeerClosed:
        FUZZ_CHECK(handshake_complete_);
        FUZZ_CHECK(!peer_closed_);
        peer_closed_ = true;
        break;
    }
  }
  return any;
}

void ConnectionDriver::after_call() {
  const Error error = conn_.error();
  const bool newly_failed = error_ == Error::kNone && error != Error::kNone;
  FUZZ_CHECK(error_ == Error::kNone || error == error_);  // failure is terminal
  FUZZ_CHECK((conn_.state() == ConnectionState::kFailed) == (error != Error::kNone));
  FUZZ_CHECK((conn_.state() == ConnectionState::kClosed) ==
             (conn_.sent_close() && conn_.peer_closed()));

  // Output: nothing after a failure already returned; an Error message on a fresh
  // handshake failure that protocol-v1 answers.
  const std::size_t before = outbox_.size();
  Bytes out;
  if (++drains_ % 2 == 1) {
    out.resize(conn_.pending_transmit());
    out.resize(conn_.poll_transmit(out));
  } else {
    const std::size_t pending = conn_.pending_transmit();
    for (ByteSpan piece = conn_.peek_transmit(); !piece.empty(); piece = conn_.peek_transmit()) {
      FUZZ_CHECK(piece.size() <= pending - out.size());
      const std::size_t n = piece.size() / 2 + 1;  // uneven pieces, as partial writes give
      out.insert(out.end(), piece.begin(), piece.begin() + static_cast<std::ptrdiff_t>(n));
      conn_.consume_transmit(n);
    }
    FUZZ_CHECK(out.size() == pending);
  }
  FUZZ_CHECK(conn_.pending_transmit() == 0);
  outbox_.insert(outbox_.end(), out.begin(), out.end());
  if (failed_seen_) FUZZ_CHECK(outbox_.size() == before);
  const bool in_handshake = conn_.peer_identity() == nullptr;
  if (newly_failed && in_handshake && wire_code_for(error) != WireErrorCode::kNone) {
    FUZZ_CHECK(outbox_.size() >= 2);
    FUZZ_CHECK(outbox_[outbox_.size() - 2] == static_cast<std::uint8_t>(MessageType::kError));
    FUZZ_CHECK(outbox_.back() == static_cast<std::uint8_t>(wire_code_for(error)));
  }

  if (conn_.is_established() || conn_.state() == ConnectionState::kClosed) {
    FUZZ_CHECK(conn_.peer_identity() != nullptr);
    FUZZ_CHECK(*conn_.peer_identity() == expected_peer_);
    // Each key is held while it can be used, and no longer (connection.h).
    const bool client = conn_.role() == Role::kClient;
    const bool sending_done = conn_.sent_close();
    const bool receiving_done = conn_.peer_closed();
    FUZZ_CHECK(ConnectionTestAccess::key_c2s(conn_).empty() ==
               (client ? sending_done : receiving_done));
    FUZZ_CHECK(ConnectionTestAccess::key_s2c(conn_).empty() ==
               (client ? receiving_done : sending_done));
    FUZZ_CHECK(conn_.session_key().size() == (sending_done && receiving_done ? 0 : kKeySize));
    if (!sending_done && !receiving_done) {
      FUZZ_CHECK(!std::ranges::equal(ConnectionTestAccess::key_c2s(conn_),
                                     ConnectionTestAccess::key_s2c(conn_)));
    }
    // Established: a deadline only while a frame from the peer is in progress.
    FUZZ_CHECK(conn_.poll_timeout().has_value() == ConnectionTestAccess::receiving_frame(conn_));
    const Transcript* transcript = ConnectionTestAccess::transcript(conn_);
    FUZZ_CHECK(transcript != nullptr);
    FUZZ_CHECK((conn_.role() == Role::kClient ? transcript->server_id : transcript->client_id) ==
               expected_peer_);
  }
  FUZZ_CHECK(!conn_.state_name().empty());
  if (conn_.state() == ConnectionState::kHandshaking) {
    FUZZ_CHECK(conn_.peer_identity() == nullptr);
    FUZZ_CHECK(conn_.session_key().empty());
    FUZZ_CHECK(ConnectionTestAccess::transcript(conn_) == nullptr);
    FUZZ_CHECK(conn_.poll_timeout().has_value());
  }
  if (conn_.state() == ConnectionState::kFailed || conn_.state() == ConnectionState::kClosed) {
    // A failed or closed connection holds no key (docs/architecture.md "Secrets").
    FUZZ_CHECK(ConnectionTestAccess::key_holders(conn_).empty());
    FUZZ_CHECK(conn_.session_key().empty() && ConnectionTestAccess::key_c2s(conn_).empty() &&
               ConnectionTestAccess::key_s2c(conn_).empty());
  }
  if (error != Error::kNone) {
    error_ = error;
    FUZZ_CHECK(!conn_.poll_timeout().has_value());
  }
}

Error ConnectionDriver::deliver(ByteSpan bytes, Instant now) {
  while (!bytes.empty()) {
    const ReadResult result = conn_.handle_bytes(bytes, now);
    FUZZ_CHECK(result.consumed <= bytes.size());
    FUZZ_CHECK(result.error == conn_.error());
    const bool any_event = pull_events();
    after_call();
    if (result.error != Error::kNone) {
      failed_seen_ = true;
      break;
    }
    // connection.h: it consumes less than everything only when an event waits.
    FUZZ_CHECK(result.consumed == bytes.size() || any_event);
    bytes = bytes.subspan(result.consumed);
  }
  return conn_.error();
}

Error ConnectionDriver::deliver_eof(Instant now) {
  const bool was_failed = conn_.error() != Error::kNone;
  const bool was_handshaking = conn_.state() == ConnectionState::kHandshaking;
  const auto deadline = conn_.poll_timeout();
  const ReadResult result = conn_.handle_bytes({}, now);
  FUZZ_CHECK(result.consumed == 0);
  FUZZ_CHECK(result.error == conn_.error());
  pull_events();
  after_call();
  if (!was_failed) {
    if (was_handshaking) {
      FUZZ_CHECK(result.error == (now >= *deadline ? Error::kTimeout : Error::kConnectionClosed));
    } else {
      // A stream that ends without close_notify is truncated, never a clean end; past
      // the deadline of a frame in progress it is that deadline's failure.
      const bool expired = deadline && now >= *deadline;
      FUZZ_CHECK(result.error == (conn_.peer_closed() ? Error::kNone
                                  : expired           ? Error::kFrameTimeout
                                                      : Error::kTruncated));
    }
  }
  if (result.error != Error::kNone) failed_seen_ = true;
  return conn_.error();
}

void ConnectionDriver::release_idle() {
  const ConnectionState state = conn_.state();
  const Error error = conn_.error();
  const std::size_t pending = conn_.pending_transmit();
  (void)conn_.release_idle_buffers();
  FUZZ_CHECK(conn_.state() == state && conn_.error() == error);
  FUZZ_CHECK(conn_.pending_transmit() == pending);
  after_call();
}

Error ConnectionDriver::advance_to(Instant now) {
  const bool was_failed = conn_.error() != Error::kNone;
  const bool was_handshaking = conn_.state() == ConnectionState::kHandshaking;
  const auto deadline = conn_.poll_timeout();
  const Error error = conn_.handle_timeout(now);
  FUZZ_CHECK(error == conn_.error());
  pull_events();
  after_call();
  if (!was_failed) {
    const bool expired = deadline && now >= *deadline;
    const Error deadline_error = was_handshaking ? Error::kTimeout : Error::kFrameTimeout;
    FUZZ_CHECK(error == (expired ? deadline_error : Error::kNone));
  }
  if (error != Error::kNone) failed_seen_ = true;
  return error;
}

Error ConnectionDriver::expected_send_error(std::size_t size, bool is_close) const {
  if (conn_.error() != Error::kNone) return conn_.error();
  if (conn_.state() == ConnectionState::kHandshaking) return Error::kWrongState;
  if (conn_.sent_close()) return Error::kAlreadyClosed;
  if (!is_close && size == 0) return Error::kInvalidArgument;
  if (size > channel_.max_message_size) return Error::kMessageTooLarge;
  // The driver drains output after every call, so nothing is pending here.
  const std::size_t limit = channel_.max_pending_output != 0
                                ? channel_.max_pending_output
                                : 2 * (channel_.max_message_size + kFrameOverhead);
  if (size + kFrameOverhead > limit) return Error::kSendBufferFull;
  return Error::kNone;
}

Error ConnectionDriver::send(ByteSpan message) {
  const Error expected = expected_send_error(message.size(), false);
  const std::size_t before = outbox_.size();
  const Error error = conn_.send(message);
  FUZZ_CHECK(error == expected);
  pull_events();
  after_call();
  if (error == Error::kNone) {
    sent_.emplace_back(message.begin(), message.end());
    FUZZ_CHECK(outbox_.size() == before + message.size() + kFrameOverhead);
  } else {
    FUZZ_CHECK(outbox_.size() == before);  // on error nothing is queued
  }
  return error;
}

Error ConnectionDriver::close() {
  const Error expected = expected_send_error(0, true);
  const std::size_t before = outbox_.size();
  const Error error = conn_.close();
  FUZZ_CHECK(error == expected);
  pull_events();
  after_call();
  FUZZ_CHECK(outbox_.size() == before + (error == Error::kNone ? kFrameOverhead : 0));
  if (error == Error::kNone) FUZZ_CHECK(conn_.sent_close());
  return error;
}

Bytes ConnectionDriver::take_output() {
  Bytes out;
  out.swap(outbox_);
  return out;
}

}  // namespace p2pnet::fuzz
