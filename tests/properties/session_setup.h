// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// session_setup.h: what the properties share. PairSeeds is the generated input of one
// client/server pair (identity seeds and random-source seeds), so every failing case
// RapidCheck prints is a complete recipe to replay the handshake byte for byte.
// PairSetup owns the identities and DeterministicRandom sources a pair borrows.
// SessionView is a copy of what a side accepted (peer and keys), taken at the moment
// it became established, because a channel that fails later wipes its keys.
#ifndef P2PNET_TESTS_PROPERTIES_SESSION_SETUP_H_
#define P2PNET_TESTS_PROPERTIES_SESSION_SETUP_H_

#include <rapidcheck.h>

#include <array>
#include <cstdint>
#include <optional>
#include <ostream>
#include <vector>

#include "p2pnet/connection.h"
#include "p2pnet/internal/key_schedule.h"
#include "pair.h"

namespace p2pnet::testing {

using Seed = std::array<std::uint8_t, kIdentitySeedSize>;

struct PairSeeds {
  Seed client_identity{};
  Seed server_identity{};
  std::uint64_t client_random = 0;
  std::uint64_t server_random = 0;
};
void showValue(const PairSeeds& seeds, std::ostream& os);

// gen_pair_seeds: any identities and random sources (identities may even be equal).
rc::Gen<PairSeeds> gen_pair_seeds();

// PairSetup: identities, random sources and configs for one client/server pair. The
// client expects the real server and the server allows anyone, unless changed.
class PairSetup {
 public:
  explicit PairSetup(const PairSeeds& seeds);
  PairSetup(const PairSetup&) = delete;
  PairSetup& operator=(const PairSetup&) = delete;

  ClientConfig client_config();
  ServerConfig server_config();

  Identity client_identity;
  Identity server_identity;
  DeterministicRandom client_random;
  DeterministicRandom server_random;
  std::optional<PublicKey> expected_server;       // copied into client_config()
  std::optional<std::vector<PublicKey>> allowed;  // nullopt: the server allows all
};

struct SessionView {
  PublicKey peer;
  Bytes session_key;
  Bytes key_c2s;
  Bytes key_s2c;
  Transcript transcript;
};

// view_of copies what an established connection accepted; nullopt otherwise.
std::optional<SessionView> view_of(const Connection& conn);
bool same_keys(const SessionView& a, const SessionView& b);

// Wire sizes from protocol-v1, written out here rather than taken from the engine so
// the tests do not inherit an engine mistake.
inline constexpr std::size_t kWireClientHello = 33;
inline constexpr std::size_t kWireServerHello = 65;
inline constexpr std::size_t kWireKeyExchange = 97;
inline constexpr std::size_t kWireAccept = 97;
inline constexpr std::size_t kWireError = 2;

// wire_size_of returns the size a handshake type byte fixes, or 0 if unknown.
std::size_t wire_size_of(std::uint8_t type);

// split_messages cuts an honest side's output into whole handshake messages; the
// bytes after the last complete message (frames, or a cut) come back as one piece.
std::vector<Bytes> split_messages(const Bytes& stream, std::size_t max_messages);

}  // namespace p2pnet::testing

#endif  // P2PNET_TESTS_PROPERTIES_SESSION_SETUP_H_
