// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// connection.h: one object per connection, from the first byte to close: the
// handshake, then the encrypted channel, with no bytes for the caller to carry over
// between them (frames that arrive in the same buffer as Accept go straight to the
// channel). Pure state machine: it never touches a socket, a clock or a thread.
//
// Polling order (docs/architecture.md has a full embedding example):
//   1. After creating it, and after every call below, drain poll_transmit() into the
//      socket until it returns 0.
//   2. When bytes arrive: call handle_bytes(input, now); it returns how much it
//      consumed. Pull every event with poll_event(), then offer the unconsumed rest
//      again. It consumes less than everything only when a message waits to be
//      pulled (or when it failed). When the peer closes the stream, call
//      handle_bytes with empty input.
//   3. Arm a timer for poll_timeout(); when it fires, call handle_timeout(now).
//   4. send()/close() when established; then back to 1.
// After a failure every call returns the same error; drain poll_transmit() once
// more (it may hold an Error message for the peer) and close the socket.
#ifndef P2PNET_CONNECTION_H_
#define P2PNET_CONNECTION_H_

#include <optional>
#include <span>
#include <string_view>

#include "p2pnet/channel.h"
#include "p2pnet/config.h"
#include "p2pnet/handshake.h"

namespace p2pnet {

enum class EventType : std::uint8_t {
  kHandshakeComplete,  // the peer is authenticated; send() is now allowed
  kMessage,            // Event::message holds a message from the peer
  kPeerClosed,         // the peer sent close_notify
};

struct Event {
  EventType type;
  ByteSpan message;  // kMessage only; valid until the next handle_bytes call
};

enum class ConnectionState : std::uint8_t {
  kHandshaking,
  kEstablished,  // includes half-closed: see sent_close() and peer_closed()
  kFailed,
};

class Connection {
 public:
  // client starts a client connection; its ClientHello is ready in poll_transmit().
  static Connection client(const ClientConfig& config, Instant now);
  // server starts a server connection waiting for a ClientHello.
  static Connection server(const ServerConfig& config, Instant now);

  // handle_bytes: see the polling order above. Errors: any of Handshake::handle_bytes
  // and Channel::handle_bytes.
  [[nodiscard]] ReadResult handle_bytes(ByteSpan input, Instant now);
  // handle_timeout fails a handshake whose deadline has passed. Returns error().
  Error handle_timeout(Instant now);
  // poll_timeout: the handshake deadline, or nullopt once established or failed.
  std::optional<Instant> poll_timeout() const;

  std::optional<Event> poll_event();
  std::size_t poll_transmit(MutableByteSpan out);
  std::size_t pending_transmit() const;

  // send and close: see Channel. Before the handshake completes: kWrongState.
  [[nodiscard]] Error send(ByteSpan message);
  [[nodiscard]] Error close();

  ConnectionState state() const;
  // state_name gives a stable name for logs, e.g. "ServerAwaitKeyExchange".
  std::string_view state_name() const;
  Error error() const;
  Role role() const { return handshake_.role(); }
  bool is_established() const { return state() == ConnectionState::kEstablished; }
  bool sent_close() const { return channel_ && channel_->sent_close(); }
  bool peer_closed() const { return channel_ && channel_->peer_closed(); }

  // Available once established (kWrongState-free: they return empty before).
  const PublicKey* peer_identity() const;
  // session_key is the plan's key (p2p_session_key); it never encrypts anything, but
  // with the public transcript it gives both traffic keys, so it is wiped (and this
  // returns empty) once the connection has failed or is closed both ways. Read it
  // when kHandshakeComplete arrives.
  std::span<const std::uint8_t> session_key() const;
  // Traffic keys, for vectors and diagnostics only: treat them as secrets. Each is
  // wiped (empty here) once its direction is done: close_notify sent (c2s for the
  // client) or received, or any failure.
  std::span<const std::uint8_t> key_c2s() const;
  std::span<const std::uint8_t> key_s2c() const;
  const Transcript* transcript() const;

 private:
  friend struct ConnectionTestAccess;  // engine/src/connection_test_access.h

  // The hooks are borrowed from the config (log.h, key_log.h); any may be null.
  struct Hooks {
    const LogHook* log = nullptr;
    std::uint64_t log_id = 0;
    const KeyLogHook* key_log = nullptr;
  };

  Connection(Handshake handshake, const ChannelConfig& channel_config, const Hooks& hooks);
  void start_channel_if_complete();
  void log_failure_once();
  // done: the channel failed or is closed both ways; no key is needed any more.
  bool done() const;
  // wipe_session_key_if_done runs after every call that may end the channel.
  void wipe_session_key_if_done();
  std::span<const std::uint8_t> traffic_key(bool sending) const;

  Handshake handshake_;
  ChannelConfig channel_config_;
  Key session_key_;  // moved out of the handshake with the traffic keys; wiped when done()
  std::optional<Channel> channel_;
  bool handshake_event_pending_ = false;
  Hooks hooks_;
  bool failure_logged_ = false;
};

}  // namespace p2pnet

#endif  // P2PNET_CONNECTION_H_
