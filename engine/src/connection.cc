// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Connection = Handshake, then Channel. The handshake stops consuming at the end of
// its last message; handle_bytes hands the rest of the same input to the channel,
// which is why a server's first frames may share a buffer with its Accept.
//
// Keys go from the handshake to the channel in one move: the call that completes the
// handshake returns them (HandshakeStep::keys, the only copy) and start_channel builds
// the channel from them before anything else runs. Hooks run after that, and nothing
// they throw gets out (connection_log.h): a hook that fails ends the connection with
// its keys wiped, so no later call can find a completed handshake without a channel.
// Once failed, by the handshake, the channel or a hook, every call reports the error
// and nothing is sent or received again (docs/architecture.md, "Hooks").
//
// Time after the handshake: a frame that has started must finish within
// ChannelConfig::frame_timeout (docs/architecture.md, "Deadlines"). The channel knows
// no time; it says whether a frame is in progress and how many it has opened, and
// handle_bytes turns that into frame_deadline, the connection's poll_timeout. Only
// finished frames move it on, so trickled bytes buy nothing.
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
  if (const Error hook_error =
          log_handshake_started(s.hooks.log, s.hooks.log_id, s.handshake.role());
      hook_error != Error::kNone) {
    s.handshake.abort(hook_error);
  }
  s.log_failure_once();  // a config the handshake refused, or a hook that failed
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

Connection Connection::client(const ClientConfig& config, Instant now) noexcept {
  return Connection(Impl(Handshake::client(config, now), config.channel,
                         Impl::Hooks{config.log_hook, config.log_id, config.key_log}));
}

Connection Connection::server(const ServerConfig& config, Instant now) noexcept {
  return Connection(Impl(Handshake::server(config, now), config.channel,
                         Impl::Hooks{config.log_hook, config.log_id, config.key_log}));
}

Error Connection::Impl::error() const {
  if (handshake.error() != Error::kNone) return handshake.error();
  return channel ? channel->error() : Error::kNone;
}

void Connection::Impl::log_failure_once() noexcept {
  const Error failure = error();
  if (failure == Error::kNone || failure_logged) return;
  failure_logged = true;
  const Transcript& t = handshake.transcript();
  const Role role = handshake.role();
  log_failure(hooks.log, hooks.log_id, role, channel.has_value(), failure,
              role == Role::kClient ? t.server_id : t.client_id);
}

void Connection::Impl::time_frame(std::uint64_t frames_before, Instant now) noexcept {
  if (!channel || !channel->receiving_frame()) {
    frame_deadline.reset();
    return;
  }
  if (!frame_deadline || channel->frames_received() != frames_before) {
    frame_deadline = saturating_add(now, channel_config.frame_timeout);
  }
}

bool Connection::Impl::frame_expired(Instant now) noexcept {
  if (channel->error() != Error::kNone || !frame_deadline || now < *frame_deadline) return false;
  channel->abort(Error::kFrameTimeout);
  frame_deadline.reset();
  return true;
}

void Connection::Impl::start_channel(SessionKeys&& keys) noexcept {
  // The channel first: from here on the keys live in it and nowhere else, and its
  // failure wipes them all, whatever ends it.
  channel.emplace(handshake.role(), std::move(keys), channel_config);
  const bool client = handshake.role() == Role::kClient;
  const Key& key_c2s = client ? channel->send_key() : channel->receive_key();
  const Key& key_s2c = client ? channel->receive_key() : channel->send_key();
  Error hook_error = log_handshake_complete(hooks.log, hooks.log_id, handshake.peer_identity());
  if (hook_error == Error::kNone) {
    hook_error = write_key_log(hooks.key_log, handshake.transcript(), key_c2s, key_s2c);
  }
  if (hook_error != Error::kNone) return channel->abort(hook_error);
  handshake_event_pending = true;
}

ReadResult Connection::handle_bytes(ByteSpan input, Instant now) noexcept {
  Impl& s = impl();
  std::size_t consumed = 0;
  if (!s.channel) {
    HandshakeStep step = s.handshake.handle_bytes(input, now);
    consumed = step.consumed;
    if (step.error != Error::kNone) return s.log_failure_once(), ReadResult{consumed, step.error};
    if (!step.keys) return {consumed, Error::kNone};  // still handshaking: all input used
    s.start_channel(std::move(*step.keys));
    if (s.channel->error() != Error::kNone) {
      return s.log_failure_once(), ReadResult{consumed, s.channel->error()};  // a hook failed
    }
    if (consumed == input.size()) return {consumed, Error::kNone};  // nothing left over
  }
  if (s.frame_expired(now)) return s.log_failure_once(), ReadResult{consumed, s.channel->error()};
  const std::uint64_t frames_before = s.channel->frames_received();
  const ReadResult result = s.channel->handle_bytes(input.subspan(consumed));
  s.time_frame(frames_before, now);
  s.log_failure_once();
  return {consumed + result.consumed, result.error};
}

Error Connection::handle_timeout(Instant now) noexcept {
  Impl& s = impl();
  if (s.channel) {
    // The frame deadline: a frame started and not finished in time ends the
    // connection (no Error message after the handshake: the peer just sees it close).
    (void)s.frame_expired(now);
    s.log_failure_once();
    return s.channel->error();
  }
  const Error error = s.handshake.handle_timeout(now);
  s.log_failure_once();
  return error;
}

std::optional<Instant> Connection::poll_timeout() const noexcept {
  const Impl& s = impl();
  if (!s.channel) return s.handshake.poll_timeout();
  return s.channel->error() == Error::kNone ? s.frame_deadline : std::nullopt;
}

std::optional<Event> Connection::poll_event() noexcept {
  Impl& s = impl();
  if (s.handshake_event_pending) {
    s.handshake_event_pending = false;
    return Event{EventType::kHandshakeComplete, {}};
  }
  if (!s.channel) return std::nullopt;
  const auto event = s.channel->poll_event();
  s.log_failure_once();  // a broken invariant fails the channel here (assert.h)
  if (!event) return std::nullopt;
  switch (event->type) {
    case ChannelEventType::kMessage: return Event{EventType::kMessage, event->message};
    case ChannelEventType::kPeerClosed: return Event{EventType::kPeerClosed, {}};
  }
  return std::nullopt;
}

std::size_t Connection::poll_transmit(MutableByteSpan out) noexcept {
  Impl& s = impl();
  // A channel that failed sends nothing more, not even an Accept still queued from
  // the same input: the peer must not become established with a dead connection.
  if (s.channel && s.channel->error() != Error::kNone) return 0;
  // The handshake's last message goes out before any frame sealed after it.
  std::size_t n = s.handshake.poll_transmit(out);
  if (s.channel) n += s.channel->poll_transmit(out.subspan(n));
  return n;
}

ByteSpan Connection::peek_transmit() const noexcept {
  const Impl& s = impl();
  // The same order and the same rule after a channel failure as poll_transmit.
  if (s.channel && s.channel->error() != Error::kNone) return {};
  if (s.handshake.pending_transmit() > 0 || !s.channel) return s.handshake.peek_transmit();
  return s.channel->peek_transmit();
}

void Connection::consume_transmit(std::size_t n) noexcept {
  Impl& s = impl();
  if (s.channel && s.channel->error() != Error::kNone) return;
  if (s.handshake.pending_transmit() > 0 || !s.channel) return s.handshake.consume_transmit(n);
  s.channel->consume_transmit(n);
}

bool Connection::release_idle_buffers() noexcept {
  Impl& s = impl();
  return !s.channel || s.channel->release_idle_buffers();
}

std::size_t Connection::pending_transmit() const noexcept {
  const Impl& s = impl();
  if (s.channel && s.channel->error() != Error::kNone) return 0;
  return s.handshake.pending_transmit() + (s.channel ? s.channel->pending_transmit() : 0);
}

Error Connection::send(ByteSpan message) noexcept {
  Impl& s = impl();
  if (!s.channel) {
    return s.handshake.error() != Error::kNone ? s.handshake.error() : Error::kWrongState;
  }
  const Error error = s.channel->send(message);  // kOutOfMemory and kInternalError end it
  s.log_failure_once();
  return error;
}

Error Connection::close() noexcept {
  Impl& s = impl();
  if (!s.channel) {
    return s.handshake.error() != Error::kNone ? s.handshake.error() : Error::kWrongState;
  }
  const Error error = s.channel->close();
  s.log_failure_once();
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
  return s.channel ? s.channel->session_key() : std::span<const std::uint8_t>();
}

}  // namespace p2pnet
