// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// programs.h: the three socket programs, written once. The example programs
// (examples/08_generate_identity.cc, 10_secure_server.cc, 11_secure_client.cc) run
// them with their original interface and output lines (docs/adapters.md "Running");
// the p2pnet tool
// (tools/p2pnet) runs them in the tool's style behind CLI11 (docs/cli.md). Each
// returns the process exit status: 0 success, 1 a runtime failure (reported through
// the Output). Arguments are checked by the callers.
#ifndef P2PNET_TOOLS_COMMON_PROGRAMS_H_
#define P2PNET_TOOLS_COMMON_PROGRAMS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "output.h"
#include "p2pnet/config.h"
#include "p2pnet/socket/server.h"

namespace p2pnet::tools {

struct KeygenSettings {
  std::string path = "identity.key";
  bool force = false;
};

// run_keygen writes a fresh identity to settings.path (mode 0600; an existing file
// only with force, replaced whole or not at all) and prints its public key in full
// after "[OK] Public key: ".
int run_keygen(const KeygenSettings& settings, const Output& out);

// KeyText: how `pubkey` names a key: the project's 43-character text, or the libp2p
// peer ID ("12D3KooW...", docs/libp2p.md) that libp2p peers know the identity by.
enum class KeyText : std::uint8_t { kPublicKey, kPeerId };

// run_pubkey prints the full public key (or peer ID) of the identity file at |path|,
// alone on its line (the tool's `pubkey`).
int run_pubkey(const std::string& path, KeyText text, const Output& out);

struct ServeSettings {
  std::string key_path;
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::vector<PublicKey> allowed;  // empty: every client
  net::ServerOptions options;      // identity, allowed_clients and reuse_port are filled in
  // workers: servers on one port, each on its own thread (SO_REUSEPORT); more than 1
  // where !net::reuse_port_supported() is a runtime failure of run_echo_server.
  unsigned workers = 1;
};

// run_echo_server serves the echo protocol until SIGINT or SIGTERM (exit 0).
int run_echo_server(ServeSettings settings, const Output& out);

struct ConnectSettings {
  std::string key_path;
  PublicKey server_key;
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  Duration timeout{10'000};
  const LogHook* log_hook = nullptr;
  const KeyLogHook* key_log = nullptr;
};

// run_secure_client connects, sends each line of standard input and prints each
// echo, then closes with close_notify both ways.
int run_secure_client(const ConnectSettings& settings, const Output& out);

// Libp2pAddress: a libp2p multiaddr over TCP, /ip4/ADDR/tcp/PORT[/p2p/PEER_ID] (or ip6).
struct Libp2pAddress {
  std::string host;
  std::uint16_t port = 0;
  std::optional<PublicKey> peer;
};
// parse_multiaddr reads such an address; nullopt for anything else (another transport,
// a bad port, a peer ID that is not an Ed25519 one).
std::optional<Libp2pAddress> parse_multiaddr(const std::string& text);

struct Libp2pClientSettings {
  std::string key_path;
  Libp2pAddress address;
  Duration timeout{10'000};
};

// run_libp2p_client dials a libp2p node, completes the libp2p Noise handshake, prints
// the peer ID and the first bytes the node sends (hex), and closes (docs/cli.md).
int run_libp2p_client(const Libp2pClientSettings& settings, const Output& out);

}  // namespace p2pnet::tools

#endif  // P2PNET_TOOLS_COMMON_PROGRAMS_H_
