// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// shuttle.h: moving bytes between two Connections without allocating, for code that
// counts the engine's allocations (the allocation tests and the benchmarks). Where
// Pair (pair.h) keeps every byte and event in growing vectors, shuttle() goes through
// a fixed caller buffer the way an event loop would, so the counters see the engine's
// allocations only. PinnedPeers holds two identities and the configs a deployment
// would use (the client pins the server, the server allows only that client,
// randomness from libsodium's CSPRNG).
#ifndef P2PNET_TESTS_SUPPORT_SHUTTLE_H_
#define P2PNET_TESTS_SUPPORT_SHUTTLE_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "p2pnet/connection.h"
#include "p2pnet/identity.h"

namespace p2pnet::testing {

// PinnedPeers must not move once built: the configs point into it.
class PinnedPeers {
 public:
  PinnedPeers();
  PinnedPeers(const PinnedPeers&) = delete;
  PinnedPeers& operator=(const PinnedPeers&) = delete;

  const ClientConfig& client_config() const { return client_config_; }
  const ServerConfig& server_config() const { return server_config_; }

 private:
  Identity client_identity_;
  Identity server_identity_;
  std::array<PublicKey, 1> allowed_clients_;
  ClientConfig client_config_;
  ServerConfig server_config_;
};

// The handshake's messages are at most 97 bytes, and a transport frame at most
// 65536 + 20 bytes where the shuttle is used.
inline constexpr std::size_t kShuttleBufferSize = 65536 + 64;
using ShuttleBuffer = std::array<std::uint8_t, kShuttleBufferSize>;

// shuttle drains |from|'s output into |to|, re-offering what |to| did not consume
// after pulling its events. Returns false if either side failed or stalled. Sets
// |*handshake_complete| when |to| reports kHandshakeComplete, and |*message_size| to
// the size of the last message |to| received (both optional).
bool shuttle(Connection& from, Connection& to, Instant now, ShuttleBuffer& buffer,
             bool* handshake_complete = nullptr, std::size_t* message_size = nullptr);

// complete_handshake carries the four handshake messages between fresh connections
// |client| and |server|. Returns true only if both sides reported kHandshakeComplete
// and are established.
bool complete_handshake(Connection& client, Connection& server, ShuttleBuffer& buffer);

// ShuttledPair is a client and a server that finished a handshake through shuttle()
// at construction; ok() says whether they did.
class ShuttledPair {
 public:
  ShuttledPair(const PinnedPeers& peers, ShuttleBuffer& buffer);
  bool ok() const { return ok_; }

  Connection client;
  Connection server;

 private:
  bool ok_ = false;
};

}  // namespace p2pnet::testing

#endif  // P2PNET_TESTS_SUPPORT_SHUTTLE_H_
