// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The transport of protocol-v1 ("Transport frames"). Receiving runs a two-step cycle
// per frame: read the 4-byte header (and reject an L over the maximum before any
// body byte is kept), then read L + 16 bytes of ciphertext and tag and open them.
// When the whole body is already in the caller's input it is opened straight from
// there into rx_, saving a copy; otherwise it is assembled in rx_ and opened in
// place. A frame that fails to open ends the channel: the counter does not move, the
// keys are wiped and nothing more is decrypted. Each key is also wiped as soon as its
// direction is done: the send key once close_notify is sealed, the receive key once
// the peer's close_notify is opened, and the session key with the second of them.
// fail() wipes all three, whatever the failure (the peer's bytes, a buffer that could
// not grow, a broken invariant, or Connection's abort()).
//
// Every ChannelState transition (channel.h) happens in this file: close() and
// on_peer_close_notify() move through the close states, fail() (and the constructor,
// for a bad config) to kFailed, which nothing leaves.
#include "p2pnet/internal/channel.h"

#include <algorithm>

#include "p2pnet/internal/assert.h"

namespace p2pnet {

std::string_view channel_state_name(ChannelState state) {
  switch (state) {
    case ChannelState::kOpen: return "Open";
    case ChannelState::kSentClose: return "SentClose";
    case ChannelState::kPeerClosed: return "PeerClosed";
    case ChannelState::kClosed: return "Closed";
    case ChannelState::kFailed: return "Failed";
  }
  return "Unknown";
}

bool channel_config_is_valid(const ChannelConfig& config) {
  if (config.max_message_size < 1 || config.max_message_size > kMaxMessageSizeLimit) return false;
  return config.max_pending_output == 0 ||
         config.max_pending_output >= config.max_message_size + kFrameOverhead;
}

Channel::Channel(Role role, SessionKeys keys, const ChannelConfig& config)
    : Channel(role, std::move(keys.key_c2s), std::move(keys.key_s2c), config) {
  if (state_ != ChannelState::kFailed) session_key_.emplace(std::move(keys.session_key));
}

Channel::Channel(Role role, Key key_c2s, Key key_s2c, const ChannelConfig& config)
    : send_key_(std::move(role == Role::kClient ? key_c2s : key_s2c)),
      receive_key_(std::move(role == Role::kClient ? key_s2c : key_c2s)),
      max_message_size_(config.max_message_size),
      max_pending_output_(config.max_pending_output != 0
                              ? config.max_pending_output
                              : 2 * (config.max_message_size + kFrameOverhead)) {
  if (!channel_config_is_valid(config)) {
    state_ = ChannelState::kFailed;
    error_ = Error::kInvalidArgument;
    send_key_.wipe();
    receive_key_.wipe();
  }
}

ReadResult Channel::fail(Error error, std::size_t consumed) {
  if (state_ != ChannelState::kFailed) {
    state_ = ChannelState::kFailed;
    error_ = error;
  }
  send_key_.wipe();
  receive_key_.wipe();
  session_key_.reset();
  // A message not yet taken is gone with rx_; a peer_closed event still tells the truth.
  if (pending_event_ == PendingEvent::kMessage) pending_event_ = PendingEvent::kNone;
  rx_.wipe();
  // Fail closed: frames sealed before the failure are not sent after it either.
  tx_.wipe();
  tx_begin_ = tx_end_ = 0;
  return {consumed, error_};
}

ReadResult Channel::handle_bytes(ByteSpan input) {
  if (state_ == ChannelState::kFailed) return {0, error_};
  if (pending_event_ == PendingEvent::kMessage) return {0, Error::kNone};  // poll_event() first
  if (input.empty()) {
    // End of stream: clean only after close_notify, and never in the middle of a frame.
    if (peer_closed()) return {0, Error::kNone};
    return fail(Error::kTruncated, 0);
  }

  ByteReader reader(input);
  while (!reader.empty()) {
    const std::size_t consumed = input.size() - reader.remaining();
    if (peer_closed()) return fail(Error::kDataAfterClose, consumed);

    if (header_size_ < kFrameHeaderSize) {
      const ByteSpan chunk = reader.read_up_to(kFrameHeaderSize - header_size_);
      header_size_ += copy_bounded(std::span(header_).subspan(header_size_), chunk);
      if (header_size_ < kFrameHeaderSize) break;
      body_length_ = load_u32_be(header_);
      if (body_length_ > max_message_size_) {
        return fail(Error::kFrameTooLarge, input.size() - reader.remaining());
      }
      body_size_ = 0;
    }

    const std::size_t frame_body = std::size_t{body_length_} + kFrameTagSize;
    if (!rx_.reserve(frame_body, body_size_)) {
      return fail(Error::kOutOfMemory, input.size() - reader.remaining());
    }
    ByteSpan sealed;  // ciphertext || tag
    // The whole body in the input (and none buffered yet): open it from there.
    if (body_size_ != 0 || !reader.read_span(frame_body, &sealed)) {
      const ByteSpan chunk = reader.read_up_to(frame_body - body_size_);
      std::ranges::copy(chunk, rx_.bytes().subspan(body_size_).begin());
      body_size_ += chunk.size();
      if (body_size_ < frame_body) break;
      sealed = rx_.bytes().first(frame_body);
    }

    if (const Error error = open_frame(sealed); error != Error::kNone) {
      return fail(error, input.size() - reader.remaining());
    }
    header_size_ = 0;
    body_size_ = 0;
    if (body_length_ == 0) {
      on_peer_close_notify();
      continue;
    }
    pending_event_ = PendingEvent::kMessage;
    pending_message_size_ = body_length_;
    break;  // hold further input until the caller takes this message
  }
  return {input.size() - reader.remaining(), Error::kNone};
}

Error Channel::open_frame(ByteSpan sealed) {
  // A compliant sender stops before its counter reaches the limit.
  if (receive_counter_ == kFrameCounterLimit) return Error::kCounterExhaustedRemote;
  if (!P2PNET_ASSERT(sealed.size() == std::size_t{body_length_} + kFrameTagSize &&
                     rx_.capacity() >= body_length_)) {
    return fail(Error::kInternalError, 0).error;  // failed here, whoever called
  }
  const ByteSpan ciphertext = sealed.first(body_length_);
  const ByteSpan tag = sealed.subspan(body_length_);
  // Opening straight into rx_ (or in place) is safe: both backends allow in-place
  // use, and a frame that fails leaves zeros behind, never unauthenticated plaintext.
  if (!receive_key_.open(rx_.data(), ciphertext.data(), ciphertext.size(), tag.data(), header_,
                         receive_counter_)) {
    return Error::kFrameAuthFailed;
  }
  ++receive_counter_;
  return Error::kNone;
}

void Channel::on_peer_close_notify() {
  pending_event_ = PendingEvent::kPeerClosed;
  receive_key_.wipe();  // nothing more to open
  if (state_ == ChannelState::kSentClose) return on_closed();
  state_ = ChannelState::kPeerClosed;
}

void Channel::on_closed() {
  state_ = ChannelState::kClosed;
  session_key_.reset();  // both traffic keys are gone: nothing left to derive again
}

std::optional<ChannelEvent> Channel::poll_event() {
  const PendingEvent pending = pending_event_;
  pending_event_ = PendingEvent::kNone;
  switch (pending) {
    case PendingEvent::kNone: return std::nullopt;
    case PendingEvent::kMessage:
      if (!P2PNET_ASSERT(pending_message_size_ <= rx_.capacity())) {
        (void)fail(Error::kInternalError, 0);
        return std::nullopt;
      }
      return ChannelEvent{ChannelEventType::kMessage, rx_.bytes().first(pending_message_size_)};
    case PendingEvent::kPeerClosed: return ChannelEvent{ChannelEventType::kPeerClosed, {}};
  }
  return std::nullopt;
}

Error Channel::send(ByteSpan message) {
  if (state_ == ChannelState::kFailed) return error_;
  if (sent_close()) return Error::kAlreadyClosed;
  if (message.empty()) return Error::kInvalidArgument;  // L = 0 means close_notify
  if (message.size() > max_message_size_) return Error::kMessageTooLarge;
  return seal(message);
}

Error Channel::close() {
  if (state_ == ChannelState::kFailed) return error_;
  if (sent_close()) return Error::kAlreadyClosed;
  const Error error = seal({});
  if (error == Error::kNone) {
    send_key_.wipe();  // nothing more to seal
    if (state_ == ChannelState::kPeerClosed) {
      on_closed();
    } else {
      state_ = ChannelState::kSentClose;
    }
  }
  return error;
}

void Channel::abort(Error error) { (void)fail(error, 0); }

Error Channel::seal(ByteSpan plaintext) {
  if (send_counter_ == kFrameCounterLimit) return Error::kCounterExhausted;
  const std::size_t frame_size = kFrameHeaderSize + plaintext.size() + kFrameTagSize;
  if (pending_transmit() + frame_size > max_pending_output_) return Error::kSendBufferFull;

  // Make room at the end: first by sliding unsent bytes to the front, then by growing.
  if (tx_.capacity() - tx_end_ < frame_size) {
    const std::size_t pending = pending_transmit();
    if (tx_begin_ != 0) {
      // Copying towards the front of the same buffer is safe with std::copy.
      std::ranges::copy(tx_.bytes().subspan(tx_begin_, pending), tx_.bytes().begin());
      tx_begin_ = 0;
      tx_end_ = pending;
    }
    if (!tx_.reserve(
            std::max(pending + frame_size, std::min(2 * tx_.capacity(), max_pending_output_)),
            pending)) {
      (void)fail(Error::kOutOfMemory, 0);
      return error_;
    }
  }

  // tx_end_ <= capacity first, so the subtraction cannot wrap and pass.
  if (!P2PNET_ASSERT(tx_end_ <= tx_.capacity() && tx_.capacity() - tx_end_ >= frame_size)) {
    (void)fail(Error::kInternalError, 0);
    return error_;
  }
  const MutableByteSpan frame = tx_.bytes().subspan(tx_end_, frame_size);
  const MutableByteSpan header = frame.first(kFrameHeaderSize);
  const MutableByteSpan ciphertext = frame.subspan(kFrameHeaderSize, plaintext.size());
  const MutableByteSpan tag = frame.subspan(kFrameHeaderSize + plaintext.size());
  store_u32_be(frame.first<kFrameHeaderSize>(), static_cast<std::uint32_t>(plaintext.size()));
  send_key_.seal(ciphertext.data(), tag.data(), plaintext.data(), plaintext.size(), header,
                 send_counter_);
  ++send_counter_;
  tx_end_ += frame_size;
  return Error::kNone;
}

bool Channel::release_idle_buffers() {
  if (pending_event_ == PendingEvent::kMessage || body_size_ != 0 || pending_transmit() != 0) {
    return false;
  }
  rx_.release();
  tx_.release();
  tx_begin_ = tx_end_ = 0;
  send_key_.release_context();
  receive_key_.release_context();
  return true;
}

std::size_t Channel::poll_transmit(MutableByteSpan out) {
  const std::size_t n = std::min(out.size(), pending_transmit());
  std::ranges::copy(peek_transmit().first(n), out.begin());
  consume_transmit(n);
  return n;
}

void Channel::consume_transmit(std::size_t n) {
  tx_begin_ += std::min(n, pending_transmit());
  if (tx_begin_ == tx_end_) tx_begin_ = tx_end_ = 0;
}

}  // namespace p2pnet
