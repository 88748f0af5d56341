// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// connection_impl.h: what a Connection holds, behind its public header: the
// handshake, then the channel it starts, and the session key between them. Only
// connection.cc and the test-access header use it.
#ifndef P2PNET_INTERNAL_CONNECTION_IMPL_H_
#define P2PNET_INTERNAL_CONNECTION_IMPL_H_

#include <optional>

#include "p2pnet/config.h"
#include "p2pnet/connection.h"
#include "p2pnet/internal/channel.h"
#include "p2pnet/internal/handshake.h"
#include "p2pnet/internal/key_schedule.h"

namespace p2pnet {

struct Connection::Impl {
  Impl(Handshake handshake_in, const ChannelConfig& channel_config_in)
      : handshake(std::move(handshake_in)), channel_config(channel_config_in) {}

  // start_channel_if_complete takes the keys of a handshake that just completed.
  void start_channel_if_complete();
  // done: the channel failed or is closed both ways; no key is needed any more.
  bool done() const;
  // wipe_session_key_if_done runs after every call that may end the channel.
  void wipe_session_key_if_done();

  Handshake handshake;
  ChannelConfig channel_config;
  Key session_key;  // moved out of the handshake with the traffic keys; wiped when done()
  std::optional<Channel> channel;
  bool handshake_event_pending = false;
};

}  // namespace p2pnet

#endif  // P2PNET_INTERNAL_CONNECTION_IMPL_H_
