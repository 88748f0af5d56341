/* Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
 *
 * A C11 consumer of the installed C library, built by tests/install with CMake
 * (find_package), with pkg-config and cc (static and shared), and as a subproject.
 * A client and a server p2p_conn_t exchange bytes in memory: the handshake, one
 * message each way, then close_notify both ways. Exits 0 when all of it happened and
 * the library's version is the header's. Portable C (no socket), so it runs under wine. */
#include <p2pnet.h>
#include <stdio.h>
#include <string.h>

enum { kBufferSize = 4096 };

typedef struct {
  p2p_conn_t* conn;
  int established, peer_closed;
  char received[64];
} Side;

/* deliver moves every pending byte from one side to the other and pulls its events. */
static int deliver(Side* from, Side* to) {
  uint8_t buffer[kBufferSize];
  size_t n;
  while ((n = p2p_conn_poll_transmit(from->conn, buffer, sizeof buffer)) > 0) {
    size_t offset = 0;
    while (offset < n) {
      size_t consumed = 0;
      p2p_event_t event;
      if (p2p_conn_feed(to->conn, buffer + offset, n - offset, 0, &consumed) != P2P_OK) {
        printf("feed failed: %s\n", p2p_last_error_message());
        return 0;
      }
      offset += consumed;
      while (p2p_conn_poll_event(to->conn, &event)) {
        if (event.type == P2P_EVENT_HANDSHAKE_COMPLETE) to->established = 1;
        if (event.type == P2P_EVENT_PEER_CLOSED) to->peer_closed = 1;
        if (event.type == P2P_EVENT_MESSAGE && event.length < sizeof to->received) {
          memcpy(to->received, event.data, event.length);
          to->received[event.length] = '\0';
        }
      }
    }
  }
  return 1;
}

static int exchange(Side* a, Side* b) {
  int round;
  for (round = 0; round < 4; ++round) {
    if (!deliver(a, b) || !deliver(b, a)) return 0;
  }
  return 1;
}

int main(void) {
  p2p_keypair_t* client_key = p2p_keypair_generate();
  p2p_keypair_t* server_key = p2p_keypair_generate();
  Side client = {0}, server = {0};
  int ok = 0;
  if (strcmp(p2p_version(), P2P_VERSION_STRING) != 0) {
    printf("library %s, header %s\n", p2p_version(), P2P_VERSION_STRING);
    return 1;
  }
  if (client_key == NULL || server_key == NULL) return 1;
  client.conn = p2p_conn_client(client_key, p2p_keypair_public_key(server_key), 0);
  server.conn = p2p_conn_server(server_key, NULL, 0, 0);
  if (client.conn != NULL && server.conn != NULL && exchange(&client, &server) &&
      client.established && server.established &&
      p2p_conn_send(client.conn, (const uint8_t*)"ping", 4) == P2P_OK &&
      p2p_conn_send(server.conn, (const uint8_t*)"pong", 4) == P2P_OK &&
      exchange(&client, &server) && p2p_conn_close(client.conn) == P2P_OK &&
      exchange(&client, &server) && server.peer_closed && p2p_conn_close(server.conn) == P2P_OK &&
      exchange(&client, &server) && client.peer_closed && strcmp(server.received, "ping") == 0 &&
      strcmp(client.received, "pong") == 0 &&
      memcmp(p2p_conn_peer_public_key(client.conn), p2p_keypair_public_key(server_key),
             P2P_PUBLIC_KEY_SIZE) == 0) {
    ok = 1;
    printf("p2pnet %s: handshake, ping/pong and close_notify from C\n", p2p_version());
  }
  p2p_conn_free(client.conn);
  p2p_conn_free(server.conn);
  p2p_keypair_free(client_key);
  p2p_keypair_free(server_key);
  return ok ? 0 : 1;
}
