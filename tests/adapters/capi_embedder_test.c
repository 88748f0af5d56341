/* Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
 *
 * capi_embedder_test.c: what an embedder of a sans-IO C library expects beyond feed
 * and poll (p2pnet.h), compiled as C11:
 *   - p2p_conn_state through a whole session and after every kind of failure, always
 *     agreeing with p2p_conn_error, p2p_conn_peer_public_key and the events;
 *   - an injected random source: seeded sources give byte-identical sessions, other
 *     seeds other sessions; a failing source fails the connection with
 *     P2P_ERR_RANDOM and sends nothing built on random bytes (only Error 0x06);
 *     the earlier p2p_conn_options_t layout is still accepted;
 *   - p2p_conn_peek_transmit / p2p_conn_consume_transmit: the same bytes as
 *     p2p_conn_poll_transmit (a twin session drained both ways), partial consumption,
 *     mixing with poll_transmit, the two-buffer case after the handshake, misuse that
 *     changes nothing, and what a failed connection shows.
 * Idle buffer release is tested with the counting allocator, in C++
 * (capi_idle_memory_test.cc). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_harness.h"
#include "p2pnet.h"

static p2p_keypair_t* g_client_kp;
static p2p_keypair_t* g_server_kp;
static p2p_keypair_t* g_stranger_kp;

/* --- A seeded random source (splitmix64: for tests only, never for keys) ---------- */

typedef struct {
  uint64_t state;
  int draws;           /* calls so far */
  int fail_at;         /* the draw (1-based) that fails; 0: none */
  p2p_error_t failure; /* what a failing draw returns */
} SeededRandom;

static p2p_error_t seeded_fill(void* context, uint8_t* out, size_t length) {
  SeededRandom* r = (SeededRandom*)context;
  ++r->draws;
  if (r->fail_at != 0 && r->draws == r->fail_at) return r->failure;
  for (size_t i = 0; i < length; ++i) {
    uint64_t z = (r->state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    out[i] = (uint8_t)(z ^ (z >> 31));
  }
  return P2P_OK;
}

static SeededRandom seeded(uint64_t seed) {
  SeededRandom r;
  r.state = seed;
  r.draws = 0;
  r.fail_at = 0;
  r.failure = P2P_ERR_RANDOM;
  return r;
}

static p2p_conn_options_t options_with(SeededRandom* random) {
  p2p_conn_options_t options;
  p2p_conn_options_init(&options);
  options.random = seeded_fill;
  options.random_context = random;
  return options;
}

/* --- Byte logs ---------------------------------------------------------------------- */

enum { kLogCapacity = 4096 };

typedef struct {
  uint8_t bytes[kLogCapacity];
  size_t size;
} Log;

static void log_append(Log* log, const uint8_t* data, size_t n) {
  REQUIRE(log->size + n <= kLogCapacity);
  if (n > 0) memcpy(log->bytes + log->size, data, n);
  log->size += n;
}

/* take_all moves everything c has to send onto |log| with poll_transmit. */
static void take_all(p2p_conn_t* c, Log* log) {
  uint8_t chunk[64];
  size_t n;
  while ((n = p2p_conn_poll_transmit(c, chunk, sizeof chunk)) > 0) log_append(log, chunk, n);
}

/* take_all_in_place does the same with peek/consume, in uneven pieces and mixed with
 * small poll_transmit calls; each view must be a prefix of what is pending. */
static void take_all_in_place(p2p_conn_t* c, Log* log, unsigned* step) {
  for (;;) {
    const size_t pending = p2p_conn_pending_transmit(c);
    const uint8_t* data = NULL;
    size_t length = 99;
    CHECK_CODE(p2p_conn_peek_transmit(c, &data, &length), P2P_OK);
    CHECK(length <= pending);
    if (pending == 0) {
      CHECK(data == NULL && length == 0);
      return;
    }
    REQUIRE(data != NULL && length > 0);
    ++*step;
    if (*step % 3 == 0) { /* a copy through poll_transmit, 1..7 bytes */
      uint8_t small[7], seen[7];
      const size_t want = 1 + *step % sizeof small;
      const size_t shown = want < length ? want : length;
      memcpy(seen, data, shown); /* the view ends with the poll_transmit below */
      const size_t n = p2p_conn_poll_transmit(c, small, want);
      CHECK(n == (want < pending ? want : pending));
      CHECK(memcmp(small, seen, shown) == 0); /* the view's bytes come first */
      log_append(log, small, n);
    } else { /* part of the view, or all of it */
      const size_t n = *step % 2 == 0 ? length : 1 + *step % length;
      log_append(log, data, n);
      CHECK_CODE(p2p_conn_consume_transmit(c, n), P2P_OK);
      CHECK(p2p_conn_pending_transmit(c) == pending - n);
    }
  }
}

/* --- One side of a session ---------------------------------------------------------- */

typedef struct {
  p2p_conn_t* conn;
  int complete, messages, peer_closed;
} Side;

static int pull(Side* s) {
  p2p_event_t event;
  int n = 0;
  while (p2p_conn_poll_event(s->conn, &event)) {
    ++n;
    switch (event.type) {
      case P2P_EVENT_HANDSHAKE_COMPLETE: ++s->complete; break;
      case P2P_EVENT_MESSAGE: ++s->messages; break;
      case P2P_EVENT_PEER_CLOSED: ++s->peer_closed; break;
    }
  }
  return n;
}

/* feed_all offers data[0, length) the polling order's way and pulls every event. */
static p2p_error_t feed_all(Side* s, const uint8_t* data, size_t length) {
  size_t offset = 0;
  for (;;) {
    size_t consumed = 0;
    const p2p_error_t rc =
        p2p_conn_feed(s->conn, length == 0 ? NULL : data + offset, length - offset, 0, &consumed);
    offset += consumed;
    const int events = pull(s);
    /* A failure is also p2p_conn_error's, which records it as the last error again
     * (poll_event recorded P2P_OK). */
    if (rc != P2P_OK) CHECK(p2p_conn_error(s->conn) == rc);
    if (rc != P2P_OK || offset == length || events == 0) return rc;
  }
}

/* feed_new feeds what |log| gained after |from|, if anything (length 0 would be the
 * end of the stream). */
static p2p_error_t feed_new(Side* s, const Log* log, size_t from) {
  if (log->size == from) return P2P_OK;
  return feed_all(s, log->bytes + from, log->size - from);
}

/* check_consistent: p2p_conn_state agrees with p2p_conn_error, the peer key and the
 * events seen so far. */
static void check_consistent(const Side* s) {
  const p2p_conn_state_t state = p2p_conn_state(s->conn);
  CHECK(p2p_last_error() == P2P_OK);
  const p2p_error_t error = p2p_conn_error(s->conn);
  const int has_peer = p2p_conn_peer_public_key(s->conn) != NULL;
  CHECK((state == P2P_STATE_FAILED) == (error != P2P_OK));
  if (error == P2P_OK) {
    CHECK((state == P2P_STATE_HANDSHAKING) == !has_peer);
    CHECK((state == P2P_STATE_ESTABLISHED || state == P2P_STATE_CLOSED) == has_peer);
  }
  if (s->complete) CHECK(state != P2P_STATE_HANDSHAKING);
  if (state == P2P_STATE_HANDSHAKING) CHECK(!s->complete);
}

/* --- p2p_conn_state ------------------------------------------------------------------ */

static void state_through_a_session(void) {
  Side client = {p2p_conn_client(g_client_kp, p2p_keypair_public_key(g_server_kp), 0), 0, 0, 0};
  Side server = {p2p_conn_server(g_server_kp, NULL, 0, 0), 0, 0, 0};
  REQUIRE(client.conn != NULL && server.conn != NULL);
  CHECK(p2p_conn_state(client.conn) == P2P_STATE_HANDSHAKING);
  CHECK(p2p_conn_state(server.conn) == P2P_STATE_HANDSHAKING);
  Log link = {{0}, 0};
  take_all(client.conn, &link); /* ClientHello */
  CHECK_CODE(feed_all(&server, link.bytes, link.size), P2P_OK);
  link.size = 0;
  check_consistent(&server);
  CHECK(p2p_conn_state(server.conn) == P2P_STATE_HANDSHAKING);
  take_all(server.conn, &link); /* ServerHello */
  CHECK_CODE(feed_all(&client, link.bytes, link.size), P2P_OK);
  link.size = 0;
  CHECK(p2p_conn_state(client.conn) == P2P_STATE_HANDSHAKING);
  take_all(client.conn, &link); /* KeyExchange */
  /* The server completes in this feed: ESTABLISHED as soon as the event is queued,
   * before it is taken, like the peer key and send. */
  size_t consumed = 0;
  CHECK_CODE(p2p_conn_feed(server.conn, link.bytes, link.size, 0, &consumed), P2P_OK);
  link.size = 0;
  CHECK(p2p_conn_state(server.conn) == P2P_STATE_ESTABLISHED);
  check_consistent(&server);
  CHECK(pull(&server) == 1 && server.complete == 1);
  check_consistent(&server);
  take_all(server.conn, &link); /* Accept */
  CHECK_CODE(feed_all(&client, link.bytes, link.size), P2P_OK);
  link.size = 0;
  CHECK(client.complete == 1 && p2p_conn_state(client.conn) == P2P_STATE_ESTABLISHED);
  check_consistent(&client);

  /* Half-closed either way is still ESTABLISHED; closed both ways is CLOSED. */
  CHECK_CODE(p2p_conn_close(client.conn), P2P_OK);
  CHECK(p2p_conn_state(client.conn) == P2P_STATE_ESTABLISHED);
  take_all(client.conn, &link);
  CHECK_CODE(feed_all(&server, link.bytes, link.size), P2P_OK);
  link.size = 0;
  CHECK(server.peer_closed == 1 && p2p_conn_state(server.conn) == P2P_STATE_ESTABLISHED);
  CHECK_CODE(p2p_conn_close(server.conn), P2P_OK);
  CHECK(p2p_conn_state(server.conn) == P2P_STATE_CLOSED);
  check_consistent(&server);
  take_all(server.conn, &link);
  CHECK_CODE(feed_all(&client, link.bytes, link.size), P2P_OK);
  CHECK(client.peer_closed == 1 && p2p_conn_state(client.conn) == P2P_STATE_CLOSED);
  check_consistent(&client);
  /* The end of the stream keeps it CLOSED; bytes after the peer's close fail it. */
  CHECK_CODE(feed_all(&client, NULL, 0), P2P_OK);
  CHECK(p2p_conn_state(client.conn) == P2P_STATE_CLOSED);
  CHECK_CODE(feed_all(&client, link.bytes, link.size), P2P_ERR_PROTOCOL);
  CHECK(p2p_conn_state(client.conn) == P2P_STATE_FAILED);
  check_consistent(&client);

  /* Names, and NULL. */
  CHECK(strcmp(p2p_conn_state_name(P2P_STATE_HANDSHAKING), "P2P_STATE_HANDSHAKING") == 0);
  CHECK(strcmp(p2p_conn_state_name(P2P_STATE_ESTABLISHED), "P2P_STATE_ESTABLISHED") == 0);
  CHECK(strcmp(p2p_conn_state_name(P2P_STATE_CLOSED), "P2P_STATE_CLOSED") == 0);
  CHECK(strcmp(p2p_conn_state_name(P2P_STATE_FAILED), "P2P_STATE_FAILED") == 0);
  CHECK(strcmp(p2p_conn_state_name((p2p_conn_state_t)0), "P2P_STATE_UNKNOWN") == 0);
  CHECK(p2p_conn_state(NULL) == P2P_STATE_FAILED);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  p2p_conn_free(client.conn);
  p2p_conn_free(server.conn);
}

/* A failure scenario: the two sides, what to do to them, and what each must report. */
typedef enum {
  kTimeout,
  kGarbageInHandshake,
  kEndOfStreamInHandshake,
  kClientNotAllowed,
  kWrongServer,
  kForgedSignature,
  kServerRandomFails,
  kClientRandomFails,
  kTruncatedSession,
  kTamperedFrame,
  kScenarioCount
} Scenario;

/* run_flights delivers whole flights back and forth four times; |tamper| flips one
 * byte of the client's second flight (the KeyExchange's signature). */
static void run_flights(Side* client, Side* server, int tamper) {
  Log link;
  for (int round = 0; round < 4; ++round) {
    link.size = 0;
    take_all(client->conn, &link);
    if (tamper && round == 1 && link.size > 40) link.bytes[40] ^= 1; /* in the KeyExchange */
    if (link.size > 0) (void)feed_all(server, link.bytes, link.size);
    link.size = 0;
    take_all(server->conn, &link);
    if (link.size > 0) (void)feed_all(client, link.bytes, link.size);
  }
}

static void state_after_every_kind_of_failure(void) {
  static const struct {
    const char* name;
    p2p_error_t client, server; /* P2P_OK: that side does not fail */
  } kExpected[kScenarioCount] = {
      {"timeout", P2P_ERR_TIMEOUT, P2P_OK},
      {"garbage in the handshake", P2P_ERR_PROTOCOL, P2P_OK},
      {"end of stream in the handshake", P2P_OK, P2P_ERR_CONNECTION_CLOSED},
      {"client not allowed", P2P_ERR_REJECTED_BY_PEER, P2P_ERR_PEER_NOT_ALLOWED},
      {"wrong server", P2P_ERR_PEER_NOT_ALLOWED, P2P_ERR_REJECTED_BY_PEER},
      {"forged signature", P2P_ERR_REJECTED_BY_PEER, P2P_ERR_AUTHENTICATION},
      {"server random fails", P2P_ERR_REJECTED_BY_PEER, P2P_ERR_RANDOM},
      {"client random fails", P2P_ERR_RANDOM, P2P_ERR_REJECTED_BY_PEER},
      {"truncated session", P2P_ERR_CONNECTION_CLOSED, P2P_OK},
      {"tampered frame", P2P_OK, P2P_ERR_PROTOCOL},
  };
  for (int scenario = 0; scenario < kScenarioCount; ++scenario) {
    printf("  %s\n", kExpected[scenario].name);
    SeededRandom client_random = seeded(11), server_random = seeded(22);
    if (scenario == kServerRandomFails) server_random.fail_at = 1;
    if (scenario == kClientRandomFails) client_random.fail_at = 1;
    p2p_conn_options_t client_options = options_with(&client_random);
    p2p_conn_options_t server_options = options_with(&server_random);
    const uint8_t* expected =
        p2p_keypair_public_key(scenario == kWrongServer ? g_stranger_kp : g_server_kp);
    const uint8_t* allowed[1] = {
        p2p_keypair_public_key(scenario == kClientNotAllowed ? g_stranger_kp : g_client_kp)};
    Side client = {p2p_conn_client_ex(g_client_kp, expected, &client_options, 0), 0, 0, 0};
    Side server = {p2p_conn_server_ex(g_server_kp, allowed, 1, &server_options, 0), 0, 0, 0};
    REQUIRE(client.conn != NULL && server.conn != NULL);
    static const uint8_t kGarbage[] = {0x42, 0x42};
    switch ((Scenario)scenario) {
      case kTimeout:
        CHECK_CODE(p2p_conn_handle_timeout(client.conn, P2P_DEFAULT_TIMEOUT_MS), P2P_ERR_TIMEOUT);
        break;
      case kGarbageInHandshake: (void)feed_all(&client, kGarbage, sizeof kGarbage); break;
      case kEndOfStreamInHandshake: (void)feed_all(&server, NULL, 0); break;
      case kForgedSignature: run_flights(&client, &server, 1); break;
      case kTruncatedSession:
        run_flights(&client, &server, 0);
        CHECK(p2p_conn_state(client.conn) == P2P_STATE_ESTABLISHED);
        (void)feed_all(&client, NULL, 0);
        break;
      case kTamperedFrame: {
        run_flights(&client, &server, 0);
        CHECK_CODE(p2p_conn_send(client.conn, kGarbage, sizeof kGarbage), P2P_OK);
        Log link = {{0}, 0};
        take_all(client.conn, &link);
        link.bytes[link.size - 1] ^= 1;
        (void)feed_all(&server, link.bytes, link.size);
        break;
      }
      case kClientNotAllowed:
      case kWrongServer:
      case kServerRandomFails:
      case kClientRandomFails: run_flights(&client, &server, 0); break;
      case kScenarioCount: break;
    }
    const Side* sides[2] = {&client, &server};
    const p2p_error_t expected_errors[2] = {kExpected[scenario].client, kExpected[scenario].server};
    for (int i = 0; i < 2; ++i) {
      const Side* s = sides[i];
      CHECK_CODE(p2p_conn_error(s->conn), expected_errors[i]);
      check_consistent(s);
      if (expected_errors[i] == P2P_OK) continue;
      CHECK(p2p_conn_state(s->conn) == P2P_STATE_FAILED);
      /* Terminal: it stays FAILED with the same error, whatever comes next. */
      CHECK_CODE(p2p_conn_handle_timeout(s->conn, UINT64_C(1) << 40), expected_errors[i]);
      size_t consumed = 0;
      CHECK_CODE(p2p_conn_feed(s->conn, kGarbage, sizeof kGarbage, 0, &consumed),
                 expected_errors[i]);
      CHECK_CODE(p2p_conn_send(s->conn, kGarbage, 1), expected_errors[i]);
      CHECK_CODE(p2p_conn_close(s->conn), expected_errors[i]);
      p2p_event_t event;
      CHECK(p2p_conn_poll_event(s->conn, &event) == 0);
      CHECK(p2p_conn_state(s->conn) == P2P_STATE_FAILED);
      check_consistent(s);
    }
    p2p_conn_free(client.conn);
    p2p_conn_free(server.conn);
  }
}

/* --- The random source --------------------------------------------------------------- */

typedef struct {
  Log to_server, to_client;
  int client_draws, server_draws;
} Transcript;

/* seeded_session runs a whole session (handshake, a message each way, close both
 * ways) with seeded sources and records every byte each side sent. */
static void seeded_session(uint64_t client_seed, uint64_t server_seed, Transcript* t) {
  memset(t, 0, sizeof *t);
  SeededRandom client_random = seeded(client_seed), server_random = seeded(server_seed);
  p2p_conn_options_t client_options = options_with(&client_random);
  p2p_conn_options_t server_options = options_with(&server_random);
  Side client = {
      p2p_conn_client_ex(g_client_kp, p2p_keypair_public_key(g_server_kp), &client_options, 0), 0,
      0, 0};
  Side server = {p2p_conn_server_ex(g_server_kp, NULL, 0, &server_options, 0), 0, 0, 0};
  REQUIRE(client.conn != NULL && server.conn != NULL);
  int sent = 0, closed = 0;
  for (int round = 0; round < 8; ++round) {
    const size_t to_server = t->to_server.size, to_client = t->to_client.size;
    take_all(client.conn, &t->to_server);
    take_all(server.conn, &t->to_client);
    CHECK_CODE(feed_new(&server, &t->to_server, to_server), P2P_OK);
    CHECK_CODE(feed_new(&client, &t->to_client, to_client), P2P_OK);
    if (client.complete && server.complete && !sent) {
      CHECK_CODE(p2p_conn_send(client.conn, (const uint8_t*)"ping", 4), P2P_OK);
      CHECK_CODE(p2p_conn_send(server.conn, (const uint8_t*)"pong", 4), P2P_OK);
      sent = 1;
    } else if (sent && !closed) {
      CHECK_CODE(p2p_conn_close(client.conn), P2P_OK);
      CHECK_CODE(p2p_conn_close(server.conn), P2P_OK);
      closed = 1;
    }
  }
  CHECK(client.messages == 1 && server.messages == 1);
  CHECK(p2p_conn_state(client.conn) == P2P_STATE_CLOSED);
  CHECK(p2p_conn_state(server.conn) == P2P_STATE_CLOSED);
  t->client_draws = client_random.draws;
  t->server_draws = server_random.draws;
  p2p_conn_free(client.conn);
  p2p_conn_free(server.conn);
}

static int same_log(const Log* a, const Log* b) {
  return a->size == b->size && memcmp(a->bytes, b->bytes, a->size) == 0;
}

static void seeded_sources_give_identical_sessions(void) {
  static Transcript first, second, other;
  seeded_session(1, 2, &first);
  seeded_session(1, 2, &second);
  /* ClientHello 33 + KeyExchange 97 + 2 frames of 24 + close_notify 20. */
  CHECK(first.to_server.size == 33 + 97 + 24 + 20);
  CHECK(same_log(&first.to_server, &second.to_server));
  CHECK(same_log(&first.to_client, &second.to_client));
  /* The engine drew from the sources: the client its ephemeral key, the server its
   * challenge and ephemeral key. */
  CHECK(first.client_draws >= 1 && first.server_draws >= 2);
  CHECK(first.client_draws == second.client_draws && first.server_draws == second.server_draws);
  /* Another seed on either side: another session from the first byte that is drawn. */
  seeded_session(1, 3, &other);
  CHECK(!same_log(&first.to_client, &other.to_client));
  CHECK(memcmp(first.to_server.bytes, other.to_server.bytes, 33) == 0); /* ClientHello */
  seeded_session(4, 2, &other);
  CHECK(!same_log(&first.to_server, &other.to_server));
  printf("  %lu + %lu bytes, identical; %d client and %d server draws\n",
         (unsigned long)first.to_server.size, (unsigned long)first.to_client.size,
         first.client_draws, first.server_draws);
}

/* What a side sends after its random source failed: Error 0x06 (internal) and
 * nothing else: no message carrying a challenge, a key or a signature. */
static void check_only_internal_error(p2p_conn_t* c) {
  uint8_t out[256];
  const size_t n = p2p_conn_poll_transmit(c, out, sizeof out);
  CHECK(n == 2);
  if (n == 2) CHECK(out[0] == 0xFF && out[1] == 0x06);
}

static void failing_random_source_fails_closed(void) {
  uint8_t hello[64], out[256];
  size_t consumed = 0;
  /* The server's first draw (the challenge) fails: no ServerHello. Any code other
   * than P2P_OK is a failure. */
  const p2p_error_t failures[3] = {P2P_ERR_RANDOM, P2P_ERR_INTERNAL, (p2p_error_t)77};
  for (int i = 0; i < 3; ++i) {
    SeededRandom server_random = seeded(5);
    server_random.fail_at = 1;
    server_random.failure = failures[i];
    p2p_conn_options_t options = options_with(&server_random);
    p2p_conn_t* server = p2p_conn_server_ex(g_server_kp, NULL, 0, &options, 0);
    p2p_conn_t* client = p2p_conn_client(g_client_kp, NULL, 0);
    REQUIRE(server != NULL && client != NULL);
    const size_t hello_size = p2p_conn_poll_transmit(client, hello, sizeof hello);
    CHECK_CODE(p2p_conn_feed(server, hello, hello_size, 0, &consumed), P2P_ERR_RANDOM);
    CHECK(strstr(p2p_last_error_message(), "random") != NULL);
    CHECK(server_random.draws == 1);
    CHECK(p2p_conn_state(server) == P2P_STATE_FAILED);
    CHECK_CODE(p2p_conn_error(server), P2P_ERR_RANDOM);
    check_only_internal_error(server);
    p2p_conn_free(server);
    p2p_conn_free(client);
  }

  /* The server's second draw (its ephemeral key) fails: no Accept. */
  {
    SeededRandom server_random = seeded(5);
    server_random.fail_at = 2;
    p2p_conn_options_t options = options_with(&server_random);
    Side server = {p2p_conn_server_ex(g_server_kp, NULL, 0, &options, 0), 0, 0, 0};
    Side client = {p2p_conn_client(g_client_kp, NULL, 0), 0, 0, 0};
    REQUIRE(server.conn != NULL && client.conn != NULL);
    Log link = {{0}, 0};
    take_all(client.conn, &link);
    CHECK_CODE(feed_all(&server, link.bytes, link.size), P2P_OK);
    link.size = 0;
    take_all(server.conn, &link);
    CHECK(link.size == 65); /* the ServerHello */
    CHECK_CODE(feed_all(&client, link.bytes, link.size), P2P_OK);
    link.size = 0;
    take_all(client.conn, &link);
    CHECK_CODE(feed_all(&server, link.bytes, link.size), P2P_ERR_RANDOM);
    CHECK(server.complete == 0 && p2p_conn_state(server.conn) == P2P_STATE_FAILED);
    check_only_internal_error(server.conn);
    p2p_conn_free(server.conn);
    p2p_conn_free(client.conn);
  }

  /* The client's first draw (its ephemeral key) fails: no KeyExchange. */
  {
    SeededRandom client_random = seeded(6);
    client_random.fail_at = 1;
    p2p_conn_options_t options = options_with(&client_random);
    p2p_conn_t* client = p2p_conn_client_ex(g_client_kp, NULL, &options, 0);
    p2p_conn_t* server = p2p_conn_server(g_server_kp, NULL, 0, 0);
    REQUIRE(client != NULL && server != NULL);
    /* Creating a client draws nothing: its ClientHello is its identity only. */
    CHECK(client_random.draws == 0);
    const size_t hello_size = p2p_conn_poll_transmit(client, hello, sizeof hello);
    CHECK(hello_size == 33);
    CHECK_CODE(p2p_conn_feed(server, hello, hello_size, 0, &consumed), P2P_OK);
    const size_t n = p2p_conn_poll_transmit(server, out, sizeof out);
    CHECK_CODE(p2p_conn_feed(client, out, n, 0, &consumed), P2P_ERR_RANDOM);
    CHECK(p2p_conn_state(client) == P2P_STATE_FAILED);
    check_only_internal_error(client);
    p2p_conn_free(client);
    p2p_conn_free(server);
  }
}

/* The layout of p2p_conn_options_t before the random source was added: a program
 * built with that header passes this size, and gets the system source. */
typedef struct {
  size_t struct_size;
  uint32_t handshake_timeout_ms;
  size_t max_message_size;
  size_t max_pending_output;
  p2p_replay_cache_t* replay_cache;
  p2p_log_fn log;
  void* log_context;
  uint64_t log_id;
  p2p_key_log_fn key_log;
  void* key_log_context;
} FirstOptionsLayout;

static void earlier_options_layout_is_accepted(void) {
  SeededRandom failing = seeded(7);
  failing.fail_at = 1;
  p2p_conn_options_t options = options_with(&failing);
  options.struct_size = sizeof(FirstOptionsLayout);
  /* The random fields lie past that layout: ignored, so the handshake draws from the
   * system source and completes. */
  Side client = {p2p_conn_client_ex(g_client_kp, NULL, &options, 0), 0, 0, 0};
  Side server = {p2p_conn_server_ex(g_server_kp, NULL, 0, &options, 0), 0, 0, 0};
  REQUIRE(client.conn != NULL && server.conn != NULL);
  run_flights(&client, &server, 0);
  CHECK(client.complete == 1 && server.complete == 1);
  CHECK(failing.draws == 0);
  p2p_conn_free(client.conn);
  p2p_conn_free(server.conn);
  /* Any other size is still refused. */
  options.struct_size = sizeof(FirstOptionsLayout) + 1;
  CHECK(p2p_conn_client_ex(g_client_kp, NULL, &options, 0) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  options.struct_size = sizeof(p2p_conn_options_t) + sizeof(void*);
  CHECK(p2p_conn_server_ex(g_server_kp, NULL, 0, &options, 0) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  /* p2p_conn_options_init leaves the random source unset: the system's. */
  p2p_conn_options_init(&options);
  CHECK(options.random == NULL && options.random_context == NULL);
}

/* --- peek_transmit / consume_transmit ----------------------------------------------- */

/* twin_session runs the seeded session of seeded_session, taking output either with
 * poll_transmit (in_place 0) or with peek/consume mixed with poll_transmit; the
 * server sends a message in the same turn as its Accept, so its output sits in two
 * buffers at once. */
static void twin_session(int in_place, Transcript* t, size_t* smallest_view_ratio_hits) {
  memset(t, 0, sizeof *t);
  SeededRandom client_random = seeded(31), server_random = seeded(32);
  p2p_conn_options_t client_options = options_with(&client_random);
  p2p_conn_options_t server_options = options_with(&server_random);
  Side client = {p2p_conn_client_ex(g_client_kp, NULL, &client_options, 0), 0, 0, 0};
  Side server = {p2p_conn_server_ex(g_server_kp, NULL, 0, &server_options, 0), 0, 0, 0};
  REQUIRE(client.conn != NULL && server.conn != NULL);
  unsigned step = 0;
  int server_sent = 0, client_sent = 0;
  for (int round = 0; round < 6; ++round) {
    const size_t to_server = t->to_server.size, to_client = t->to_client.size;
    if (server.complete && !server_sent) {
      /* Accept still queued in the handshake's buffer, the frame in the channel's. */
      const size_t before = p2p_conn_pending_transmit(server.conn);
      CHECK_CODE(p2p_conn_send(server.conn, (const uint8_t*)"early", 5), P2P_OK);
      if (before > 0) {
        const uint8_t* data = NULL;
        size_t length = 0;
        CHECK_CODE(p2p_conn_peek_transmit(server.conn, &data, &length), P2P_OK);
        CHECK(length == before && p2p_conn_pending_transmit(server.conn) == before + 25);
        ++*smallest_view_ratio_hits;
      }
      server_sent = 1;
    }
    if (client.complete && !client_sent) {
      for (int i = 0; i < 3; ++i) {
        CHECK_CODE(p2p_conn_send(client.conn, (const uint8_t*)"from the client", 15), P2P_OK);
      }
      client_sent = 1;
    }
    if (in_place) {
      take_all_in_place(client.conn, &t->to_server, &step);
      take_all_in_place(server.conn, &t->to_client, &step);
    } else {
      take_all(client.conn, &t->to_server);
      take_all(server.conn, &t->to_client);
    }
    CHECK_CODE(feed_new(&server, &t->to_server, to_server), P2P_OK);
    CHECK_CODE(feed_new(&client, &t->to_client, to_client), P2P_OK);
  }
  CHECK(client.messages == 1 && server.messages == 3);
  p2p_conn_free(client.conn);
  p2p_conn_free(server.conn);
}

static void peek_consume_gives_the_poll_transmit_bytes(void) {
  static Transcript copied, in_place;
  size_t two_buffer_cases = 0;
  twin_session(0, &copied, &two_buffer_cases);
  twin_session(1, &in_place, &two_buffer_cases);
  CHECK(two_buffer_cases == 2); /* once per run: the view stopped at the Accept */
  CHECK(copied.to_server.size == 33 + 97 + 3 * 35 && copied.to_client.size == 65 + 97 + 25);
  CHECK(same_log(&copied.to_server, &in_place.to_server));
  CHECK(same_log(&copied.to_client, &in_place.to_client));
}

static void peek_consume_partial_and_misuse(void) {
  p2p_conn_t* client = p2p_conn_client(g_client_kp, NULL, 0);
  REQUIRE(client != NULL);
  const uint8_t* data = NULL;
  size_t length = 0;
  CHECK_CODE(p2p_conn_peek_transmit(client, &data, &length), P2P_OK);
  REQUIRE(data != NULL && length == 33); /* the ClientHello: 0x01 and the client's key */
  CHECK(data[0] == 0x01 && memcmp(data + 1, p2p_keypair_public_key(g_client_kp), 32) == 0);
  uint8_t hello[33];
  memcpy(hello, data, sizeof hello);
  /* Peeking again changes nothing. */
  const uint8_t* again = NULL;
  size_t again_length = 0;
  CHECK_CODE(p2p_conn_peek_transmit(client, &again, &again_length), P2P_OK);
  CHECK(again_length == 33 && memcmp(again, hello, 33) == 0);
  CHECK(p2p_conn_pending_transmit(client) == 33);

  /* Partial: 10 bytes, then the view is the other 23. */
  CHECK_CODE(p2p_conn_consume_transmit(client, 10), P2P_OK);
  CHECK_CODE(p2p_conn_peek_transmit(client, &data, &length), P2P_OK);
  CHECK(length == 23 && memcmp(data, hello + 10, 23) == 0);
  /* Misuse changes nothing: more than the view, NULL arguments. */
  CHECK_CODE(p2p_conn_consume_transmit(client, 24), P2P_ERR_INVALID_ARGUMENT);
  CHECK_CODE(p2p_conn_consume_transmit(client, SIZE_MAX), P2P_ERR_INVALID_ARGUMENT);
  CHECK_CODE(p2p_conn_consume_transmit(NULL, 1), P2P_ERR_INVALID_ARGUMENT);
  CHECK_CODE(p2p_conn_peek_transmit(NULL, &data, &length), P2P_ERR_INVALID_ARGUMENT);
  CHECK(data == NULL && length == 0);
  CHECK_CODE(p2p_conn_peek_transmit(client, NULL, &length), P2P_ERR_INVALID_ARGUMENT);
  CHECK_CODE(p2p_conn_peek_transmit(client, &data, NULL), P2P_ERR_INVALID_ARGUMENT);
  CHECK(data == NULL);
  CHECK(p2p_conn_pending_transmit(client) == 23);
  CHECK_CODE(p2p_conn_consume_transmit(client, 0), P2P_OK);
  CHECK(p2p_conn_pending_transmit(client) == 23);
  /* Mixed with poll_transmit: 5 copied, the view moves on by 5. */
  uint8_t out[8];
  CHECK(p2p_conn_poll_transmit(client, out, 5) == 5 && memcmp(out, hello + 10, 5) == 0);
  CHECK_CODE(p2p_conn_peek_transmit(client, &data, &length), P2P_OK);
  CHECK(length == 18 && memcmp(data, hello + 15, 18) == 0);
  CHECK_CODE(p2p_conn_consume_transmit(client, 18), P2P_OK);
  CHECK_CODE(p2p_conn_peek_transmit(client, &data, &length), P2P_OK);
  CHECK(data == NULL && length == 0);
  CHECK_CODE(p2p_conn_consume_transmit(client, 1), P2P_ERR_INVALID_ARGUMENT);
  CHECK_CODE(p2p_conn_error(client), P2P_OK); /* misuse is never terminal */

  /* A failed handshake shows its Error message, as poll_transmit would. */
  static const uint8_t kGarbage[] = {0x42};
  size_t consumed = 0;
  CHECK_CODE(p2p_conn_feed(client, kGarbage, 1, 0, &consumed), P2P_ERR_PROTOCOL);
  CHECK_CODE(p2p_conn_peek_transmit(client, &data, &length), P2P_OK);
  CHECK(length == 2 && data[0] == 0xFF && data[1] == 0x01);
  CHECK_CODE(p2p_conn_consume_transmit(client, 2), P2P_OK);
  CHECK(p2p_conn_pending_transmit(client) == 0);
  p2p_conn_free(client);
}

static void peek_view_after_send_and_channel_failure(void) {
  Side client = {p2p_conn_client(g_client_kp, NULL, 0), 0, 0, 0};
  Side server = {p2p_conn_server(g_server_kp, NULL, 0, 0), 0, 0, 0};
  REQUIRE(client.conn != NULL && server.conn != NULL);
  run_flights(&client, &server, 0);
  REQUIRE(client.complete == 1 && server.complete == 1);
  /* One frame queued; peek; a send (which may move the queue) ends that view: the
   * next peek shows the same first frame followed by the new one. */
  CHECK_CODE(p2p_conn_send(client.conn, (const uint8_t*)"one", 3), P2P_OK);
  const uint8_t* data = NULL;
  size_t length = 0;
  CHECK_CODE(p2p_conn_peek_transmit(client.conn, &data, &length), P2P_OK);
  REQUIRE(length == 23);
  uint8_t first[23];
  memcpy(first, data, sizeof first);
  CHECK_CODE(p2p_conn_consume_transmit(client.conn, 4), P2P_OK); /* the length header */
  CHECK_CODE(p2p_conn_send(client.conn, (const uint8_t*)"two", 3), P2P_OK);
  CHECK_CODE(p2p_conn_peek_transmit(client.conn, &data, &length), P2P_OK);
  CHECK(length == 19 + 23 && memcmp(data, first + 4, 19) == 0);
  /* The peer gets both messages from the bytes taken in place. */
  Log link = {{0}, 0};
  log_append(&link, first, 4);
  log_append(&link, data, length);
  CHECK_CODE(p2p_conn_consume_transmit(client.conn, length), P2P_OK);
  CHECK_CODE(feed_all(&server, link.bytes, link.size), P2P_OK);
  CHECK(server.messages == 2);
  /* A channel that failed sends nothing, not even frames queued before: the view is
   * empty although they were never taken. */
  CHECK_CODE(p2p_conn_send(client.conn, (const uint8_t*)"lost", 4), P2P_OK);
  CHECK_CODE(feed_all(&client, NULL, 0), P2P_ERR_CONNECTION_CLOSED);
  CHECK_CODE(p2p_conn_peek_transmit(client.conn, &data, &length), P2P_OK);
  CHECK(data == NULL && length == 0);
  CHECK(p2p_conn_pending_transmit(client.conn) == 0);
  CHECK(p2p_conn_state(client.conn) == P2P_STATE_FAILED);
  p2p_conn_free(client.conn);
  p2p_conn_free(server.conn);
}

int main(void) {
  g_client_kp = p2p_keypair_generate();
  g_server_kp = p2p_keypair_generate();
  g_stranger_kp = p2p_keypair_generate();
  REQUIRE(g_client_kp != NULL && g_server_kp != NULL && g_stranger_kp != NULL);

  RUN_TEST(state_through_a_session);
  RUN_TEST(state_after_every_kind_of_failure);
  RUN_TEST(seeded_sources_give_identical_sessions);
  RUN_TEST(failing_random_source_fails_closed);
  RUN_TEST(earlier_options_layout_is_accepted);
  RUN_TEST(peek_consume_gives_the_poll_transmit_bytes);
  RUN_TEST(peek_consume_partial_and_misuse);
  RUN_TEST(peek_view_after_send_and_channel_failure);

  p2p_keypair_free(g_client_kp);
  p2p_keypair_free(g_server_kp);
  p2p_keypair_free(g_stranger_kp);
  return c_harness_finish("capi_embedder_test");
}
