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
// the peer's close_notify is opened.
#include "p2pnet/channel.h"

#include <algorithm>
#include <cstring>

namespace p2pnet {

bool channel_config_is_valid(const ChannelConfig& config) {
  if (config.max_message_size < 1 || config.max_message_size > kMaxMessageSizeLimit) return false;
  return config.max_pending_output == 0 ||
         config.max_pending_output >= config.max_message_size + kFrameOverhead;
}

Channel::Channel(Role role, Key key_c2s, Key key_s2c, const ChannelConfig& config)
    : send_key_(std::move(role == Role::kClient ? key_c2s : key_s2c)),
      receive_key_(std::move(role == Role::kClient ? key_s2c : key_c2s)),
      max_message_size_(config.max_message_size),
      max_pending_output_(config.max_pending_output != 0
                              ? config.max_pending_output
                              : 2 * (config.max_message_size + kFrameOverhead)) {
  if (!channel_config_is_valid(config)) {
    error_ = Error::kInvalidArgument;
    send_key_.wipe();
    receive_key_.wipe();
  }
}

ReadResult Channel::fail(Error error, std::size_t consumed) {
  if (error_ == Error::kNone) error_ = error;
  send_key_.wipe();
  receive_key_.wipe();
  message_ready_.reset();
  rx_.wipe();
  // Fail closed: frames sealed before the failure are not sent after it either.
  tx_.wipe();
  tx_begin_ = tx_end_ = 0;
  return {consumed, error_};
}

ReadResult Channel::handle_bytes(ByteSpan input) {
  if (error_ != Error::kNone) return {0, error_};
  if (message_ready_) return {0, Error::kNone};  // the caller must poll_event() first
  if (input.empty()) {
    // End of stream: clean only after close_notify, and never in the middle of a frame.
    if (peer_closed_) return {0, Error::kNone};
    return fail(Error::kTruncated, 0);
  }

  ByteReader reader(input);
  while (!reader.empty()) {
    const std::size_t consumed = input.size() - reader.remaining();
    if (peer_closed_) return fail(Error::kDataAfterClose, consumed);

    if (header_size_ < kFrameHeaderSize) {
      ByteSpan chunk;
      (void)reader.read_span(std::min(kFrameHeaderSize - header_size_, reader.remaining()), &chunk);
      std::copy(chunk.begin(), chunk.end(), header_.begin() + static_cast<std::ptrdiff_t>(header_size_));
      header_size_ += chunk.size();
      if (header_size_ < kFrameHeaderSize) break;
      ByteReader header(header_);
      (void)header.read_u32_be(&body_length_);
      if (body_length_ > max_message_size_) {
        return fail(Error::kFrameTooLarge, input.size() - reader.remaining());
      }
      body_size_ = 0;
    }

    const std::size_t frame_body = std::size_t{body_length_} + kFrameTagSize;
    rx_.reserve(frame_body, body_size_);
    const std::uint8_t* sealed = nullptr;
    if (body_size_ == 0 && reader.remaining() >= frame_body) {
      ByteSpan whole;  // the whole body is in the input: open it from there
      (void)reader.read_span(frame_body, &whole);
      sealed = whole.data();
    } else {
      ByteSpan chunk;
      (void)reader.read_span(std::min(frame_body - body_size_, reader.remaining()), &chunk);
      std::copy(chunk.begin(), chunk.end(), rx_.data() + body_size_);
      body_size_ += chunk.size();
      if (body_size_ < frame_body) break;
      sealed = rx_.data();
    }

    if (const Error error = open_frame(sealed); error != Error::kNone) {
      return fail(error, input.size() - reader.remaining());
    }
    header_size_ = 0;
    body_size_ = 0;
    if (body_length_ == 0) {
      peer_closed_ = true;  // close_notify: nothing more to open
      peer_closed_event_pending_ = true;
      receive_key_.wipe();
      continue;
    }
    message_ready_ = body_length_;
    break;  // hold further input until the caller takes this message
  }
  return {input.size() - reader.remaining(), Error::kNone};
}

Error Channel::open_frame(const std::uint8_t* sealed) {
  // A compliant sender stops before its counter reaches the limit.
  if (receive_counter_ == kFrameCounterLimit) return Error::kCounterExhaustedRemote;
  // Opening straight into rx_ (or in place) is safe: both backends allow in-place
  // use, and a frame that fails leaves zeros behind, never unauthenticated plaintext.
  if (!receive_key_.open(rx_.data(), sealed, body_length_, sealed + body_length_, header_,
                         receive_counter_)) {
    return Error::kFrameAuthFailed;
  }
  ++receive_counter_;
  return Error::kNone;
}

std::optional<ChannelEvent> Channel::poll_event() {
  if (message_ready_) {
    const std::size_t size = *message_ready_;
    message_ready_.reset();
    return ChannelEvent{ChannelEventType::kMessage, ByteSpan(rx_.data(), size)};
  }
  if (peer_closed_event_pending_) {
    peer_closed_event_pending_ = false;
    return ChannelEvent{ChannelEventType::kPeerClosed, {}};
  }
  return std::nullopt;
}

Error Channel::send(ByteSpan message) {
  if (error_ != Error::kNone) return error_;
  if (sent_close_) return Error::kAlreadyClosed;
  if (message.empty()) return Error::kInvalidArgument;  // L = 0 means close_notify
  if (message.size() > max_message_size_) return Error::kMessageTooLarge;
  return seal(message);
}

Error Channel::close() {
  if (error_ != Error::kNone) return error_;
  if (sent_close_) return Error::kAlreadyClosed;
  const Error error = seal({});
  if (error == Error::kNone) {
    sent_close_ = true;  // nothing more to seal
    send_key_.wipe();
  }
  return error;
}

Error Channel::seal(ByteSpan plaintext) {
  if (send_counter_ == kFrameCounterLimit) return Error::kCounterExhausted;
  const std::size_t frame_size = kFrameHeaderSize + plaintext.size() + kFrameTagSize;
  if (pending_transmit() + frame_size > max_pending_output_) return Error::kSendBufferFull;

  // Make room at the end: first by sliding unsent bytes to the front, then by growing.
  if (tx_.capacity() - tx_end_ < frame_size) {
    const std::size_t pending = pending_transmit();
    if (tx_begin_ != 0) {
      std::memmove(tx_.data(), tx_.data() + tx_begin_, pending);
      tx_begin_ = 0;
      tx_end_ = pending;
    }
    tx_.reserve(std::max(pending + frame_size, std::min(2 * tx_.capacity(), max_pending_output_)),
                pending);
  }

  std::uint8_t* frame = tx_.data() + tx_end_;
  ByteWriter header(MutableByteSpan(frame, kFrameHeaderSize));
  header.write_u32_be(static_cast<std::uint32_t>(plaintext.size()));
  send_key_.seal(frame + kFrameHeaderSize, frame + kFrameHeaderSize + plaintext.size(), plaintext.data(),
                 plaintext.size(), ByteSpan(frame, kFrameHeaderSize), send_counter_);
  ++send_counter_;
  tx_end_ += frame_size;
  return Error::kNone;
}

bool Channel::release_idle_buffers() {
  if (message_ready_ || body_size_ != 0 || pending_transmit() != 0) return false;
  rx_.release();
  tx_.release();
  tx_begin_ = tx_end_ = 0;
  send_key_.release_context();
  receive_key_.release_context();
  return true;
}

std::size_t Channel::poll_transmit(MutableByteSpan out) {
  const std::size_t n = std::min(out.size(), pending_transmit());
  std::copy_n(peek_transmit().begin(), n, out.begin());
  consume_transmit(n);
  return n;
}

void Channel::consume_transmit(std::size_t n) {
  tx_begin_ += std::min(n, pending_transmit());
  if (tx_begin_ == tx_end_) tx_begin_ = tx_end_ = 0;
}

}  // namespace p2pnet
