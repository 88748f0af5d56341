// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "pair.h"

#include <algorithm>
#include <array>

namespace p2pnet::testing {

Identity identity_from_byte(std::uint8_t b) {
  std::array<std::uint8_t, kIdentitySeedSize> seed;
  seed.fill(b);
  return Identity::from_seed(seed);
}

void drain_events(Connection& conn, Inbox& inbox) {
  while (auto event = conn.poll_event()) {
    switch (event->type) {
      case EventType::kHandshakeComplete:
        inbox.handshake_complete = true;
        inbox.session_key.assign(conn.session_key().begin(), conn.session_key().end());
        break;
      case EventType::kMessage:
        inbox.messages.emplace_back(event->message.begin(), event->message.end());
        break;
      case EventType::kPeerClosed: inbox.peer_closed = true; break;
    }
  }
}

Error feed(Connection& conn, const Bytes& bytes, Instant now, Inbox& inbox, std::size_t chunk) {
  if (chunk == 0) chunk = std::max<std::size_t>(bytes.size(), 1);
  for (std::size_t offset = 0; offset < bytes.size();) {
    const std::size_t end = std::min(bytes.size(), offset + chunk);
    ByteSpan piece(bytes.data() + offset, end - offset);
    while (!piece.empty()) {
      const ReadResult result = conn.handle_bytes(piece, now);
      drain_events(conn, inbox);
      if (result.error != Error::kNone) return result.error;
      piece = piece.subspan(result.consumed);
    }
    offset = end;
  }
  return conn.error();
}

Bytes take_output(Connection& conn) {
  Bytes out(conn.pending_transmit());
  out.resize(conn.poll_transmit(out));
  return out;
}

Pair::Pair(const ClientConfig& client_config, const ServerConfig& server_config, Instant start)
    : client(Connection::client(client_config, start)),
      server(Connection::server(server_config, start)),
      now(start) {}

bool Pair::step() {
  const Bytes to_server = take_output(client);
  const Bytes to_client = take_output(server);
  client_sent.insert(client_sent.end(), to_server.begin(), to_server.end());
  server_sent.insert(server_sent.end(), to_client.begin(), to_client.end());
  if (!to_server.empty()) (void)feed(server, to_server, now, server_inbox);
  if (!to_client.empty()) (void)feed(client, to_client, now, client_inbox);
  return !to_server.empty() || !to_client.empty();
}

void Pair::drive() {
  for (int i = 0; i < 64 && step(); ++i) {
  }
}

void Pair::advance(Duration by) {
  now += by;
  (void)client.handle_timeout(now);
  (void)server.handle_timeout(now);
}

}  // namespace p2pnet::testing
