// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// pair.h: drives a client and a server Connection over an in-memory link with a
// virtual clock (after quinn's tests/util.rs Pair). step() moves whatever each side
// has to send across the link; drive() steps until nothing moves. Every byte each
// side ever sent is kept, so tests can compare transcripts and replay them.
#ifndef P2PNET_TESTS_SUPPORT_PAIR_H_
#define P2PNET_TESTS_SUPPORT_PAIR_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "p2pnet/connection.h"
#include "p2pnet/identity.h"

namespace p2pnet::testing {

using Bytes = std::vector<std::uint8_t>;

// identity_from_byte derives a fixed test identity: the seed is 32 copies of |b|.
Identity identity_from_byte(std::uint8_t b);

// What one side has seen so far.
struct Inbox {
  bool handshake_complete = false;
  Bytes session_key;  // read when kHandshakeComplete arrived (it is wiped when done)
  bool peer_closed = false;
  std::vector<Bytes> messages;
};

// feed delivers |bytes| to |conn| |chunk| bytes at a time (0: all at once), pulling
// events into |inbox| and re-offering what was not consumed. Returns the connection's
// error after the last call.
Error feed(Connection& conn, const Bytes& bytes, Instant now, Inbox& inbox, std::size_t chunk = 0);

// drain_events pulls every pending event of |conn| into |inbox|.
void drain_events(Connection& conn, Inbox& inbox);

// take_output drains everything |conn| has to send.
Bytes take_output(Connection& conn);

class Pair {
 public:
  // The configs (and what they point to) must outlive the Pair.
  Pair(const ClientConfig& client_config, const ServerConfig& server_config,
       Instant start = Instant{0});

  // step delivers each side's pending output to the other, whole. Returns true if any
  // byte moved.
  bool step();
  // drive steps until nothing moves (bounded: a handful of round trips suffice).
  void drive();
  // advance moves the virtual clock and lets both sides see the new time.
  void advance(Duration by);

  Connection client;
  Connection server;
  Instant now;
  Inbox client_inbox;  // what the client received
  Inbox server_inbox;  // what the server received
  Bytes client_sent;   // every byte the client put on the link
  Bytes server_sent;   // every byte the server put on the link
};

}  // namespace p2pnet::testing

#endif  // P2PNET_TESTS_SUPPORT_PAIR_H_
