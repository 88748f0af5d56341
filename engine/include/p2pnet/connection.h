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
// No call throws: a log hook or key log that throws, or an allocation that fails,
// fails the connection closed (kHookFailed, kOutOfMemory) with every key wiped.
#ifndef P2PNET_CONNECTION_H_
#define P2PNET_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "p2pnet/byte_span.h"
#include "p2pnet/config.h"
#include "p2pnet/errors.h"
#include "p2pnet/identity.h"
#include "p2pnet/read_result.h"
#include "p2pnet/time.h"

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
  kClosed,       // close_notify went both ways; the connection holds no key
  kFailed,       // terminal; error() says why
};

class Connection {
 public:
  // client starts a client connection; its ClientHello is ready in poll_transmit().
  static Connection client(const ClientConfig& config, Instant now) noexcept;
  // server starts a server connection waiting for a ClientHello.
  static Connection server(const ServerConfig& config, Instant now) noexcept;

  // A connection moves (a moved-from connection holds no key and is not to be used
  // again) but does not copy. The destructor wipes every key it holds.
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // handle_bytes: see the polling order above. Errors: the handshake's
  // (kMalformedMessage, kAuthenticationFailed, kPeerNotAllowed, kReplayedChallenge,
  // kTimeout, kRandomFailure, kConnectionClosed, kPeerAbort*), then the channel's
  // (kFrameTooLarge, kFrameAuthFailed, kDataAfterClose, kTruncated,
  // kCounterExhaustedRemote), and from anywhere kOutOfMemory, kHookFailed (a hook
  // threw when the handshake completed: the connection never reports completion) and
  // kInternalError; all terminal. Input (or its end) that arrives after a deadline
  // fails as handle_timeout would: kTimeout while handshaking, kFrameTimeout after.
  [[nodiscard]] ReadResult handle_bytes(ByteSpan input, Instant now) noexcept;
  // handle_timeout fails the connection whose deadline (poll_timeout) has passed: a
  // handshake with kTimeout (Error 0x04 queued for the peer), an established
  // connection in the middle of a frame with kFrameTimeout (nothing sent: the caller
  // closes the socket). Before the deadline it changes nothing. Returns error().
  Error handle_timeout(Instant now) noexcept;
  // poll_timeout: when to call handle_timeout: the handshake deadline while
  // handshaking; once established, the deadline of the frame being received
  // (ChannelConfig::frame_timeout after its first byte arrived), or nullopt when no
  // frame is in progress; nullopt once failed or closed. It changes after
  // handle_bytes, so re-arm the timer after every call.
  std::optional<Instant> poll_timeout() const noexcept;

  // poll_event: the next event, if any. A connection whose hook failed at completion
  // never reports kHandshakeComplete.
  std::optional<Event> poll_event() noexcept;
  std::size_t poll_transmit(MutableByteSpan out) noexcept;
  std::size_t pending_transmit() const noexcept;
  // peek_transmit and consume_transmit: poll_transmit without the copy, for a driver
  // that writes straight from the engine's queue. peek_transmit gives the next
  // pending bytes in place (empty when there are none); they stay valid until the next
  // call other than peek_transmit, pending_transmit or a const accessor. It may give
  // fewer than pending_transmit() (the handshake's last message and the first frames
  // sit in two buffers): consume and peek again. consume_transmit(n) marks the first n
  // of them as sent (n above their size counts as their size). A driver whose write
  // must own its buffer (an event loop's asynchronous write) uses poll_transmit.
  ByteSpan peek_transmit() const noexcept;
  void consume_transmit(std::size_t n) noexcept;

  // release_idle_buffers frees the channel's receive and send buffers and its OpenSSL
  // contexts when nothing is in them (docs/architecture.md, "Idle memory"); a message
  // span from poll_event is invalid afterwards. A driver calls it for a
  // connection that has been quiet for a while (the socket server: 1 s). Returns
  // whether the connection now owns no heap (always before the channel starts, since
  // the handshake lives in fixed arrays, and always once failed).
  bool release_idle_buffers() noexcept;

  // send seals |message| (1..max_message_size bytes) for poll_transmit. Errors, which
  // change nothing: kWrongState (before the handshake completes), kInvalidArgument
  // (empty: use close()), kMessageTooLarge, kSendBufferFull, kCounterExhausted,
  // kAlreadyClosed, or the connection's terminal error. Two errors are terminal:
  // kOutOfMemory (the send queue could not grow) and kInternalError.
  [[nodiscard]] Error send(ByteSpan message) noexcept;
  // close queues close_notify; receiving goes on until the peer's. Errors as send().
  [[nodiscard]] Error close() noexcept;

  ConnectionState state() const;
  // state_name gives a stable name for logs: while handshaking the handshake's state
  // (e.g. "ServerAwaitKeyExchange", "Failed"), then the channel's ("Open",
  // "SentClose", "PeerClosed", "Closed", "Failed").
  std::string_view state_name() const;
  Error error() const;
  Role role() const;
  // is_established: the handshake completed and the channel is open at least one way
  // (kEstablished, so false once kClosed or kFailed).
  bool is_established() const { return state() == ConnectionState::kEstablished; }
  // sent_close: our close_notify is queued; peer_closed: the peer's arrived. Both
  // are true in kClosed and false once the connection failed.
  bool sent_close() const;
  bool peer_closed() const;

  // Available once established (kWrongState-free: they return empty before).
  const PublicKey* peer_identity() const;
  // session_key is the key of docs/protocol.md "Keys" (p2p_session_key); it never
  // encrypts anything, but with the public transcript it gives both traffic keys, so
  // it is wiped (and this returns empty) once the connection has failed or is closed
  // both ways. Read it when kHandshakeComplete arrives.
  std::span<const std::uint8_t> session_key() const;

 private:
  friend struct ConnectionTestAccess;  // p2pnet/internal/connection_test_access.h

  // The handshake and the channel live in Impl (p2pnet/internal/connection_impl.h),
  // in storage inside the object: no heap allocation, and no internal type in this
  // header. connection.cc checks at compile time that Impl fits.
  struct Impl;
  static constexpr std::size_t kImplSize = 1024;
  static constexpr std::size_t kImplAlign = 8;

  explicit Connection(Impl&& impl);
  Impl& impl();
  const Impl& impl() const;

  alignas(kImplAlign) std::byte storage_[kImplSize];
};

}  // namespace p2pnet

#endif  // P2PNET_CONNECTION_H_
