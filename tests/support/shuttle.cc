// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Fixed identities keep runs comparable; the ephemeral keys and challenges still come
// from libsodium's CSPRNG (config random = nullptr), as in a deployment.
#include "shuttle.h"

#include <span>

#include "pair.h"

namespace p2pnet::testing {

PinnedPeers::PinnedPeers()
    : client_identity_(identity_from_byte(0x11)),
      server_identity_(identity_from_byte(0x22)),
      allowed_clients_{client_identity_.public_key()} {
  client_config_.identity = &client_identity_;
  client_config_.expected_server = server_identity_.public_key();
  server_config_.identity = &server_identity_;
  server_config_.allowed_clients = std::span<const PublicKey>(allowed_clients_);
}

bool shuttle(Connection& from, Connection& to, Instant now, ShuttleBuffer& buffer,
             bool* handshake_complete, std::size_t* message_size) {
  for (;;) {
    const std::size_t n = from.poll_transmit(buffer);
    if (n == 0) break;
    ByteSpan input(buffer.data(), n);
    while (!input.empty()) {
      const ReadResult result = to.handle_bytes(input, now);
      if (result.error != Error::kNone) return false;
      input = input.subspan(result.consumed);
      bool got_event = false;
      while (const auto event = to.poll_event()) {
        got_event = true;
        switch (event->type) {
          case EventType::kHandshakeComplete:
            if (handshake_complete != nullptr) *handshake_complete = true;
            break;
          case EventType::kMessage:
            if (message_size != nullptr) *message_size = event->message.size();
            break;
          case EventType::kPeerClosed: break;
        }
      }
      if (result.consumed == 0 && !got_event) return false;  // stalled: never loop forever
    }
  }
  return from.error() == Error::kNone && to.error() == Error::kNone;
}

bool complete_handshake(Connection& client, Connection& server, ShuttleBuffer& buffer) {
  const Instant now{0};
  bool client_done = false;
  bool server_done = false;
  // ClientHello, ServerHello, KeyExchange, Accept.
  return shuttle(client, server, now, buffer, &server_done) &&
         shuttle(server, client, now, buffer, &client_done) &&
         shuttle(client, server, now, buffer, &server_done) &&
         shuttle(server, client, now, buffer, &client_done) && client_done && server_done &&
         client.is_established() && server.is_established();
}

ShuttledPair::ShuttledPair(const PinnedPeers& peers, ShuttleBuffer& buffer)
    : client(Connection::client(peers.client_config(), Instant{0})),
      server(Connection::server(peers.server_config(), Instant{0})),
      ok_(complete_handshake(client, server, buffer)) {}

}  // namespace p2pnet::testing
