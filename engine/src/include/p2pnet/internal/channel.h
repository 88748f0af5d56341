// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// channel.h: the encrypted channel of protocol-v1 ("Transport frames"), sans-IO.
//
//   frame = L (4 bytes, big-endian) || ChaCha20-Poly1305-IETF(key, nonce, ad = L, plaintext)
//   nonce = 4 zero bytes || 64-bit little-endian counter, one counter per direction
//
// L = 0 is close_notify. Every failure is terminal and wipes every key the channel
// holds; a direction that is done wipes its own key (the send key after close(), the
// receive key after the peer's close_notify), and the session key goes with the last
// of them. Received messages are decrypted into one reusable buffer, and sealed
// frames queue in another, so in steady state the channel allocates nothing per
// message; when one of them cannot grow, the channel fails with kOutOfMemory.
//
// Polling order: handle_bytes(input) consumes frames until one message is ready; the
// caller then takes it with poll_event() (the span stays valid until the next
// handle_bytes) and offers the rest of the input again. send()/close() queue frames
// that poll_transmit() drains.
#ifndef P2PNET_INTERNAL_CHANNEL_H_
#define P2PNET_INTERNAL_CHANNEL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "p2pnet/config.h"
#include "p2pnet/errors.h"
#include "p2pnet/internal/aead.h"
#include "p2pnet/internal/byte_buffer.h"
#include "p2pnet/internal/bytes.h"
#include "p2pnet/internal/key_schedule.h"
#include "p2pnet/read_result.h"

namespace p2pnet {

inline constexpr std::size_t kFrameHeaderSize = 4;
inline constexpr std::size_t kFrameTagSize = kAeadTagSize;
static_assert(kFrameOverhead == kFrameHeaderSize + kFrameTagSize);  // config.h
// The sender refuses once its counter would reach this value (protocol-v1).
inline constexpr std::uint64_t kFrameCounterLimit = ~std::uint64_t{0};

enum class ChannelEventType : std::uint8_t {
  kMessage,     // a message arrived; ChannelEvent::message holds it
  kPeerClosed,  // the peer sent close_notify: it will send nothing more
};

struct ChannelEvent {
  ChannelEventType type;
  ByteSpan message;  // kMessage only; valid until the next handle_bytes call
};

// ChannelState: where the two close_notify frames stand. The transitions (all in
// channel.cc) are
//   kOpen       --close()-->               kSentClose
//   kOpen       --peer's close_notify-->   kPeerClosed
//   kSentClose  --peer's close_notify-->   kClosed
//   kPeerClosed --close()-->               kClosed
//   any         --an error-->              kFailed (terminal; error() says why)
// A config outside its limits starts the channel in kFailed.
enum class ChannelState : std::uint8_t {
  kOpen,        // both directions carry messages
  kSentClose,   // our close_notify is queued: we send nothing more, still receive
  kPeerClosed,  // the peer's close_notify arrived: we receive nothing more, still send
  kClosed,      // close_notify went both ways; no key is left
  kFailed,      // terminal: both keys wiped, nothing more sent or opened
};

// channel_state_name returns the enumerator's name without the leading 'k', e.g.
// "SentClose", for logs.
std::string_view channel_state_name(ChannelState state);

class Channel {
 public:
  // Channel takes the keys of a finished handshake: both traffic keys (|role| picks
  // which one sends) and the session key, which it keeps for session_key() and wipes
  // with the last traffic key, or at the first failure. A config outside its limits
  // gives a channel failed with kInvalidArgument, holding no key.
  Channel(Role role, SessionKeys keys, const ChannelConfig& config);
  // The same from the traffic keys alone (tests and fuzz targets): no session key.
  Channel(Role role, Key key_c2s, Key key_s2c, const ChannelConfig& config);
  Channel(Channel&&) noexcept = default;
  Channel& operator=(Channel&&) noexcept = default;
  ~Channel() = default;  // keys and buffers wipe themselves

  // handle_bytes consumes frames from |input| in any split. It stops early, after a
  // whole message, until poll_event() takes it. Empty |input| means the stream ended:
  // fine after close_notify, otherwise kTruncated. Errors (terminal): kFrameTooLarge
  // (checked from the header, before any body byte is buffered), kFrameAuthFailed,
  // kDataAfterClose, kTruncated, kCounterExhaustedRemote, kOutOfMemory (the receive
  // buffer could not grow), kInternalError (a broken invariant, assert.h).
  [[nodiscard]] ReadResult handle_bytes(ByteSpan input);

  std::optional<ChannelEvent> poll_event();

  // send seals |message| (1..max_message_size bytes) into the output queue.
  // Errors: kInvalidArgument (empty: use close()), kMessageTooLarge, kSendBufferFull,
  // kCounterExhausted, kAlreadyClosed, or the channel's terminal error. On error
  // nothing is queued and no counter moves. Two errors end the channel (terminal):
  // kOutOfMemory (the send queue could not grow) and kInternalError (assert.h).
  [[nodiscard]] Error send(ByteSpan message);

  // close queues close_notify; afterwards send() fails with kAlreadyClosed. Receiving
  // goes on until the peer's close_notify. Errors as send().
  [[nodiscard]] Error close();

  // abort fails the channel with |error| for a reason outside it (Connection's: a hook
  // threw at completion): the same terminal failure as any other, every key wiped
  // and nothing more sent or opened. A channel that failed already keeps its error.
  void abort(Error error);

  std::size_t poll_transmit(MutableByteSpan out);
  std::size_t pending_transmit() const { return tx_end_ - tx_begin_; }
  // peek_transmit: the queued frames in place, valid until the next non-const call;
  // consume_transmit(n) marks the first n (at most their size) as sent.
  ByteSpan peek_transmit() const { return tx_.bytes().subspan(tx_begin_, pending_transmit()); }
  void consume_transmit(std::size_t n);

  // release_idle_buffers frees the receive and send buffers and the OpenSSL
  // contexts when nothing is in them (no queued frame, no partial frame, no message
  // waiting), so an idle channel owns no heap; they grow again with the next message
  // (docs/architecture.md, "Idle memory"). A failed channel frees them always. A
  // message span from poll_event is invalid afterwards. Returns whether the channel
  // now owns no buffer.
  bool release_idle_buffers();
  std::size_t buffer_capacity() const { return rx_.capacity() + tx_.capacity(); }

  ChannelState state() const { return state_; }
  Error error() const { return error_; }
  // sent_close: our close_notify is queued (kSentClose or kClosed); false once failed.
  bool sent_close() const {
    return state_ == ChannelState::kSentClose || state_ == ChannelState::kClosed;
  }
  // peer_closed: the peer's close_notify arrived (kPeerClosed or kClosed); false once failed.
  bool peer_closed() const {
    return state_ == ChannelState::kPeerClosed || state_ == ChannelState::kClosed;
  }
  std::size_t max_message_size() const { return max_message_size_; }
  // receiving_frame: part of a frame has arrived (at least one byte of its header)
  // and the rest has not. Connection times it (ChannelConfig::frame_timeout).
  bool receiving_frame() const { return header_size_ != 0; }
  // frames_received counts the frames opened so far, close_notify included: when it
  // moves during a call, the frame being received (if any) started in that call.
  std::uint64_t frames_received() const { return receive_counter_; }

  // session_key: the session key (docs/protocol.md "Keys"), empty once wiped: after a
  // failure, once close_notify went both ways, or when the channel was made without
  // one. Treat it as a secret.
  std::span<const std::uint8_t> session_key() const {
    return session_key_ ? std::span<const std::uint8_t>(session_key_->bytes())
                        : std::span<const std::uint8_t>();
  }

  // Traffic keys, for test vectors and diagnostics only: treat them as secrets. A key
  // reads as all zero once wiped; holds_*_key() say whether it still is held.
  const Key& send_key() const { return send_key_.key(); }
  const Key& receive_key() const { return receive_key_.key(); }
  bool holds_send_key() const {
    return state_ == ChannelState::kOpen || state_ == ChannelState::kPeerClosed;
  }
  bool holds_receive_key() const {
    return state_ == ChannelState::kOpen || state_ == ChannelState::kSentClose;
  }

 private:
  friend struct ChannelTestAccess;     // p2pnet/internal/channel_test_access.h
  friend struct ConnectionTestAccess;  // p2pnet/internal/connection_test_access.h

  Error seal(ByteSpan plaintext);
  void on_peer_close_notify();
  // on_closed: close_notify has gone both ways; the session key is no longer needed.
  void on_closed();
  ReadResult fail(Error error, std::size_t consumed);
  Error open_frame(ByteSpan ciphertext_and_tag);

  AeadKey send_key_;
  AeadKey receive_key_;
  // The session key never encrypts, but with the public transcript it gives both
  // traffic keys again, so it lives exactly as long as they do: reset (and so wiped,
  // Secret's destructor) at the first failure and once the channel is kClosed.
  std::optional<Key> session_key_;
  std::uint64_t send_counter_ = 0;
  std::uint64_t receive_counter_ = 0;
  std::size_t max_message_size_;
  std::size_t max_pending_output_;
  ChannelState state_ = ChannelState::kOpen;
  Error error_ = Error::kNone;  // kNone unless state_ is kFailed
  // The one event poll_event() returns next. Two never wait at once: handle_bytes
  // stops after a message until it is taken, and close_notify is the last frame.
  enum class PendingEvent : std::uint8_t { kNone, kMessage, kPeerClosed };
  PendingEvent pending_event_ = PendingEvent::kNone;
  std::uint32_t pending_message_size_ = 0;  // kMessage: plaintext bytes waiting in rx_

  // Receive side: the header being read, then the body (ciphertext || tag).
  std::array<std::uint8_t, kFrameHeaderSize> header_{};
  std::size_t header_size_ = 0;
  std::uint32_t body_length_ = 0;  // plaintext length L of the frame being read
  std::size_t body_size_ = 0;      // bytes of ciphertext || tag buffered so far
  ByteBuffer rx_;

  // Send side: sealed frames in tx_[tx_begin_, tx_end_).
  ByteBuffer tx_;
  std::size_t tx_begin_ = 0;
  std::size_t tx_end_ = 0;
};

}  // namespace p2pnet

#endif  // P2PNET_INTERNAL_CHANNEL_H_
