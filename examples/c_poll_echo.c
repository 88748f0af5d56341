/* Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
 *
 * c_poll_echo: the sans-IO engine from C. A client and an echo server, each a
 * p2p_conn_t on one end of a socketpair, driven by a single poll() loop with
 * CLOCK_MONOTONIC as the clock. The library never touches the sockets: this file
 * reads, writes, waits and keeps time, in the polling order of p2pnet.h:
 *   1. drain p2p_conn_poll_transmit into the socket;
 *   2. feed what was read, pull every event, feed the rest (length 0 at end of stream);
 *   3. wake for p2p_conn_next_timeout_ms and call p2p_conn_handle_timeout;
 *   4. send and close once the handshake is complete.
 * The client sends three lines and closes after the last echo; the server echoes and
 * answers close_notify with its own. Exits 0 when every echo came back and both
 * sides closed cleanly. POSIX (socketpair, poll); docs/event-loops.md walks through it. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "p2pnet.h"

static const char* const kLines[] = {"hello over a socketpair", "the engine never saw a socket",
                                     "bye"};
enum { kLineCount = 3, kIoSize = 16384 };

/* One end: its connection, its socket, and the bytes on their way in and out. */
typedef struct {
  const char* name;
  int is_client;
  int fd;
  p2p_conn_t* conn;
  uint8_t out[kIoSize]; /* taken from poll_transmit, not yet written */
  size_t out_begin, out_end;
  uint8_t in[kIoSize]; /* read, not yet consumed by the engine */
  size_t in_end;
  int read_eof, write_shut, sent_close, peer_closed;
  int sent, echoed;
  p2p_error_t failure;
} End;

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void fail(End* e, p2p_error_t error) {
  if (e->failure != P2P_OK) return;
  e->failure = error;
  printf("[%s] [ERROR] %s: %s\n", e->name, p2p_error_name(error), p2p_last_error_message());
}

static void send_line(End* e, const char* line) {
  const p2p_error_t rc = p2p_conn_send(e->conn, (const uint8_t*)line, strlen(line));
  if (rc != P2P_OK) {
    fail(e, rc);
    return;
  }
  printf("[%s] [SEND] %s\n", e->name, line);
  ++e->sent;
}

static void close_once(End* e) {
  if (e->sent_close) return;
  const p2p_error_t rc = p2p_conn_close(e->conn);
  if (rc != P2P_OK) {
    fail(e, rc);
    return;
  }
  e->sent_close = 1;
  printf("[%s] [INFO] close_notify sent\n", e->name);
}

/* on_event is the application. event->data stays valid until the next feed, so the
 * server can echo straight from it. */
static void on_event(End* e, const p2p_event_t* event) {
  switch (event->type) {
    case P2P_EVENT_HANDSHAKE_COMPLETE: {
      char peer[P2P_PUBLIC_KEY_TEXT_SIZE];
      p2p_public_key_to_text(p2p_conn_peer_public_key(e->conn), peer);
      printf("[%s] [OK] Handshake complete, peer %.15s...\n", e->name, peer);
      if (e->is_client) send_line(e, kLines[0]);
      break;
    }
    case P2P_EVENT_MESSAGE:
      if (!e->is_client) {
        const p2p_error_t rc = p2p_conn_send(e->conn, event->data, event->length);
        if (rc != P2P_OK) {
          fail(e, rc);
          return;
        }
        printf("[%s] [ECHO] %.*s\n", e->name, (int)event->length, (const char*)event->data);
        break;
      }
      printf("[%s] [RECV] %.*s\n", e->name, (int)event->length, (const char*)event->data);
      if (e->echoed >= kLineCount || event->length != strlen(kLines[e->echoed]) ||
          memcmp(event->data, kLines[e->echoed], event->length) != 0) {
        printf("[%s] [ERROR] not the line that was sent\n", e->name);
        e->failure = P2P_ERR_INTERNAL;
        return;
      }
      if (++e->echoed < kLineCount) {
        send_line(e, kLines[e->echoed]);
      } else {
        close_once(e);
      }
      break;
    case P2P_EVENT_PEER_CLOSED:
      e->peer_closed = 1;
      printf("[%s] [INFO] Peer sent close_notify\n", e->name);
      close_once(e); /* answer it: the server's half of a clean close */
      break;
  }
}

/* process gives the engine what was read, stopping after each event as it asks. */
static void process(End* e) {
  size_t begin = 0;
  while (e->failure == P2P_OK && begin < e->in_end) {
    size_t consumed = 0;
    const p2p_error_t rc =
        p2p_conn_feed(e->conn, e->in + begin, e->in_end - begin, now_ms(), &consumed);
    begin += consumed;
    p2p_event_t event;
    while (p2p_conn_poll_event(e->conn, &event)) on_event(e, &event);
    if (rc != P2P_OK) fail(e, rc);
  }
  memmove(e->in, e->in + begin, e->in_end - begin);
  e->in_end -= begin;
}

static void on_readable(End* e) {
  const ssize_t n = recv(e->fd, e->in + e->in_end, sizeof e->in - e->in_end, 0);
  if (n > 0) {
    e->in_end += (size_t)n;
    process(e);
  } else if (n == 0) { /* end of stream: clean only after the peer's close_notify */
    e->read_eof = 1;
    size_t consumed = 0;
    const p2p_error_t rc = p2p_conn_feed(e->conn, NULL, 0, now_ms(), &consumed);
    if (rc != P2P_OK) fail(e, rc);
  } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    perror("recv");
    e->failure = P2P_ERR_SYSTEM;
  }
}

/* flush writes what the engine has to send, as far as the socket takes it; once
 * close_notify is out, it shuts the write side down so the peer reads end of stream.
 * A failed connection may still hold an Error message for the peer: that goes too. */
static void flush(End* e) {
  for (;;) {
    if (e->out_begin == e->out_end) {
      e->out_begin = 0;
      e->out_end = p2p_conn_poll_transmit(e->conn, e->out, sizeof e->out);
      if (e->out_end == 0) break;
    }
    const ssize_t n = send(e->fd, e->out + e->out_begin, e->out_end - e->out_begin, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return; /* wait for POLLOUT */
      perror("send");
      e->failure = P2P_ERR_SYSTEM;
      return;
    }
    e->out_begin += (size_t)n;
  }
  if ((e->sent_close || e->failure != P2P_OK) && !e->write_shut) {
    shutdown(e->fd, SHUT_WR);
    e->write_shut = 1;
  }
}

static int finished(const End* e) {
  return e->failure != P2P_OK || (e->read_eof && e->write_shut && e->out_begin == e->out_end);
}

int main(void) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
    perror("socketpair");
    return 1;
  }
  for (int i = 0; i < 2; ++i) fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);

  /* Fresh identities; a real program loads them with p2p_keypair_load. */
  p2p_keypair_t* client_key = p2p_keypair_generate();
  p2p_keypair_t* server_key = p2p_keypair_generate();
  if (client_key == NULL || server_key == NULL) {
    printf("[ERROR] %s\n", p2p_last_error_message());
    return 1;
  }
  printf("p2pnet %s: client and echo server in one poll() loop\n", p2p_version());

  End ends[2];
  memset(ends, 0, sizeof ends);
  End* client = &ends[0];
  End* server = &ends[1];
  client->name = "client";
  client->is_client = 1;
  client->fd = fds[0];
  server->name = "server";
  server->fd = fds[1];
  /* The connections copy what they need: the keypairs could be freed right here. */
  const uint8_t* allowed[1] = {p2p_keypair_public_key(client_key)};
  client->conn = p2p_conn_client(client_key, p2p_keypair_public_key(server_key), now_ms());
  server->conn = p2p_conn_server(server_key, allowed, 1, now_ms());
  if (client->conn == NULL || server->conn == NULL) {
    printf("[ERROR] %s\n", p2p_last_error_message());
    return 1;
  }

  const uint64_t give_up = now_ms() + 30000; /* this demo's own bound, beyond the handshake's */
  while (!(finished(client) && finished(server))) {
    struct pollfd pfds[2];
    int64_t wake = (int64_t)give_up;
    for (int i = 0; i < 2; ++i) {
      flush(&ends[i]);
      pfds[i].fd = ends[i].fd;
      pfds[i].events = (short)((ends[i].read_eof ? 0 : POLLIN) |
                               (ends[i].out_begin != ends[i].out_end ? POLLOUT : 0));
      pfds[i].revents = 0;
      const int64_t deadline = p2p_conn_next_timeout_ms(ends[i].conn); /* -1: none */
      if (deadline >= 0 && deadline < wake) wake = deadline;
    }
    const uint64_t now = now_ms();
    if (now >= give_up) {
      printf("[ERROR] gave up after 30 s\n");
      break;
    }
    const int timeout = wake > (int64_t)now ? (int)(wake - (int64_t)now) : 0;
    if (poll(pfds, 2, timeout) < 0 && errno != EINTR) {
      perror("poll");
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) on_readable(&ends[i]);
      const p2p_error_t rc = p2p_conn_handle_timeout(ends[i].conn, now_ms());
      if (rc != P2P_OK) fail(&ends[i], rc);
    }
  }

  const int ok = client->failure == P2P_OK && server->failure == P2P_OK &&
                 client->echoed == kLineCount && client->peer_closed && server->peer_closed;
  printf(
      ok ? "[OK] %d lines echoed, both sides closed cleanly\n" : "[ERROR] %d of the lines echoed\n",
      client->echoed);
  p2p_conn_free(client->conn); /* wipes the keys */
  p2p_conn_free(server->conn);
  p2p_keypair_free(client_key);
  p2p_keypair_free(server_key);
  close(fds[0]);
  close(fds[1]);
  return ok ? 0 : 1;
}
