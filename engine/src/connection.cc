// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Connection = Handshake, then Channel. The handshake stops consuming at the end of
// its last message; handle_bytes hands the rest of the same input to the channel,
// which is why a server's first frames may share a buffer with its Accept.
#include "p2pnet/connection.h"

#include "connection_log.h"

namespace p2pnet {

Connection::Connection(Handshake handshake, const ChannelConfig& channel_config, const Hooks& hooks)
    : handshake_(std::move(handshake)), channel_config_(channel_config), hooks_(hooks) {
  log_handshake_started(hooks_.log, hooks_.log_id, handshake_.role());
  log_failure_once();  // a config the handshake refused
}

Connection Connection::client(const ClientConfig& config, Instant now) {
  return Connection(Handshake::client(config, now), config.channel,
                    Hooks{config.log_hook, config.log_id, config.key_log});
}

Connection Connection::server(const ServerConfig& config, Instant now) {
  return Connection(Handshake::server(config, now), config.channel,
                    Hooks{config.log_hook, config.log_id, config.key_log});
}

void Connection::log_failure_once() {
  const Error failure = error();
  if (failure == Error::kNone || failure_logged_) return;
  failure_logged_ = true;
  const Transcript& t = handshake_.transcript();
  log_failure(hooks_.log, hooks_.log_id, role(), channel_.has_value(), failure,
              role() == Role::kClient ? t.server_id : t.client_id);
}

void Connection::start_channel_if_complete() {
  if (channel_ || !handshake_.is_complete()) return;
  SessionKeys keys = handshake_.take_keys();  // the handshake's copies are wiped
  log_handshake_complete(hooks_.log, hooks_.log_id, handshake_.peer_identity());
  write_key_log(hooks_.key_log, handshake_.transcript(), keys.key_c2s.bytes(), keys.key_s2c.bytes());
  session_key_ = std::move(keys.session_key);
  channel_.emplace(handshake_.role(), std::move(keys.key_c2s), std::move(keys.key_s2c),
                   channel_config_);
  handshake_event_pending_ = true;
  wipe_session_key_if_done();
}

bool Connection::done() const {
  return channel_ &&
         (channel_->error() != Error::kNone || (channel_->sent_close() && channel_->peer_closed()));
}

void Connection::wipe_session_key_if_done() {
  // The session key derives both traffic keys again from the public transcript
  // (docs/protocol.md "Keys"), so it goes with them. The channel wipes its own keys.
  if (done()) session_key_.wipe();
}

ReadResult Connection::handle_bytes(ByteSpan input, Instant now) {
  std::size_t consumed = 0;
  if (!channel_) {
    const ReadResult result = handshake_.handle_bytes(input, now);
    consumed = result.consumed;
    if (result.error != Error::kNone) return log_failure_once(), result;
    start_channel_if_complete();
    // Still handshaking (all input used), or complete with nothing left over.
    if (!channel_ || (consumed == input.size() && !input.empty())) return {consumed, Error::kNone};
  }
  const ReadResult result = channel_->handle_bytes(input.subspan(consumed));
  wipe_session_key_if_done();
  log_failure_once();
  return {consumed + result.consumed, result.error};
}

Error Connection::handle_timeout(Instant now) {
  if (channel_) return channel_->error();
  const Error error = handshake_.handle_timeout(now);
  log_failure_once();
  return error;
}

std::optional<Instant> Connection::poll_timeout() const {
  return channel_ ? std::nullopt : handshake_.poll_timeout();
}

std::optional<Event> Connection::poll_event() {
  if (handshake_event_pending_) {
    handshake_event_pending_ = false;
    return Event{EventType::kHandshakeComplete, {}};
  }
  if (!channel_) return std::nullopt;
  const auto event = channel_->poll_event();
  if (!event) return std::nullopt;
  switch (event->type) {
    case ChannelEventType::kMessage: return Event{EventType::kMessage, event->message};
    case ChannelEventType::kPeerClosed: return Event{EventType::kPeerClosed, {}};
  }
  return std::nullopt;
}

std::size_t Connection::poll_transmit(MutableByteSpan out) {
  // A channel that failed sends nothing more, not even an Accept still queued from
  // the same input: the peer must not become established with a dead connection.
  if (channel_ && channel_->error() != Error::kNone) return 0;
  // The handshake's last message goes out before any frame sealed after it.
  std::size_t n = handshake_.poll_transmit(out);
  if (channel_) n += channel_->poll_transmit(out.subspan(n));
  return n;
}

std::size_t Connection::pending_transmit() const {
  if (channel_ && channel_->error() != Error::kNone) return 0;
  return handshake_.pending_transmit() + (channel_ ? channel_->pending_transmit() : 0);
}

Error Connection::send(ByteSpan message) {
  if (!channel_) return handshake_.error() != Error::kNone ? handshake_.error() : Error::kWrongState;
  return channel_->send(message);  // a refused send changes nothing, so no key to wipe
}

Error Connection::close() {
  if (!channel_) return handshake_.error() != Error::kNone ? handshake_.error() : Error::kWrongState;
  const Error error = channel_->close();
  wipe_session_key_if_done();
  return error;
}

ConnectionState Connection::state() const {
  if (error() != Error::kNone) return ConnectionState::kFailed;
  return channel_ ? ConnectionState::kEstablished : ConnectionState::kHandshaking;
}

std::string_view Connection::state_name() const {
  if (!channel_) return handshake_state_name(handshake_.state());
  if (channel_->error() != Error::kNone) return "ChannelFailed";
  if (channel_->sent_close() && channel_->peer_closed()) return "Closed";
  if (channel_->sent_close()) return "SentClose";
  if (channel_->peer_closed()) return "PeerClosed";
  return "Established";
}

Error Connection::error() const {
  if (handshake_.error() != Error::kNone) return handshake_.error();
  return channel_ ? channel_->error() : Error::kNone;
}

const PublicKey* Connection::peer_identity() const {
  return channel_ ? &handshake_.peer_identity() : nullptr;
}

std::span<const std::uint8_t> Connection::session_key() const {
  if (!channel_ || done()) return {};
  return session_key_.bytes();
}

std::span<const std::uint8_t> Connection::traffic_key(bool sending) const {
  if (!channel_) return {};
  if (sending) return channel_->holds_send_key() ? channel_->send_key().bytes() : ByteSpan{};
  return channel_->holds_receive_key() ? channel_->receive_key().bytes() : ByteSpan{};
}

std::span<const std::uint8_t> Connection::key_c2s() const {
  return traffic_key(role() == Role::kClient);  // the client sends with key_c2s
}

std::span<const std::uint8_t> Connection::key_s2c() const {
  return traffic_key(role() == Role::kServer);  // the server sends with key_s2c
}

const Transcript* Connection::transcript() const {
  return channel_ ? &handshake_.transcript() : nullptr;
}

}  // namespace p2pnet
