// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// in_process_demo: a client and a server engine with freshly generated identities
// complete the handshake over an in-memory link and exchange encrypted messages. No
// socket: it shows the sans-IO engine on its own. Both sides print a fingerprint of
// the session key (a hash of it, never the key) so a reader can see they agree.
#include <sodium.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "p2pnet/connection.h"
#include "p2pnet/fingerprint.h"

namespace {

using p2pnet::ByteSpan;
using p2pnet::Connection;
using p2pnet::Instant;

std::vector<std::uint8_t> take_output(Connection& conn) {
  std::vector<std::uint8_t> out(conn.pending_transmit());
  out.resize(conn.poll_transmit(out));
  return out;
}

std::string abbreviate(const std::string& key) { return key.substr(0, 15) + "..."; }

// deliver feeds |bytes| to |conn| and prints what |name| sees.
bool deliver(const char* name, Connection& conn, const std::vector<std::uint8_t>& bytes,
             Instant now) {
  ByteSpan rest(bytes);
  while (!rest.empty()) {
    const p2pnet::ReadResult result = conn.handle_bytes(rest, now);
    if (result.error != p2pnet::Error::kNone) {
      std::printf("[%s] [ERROR] %s\n", name,
                  std::string(p2pnet::error_message(result.error)).c_str());
      return false;
    }
    rest = rest.subspan(result.consumed);
    while (auto event = conn.poll_event()) {
      switch (event->type) {
        case p2pnet::EventType::kHandshakeComplete:
          std::printf("[%s] [OK] Handshake complete!\n", name);
          std::printf("[%s] [OK] Peer identity: %s\n", name,
                      abbreviate(p2pnet::encode_public_key(*conn.peer_identity())).c_str());
          std::printf("[%s] [OK] Session key fingerprint: %s\n", name,
                      p2pnet::key_fingerprint(conn.session_key()).c_str());
          break;
        case p2pnet::EventType::kMessage:
          std::printf("[%s] [RECV] %.*s\n", name, static_cast<int>(event->message.size()),
                      reinterpret_cast<const char*>(event->message.data()));
          break;
        case p2pnet::EventType::kPeerClosed:
          std::printf("[%s] [INFO] Peer sent close_notify\n", name);
          break;
      }
    }
  }
  return true;
}

}  // namespace

int main() {
  if (sodium_init() < 0) {
    std::printf("[ERROR] libsodium failed to initialise\n");
    return 1;
  }
  std::printf("========================================\n");
  std::printf(" P2PNet in-process demo (Milestone 2.3) \n");
  std::printf("========================================\n\n");

  auto server_identity = p2pnet::Identity::generate(p2pnet::system_random());
  auto client_identity = p2pnet::Identity::generate(p2pnet::system_random());
  if (!server_identity || !client_identity) return 1;
  std::printf("[OK] Server identity: %s\n",
              abbreviate(p2pnet::encode_public_key(server_identity->public_key())).c_str());
  std::printf("[OK] Client identity: %s\n\n",
              abbreviate(p2pnet::encode_public_key(client_identity->public_key())).c_str());

  const Instant now{0};  // nothing here waits, so the virtual clock never moves
  p2pnet::ClientConfig client_config;
  client_config.identity = &*client_identity;
  client_config.expected_server = server_identity->public_key();
  const p2pnet::PublicKey allowed[] = {client_identity->public_key()};
  p2pnet::ServerConfig server_config;
  server_config.identity = &*server_identity;
  server_config.allowed_clients = allowed;

  Connection client = Connection::client(client_config, now);
  Connection server = Connection::server(server_config, now);

  std::printf("[INFO] Starting handshake...\n");
  // Two round trips complete the handshake; each pass moves one flight each way.
  for (int flight = 0; flight < 3; ++flight) {
    if (!deliver("server", server, take_output(client), now)) return 1;
    if (!deliver("client", client, take_output(server), now)) return 1;
  }
  if (!client.is_established() || !server.is_established()) {
    std::printf("[ERROR] handshake did not complete\n");
    return 1;
  }
  const bool keys_match = p2pnet::key_fingerprint(client.session_key()) ==
                          p2pnet::key_fingerprint(server.session_key());
  std::printf("[%s] Session key fingerprints %s\n", keys_match ? "OK" : "ERROR",
              keys_match ? "match" : "differ");
  std::printf("[INFO] Session established\n\n");
  std::printf("Ready for encrypted communication!\n\n");

  for (std::string_view text : {"hello from the client", "second message"}) {
    std::printf("[client] [SEND] %.*s\n", static_cast<int>(text.size()), text.data());
    if (client.send(ByteSpan(reinterpret_cast<const std::uint8_t*>(text.data()), text.size())) !=
        p2pnet::Error::kNone) {
      return 1;
    }
  }
  const std::vector<std::uint8_t> frames = take_output(client);
  std::printf("[INFO] %zu bytes of ciphertext on the link\n", frames.size());
  if (!deliver("server", server, frames, now)) return 1;

  constexpr std::string_view reply = "hello from the server";
  std::printf("[server] [SEND] %.*s\n", static_cast<int>(reply.size()), reply.data());
  if (server.send(ByteSpan(reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size())) !=
          p2pnet::Error::kNone ||
      !deliver("client", client, take_output(server), now)) {
    return 1;
  }
  if (client.close() != p2pnet::Error::kNone ||
      !deliver("server", server, take_output(client), now) ||
      server.close() != p2pnet::Error::kNone ||
      !deliver("client", client, take_output(server), now)) {
    return 1;
  }
  std::printf("[OK] Both sides closed cleanly\n");
  return keys_match ? 0 : 1;
}
