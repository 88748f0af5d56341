// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// connection_impl.h: what a Connection holds, behind its public header: the
// handshake, then the channel it starts with the handshake's keys. Only
// connection.cc and the test-access header use it.
#ifndef P2PNET_INTERNAL_CONNECTION_IMPL_H_
#define P2PNET_INTERNAL_CONNECTION_IMPL_H_

#include <cstdint>
#include <optional>

#include "p2pnet/config.h"
#include "p2pnet/connection.h"
#include "p2pnet/internal/channel.h"
#include "p2pnet/internal/handshake.h"
#include "p2pnet/internal/key_schedule.h"

namespace p2pnet {

struct Connection::Impl {
  // The hooks are borrowed from the config (log.h, key_log.h); any may be null.
  struct Hooks {
    const LogHook* log = nullptr;
    std::uint64_t log_id = 0;
    const KeyLogHook* key_log = nullptr;
  };

  Impl(Handshake handshake_in, const ChannelConfig& channel_config_in, const Hooks& hooks_in)
      : handshake(std::move(handshake_in)), channel_config(channel_config_in), hooks(hooks_in) {}

  // start_channel builds the channel from |keys|, the keys of the handshake that has
  // just completed (the only copy: HandshakeStep), and only then tells the log hook
  // and the key log. A hook that fails (throws, or runs out of memory) ends the new
  // channel at once: the connection fails closed with every key wiped, and reports
  // no completion.
  void start_channel(SessionKeys&& keys) noexcept;
  Error error() const;
  // log_failure_once tells the log hook about the connection's error, the first time
  // there is one; it runs after every call that may fail the connection.
  void log_failure_once() noexcept;
  // time_frame keeps frame_deadline after the channel took input at |now|:
  // |frames_before| is channel->frames_received() before it did. A frame that started
  // in this call (none was in progress, or one or more completed first) gets
  // now + frame_timeout; a frame still in progress keeps its deadline; no frame in
  // progress, none.
  void time_frame(std::uint64_t frames_before, Instant now) noexcept;
  // frame_expired fails the channel with kFrameTimeout when frame_deadline has passed
  // at |now| (checked by handle_timeout, and by handle_bytes before it takes input, as
  // the handshake does with its own deadline). Returns whether it did.
  bool frame_expired(Instant now) noexcept;

  Handshake handshake;
  ChannelConfig channel_config;
  std::optional<Channel> channel;  // holds every key once the handshake completes
  bool handshake_event_pending = false;
  // When the frame being received must be complete (ChannelConfig::frame_timeout);
  // nullopt while no frame is in progress.
  std::optional<Instant> frame_deadline;
  Hooks hooks;
  bool failure_logged = false;
};

}  // namespace p2pnet

#endif  // P2PNET_INTERNAL_CONNECTION_IMPL_H_
