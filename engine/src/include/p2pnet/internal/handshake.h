// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// handshake.h: the client and server handshake state machines of protocol-v1 as a
// sans-IO object: bytes in, bytes out, time passed in. Most embedders want
// `Connection` (connection.h), which runs a Handshake and then the Channel; use this
// directly only to handle the keys yourself. The transitions and their reasons are in
// engine/src/handshake.cc.
//
// Polling order, after creating the handshake and after every input:
//   1. handle_bytes(input, now) until it has consumed all input or stops advancing;
//   2. poll_transmit(buffer) until it returns 0, and send those bytes;
//   3. poll_timeout(), and call handle_timeout(now) when that instant is reached.
// The handshake consumes bytes only up to the end of its last message; the rest
// belongs to the channel. The derived keys come out once, in the result of the call
// that completes the handshake (HandshakeStep::keys): the handshake keeps no copy, so
// there is no second place to take them from.
#ifndef P2PNET_INTERNAL_HANDSHAKE_H_
#define P2PNET_INTERNAL_HANDSHAKE_H_

#include <array>
#include <cstddef>
#include <optional>

#include "p2pnet/config.h"
#include "p2pnet/errors.h"
#include "p2pnet/identity.h"
#include "p2pnet/internal/bytes.h"
#include "p2pnet/internal/key_schedule.h"
#include "p2pnet/internal/messages.h"
#include "p2pnet/read_result.h"
#include "p2pnet/time.h"

namespace p2pnet {

enum class HandshakeState : std::uint8_t {
  kClientAwaitServerHello,  // ClientHello queued; waiting for ServerHello
  kClientAwaitAccept,       // KeyExchange queued; waiting for Accept
  kServerAwaitClientHello,  // waiting for ClientHello
  kServerAwaitKeyExchange,  // ServerHello queued; waiting for KeyExchange
  kComplete,                // keys derived; the peer is authenticated
  kFailed,                  // terminal; error() says why
};

// handshake_state_name returns a stable name for logs, e.g. "ClientAwaitAccept".
std::string_view handshake_state_name(HandshakeState state);

// HandshakeStep: what one handle_bytes call did.
struct HandshakeStep {
  std::size_t consumed = 0;
  Error error = Error::kNone;
  // keys: the session's keys, in the result of the one call that completed the
  // handshake and in no other. They are moved here from the derivation and exist
  // nowhere else, so whoever holds this result holds the only copy: move them on
  // (Channel takes them) or let them be wiped with the result.
  std::optional<SessionKeys> keys;
};

class Handshake {
 public:
  // client starts a client handshake and queues its ClientHello.
  static Handshake client(const ClientConfig& config, Instant now);
  // server starts a server handshake that waits for a ClientHello.
  static Handshake server(const ServerConfig& config, Instant now);

  // handle_bytes consumes handshake bytes from |input|, in any split, and stops after
  // the last handshake message of the peer's role; empty |input| means the peer
  // closed the stream. The call that completes the handshake returns the keys
  // (HandshakeStep::keys); no call before or after it does. Failures are terminal:
  // the handshake queues an Error message when the protocol calls for one, and every
  // later call reports the same error. Errors: kMalformedMessage,
  // kAuthenticationFailed, kPeerNotAllowed, kReplayedChallenge, kTimeout,
  // kRandomFailure, kInternalError, kConnectionClosed, kPeerAbort*.
  [[nodiscard]] HandshakeStep handle_bytes(ByteSpan input, Instant now);

  // handle_timeout fails the handshake with kTimeout (queuing Error 0x04) if |now| is
  // at or past the deadline; otherwise it does nothing. Returns error().
  Error handle_timeout(Instant now);

  // abort fails a handshake that has not ended for a reason outside the protocol
  // (Connection's: a hook threw, memory ran out), queuing the Error message of
  // |error|'s wire code. A handshake that has failed or completed is left as it is.
  void abort(Error error);

  // poll_transmit moves up to out.size() pending bytes into |out|; returns the count.
  std::size_t poll_transmit(MutableByteSpan out);
  std::size_t pending_transmit() const { return tx_size_ - tx_sent_; }
  // peek_transmit: the pending bytes in place, valid until the next non-const call;
  // consume_transmit(n) marks the first n (at most their size) as sent.
  ByteSpan peek_transmit() const { return ByteSpan(tx_).subspan(tx_sent_, pending_transmit()); }
  void consume_transmit(std::size_t n);

  // poll_timeout is the deadline while the handshake runs (saturated: Instant::max()
  // for a timeout past the clock's range), nullopt once it ended.
  std::optional<Instant> poll_timeout() const;

  HandshakeState state() const { return state_; }
  Role role() const { return role_; }
  Error error() const { return error_; }
  bool is_complete() const { return state_ == HandshakeState::kComplete; }

  // After completion: the authenticated peer and the transcript (the keys went out
  // with the HandshakeStep that completed it).
  const PublicKey& peer_identity() const;
  const Transcript& transcript() const { return transcript_; }

 private:
  friend struct ConnectionTestAccess;  // p2pnet/internal/connection_test_access.h

  Handshake(Role role, Instant now, Duration timeout);

  // One function per waiting state; each gets exactly one whole message. The two
  // that complete the handshake return its keys, and only on success.
  void on_server_hello(ByteSpan message);
  std::optional<SessionKeys> on_accept(ByteSpan message);
  void on_client_hello(ByteSpan message);
  std::optional<SessionKeys> on_key_exchange(ByteSpan message);

  std::optional<MessageType> expected_message() const;
  std::optional<SessionKeys> dispatch(ByteSpan message);
  void fail(Error error);
  void queue_client_hello();
  bool draw(std::span<std::uint8_t> out);

  Role role_;
  HandshakeState state_;
  Error error_ = Error::kNone;
  Instant deadline_;

  // Borrowed configuration (see config.h).
  const Identity* identity_ = nullptr;
  RandomSource* random_ = nullptr;
  std::optional<PublicKey> expected_server_;
  ReplayCache* replay_cache_ = nullptr;
  std::optional<std::span<const PublicKey>> allowed_clients_;

  Transcript transcript_;
  std::optional<EphemeralKeyPair> my_eph_;  // wiped as soon as keys are derived

  // The message being assembled: its type byte decides its size.
  std::array<std::uint8_t, kMaxHandshakeMessageSize> rx_{};
  std::size_t rx_size_ = 0;

  // Output, sized for the worst case of a caller that never drains between inputs:
  // ServerHello + Accept (server), or ClientHello + KeyExchange + Error (client).
  static constexpr std::size_t kOutputCapacity = kServerHelloSize + kAcceptSize;
  std::array<std::uint8_t, kOutputCapacity> tx_{};
  std::size_t tx_size_ = 0;
  std::size_t tx_sent_ = 0;
};

}  // namespace p2pnet

#endif  // P2PNET_INTERNAL_HANDSHAKE_H_
