/* Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
 *
 * capi_conn_test.c: the sans-IO engine from C (p2p_conn_*), compiled as C11.
 *   - a handshake and messages both ways over a socketpair, driven by this test's own
 *     poll() loop and monotonic clock (POSIX only);
 *   - every split of the input: a whole session delivered in pieces of every size,
 *     and with every flight cut at every offset;
 *   - the handshake deadline driven by the caller's clock, and now_ms bounds;
 *   - misuse (NULL arguments, send before the handshake, double close, feed after a
 *     failure, a full send buffer, bad options) gives errors and never a crash;
 *   - keypair and allow-list are copied; refusals; the replay cache; end of stream;
 *   - p2p_version agrees with the P2P_VERSION_* macros and the CMake project version.
 * The connections use the system random source, so every run is a fresh handshake;
 * nothing here depends on particular key bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_harness.h"
#include "p2pnet.h"

#ifndef _WIN32
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#endif

static p2p_keypair_t* g_client_kp;
static p2p_keypair_t* g_server_kp;
static p2p_keypair_t* g_stranger_kp;

/* --- An in-memory link and one side's record of what it saw ------------------------ */

typedef struct {
  uint8_t* bytes;
  size_t size;
  size_t capacity;
} Buffer;

static void buffer_append(Buffer* b, const uint8_t* data, size_t n) {
  if (b->size + n > b->capacity) {
    size_t capacity = b->capacity ? b->capacity : 256;
    while (capacity < b->size + n) capacity *= 2;
    uint8_t* grown = (uint8_t*)realloc(b->bytes, capacity);
    REQUIRE(grown != NULL);
    b->bytes = grown;
    b->capacity = capacity;
  }
  memcpy(b->bytes + b->size, data, n);
  b->size += n;
}

static void buffer_drop_front(Buffer* b, size_t n) {
  if (n == 0) return; /* bytes may still be NULL: memmove must not see it */
  memmove(b->bytes, b->bytes + n, b->size - n);
  b->size -= n;
}

static void buffer_free(Buffer* b) {
  free(b->bytes);
  memset(b, 0, sizeof *b);
}

enum { kMaxMessages = 8, kMaxMessageBytes = 64 };

typedef struct {
  p2p_conn_t* conn;
  int handshake_events;
  int peer_closed_events;
  size_t received_count;
  char received[kMaxMessages][kMaxMessageBytes];
  size_t short_feeds; /* feeds that stopped before the end of their input */
} Side;

/* drain_events pulls every waiting event and checks their order: the handshake
 * once and first, then messages, then PeerClosed at most once. */
static int drain_events(Side* s) {
  p2p_event_t event;
  int n = 0;
  while (p2p_conn_poll_event(s->conn, &event)) {
    ++n;
    switch (event.type) {
      case P2P_EVENT_HANDSHAKE_COMPLETE:
        CHECK(s->handshake_events == 0 && s->received_count == 0 && s->peer_closed_events == 0);
        CHECK(event.data == NULL && event.length == 0);
        CHECK(p2p_conn_peer_public_key(s->conn) != NULL);
        ++s->handshake_events;
        break;
      case P2P_EVENT_MESSAGE:
        CHECK(s->handshake_events == 1 && s->peer_closed_events == 0);
        CHECK(event.data != NULL && event.length > 0 && event.length < kMaxMessageBytes);
        if (s->received_count < kMaxMessages && event.length < kMaxMessageBytes) {
          memcpy(s->received[s->received_count], event.data, event.length);
          s->received[s->received_count][event.length] = '\0';
        }
        ++s->received_count;
        break;
      case P2P_EVENT_PEER_CLOSED:
        CHECK(s->handshake_events == 1 && s->peer_closed_events == 0);
        CHECK(event.data == NULL && event.length == 0);
        ++s->peer_closed_events;
        break;
    }
  }
  CHECK(p2p_last_error() == P2P_OK);
  return n;
}

/* feed offers data[0, length) as the polling order says: feed, pull events, feed the
 * rest. The engine may stop short only when it hands out an event. */
static p2p_error_t feed(Side* s, const uint8_t* data, size_t length, uint64_t now_ms) {
  size_t offset = 0;
  for (;;) {
    size_t consumed = 12345;
    const p2p_error_t rc =
        p2p_conn_feed(s->conn, data + offset, length - offset, now_ms, &consumed);
    CHECK(p2p_last_error() == rc);
    CHECK(consumed <= length - offset);
    if (consumed > length - offset) return P2P_ERR_INTERNAL;
    offset += consumed;
    const int events = drain_events(s);
    if (rc != P2P_OK) return rc;
    if (offset == length) return P2P_OK;
    ++s->short_feeds;
    CHECK(events > 0);
    if (events == 0) return P2P_ERR_INTERNAL; /* would loop forever */
  }
}

/* transmit moves everything the side has to send onto |link|, through a small
 * buffer, so poll_transmit hands out flights in several pieces. */
static void transmit(Side* from, Buffer* link) {
  uint8_t chunk[40];
  size_t n;
  while ((n = p2p_conn_poll_transmit(from->conn, chunk, sizeof chunk)) > 0) {
    CHECK(n <= sizeof chunk);
    buffer_append(link, chunk, n);
  }
  CHECK(p2p_conn_pending_transmit(from->conn) == 0);
}

/* deliver feeds everything on |link| to |to|: first |first| bytes (0: no special first
 * piece), then pieces of |piece| bytes (0: the rest at once). */
static p2p_error_t deliver(Buffer* link, Side* to, size_t first, size_t piece, uint64_t now_ms) {
  size_t offset = 0;
  p2p_error_t rc = P2P_OK;
  while (offset < link->size && rc == P2P_OK) {
    size_t n = link->size - offset;
    if (offset == 0 && first != 0 && first < n) {
      n = first;
    } else if (piece != 0 && piece < n) {
      n = piece;
    }
    rc = feed(to, link->bytes + offset, n, now_ms);
    offset += n;
  }
  buffer_drop_front(link, link->size);
  return rc;
}

static void side_free(Side* s) {
  p2p_conn_free(s->conn);
  memset(s, 0, sizeof *s);
}

static const char* const kClientMessages[] = {"first from the client", "second from the client"};
static const char* const kServerMessages[] = {"first from the server", "second from the server"};

static void send_text(Side* s, const char* text) {
  CHECK_CODE(p2p_conn_send(s->conn, (const uint8_t*)text, strlen(text)), P2P_OK);
}

/* act is what each side does once it can: after the handshake both send their two
 * messages, the client then closes, and the server closes once the client has. */
static void act(Side* s, int is_client, int* sent, int* closed) {
  if (s->handshake_events == 1 && !*sent) {
    const char* const* messages = is_client ? kClientMessages : kServerMessages;
    send_text(s, messages[0]);
    send_text(s, messages[1]);
    *sent = 1;
  }
  if (*sent && !*closed && (is_client || s->peer_closed_events == 1)) {
    CHECK_CODE(p2p_conn_close(s->conn), P2P_OK);
    *closed = 1;
  }
}

typedef struct {
  size_t largest_flight; /* the most bytes one delivery carried */
  size_t short_feeds;
} SessionStats;

/* run_session runs a whole session with each delivery cut as deliver() says, and
 * checks that it ends with everything received and a clean close on both sides. */
static void run_session(size_t first, size_t piece, SessionStats* stats) {
  const uint8_t* allowed[1] = {p2p_keypair_public_key(g_client_kp)};
  Side client, server;
  memset(&client, 0, sizeof client);
  memset(&server, 0, sizeof server);
  client.conn = p2p_conn_client(g_client_kp, p2p_keypair_public_key(g_server_kp), 0);
  server.conn = p2p_conn_server(g_server_kp, allowed, 1, 0);
  REQUIRE(client.conn != NULL && server.conn != NULL);
  Buffer to_server = {0}, to_client = {0};
  int client_sent = 0, client_closed = 0, server_sent = 0, server_closed = 0;
  for (int round = 0; round < 10; ++round) {
    transmit(&client, &to_server);
    transmit(&server, &to_client);
    if (to_server.size > stats->largest_flight) stats->largest_flight = to_server.size;
    if (to_client.size > stats->largest_flight) stats->largest_flight = to_client.size;
    if (to_server.size == 0 && to_client.size == 0) break;
    CHECK_CODE(deliver(&to_server, &server, first, piece, 0), P2P_OK);
    act(&server, 0, &server_sent, &server_closed);
    CHECK_CODE(deliver(&to_client, &client, first, piece, 0), P2P_OK);
    act(&client, 1, &client_sent, &client_closed);
  }
  CHECK(to_server.size == 0 && to_client.size == 0);
  CHECK(client.handshake_events == 1 && server.handshake_events == 1);
  CHECK(client.received_count == 2 && server.received_count == 2);
  if (client.received_count == 2 && server.received_count == 2) {
    for (int i = 0; i < 2; ++i) {
      CHECK(strcmp(client.received[i], kServerMessages[i]) == 0);
      CHECK(strcmp(server.received[i], kClientMessages[i]) == 0);
    }
  }
  CHECK(client.peer_closed_events == 1 && server.peer_closed_events == 1);
  CHECK(memcmp(p2p_conn_peer_public_key(client.conn), p2p_keypair_public_key(g_server_kp),
               P2P_PUBLIC_KEY_SIZE) == 0);
  CHECK(memcmp(p2p_conn_peer_public_key(server.conn), p2p_keypair_public_key(g_client_kp),
               P2P_PUBLIC_KEY_SIZE) == 0);
  /* After close_notify both ways, the end of the stream is clean. */
  size_t consumed = 1;
  CHECK_CODE(p2p_conn_feed(client.conn, NULL, 0, 0, &consumed), P2P_OK);
  CHECK(consumed == 0);
  CHECK_CODE(p2p_conn_feed(server.conn, NULL, 0, 0, &consumed), P2P_OK);
  CHECK_CODE(p2p_conn_error(client.conn), P2P_OK);
  CHECK_CODE(p2p_conn_error(server.conn), P2P_OK);
  stats->short_feeds += client.short_feeds + server.short_feeds;
  side_free(&client);
  side_free(&server);
  buffer_free(&to_server);
  buffer_free(&to_client);
}

static void every_split_of_the_input(void) {
  SessionStats whole = {0, 0};
  run_session(0, 0, &whole);
  /* The server's Accept and its two messages travel in one delivery, and the engine
   * stops after each message: the feed loop must have resumed at least twice. */
  CHECK(whole.short_feeds >= 2);
  CHECK(whole.largest_flight >= 97); /* the KeyExchange / Accept (97 bytes) */
  const size_t largest = whole.largest_flight;
  size_t sessions = 1;
  /* Every piece size: 1 byte at a time up to the whole flight. */
  for (size_t piece = 1; piece <= largest; ++piece, ++sessions) {
    SessionStats stats = {0, 0};
    run_session(0, piece, &stats);
  }
  /* Every cut: each flight split in two at every offset (a flight shorter than the
   * offset goes whole). */
  for (size_t first = 1; first < largest; ++first, ++sessions) {
    SessionStats stats = {0, 0};
    run_session(first, 0, &stats);
  }
  printf("  %lu sessions, flights up to %lu bytes\n", (unsigned long)sessions,
         (unsigned long)largest);
}

/* --- Time ---------------------------------------------------------------------------- */

static void timeout_driven_by_callers_clock(void) {
  p2p_conn_options_t options;
  p2p_conn_options_init(&options);
  options.handshake_timeout_ms = 500;
  p2p_conn_t* client = p2p_conn_client_ex(g_client_kp, NULL, &options, 1000);
  REQUIRE(client != NULL);
  CHECK(p2p_conn_next_timeout_ms(client) == 1500);
  CHECK_CODE(p2p_conn_handle_timeout(client, 1499), P2P_OK);
  /* A clock that goes backwards does not fail it either. */
  CHECK_CODE(p2p_conn_handle_timeout(client, 3), P2P_OK);
  /* now_ms over the bound: refused, and the connection is unchanged. */
  CHECK_CODE(p2p_conn_handle_timeout(client, P2P_MAX_NOW_MS + 1), P2P_ERR_INVALID_ARGUMENT);
  CHECK_CODE(p2p_conn_handle_timeout(client, UINT64_MAX), P2P_ERR_INVALID_ARGUMENT);
  CHECK_CODE(p2p_conn_error(client), P2P_OK);
  CHECK_CODE(p2p_conn_handle_timeout(client, 1500), P2P_ERR_TIMEOUT);
  CHECK(p2p_conn_next_timeout_ms(client) == -1);
  CHECK_CODE(p2p_conn_error(client), P2P_ERR_TIMEOUT);
  CHECK(strlen(p2p_last_error_message()) > 0);
  /* The ClientHello (33 bytes), then Error 0x04 (timeout) for the peer. */
  uint8_t out[64];
  const size_t n = p2p_conn_poll_transmit(client, out, sizeof out);
  CHECK(n == 33 + 2);
  if (n == 35) CHECK(out[33] == 0xFF && out[34] == 0x04);
  /* Terminal: every later call reports the same error. */
  size_t consumed = 7;
  CHECK_CODE(p2p_conn_feed(client, out, 1, 2000, &consumed), P2P_ERR_TIMEOUT);
  CHECK(consumed == 0);
  CHECK_CODE(p2p_conn_handle_timeout(client, 2000), P2P_ERR_TIMEOUT);
  CHECK_CODE(p2p_conn_send(client, out, 1), P2P_ERR_TIMEOUT);
  CHECK_CODE(p2p_conn_close(client), P2P_ERR_TIMEOUT);
  p2p_conn_free(client);

  /* A server: the deadline also applies to input that arrives late. */
  p2p_conn_t* client2 = p2p_conn_client(g_client_kp, NULL, 0);
  p2p_conn_t* server = p2p_conn_server(g_server_kp, NULL, 0, 0);
  REQUIRE(client2 != NULL && server != NULL);
  CHECK(p2p_conn_next_timeout_ms(server) == (int64_t)P2P_DEFAULT_TIMEOUT_MS);
  const size_t hello = p2p_conn_poll_transmit(client2, out, sizeof out);
  CHECK_CODE(p2p_conn_feed(server, out, hello, P2P_DEFAULT_TIMEOUT_MS, &consumed), P2P_ERR_TIMEOUT);
  CHECK(p2p_conn_poll_transmit(server, out, sizeof out) == 2 && out[0] == 0xFF && out[1] == 0x04);
  p2p_conn_free(client2);
  p2p_conn_free(server);

  /* The largest now_ms with the largest timeout: the deadline still fits. */
  options.handshake_timeout_ms = UINT32_MAX;
  p2p_conn_t* late = p2p_conn_client_ex(g_client_kp, NULL, &options, P2P_MAX_NOW_MS);
  REQUIRE(late != NULL);
  CHECK(p2p_conn_next_timeout_ms(late) == (int64_t)(P2P_MAX_NOW_MS + UINT32_MAX));
  CHECK_CODE(p2p_conn_handle_timeout(late, P2P_MAX_NOW_MS), P2P_OK);
  p2p_conn_free(late);
  CHECK(p2p_conn_client(g_client_kp, NULL, P2P_MAX_NOW_MS + 1) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  CHECK(p2p_conn_server(g_server_kp, NULL, 0, UINT64_MAX) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  /* Where now + timeout would overflow the engine's int64 clock. */
  CHECK(p2p_conn_client(g_client_kp, NULL, (uint64_t)INT64_MAX) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
}

/* --- Misuse -------------------------------------------------------------------------- */

static void misuse_gives_errors(void) {
  const uint8_t byte = 1;
  uint8_t out[128];
  size_t consumed = 0;
  p2p_event_t event;

  /* NULL everywhere. */
  CHECK(p2p_conn_client(NULL, NULL, 0) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  CHECK(p2p_conn_server(NULL, NULL, 0, 0) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  CHECK_CODE(p2p_conn_feed(NULL, &byte, 1, 0, &consumed), P2P_ERR_INVALID_ARGUMENT);
  CHECK(p2p_conn_poll_event(NULL, &event) == 0);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  CHECK(p2p_conn_poll_transmit(NULL, out, sizeof out) == 0);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  CHECK(p2p_conn_pending_transmit(NULL) == 0);
  CHECK(p2p_conn_next_timeout_ms(NULL) == -1);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  CHECK_CODE(p2p_conn_handle_timeout(NULL, 0), P2P_ERR_INVALID_ARGUMENT);
  CHECK_CODE(p2p_conn_send(NULL, &byte, 1), P2P_ERR_INVALID_ARGUMENT);
  CHECK_CODE(p2p_conn_close(NULL), P2P_ERR_INVALID_ARGUMENT);
  CHECK(p2p_conn_peer_public_key(NULL) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  CHECK_CODE(p2p_conn_error(NULL), P2P_ERR_INVALID_ARGUMENT);
  p2p_conn_options_init(NULL);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  p2p_conn_free(NULL);
  CHECK(p2p_last_error() == P2P_OK);
  p2p_replay_cache_free(NULL);

  p2p_conn_t* client = p2p_conn_client(g_client_kp, NULL, 0);
  REQUIRE(client != NULL);
  CHECK(p2p_last_error() == P2P_OK);
  CHECK_CODE(p2p_conn_feed(client, NULL, 1, 0, &consumed), P2P_ERR_INVALID_ARGUMENT);
  CHECK_CODE(p2p_conn_feed(client, &byte, 1, 0, NULL), P2P_ERR_INVALID_ARGUMENT);
  CHECK(p2p_conn_poll_event(client, NULL) == 0);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  CHECK(p2p_conn_poll_transmit(client, NULL, 10) == 0);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  CHECK_CODE(p2p_conn_send(client, NULL, 1), P2P_ERR_INVALID_ARGUMENT);
  /* Capacity 0 takes nothing and loses nothing. */
  CHECK(p2p_conn_pending_transmit(client) == 33);
  CHECK(p2p_conn_poll_transmit(client, out, 0) == 0);
  CHECK(p2p_last_error() == P2P_OK);
  CHECK(p2p_conn_poll_transmit(client, NULL, 0) == 0);
  CHECK(p2p_conn_pending_transmit(client) == 33);
  /* Before the handshake: no event, no peer, no sending. */
  CHECK(p2p_conn_poll_event(client, &event) == 0);
  CHECK(p2p_conn_peer_public_key(client) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_STATE);
  CHECK_CODE(p2p_conn_send(client, &byte, 1), P2P_ERR_STATE);
  CHECK_CODE(p2p_conn_close(client), P2P_ERR_STATE);
  /* None of that hurt the connection. */
  CHECK_CODE(p2p_conn_error(client), P2P_OK);

  /* Garbage from the "server": a protocol failure, then the same error forever. */
  static const uint8_t garbage[] = {0x42, 0x42, 0x42, 0x42};
  CHECK_CODE(p2p_conn_feed(client, garbage, sizeof garbage, 0, &consumed), P2P_ERR_PROTOCOL);
  CHECK_CODE(p2p_conn_feed(client, garbage, sizeof garbage, 0, &consumed), P2P_ERR_PROTOCOL);
  CHECK(consumed == 0);
  CHECK_CODE(p2p_conn_feed(client, NULL, 0, 0, &consumed), P2P_ERR_PROTOCOL);
  CHECK_CODE(p2p_conn_send(client, &byte, 1), P2P_ERR_PROTOCOL);
  CHECK_CODE(p2p_conn_close(client), P2P_ERR_PROTOCOL);
  CHECK_CODE(p2p_conn_handle_timeout(client, 99999999), P2P_ERR_PROTOCOL);
  CHECK_CODE(p2p_conn_error(client), P2P_ERR_PROTOCOL);
  CHECK(p2p_conn_poll_event(client, &event) == 0);
  p2p_conn_free(client);

  /* Options. */
  p2p_conn_options_t options;
  p2p_conn_options_init(&options);
  CHECK(options.struct_size == sizeof options &&
        options.handshake_timeout_ms == P2P_DEFAULT_TIMEOUT_MS);
  CHECK(options.max_message_size == P2P_DEFAULT_MAX_MESSAGE_SIZE && options.replay_cache == NULL);
  options.struct_size = 8;
  CHECK(p2p_conn_client_ex(g_client_kp, NULL, &options, 0) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  p2p_conn_options_init(&options);
  options.max_message_size = P2P_MAX_MESSAGE_SIZE_LIMIT + 1;
  CHECK(p2p_conn_server_ex(g_server_kp, NULL, 0, &options, 0) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  p2p_conn_options_init(&options);
  options.replay_cache = p2p_replay_cache_new(0);
  REQUIRE(options.replay_cache != NULL);
  CHECK(p2p_conn_server_ex(g_server_kp, NULL, 0, &options, 0) == NULL); /* clients only */
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  p2p_replay_cache_free(options.replay_cache);
  CHECK(p2p_replay_cache_new(P2P_MAX_REPLAY_CACHE_CAPACITY + 1) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  const uint8_t* holey[2] = {p2p_keypair_public_key(g_client_kp), NULL};
  CHECK(p2p_conn_server(g_server_kp, holey, 2, 0) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
}

/* establish runs a handshake between two fresh sides, delivering everything whole. */
static void establish(Side* client, Side* server, const p2p_conn_options_t* options) {
  memset(client, 0, sizeof *client);
  memset(server, 0, sizeof *server);
  client->conn = p2p_conn_client_ex(g_client_kp, p2p_keypair_public_key(g_server_kp), options, 0);
  server->conn = p2p_conn_server_ex(g_server_kp, NULL, 0, options, 0);
  REQUIRE(client->conn != NULL && server->conn != NULL);
  Buffer link = {0};
  for (int flight = 0; flight < 2; ++flight) {
    transmit(client, &link);
    CHECK_CODE(deliver(&link, server, 0, 0, 0), P2P_OK);
    transmit(server, &link);
    CHECK_CODE(deliver(&link, client, 0, 0, 0), P2P_OK);
  }
  buffer_free(&link);
  REQUIRE(client->handshake_events == 1 && server->handshake_events == 1);
}

static void established_misuse_and_send_buffer(void) {
  p2p_conn_options_t options;
  p2p_conn_options_init(&options);
  options.max_message_size = 16;
  options.max_pending_output = 60; /* two 16-byte messages sealed: 2 * 36 = 72 > 60 */
  Side client, server;
  establish(&client, &server, &options);
  const uint8_t message[17] = "0123456789abcdef";
  CHECK_CODE(p2p_conn_send(client.conn, message, 0), P2P_ERR_INVALID_ARGUMENT);
  CHECK_CODE(p2p_conn_send(client.conn, message, 17), P2P_ERR_MESSAGE_TOO_LARGE);
  CHECK_CODE(p2p_conn_send(client.conn, message, 16), P2P_OK);
  const size_t pending = p2p_conn_pending_transmit(client.conn);
  CHECK(pending == 16 + 20);
  CHECK_CODE(p2p_conn_send(client.conn, message, 16), P2P_ERR_SEND_BUFFER_FULL);
  CHECK(p2p_conn_pending_transmit(client.conn) == pending); /* nothing queued */
  CHECK_CODE(p2p_conn_error(client.conn), P2P_OK);          /* and not terminal */
  Buffer link = {0};
  transmit(&client, &link);
  CHECK_CODE(p2p_conn_send(client.conn, message, 16), P2P_OK);
  transmit(&client, &link);
  CHECK_CODE(deliver(&link, &server, 0, 0, 0), P2P_OK);
  CHECK(server.received_count == 2);

  CHECK_CODE(p2p_conn_close(client.conn), P2P_OK);
  CHECK_CODE(p2p_conn_close(client.conn), P2P_ERR_STATE); /* double close */
  CHECK_CODE(p2p_conn_send(client.conn, message, 1), P2P_ERR_STATE);
  CHECK_CODE(p2p_conn_error(client.conn), P2P_OK);
  buffer_free(&link);
  side_free(&client);
  side_free(&server);
}

/* The frame deadline (issue 21): a frame begun must be whole within frame_timeout_ms
 * of its first byte; next_timeout_ms gives it, handle_timeout fails with TIMEOUT. */
static void frame_deadline_from_options(void) {
  p2p_conn_options_t options;
  p2p_conn_options_init(&options);
  CHECK(options.frame_timeout_ms == P2P_DEFAULT_FRAME_TIMEOUT_MS);
  options.frame_timeout_ms = 500;
  Side client, server;
  establish(&client, &server, &options);
  CHECK(p2p_conn_next_timeout_ms(server.conn) == -1); /* no frame in progress */
  const uint8_t message[] = "half of this frame";
  CHECK_CODE(p2p_conn_send(client.conn, message, sizeof message), P2P_OK);
  Buffer link = {0};
  transmit(&client, &link);
  size_t consumed = 0;
  CHECK_CODE(p2p_conn_feed(server.conn, link.bytes, 10, 1000, &consumed), P2P_OK);
  CHECK(consumed == 10);
  CHECK(p2p_conn_next_timeout_ms(server.conn) == 1500);
  /* More of the same frame does not move the deadline. */
  CHECK_CODE(p2p_conn_feed(server.conn, link.bytes + 10, 5, 1400, &consumed), P2P_OK);
  CHECK(p2p_conn_next_timeout_ms(server.conn) == 1500);
  CHECK_CODE(p2p_conn_handle_timeout(server.conn, 1499), P2P_OK);
  CHECK_CODE(p2p_conn_handle_timeout(server.conn, 1500), P2P_ERR_TIMEOUT);
  CHECK_CODE(p2p_conn_error(server.conn), P2P_ERR_TIMEOUT);
  CHECK(p2p_conn_next_timeout_ms(server.conn) == -1);
  uint8_t out[64];
  CHECK(p2p_conn_poll_transmit(server.conn, out, sizeof out) == 0); /* nothing sent */
  buffer_free(&link);
  side_free(&client);
  side_free(&server);
}

static void message_data_lives_until_next_feed(void) {
  Side client, server;
  establish(&client, &server, NULL);
  Buffer link = {0};
  send_text(&server, "kept");
  send_text(&server, "next");
  transmit(&server, &link);
  size_t consumed = 0;
  CHECK_CODE(p2p_conn_feed(client.conn, link.bytes, link.size, 0, &consumed), P2P_OK);
  CHECK(consumed < link.size); /* stopped after "kept" */
  p2p_event_t kept;
  REQUIRE(p2p_conn_poll_event(client.conn, &kept) == 1 && kept.type == P2P_EVENT_MESSAGE);
  /* Calls other than feed and free leave the message where it is (under ASan a freed
   * or moved buffer would be reported here). */
  p2p_event_t none;
  CHECK(p2p_conn_poll_event(client.conn, &none) == 0);
  CHECK_CODE(p2p_conn_send(client.conn, (const uint8_t*)"x", 1), P2P_OK);
  uint8_t out[128];
  CHECK(p2p_conn_poll_transmit(client.conn, out, sizeof out) > 0);
  CHECK_CODE(p2p_conn_handle_timeout(client.conn, 5), P2P_OK);
  CHECK_CODE(p2p_conn_close(client.conn), P2P_OK);
  CHECK(kept.length == 4 && memcmp(kept.data, "kept", 4) == 0);
  /* The rest is offered again and gives the second message. */
  buffer_drop_front(&link, consumed);
  CHECK_CODE(p2p_conn_feed(client.conn, link.bytes, link.size, 0, &consumed), P2P_OK);
  CHECK(consumed == link.size);
  p2p_event_t next;
  REQUIRE(p2p_conn_poll_event(client.conn, &next) == 1 && next.type == P2P_EVENT_MESSAGE);
  CHECK(next.length == 4 && memcmp(next.data, "next", 4) == 0);
  buffer_free(&link);
  side_free(&client);
  side_free(&server);
}

/* --- Ownership, refusals, replay, end of stream ------------------------------------ */

static void keypair_and_allow_list_are_copied(void) {
  /* Both keypairs and the allow-list are freed before the handshake runs: with a
   * borrowed pointer left behind, AddressSanitizer reports a use after free. */
  p2p_keypair_t* client_kp = p2p_keypair_generate();
  p2p_keypair_t* server_kp = p2p_keypair_generate();
  REQUIRE(client_kp != NULL && server_kp != NULL);
  uint8_t* key_copy = (uint8_t*)malloc(P2P_PUBLIC_KEY_SIZE);
  const uint8_t** allowed = (const uint8_t**)malloc(sizeof *allowed);
  uint8_t server_key[P2P_PUBLIC_KEY_SIZE], client_key[P2P_PUBLIC_KEY_SIZE];
  REQUIRE(key_copy != NULL && allowed != NULL);
  memcpy(key_copy, p2p_keypair_public_key(client_kp), P2P_PUBLIC_KEY_SIZE);
  memcpy(client_key, key_copy, P2P_PUBLIC_KEY_SIZE);
  memcpy(server_key, p2p_keypair_public_key(server_kp), P2P_PUBLIC_KEY_SIZE);
  allowed[0] = key_copy;
  Side client, server;
  memset(&client, 0, sizeof client);
  memset(&server, 0, sizeof server);
  client.conn = p2p_conn_client(client_kp, server_key, 0);
  server.conn = p2p_conn_server(server_kp, allowed, 1, 0);
  REQUIRE(client.conn != NULL && server.conn != NULL);
  p2p_keypair_free(client_kp);
  p2p_keypair_free(server_kp);
  memset(key_copy, 0, P2P_PUBLIC_KEY_SIZE);
  free(key_copy);
  free(allowed);
  Buffer link = {0};
  for (int flight = 0; flight < 2; ++flight) {
    transmit(&client, &link);
    CHECK_CODE(deliver(&link, &server, 0, 0, 0), P2P_OK);
    transmit(&server, &link);
    CHECK_CODE(deliver(&link, &client, 0, 0, 0), P2P_OK);
  }
  CHECK(client.handshake_events == 1 && server.handshake_events == 1);
  CHECK(memcmp(p2p_conn_peer_public_key(server.conn), client_key, P2P_PUBLIC_KEY_SIZE) == 0);
  CHECK(memcmp(p2p_conn_peer_public_key(client.conn), server_key, P2P_PUBLIC_KEY_SIZE) == 0);
  buffer_free(&link);
  side_free(&client);
  side_free(&server);
}

/* handshake_outcome runs a handshake to its end and reports both sides' errors. */
static void handshake_outcome(const uint8_t* expected, const uint8_t* const* allowed,
                              size_t allowed_count, p2p_error_t* client_error,
                              p2p_error_t* server_error) {
  Side client, server;
  memset(&client, 0, sizeof client);
  memset(&server, 0, sizeof server);
  client.conn = p2p_conn_client(g_client_kp, expected, 0);
  server.conn = p2p_conn_server(g_server_kp, allowed, allowed_count, 0);
  REQUIRE(client.conn != NULL && server.conn != NULL);
  Buffer link = {0};
  for (int flight = 0; flight < 3; ++flight) {
    transmit(&client, &link);
    (void)deliver(&link, &server, 0, 0, 0);
    transmit(&server, &link);
    (void)deliver(&link, &client, 0, 0, 0);
  }
  *client_error = p2p_conn_error(client.conn);
  *server_error = p2p_conn_error(server.conn);
  CHECK(client.handshake_events == (*client_error == P2P_OK));
  buffer_free(&link);
  side_free(&client);
  side_free(&server);
}

static void refusals(void) {
  p2p_error_t c, s;
  /* The client expects another server: it refuses (Error 0x03). */
  handshake_outcome(p2p_keypair_public_key(g_stranger_kp), NULL, 0, &c, &s);
  CHECK(c == P2P_ERR_PEER_NOT_ALLOWED && s == P2P_ERR_REJECTED_BY_PEER);
  /* The client is not on the allow-list. */
  const uint8_t* stranger[1] = {p2p_keypair_public_key(g_stranger_kp)};
  handshake_outcome(p2p_keypair_public_key(g_server_kp), stranger, 1, &c, &s);
  CHECK(c == P2P_ERR_REJECTED_BY_PEER && s == P2P_ERR_PEER_NOT_ALLOWED);
  /* An empty, non-NULL allow-list refuses everyone. */
  handshake_outcome(NULL, stranger, 0, &c, &s);
  CHECK(c == P2P_ERR_REJECTED_BY_PEER && s == P2P_ERR_PEER_NOT_ALLOWED);
  /* NULL allows everyone; NULL expected accepts any server. */
  handshake_outcome(NULL, NULL, 0, &c, &s);
  CHECK(c == P2P_OK && s == P2P_OK);
}

/* --- The log hook and the key log from C ------------------------------------------ */

typedef struct {
  int calls[4]; /* per p2p_log_level_t */
  uint64_t last_id;
  char complete[2][128]; /* the completion messages, client's and server's */
  int completions;
  char key_lines[2][256];
  int key_line_count;
} HookRecord;

static void record_log(void* context, p2p_log_level_t level, uint64_t id, const char* message) {
  HookRecord* r = (HookRecord*)context;
  if ((int)level >= 0 && (int)level < 4) ++r->calls[level];
  r->last_id = id;
  if (level == P2P_LOG_INFO && r->completions < 2) {
    snprintf(r->complete[r->completions++], sizeof r->complete[0], "%s", message);
  }
}

static void record_key_line(void* context, const char* line) {
  HookRecord* r = (HookRecord*)context;
  if (r->key_line_count < 2)
    snprintf(r->key_lines[r->key_line_count++], sizeof r->key_lines[0], "%s", line);
}

static void log_and_key_log_hooks(void) {
  HookRecord record;
  memset(&record, 0, sizeof record);
  p2p_conn_options_t options;
  p2p_conn_options_init(&options);
  options.log = record_log;
  options.log_context = &record;
  options.log_id = 77;
  options.key_log = record_key_line;
  options.key_log_context = &record;
  Side client, server;
  establish(&client, &server, &options);
  CHECK(record.calls[P2P_LOG_DEBUG] == 2 && record.calls[P2P_LOG_INFO] == 2);
  CHECK(record.calls[P2P_LOG_WARNING] == 0 && record.calls[P2P_LOG_ERROR] == 0);
  CHECK(record.last_id == 77);
  /* The client names the server in full, and the server the client. */
  char server_text[P2P_PUBLIC_KEY_TEXT_SIZE], client_text[P2P_PUBLIC_KEY_TEXT_SIZE];
  CHECK_CODE(p2p_public_key_to_text(p2p_keypair_public_key(g_server_kp), server_text), P2P_OK);
  CHECK_CODE(p2p_public_key_to_text(p2p_keypair_public_key(g_client_kp), client_text), P2P_OK);
  CHECK(record.completions == 2);
  CHECK(strstr(record.complete[0], server_text) != NULL ||
        strstr(record.complete[1], server_text) != NULL);
  CHECK(strstr(record.complete[0], client_text) != NULL ||
        strstr(record.complete[1], client_text) != NULL);
  /* One key log line per side, the same on both, the label then three hex values. */
  CHECK(record.key_line_count == 2);
  CHECK(strcmp(record.key_lines[0], record.key_lines[1]) == 0);
  CHECK(strncmp(record.key_lines[0], "P2PNET_V1_TRAFFIC_KEYS ", 23) == 0);
  CHECK(strlen(record.key_lines[0]) == 23 + 3 * 64 + 2);
  side_free(&client);
  side_free(&server);
}

static void replay_cache_refuses_a_replayed_challenge(void) {
  p2p_conn_options_t options;
  p2p_conn_options_init(&options);
  options.replay_cache = p2p_replay_cache_new(4);
  REQUIRE(options.replay_cache != NULL);
  uint8_t hello[64], server_hello[128];
  size_t consumed = 0;
  p2p_conn_t* server = p2p_conn_server(g_server_kp, NULL, 0, 0);
  p2p_conn_t* first = p2p_conn_client_ex(g_client_kp, NULL, &options, 0);
  REQUIRE(server != NULL && first != NULL);
  const size_t hello_size = p2p_conn_poll_transmit(first, hello, sizeof hello);
  CHECK_CODE(p2p_conn_feed(server, hello, hello_size, 0, &consumed), P2P_OK);
  const size_t server_hello_size =
      p2p_conn_poll_transmit(server, server_hello, sizeof server_hello);
  CHECK(server_hello_size == 65);
  CHECK_CODE(p2p_conn_feed(first, server_hello, server_hello_size, 0, &consumed), P2P_OK);
  /* A second client sharing the cache is shown the same ServerHello: it refuses to
   * sign the challenge again, and says so to the "server" (Error 0x05). */
  p2p_conn_t* second = p2p_conn_client_ex(g_client_kp, NULL, &options, 0);
  REQUIRE(second != NULL);
  (void)p2p_conn_poll_transmit(second, hello, sizeof hello);
  CHECK_CODE(p2p_conn_feed(second, server_hello, server_hello_size, 0, &consumed),
             P2P_ERR_PROTOCOL);
  CHECK(strstr(p2p_last_error_message(), "challenge") != NULL);
  CHECK(p2p_conn_poll_transmit(second, hello, sizeof hello) == 2 && hello[0] == 0xFF &&
        hello[1] == 0x05);
  /* Without the cache the same replay is signed (the protocol leaves it to the cache). */
  p2p_conn_t* third = p2p_conn_client(g_client_kp, NULL, 0);
  REQUIRE(third != NULL);
  CHECK_CODE(p2p_conn_feed(third, server_hello, server_hello_size, 0, &consumed), P2P_OK);
  p2p_conn_free(first);
  p2p_conn_free(second);
  p2p_conn_free(third);
  p2p_conn_free(server);
  p2p_replay_cache_free(options.replay_cache);
}

static void end_of_stream(void) {
  size_t consumed = 0;
  /* During the handshake: the peer went away. */
  p2p_conn_t* server = p2p_conn_server(g_server_kp, NULL, 0, 0);
  REQUIRE(server != NULL);
  CHECK_CODE(p2p_conn_feed(server, NULL, 0, 0, &consumed), P2P_ERR_CONNECTION_CLOSED);
  p2p_conn_free(server);
  /* Established, without close_notify: truncated. */
  Side client, server_side;
  establish(&client, &server_side, NULL);
  CHECK_CODE(p2p_conn_feed(client.conn, NULL, 0, 0, &consumed), P2P_ERR_CONNECTION_CLOSED);
  CHECK(strstr(p2p_last_error_message(), "truncated") != NULL);
  side_free(&client);
  side_free(&server_side);
}

static void version_matches_macros(void) {
  char from_macros[32];
  snprintf(from_macros, sizeof from_macros, "%d.%d.%d", P2P_VERSION_MAJOR, P2P_VERSION_MINOR,
           P2P_VERSION_PATCH);
  CHECK(strcmp(p2p_version(), from_macros) == 0);
  CHECK(strcmp(p2p_version(), P2P_VERSION_STRING) == 0);
  /* P2PNET_PROJECT_VERSION is CMake's PROJECT_VERSION, passed by tests/adapters. */
  CHECK(strcmp(p2p_version(), P2PNET_PROJECT_VERSION) == 0);
  CHECK(p2p_last_error() == P2P_OK);
  CHECK(strcmp(p2p_error_name(P2P_ERR_SEND_BUFFER_FULL), "P2P_ERR_SEND_BUFFER_FULL") == 0);
}

/* --- A socketpair and the caller's poll() loop (POSIX) ------------------------------ */

#ifndef _WIN32

static uint64_t monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

enum { kRoundTrips = 20, kIoSize = 4096 };

/* One end of the socketpair: the connection, its descriptor, and the bytes in
 * flight on either side of it. */
typedef struct {
  int is_client;
  int fd;
  p2p_conn_t* conn;
  uint8_t out[kIoSize]; /* from poll_transmit, not yet written */
  size_t out_begin, out_end;
  uint8_t in[kIoSize]; /* read, not yet consumed */
  size_t in_end;
  int read_eof, write_shut;
  int established, peer_closed, sent_close;
  int sent, received;
  p2p_error_t failure;
} Peer;

static void peer_send(Peer* p, const char* text) {
  const p2p_error_t rc = p2p_conn_send(p->conn, (const uint8_t*)text, strlen(text));
  CHECK(rc == P2P_OK);
  if (rc == P2P_OK) ++p->sent;
}

/* on_event is the application: the client asks kRoundTrips questions one at a time
 * and closes; the server greets, answers each question, and closes after the client. */
static void on_event(Peer* p, const p2p_event_t* event) {
  char text[64];
  switch (event->type) {
    case P2P_EVENT_HANDSHAKE_COMPLETE:
      p->established = 1;
      if (p->is_client) {
        peer_send(p, "question 0");
      } else {
        peer_send(p, "hello from the server");
      }
      break;
    case P2P_EVENT_MESSAGE:
      CHECK(event->length < sizeof text);
      if (event->length >= sizeof text) return;
      memcpy(text, event->data, event->length);
      text[event->length] = '\0';
      if (p->is_client) {
        char expected[64];
        if (p->received == 0) {
          CHECK(strcmp(text, "hello from the server") == 0);
        } else {
          snprintf(expected, sizeof expected, "answer %d", p->received - 1);
          CHECK(strcmp(text, expected) == 0);
        }
        ++p->received;
        if (p->received >= 2 && p->received - 1 == p->sent) { /* every answer is in */
          if (p->sent < kRoundTrips) {
            snprintf(text, sizeof text, "question %d", p->sent);
            peer_send(p, text);
          } else if (!p->sent_close) {
            CHECK(p2p_conn_close(p->conn) == P2P_OK);
            p->sent_close = 1;
          }
        }
      } else {
        char expected[64];
        snprintf(expected, sizeof expected, "question %d", p->received);
        CHECK(strcmp(text, expected) == 0);
        snprintf(text, sizeof text, "answer %d", p->received);
        ++p->received;
        peer_send(p, text); /* event->data is still valid here: no feed in between */
      }
      break;
    case P2P_EVENT_PEER_CLOSED:
      p->peer_closed = 1;
      if (!p->sent_close) {
        CHECK(p2p_conn_close(p->conn) == P2P_OK);
        p->sent_close = 1;
      }
      break;
  }
}

/* process feeds what was read, event by event, as the polling order says. */
static void process(Peer* p, uint64_t now) {
  size_t begin = 0;
  while (p->failure == P2P_OK && begin < p->in_end) {
    size_t consumed = 0;
    const p2p_error_t rc = p2p_conn_feed(p->conn, p->in + begin, p->in_end - begin, now, &consumed);
    begin += consumed;
    p2p_event_t event;
    int events = 0;
    while (p2p_conn_poll_event(p->conn, &event)) {
      on_event(p, &event);
      ++events;
    }
    if (rc != P2P_OK) p->failure = rc;
    if (consumed == 0 && events == 0) break;
  }
  memmove(p->in, p->in + begin, p->in_end - begin);
  p->in_end -= begin;
}

/* flush writes what the connection has to send, as far as the socket takes it. */
static void flush(Peer* p) {
  for (;;) {
    if (p->out_begin == p->out_end) {
      p->out_begin = 0;
      p->out_end = p2p_conn_poll_transmit(p->conn, p->out, sizeof p->out);
      if (p->out_end == 0) break;
    }
    const ssize_t n = send(p->fd, p->out + p->out_begin, p->out_end - p->out_begin, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
      return;
    }
    p->out_begin += (size_t)n;
  }
  /* Everything we will ever send is written: tell the peer (end of stream). */
  if (p->sent_close && !p->write_shut) {
    shutdown(p->fd, SHUT_WR);
    p->write_shut = 1;
  }
}

static void on_readable(Peer* p, uint64_t now) {
  const ssize_t n = recv(p->fd, p->in + p->in_end, sizeof p->in - p->in_end, 0);
  if (n > 0) {
    p->in_end += (size_t)n;
    process(p, now);
  } else if (n == 0) {
    p->read_eof = 1;
    size_t consumed = 0;
    const p2p_error_t rc = p2p_conn_feed(p->conn, NULL, 0, now, &consumed);
    if (rc != P2P_OK) p->failure = rc;
  } else {
    CHECK(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
  }
}

static int peer_done(const Peer* p) {
  return p->failure != P2P_OK || (p->read_eof && p->write_shut && p->out_begin == p->out_end);
}

static void handshake_and_messages_over_socketpair_poll_loop(void) {
  int fds[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  const uint64_t start = monotonic_ms();
  Peer peers[2];
  memset(peers, 0, sizeof peers);
  const uint8_t* allowed[1] = {p2p_keypair_public_key(g_client_kp)};
  peers[0].is_client = 1;
  peers[0].fd = fds[0];
  peers[0].conn = p2p_conn_client(g_client_kp, p2p_keypair_public_key(g_server_kp), start);
  peers[1].fd = fds[1];
  peers[1].conn = p2p_conn_server(g_server_kp, allowed, 1, start);
  REQUIRE(peers[0].conn != NULL && peers[1].conn != NULL);
  for (int i = 0; i < 2; ++i) {
    REQUIRE(fcntl(peers[i].fd, F_SETFL, fcntl(peers[i].fd, F_GETFL) | O_NONBLOCK) == 0);
  }

  const uint64_t give_up = start + 20000; /* generous: shared machines are slow */
  int iterations = 0;
  while (!(peer_done(&peers[0]) && peer_done(&peers[1]))) {
    uint64_t now = monotonic_ms();
    REQUIRE(now < give_up);
    struct pollfd pfds[2];
    int64_t wake = (int64_t)give_up;
    for (int i = 0; i < 2; ++i) {
      flush(&peers[i]);
      pfds[i].fd = peers[i].fd;
      pfds[i].events = (short)((peers[i].read_eof ? 0 : POLLIN) |
                               (peers[i].out_begin != peers[i].out_end ? POLLOUT : 0));
      pfds[i].revents = 0;
      const int64_t deadline = p2p_conn_next_timeout_ms(peers[i].conn);
      if (deadline >= 0 && deadline < wake) wake = deadline;
    }
    const int timeout = wake > (int64_t)now ? (int)(wake - (int64_t)now) : 0;
    const int ready = poll(pfds, 2, timeout);
    REQUIRE(ready >= 0 || errno == EINTR);
    now = monotonic_ms();
    for (int i = 0; i < 2; ++i) {
      if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) on_readable(&peers[i], now);
      const p2p_error_t rc = p2p_conn_handle_timeout(peers[i].conn, now);
      if (rc != P2P_OK) peers[i].failure = rc;
    }
    ++iterations;
  }
  Peer* client = &peers[0];
  Peer* server = &peers[1];
  CHECK(client->failure == P2P_OK && server->failure == P2P_OK);
  CHECK(client->established && server->established);
  CHECK(client->sent == kRoundTrips && server->received == kRoundTrips);
  CHECK(server->sent == kRoundTrips + 1 && client->received == kRoundTrips + 1);
  CHECK(client->peer_closed && server->peer_closed);
  CHECK(memcmp(p2p_conn_peer_public_key(client->conn), p2p_keypair_public_key(g_server_kp),
               P2P_PUBLIC_KEY_SIZE) == 0);
  CHECK(memcmp(p2p_conn_peer_public_key(server->conn), p2p_keypair_public_key(g_client_kp),
               P2P_PUBLIC_KEY_SIZE) == 0);
  CHECK_CODE(p2p_conn_error(client->conn), P2P_OK);
  CHECK_CODE(p2p_conn_error(server->conn), P2P_OK);
  printf("  %d round trips in %d poll() iterations\n", kRoundTrips, iterations);
  p2p_conn_free(client->conn);
  p2p_conn_free(server->conn);
  close(fds[0]);
  close(fds[1]);
}

#endif /* !_WIN32 */

int main(void) {
  g_client_kp = p2p_keypair_generate();
  g_server_kp = p2p_keypair_generate();
  g_stranger_kp = p2p_keypair_generate();
  REQUIRE(g_client_kp != NULL && g_server_kp != NULL && g_stranger_kp != NULL);

#ifndef _WIN32
  RUN_TEST(handshake_and_messages_over_socketpair_poll_loop);
#endif
  RUN_TEST(every_split_of_the_input);
  RUN_TEST(timeout_driven_by_callers_clock);
  RUN_TEST(misuse_gives_errors);
  RUN_TEST(established_misuse_and_send_buffer);
  RUN_TEST(frame_deadline_from_options);
  RUN_TEST(message_data_lives_until_next_feed);
  RUN_TEST(keypair_and_allow_list_are_copied);
  RUN_TEST(refusals);
  RUN_TEST(log_and_key_log_hooks);
  RUN_TEST(replay_cache_refuses_a_replayed_challenge);
  RUN_TEST(end_of_stream);
  RUN_TEST(version_matches_macros);

  p2p_keypair_free(g_client_kp);
  p2p_keypair_free(g_server_kp);
  p2p_keypair_free(g_stranger_kp);
  return c_harness_finish("capi_conn_test");
}
