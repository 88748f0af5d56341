// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "session_setup.h"

#include <algorithm>

#include "hex.h"
#include "p2pnet/internal/connection_test_access.h"

namespace p2pnet::testing {

void showValue(const PairSeeds& seeds, std::ostream& os) {
  os << "{client_identity_seed=" << to_hex(seeds.client_identity)
     << ", server_identity_seed=" << to_hex(seeds.server_identity)
     << ", client_random=" << seeds.client_random << ", server_random=" << seeds.server_random
     << "}";
}

rc::Gen<PairSeeds> gen_pair_seeds() {
  return rc::gen::build<PairSeeds>(
      rc::gen::set(&PairSeeds::client_identity, rc::gen::arbitrary<Seed>()),
      rc::gen::set(&PairSeeds::server_identity, rc::gen::arbitrary<Seed>()),
      rc::gen::set(&PairSeeds::client_random, rc::gen::arbitrary<std::uint64_t>()),
      rc::gen::set(&PairSeeds::server_random, rc::gen::arbitrary<std::uint64_t>()));
}

PairSetup::PairSetup(const PairSeeds& seeds)
    : client_identity(Identity::from_seed(seeds.client_identity)),
      server_identity(Identity::from_seed(seeds.server_identity)),
      client_random(seeds.client_random),
      server_random(seeds.server_random),
      expected_server(server_identity.public_key()) {}

ClientConfig PairSetup::client_config() {
  ClientConfig config;
  config.identity = &client_identity;
  config.expected_server = expected_server;
  config.random = &client_random;
  return config;
}

ServerConfig PairSetup::server_config() {
  ServerConfig config;
  config.identity = &server_identity;
  config.random = &server_random;
  if (allowed) config.allowed_clients = std::span<const PublicKey>(*allowed);
  return config;
}

std::optional<SessionView> view_of(const Connection& conn) {
  if (!conn.is_established()) return std::nullopt;
  const auto copy = [](std::span<const std::uint8_t> key) { return Bytes(key.begin(), key.end()); };
  using Access = ConnectionTestAccess;
  return SessionView{*conn.peer_identity(), copy(conn.session_key()), copy(Access::key_c2s(conn)),
                     copy(Access::key_s2c(conn)), *Access::transcript(conn)};
}

bool same_keys(const SessionView& a, const SessionView& b) {
  return a.session_key == b.session_key && a.key_c2s == b.key_c2s && a.key_s2c == b.key_s2c;
}

std::size_t wire_size_of(std::uint8_t type) {
  switch (type) {
    case 0x01: return kWireClientHello;
    case 0x02: return kWireServerHello;
    case 0x03: return kWireKeyExchange;
    case 0x04: return kWireAccept;
    case 0xFF: return kWireError;
    default: return 0;
  }
}

std::vector<Bytes> split_messages(const Bytes& stream, std::size_t max_messages) {
  std::vector<Bytes> messages;
  std::size_t offset = 0;
  while (offset < stream.size() && messages.size() < max_messages) {
    const std::size_t size = wire_size_of(stream[offset]);
    if (size == 0 || stream.size() - offset < size) break;
    const auto begin = stream.begin() + static_cast<std::ptrdiff_t>(offset);
    messages.emplace_back(begin, begin + static_cast<std::ptrdiff_t>(size));
    offset += size;
  }
  if (offset < stream.size()) {
    messages.emplace_back(stream.begin() + static_cast<std::ptrdiff_t>(offset), stream.end());
  }
  return messages;
}

}  // namespace p2pnet::testing
