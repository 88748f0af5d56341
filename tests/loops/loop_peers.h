// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// loop_peers.h: what the test peers of the event-loop suites do, and what they saw.
// Both adapters (UvConnection, AsioConnection) take callbacks of the same shape, so
// one template builds the callbacks for either, and the libuv and Asio tests assert
// the same things about the same conversations.
//
// The echo conversation: each side sends its greetings once established and echoes
// every message of the peer that is not itself an echo, prefixed with "echo:". A
// side that closes when done calls close() once all its greetings came back echoed
// and it has heard the number of greetings it expects from the peer.
#ifndef P2PNET_TESTS_LOOPS_LOOP_PEERS_H_
#define P2PNET_TESTS_LOOPS_LOOP_PEERS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "p2pnet/connection.h"

namespace p2pnet::loops {

using Bytes = std::vector<std::uint8_t>;

inline Bytes to_bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

inline constexpr std::string_view kEchoPrefix = "echo:";

inline bool is_echo(ByteSpan message) {
  return message.size() >= kEchoPrefix.size() &&
         std::string_view(reinterpret_cast<const char*>(message.data()), kEchoPrefix.size()) ==
             kEchoPrefix;
}

// Observed: everything one side's callbacks saw, for the test to assert on.
struct Observed {
  bool established = false;
  std::optional<PublicKey> peer;
  Bytes session_key;
  std::vector<Bytes> messages;      // every message received, in order
  std::size_t echoes_received = 0;  // of our own greetings
  std::size_t greetings_received = 0;
  std::vector<Error> send_errors;       // any send() or close() that did not return kNone
  std::size_t send_buffer_full = 0;     // sends refused with kSendBufferFull, then retried
  std::size_t peak_pending_output = 0;  // most sealed bytes the engine held after a send
  std::optional<Error> error;           // from on_error
  bool transport_failed = false;        // on_error said the socket failed
  int error_calls = 0;
  bool closed = false;
  int closed_calls = 0;
  // The engine's state when on_closed ran.
  std::string final_state;
  bool sent_close = false;
  bool peer_closed = false;
};

// EchoScript: one side's part of the echo conversation.
struct EchoScript {
  std::vector<Bytes> greetings;
  std::size_t expected_peer_greetings = 0;
  bool close_when_done = false;
  std::size_t echo_padding = 0;  // zero bytes appended to each echo, to make replies big
};

// PeerState: a script, what it saw, and the greetings still to send (a greeting
// refused with kSendBufferFull waits here for on_drain).
struct PeerState {
  EchoScript script;
  Observed seen;
  std::deque<Bytes> outbox;
  bool close_requested = false;
};

namespace internal {

inline void record_send(PeerState& state, Error error) {
  if (error != Error::kNone) state.seen.send_errors.push_back(error);
}

// send_outbox sends queued messages until the engine refuses one for lack of room.
template <typename Conn>
void send_outbox(Conn& conn, PeerState& state) {
  while (!state.outbox.empty()) {
    const Error error = conn.send(state.outbox.front());
    if (error == Error::kSendBufferFull) {
      ++state.seen.send_buffer_full;
      return;  // on_drain resumes
    }
    record_send(state, error);
    state.outbox.pop_front();
    state.seen.peak_pending_output =
        std::max(state.seen.peak_pending_output, conn.engine().pending_transmit());
  }
}

template <typename Conn>
void close_if_done(Conn& conn, PeerState& state) {
  const EchoScript& script = state.script;
  if (!script.close_when_done || state.close_requested || !state.outbox.empty()) return;
  if (state.seen.echoes_received < script.greetings.size()) return;
  if (state.seen.greetings_received < script.expected_peer_greetings) return;
  state.close_requested = true;
  record_send(state, conn.close());
}

}  // namespace internal

// echo_peer builds callbacks that run |state|'s script and record into state.seen.
// on_peer_closed is left empty: the adapter's default (answer with close()) is part of
// what the tests check.
template <typename Conn, typename Callbacks>
Callbacks echo_peer(PeerState& state) {
  Callbacks callbacks;
  callbacks.on_established = [&state](Conn& conn) {
    Observed& seen = state.seen;
    seen.established = true;
    if (const PublicKey* peer = conn.engine().peer_identity()) seen.peer = *peer;
    const auto key = conn.engine().session_key();
    seen.session_key.assign(key.begin(), key.end());
    state.outbox.assign(state.script.greetings.begin(), state.script.greetings.end());
    internal::send_outbox(conn, state);
    internal::close_if_done(conn, state);
  };
  callbacks.on_message = [&state](Conn& conn, ByteSpan message) {
    state.seen.messages.emplace_back(message.begin(), message.end());
    if (is_echo(message)) {
      ++state.seen.echoes_received;
    } else {
      ++state.seen.greetings_received;
      Bytes echo = to_bytes(kEchoPrefix);
      echo.insert(echo.end(), message.begin(), message.end());
      echo.resize(echo.size() + state.script.echo_padding, 0);
      state.outbox.push_back(std::move(echo));
      internal::send_outbox(conn, state);
    }
    internal::close_if_done(conn, state);
  };
  callbacks.on_drain = [&state](Conn& conn) {
    internal::send_outbox(conn, state);
    internal::close_if_done(conn, state);
  };
  callbacks.on_error = [&state](Conn&, Error error, auto transport) {
    state.seen.error = error;
    state.seen.transport_failed = static_cast<bool>(transport);
    ++state.seen.error_calls;
  };
  callbacks.on_closed = [&state](Conn& conn) {
    Observed& seen = state.seen;
    seen.closed = true;
    ++seen.closed_calls;
    seen.final_state = std::string(conn.engine().state_name());
    seen.sent_close = conn.engine().sent_close();
    seen.peer_closed = conn.engine().peer_closed();
  };
  return callbacks;
}

}  // namespace p2pnet::loops

#endif  // P2PNET_TESTS_LOOPS_LOOP_PEERS_H_
