// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The libp2p client (`p2pnet connect --libp2p MULTIADDR`, docs/cli.md): dials a libp2p
// node over TCP, negotiates /noise with multistream-select, completes the libp2p Noise
// handshake (docs/libp2p.md) proving the peer ID of the address's /p2p/ part, prints
// the peer ID and the stream muxer agreed in the handshake, then shows the first bytes
// the node sends, in hex, and closes. libp2p nodes speak first only over a muxer: with
// /yamux/1.0.0 agreed, a node's first bytes are a yamux frame; without, the client
// proposes /yamux/1.0.0 with multistream-select inside the encrypted stream, and the
// node's first bytes are its multistream-select header. The muxer itself is not spoken.
#include <sodium.h>

#include <cstdio>
#include <string>
#include <vector>

#include "p2pnet/libp2p_connection.h"
#include "p2pnet/peer_id.h"
#include "p2pnet/socket/identity_file.h"
#include "p2pnet/socket/libp2p_session.h"
#include "parse.h"
#include "programs.h"

namespace p2pnet::tools {
namespace {

using net::Status;

std::vector<std::string> components(const std::string& address) {
  std::vector<std::string> parts;
  std::size_t at = 0;
  while (at < address.size()) {
    const std::size_t slash = address.find('/', at);
    const std::size_t end = slash == std::string::npos ? address.size() : slash;
    if (end > at) parts.push_back(address.substr(at, end - at));
    at = end + 1;
  }
  return parts;
}

std::string hex(ByteSpan bytes) {
  std::string out;
  static constexpr char kDigits[] = "0123456789abcdef";
  for (const std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

}  // namespace

std::optional<Libp2pAddress> parse_multiaddr(const std::string& text) {
  // /ip4/<address>/tcp/<port>[/p2p/<peer-id>], or /ip6/...
  const std::vector<std::string> parts = components(text);
  if (text.empty() || text[0] != '/' || (parts.size() != 4 && parts.size() != 6))
    return std::nullopt;
  if ((parts[0] != "ip4" && parts[0] != "ip6") || parts[2] != "tcp") return std::nullopt;
  Libp2pAddress out;
  out.host = parts[1];
  const auto port = parse_unsigned(parts[3], 65535);
  if (!port || *port == 0) return std::nullopt;
  out.port = static_cast<std::uint16_t>(*port);
  if (parts.size() == 6) {
    if (parts[4] != "p2p") return std::nullopt;
    out.peer = decode_peer_id(parts[5]);
    if (!out.peer) return std::nullopt;
  }
  return out;
}

int run_libp2p_client(const Libp2pClientSettings& settings, const Output& out) {
  line_buffer_stdout();
  if (sodium_init() < 0) return out.fail("libsodium failed to initialise");
  std::optional<Identity> identity;
  if (const Status s = net::load_identity_file(settings.key_path, &identity); !s.ok())
    return out.fail(s.message());
  const auto static_key = Libp2pStaticKey::generate(system_random());
  if (!static_key) return out.fail("the system random source failed");
  out.line("[OK] Our peer ID: " + encode_peer_id(identity->public_key()));
  if (!settings.address.peer) {
    out.warn("the address has no /p2p/ part: any peer that completes the handshake is accepted");
  }

  const auto deadline = [&] { return net::deadline_after(settings.timeout); };
  net::Socket socket;
  if (const Status s =
          net::connect_tcp(&socket, settings.address.host, settings.address.port, deadline());
      !s.ok()) {
    return out.fail(s.message());
  }
  const std::vector<std::string_view> muxers = {"/yamux/1.0.0"};
  Libp2pConfig config;
  config.identity = &*identity;
  config.static_key = &*static_key;
  config.expected_peer = settings.address.peer;
  config.stream_muxers = muxers;
  config.handshake_timeout = settings.timeout;
  std::unique_ptr<net::Libp2pSession> session;
  if (const Status s = net::Libp2pSession::dial(&session, socket, config, deadline()); !s.ok()) {
    if (s.engine_error() == Error::kPeerNotAllowed)
      return out.fail("Handshake failed: the node is not the peer ID of the address");
    return out.fail("Handshake failed: " + s.message());
  }
  const std::string_view muxer = session->connection().stream_muxer();
  out.line("[OK] Secured with /noise: peer " +
           encode_peer_id(*session->connection().peer_identity()));
  out.line("[OK] Stream muxer agreed in the handshake: " +
           (muxer.empty() ? std::string("none") : std::string(muxer)));
  if (muxer.empty()) {
    const std::string proposal = "\x13/multistream/1.0.0\n\x0d/yamux/1.0.0\n";
    const std::vector<std::uint8_t> bytes(proposal.begin(), proposal.end());
    if (const Status s = session->send(bytes, deadline()); !s.ok()) return out.fail(s.message());
  }
  ByteSpan first;
  if (const Status s = session->receive(&first, deadline()); !s.ok())
    return out.fail("no bytes from the node: " + s.message());
  out.line("[DATA] " + std::to_string(first.size()) + " bytes: " + hex(first));
  if (const Status s = session->close(deadline()); !s.ok()) return out.fail(s.message());
  out.line("[OK] Closed");
  return 0;
}

}  // namespace p2pnet::tools
