// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Connection = Handshake, then Channel. The handshake stops consuming at the end of
// its last message; handle_bytes hands the rest of the same input to the channel,
// which is why a server's first frames may share a buffer with its Accept.
#include "p2pnet/connection.h"

#include <new>

#include "connection_log.h"
#include "p2pnet/internal/connection_impl.h"

namespace p2pnet {

Connection::Connection(Impl&& impl) {
  // The public header reserves kImplSize bytes for Impl so that a Connection needs no
  // heap allocation and its header names no internal type.
  static_assert(sizeof(Impl) <= kImplSize,
                "Connection::Impl outgrew its storage (Handshake or Channel grew): raise "
                "Connection::kImplSize in engine/include/p2pnet/connection.h to at least "
                "sizeof(Connection::Impl)");
  static_assert(alignof(Impl) <= kImplAlign,
                "Connection::Impl needs a stricter alignment: raise Connection::kImplAlign "
                "in engine/include/p2pnet/connection.h to alignof(Connection::Impl)");
  Impl& s = *new (storage_) Impl(std::move(impl));
  log_handshake_started(s.hooks.log, s.hooks.log_id, s.handshake.role());
  s.log_failure_once();  // a config the handshake refused
}
Connection::Connection(Connection&& other) noexcept {
  new (storage_) Impl(std::move(other.impl()));
}
Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) impl() = std::move(other.impl());
  return *this;
}
Connection::~Connection() { impl().~Impl(); }

Connection::Impl& Connection::impl() { return *std::launder(reinterpret_cast<Impl*>(storage_)); }
const Connection::Impl& Connection::impl() const {
  return *std::launder(reinterpret_cast<const Impl*>(storage_));
}

Connection Connection::client(const ClientConfig& config, Instant now) {
  return Connection(Impl(Handshake::client(config, now), config.channel,
                         Impl::Hooks{config.log_hook, config.log_id, config.key_log}));
}

Connection Connection::server(const ServerConfig& config, Instant now) {
  return Connection(Impl(Handshake::server(config, now), config.channel,
                         Impl::Hooks{config.log_hook, config.log_id, config.key_log}));
}

Error Connection::Impl::error() const {
  if (handshake.error() != Error::kNone) return handshake.error();
  return channel ? channel->error() : Error::kNone;
}

void Connection::Impl::log_failure_once() {
  const Error failure = error();
  if (failure == Error::kNone || failure_logged) return;
  failure_logged = true;
  const Transcript& t = handshake.transcript();
  const Role role = handshake.role();
  log_failure(hooks.log, hooks.log_id, role, channel.has_value(), failure,
              role == Role::kClient ? t.server_id : t.client_id);
}

void Connection::Impl::start_channel_if_complete() {
  if (channel || !handshake.is_complete()) return;
  SessionKeys keys = handshake.take_keys();  // the handshake's copies are wiped
  log_handshake_complete(hooks.log, hooks.log_id, handshake.peer_identity());
  write_key_log(hooks.key_log, handshake.transcript(), keys.key_c2s.bytes(), keys.key_s2c.bytes());
  session_key = std::move(keys.session_key);
  channel.emplace(handshake.role(), std::move(keys.key_c2s), std::move(keys.key_s2c),
                  channel_config);
  handshake_event_pending = true;
  wipe_session_key_if_done();
}

bool Connection::Impl::done() const {
  if (!channel) return false;
  switch (channel->state()) {
    case ChannelState::kOpen:
    case ChannelState::kSentClose:
    case ChannelState::kPeerClosed: return false;
    case ChannelState::kClosed:
    case ChannelState::kFailed: return true;
  }
  return false;
}

void Connection::Impl::wipe_session_key_if_done() {
  // The session key derives both traffic keys again from the public transcript
  // (docs/protocol.md "Keys"), so it goes with them. The channel wipes its own keys.
  if (done()) session_key.wipe();
}

ReadResult Connection::handle_bytes(ByteSpan input, Instant now) {
  Impl& s = impl();
  std::size_t consumed = 0;
  if (!s.channel) {
    const ReadResult result = s.handshake.handle_bytes(input, now);
    consumed = result.consumed;
    if (result.error != Error::kNone) return s.log_failure_once(), result;
    s.start_channel_if_complete();
    // Still handshaking (all input used), or complete with nothing left over.
    if (!s.channel || (consumed == input.size() && !input.empty())) return {consumed, Error::kNone};
  }
  const ReadResult result = s.channel->handle_bytes(input.subspan(consumed));
  s.wipe_session_key_if_done();
  s.log_failure_once();
  return {consumed + result.consumed, result.error};
}

Error Connection::handle_timeout(Instant now) {
  Impl& s = impl();
  if (s.channel) return s.channel->error();
  const Error error = s.handshake.handle_timeout(now);
  s.log_failure_once();
  return error;
}

std::optional<Instant> Connection::poll_timeout() const {
  const Impl& s = impl();
  return s.channel ? std::nullopt : s.handshake.poll_timeout();
}

std::optional<Event> Connection::poll_event() {
  Impl& s = impl();
  if (s.handshake_event_pending) {
    s.handshake_event_pending = false;
    return Event{EventType::kHandshakeComplete, {}};
  }
  if (!s.channel) return std::nullopt;
  const auto event = s.channel->poll_event();
  if (!event) return std::nullopt;
  switch (event->type) {
    case ChannelEventType::kMessage: return Event{EventType::kMessage, event->message};
    case ChannelEventType::kPeerClosed: return Event{EventType::kPeerClosed, {}};
  }
  return std::nullopt;
}

std::size_t Connection::poll_transmit(MutableByteSpan out) {
  Impl& s = impl();
  // A channel that failed sends nothing more, not even an Accept still queued from
  // the same input: the peer must not become established with a dead connection.
  if (s.channel && s.channel->error() != Error::kNone) return 0;
  // The handshake's last message goes out before any frame sealed after it.
  std::size_t n = s.handshake.poll_transmit(out);
  if (s.channel) n += s.channel->poll_transmit(out.subspan(n));
  return n;
}

ByteSpan Connection::peek_transmit() const {
  const Impl& s = impl();
  // The same order and the same rule after a channel failure as poll_transmit.
  if (s.channel && s.channel->error() != Error::kNone) return {};
  if (s.handshake.pending_transmit() > 0 || !s.channel) return s.handshake.peek_transmit();
  return s.channel->peek_transmit();
}

void Connection::consume_transmit(std::size_t n) {
  Impl& s = impl();
  if (s.channel && s.channel->error() != Error::kNone) return;
  if (s.handshake.pending_transmit() > 0 || !s.channel) return s.handshake.consume_transmit(n);
  s.channel->consume_transmit(n);
}

bool Connection::release_idle_buffers() {
  Impl& s = impl();
  return !s.channel || s.channel->release_idle_buffers();
}

std::size_t Connection::pending_transmit() const {
  const Impl& s = impl();
  if (s.channel && s.channel->error() != Error::kNone) return 0;
  return s.handshake.pending_transmit() + (s.channel ? s.channel->pending_transmit() : 0);
}

Error Connection::send(ByteSpan message) {
  Impl& s = impl();
  if (!s.channel) {
    return s.handshake.error() != Error::kNone ? s.handshake.error() : Error::kWrongState;
  }
  return s.channel->send(message);  // a refused send changes nothing, so no key to wipe
}

Error Connection::close() {
  Impl& s = impl();
  if (!s.channel) {
    return s.handshake.error() != Error::kNone ? s.handshake.error() : Error::kWrongState;
  }
  const Error error = s.channel->close();
  s.wipe_session_key_if_done();
  return error;
}

ConnectionState Connection::state() const {
  const Impl& s = impl();
  if (!s.channel) {
    return s.handshake.error() != Error::kNone ? ConnectionState::kFailed
                                               : ConnectionState::kHandshaking;
  }
  switch (s.channel->state()) {
    case ChannelState::kOpen:
    case ChannelState::kSentClose:
    case ChannelState::kPeerClosed: return ConnectionState::kEstablished;
    case ChannelState::kClosed: return ConnectionState::kClosed;
    case ChannelState::kFailed: return ConnectionState::kFailed;
  }
  return ConnectionState::kFailed;
}

std::string_view Connection::state_name() const {
  const Impl& s = impl();
  return s.channel ? channel_state_name(s.channel->state())
                   : handshake_state_name(s.handshake.state());
}

Error Connection::error() const { return impl().error(); }

Role Connection::role() const { return impl().handshake.role(); }

bool Connection::sent_close() const {
  const Impl& s = impl();
  return s.channel && s.channel->sent_close();
}

bool Connection::peer_closed() const {
  const Impl& s = impl();
  return s.channel && s.channel->peer_closed();
}

const PublicKey* Connection::peer_identity() const {
  const Impl& s = impl();
  return s.channel ? &s.handshake.peer_identity() : nullptr;
}

std::span<const std::uint8_t> Connection::session_key() const {
  const Impl& s = impl();
  if (!s.channel || s.done()) return {};
  return s.session_key.bytes();
}

}  // namespace p2pnet
