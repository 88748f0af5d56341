// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// config.h: what an embedder chooses per connection. Everything is borrowed, not
// owned: the identity, allow-list, replay cache and random source must outlive every
// connection made from the config. A config that breaks a rule below gives a
// connection that fails at once with Error::kInvalidArgument.
#ifndef P2PNET_CONFIG_H_
#define P2PNET_CONFIG_H_

#include <cstddef>
#include <optional>
#include <span>

#include "p2pnet/identity.h"
#include "p2pnet/key_log.h"
#include "p2pnet/log.h"
#include "p2pnet/random.h"
#include "p2pnet/replay_cache.h"
#include "p2pnet/time.h"

namespace p2pnet {

inline constexpr Duration kDefaultHandshakeTimeout{10'000};
inline constexpr Duration kDefaultFrameTimeout{30'000};
inline constexpr std::size_t kDefaultMaxMessageSize = std::size_t{1} << 20;  // 1 MiB
inline constexpr std::size_t kMaxMessageSizeLimit = std::size_t{16} << 20;   // 16 MiB
// Bytes a frame adds to its message on the wire: the 4-byte length and the 16-byte
// tag (protocol-v1 "Transport frames").
inline constexpr std::size_t kFrameOverhead = 20;

enum class Role : std::uint8_t { kClient, kServer };

// Settings of the encrypted channel that follows the handshake.
struct ChannelConfig {
  // Largest plaintext accepted from the peer and sent by us, 1..kMaxMessageSizeLimit.
  std::size_t max_message_size = kDefaultMaxMessageSize;
  // Bound on sealed bytes waiting for poll_transmit: 0 (the default: two full frames,
  // 2 * (max_message_size + kFrameOverhead)), or at least one full frame,
  // max_message_size + kFrameOverhead, so that the largest message always
  // fits once the queue is drained. send() refuses with kSendBufferFull past it, so a
  // stalled peer cannot grow memory.
  std::size_t max_pending_output = 0;
  // A frame from the peer that has started (its first byte arrived) must be complete
  // within this time, or the connection fails with kFrameTimeout: a peer that
  // trickles a frame a byte at a time cannot hold the connection open. Must be
  // positive; Duration::max() means no deadline. The deadline is the connection's
  // poll_timeout() (connection.h), so it needs nothing from the embedder but the
  // timer it already arms for the handshake. Set it well above the time the largest
  // message takes on the slowest link you serve (1 MiB at 35 KB/s is 30 s).
  Duration frame_timeout = kDefaultFrameTimeout;
};

// channel_config_is_valid: max_message_size within 1..kMaxMessageSizeLimit,
// max_pending_output 0 or at least one full frame of max_message_size (a smaller
// bound would refuse the largest message forever), and frame_timeout positive. Checked when a
// connection or channel starts, so a bad limit fails it with kInvalidArgument before any byte.
bool channel_config_is_valid(const ChannelConfig& config);

struct ClientConfig {
  const Identity* identity = nullptr;        // required
  std::optional<PublicKey> expected_server;  // nullopt: any server (discovery only)
  ReplayCache* replay_cache = nullptr;       // optional; refuses replayed challenges
  RandomSource* random = nullptr;            // nullptr: system_random()
  // Must be positive. The deadline is now + handshake_timeout, saturated at
  // Instant::max() (time.h), so Duration::max() means no deadline.
  Duration handshake_timeout = kDefaultHandshakeTimeout;
  ChannelConfig channel;
  const LogHook* log_hook = nullptr;    // optional, borrowed: log.h
  std::uint64_t log_id = 0;             // the id given to log_hook
  const KeyLogHook* key_log = nullptr;  // optional, borrowed, DANGEROUS: key_log.h
};

struct ServerConfig {
  const Identity* identity = nullptr;                         // required
  std::optional<std::span<const PublicKey>> allowed_clients;  // nullopt: allow all
  RandomSource* random = nullptr;                             // nullptr: system_random()
  Duration handshake_timeout = kDefaultHandshakeTimeout;      // as in ClientConfig
  ChannelConfig channel;
  const LogHook* log_hook = nullptr;  // as in ClientConfig
  std::uint64_t log_id = 0;
  const KeyLogHook* key_log = nullptr;  // as in ClientConfig
};

}  // namespace p2pnet

#endif  // P2PNET_CONFIG_H_
