/* Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
 *
 * capi_adopt_test.c: p2p_socket_adopt, compiled as C11. The blocking API over sockets
 * the caller made:
 *   - both ends of a socketpair(AF_UNIX) adopted, blocking handshake in two threads;
 *   - one adopted end blocking, the other end driven by the sans-IO API;
 *   - TCP sockets the caller connected and accepted, and a listener the caller made
 *     (with Winsock SOCKETs in the Windows build);
 *   - what is refused (not a socket, not a stream socket), left open and unchanged;
 *   - what adopting changes (non-blocking, TCP_NODELAY) and what it leaves alone;
 *   - the session key of p2p_session_key, wiped at each way a session can end (a bad
 *     frame, a stream cut short, a peer gone, close_notify both ways), and kept when
 *     a receive only timed out.
 * Every wait is bounded by a socket timeout, so a bug fails the test instead of
 * hanging it. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "c_harness.h"
#include "p2pnet.h"

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
typedef SOCKET native_socket;
#define BAD_SOCKET INVALID_SOCKET
#define close_native closesocket
#else
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
typedef int native_socket;
#define BAD_SOCKET (-1)
#define close_native close
#endif

enum { kTimeoutMs = 10000 };

static p2p_keypair_t* g_client_kp;
static p2p_keypair_t* g_server_kp;

/* A blocking echo server on an adopted socket: one handshake, echo until the
 * client's close_notify, answer it. */
typedef struct {
  p2p_socket_t* sock;
  int handshake_ok;
  p2p_error_t error;
  int echoed;
  int clean_close;
} ServerJob;

static void* serve_one(void* arg) {
  ServerJob* job = (ServerJob*)arg;
  const uint8_t* allowed[1] = {p2p_keypair_public_key(g_client_kp)};
  p2p_session_t* session = p2p_handshake_server(job->sock, g_server_kp, allowed, 1);
  if (session == NULL) {
    job->error = p2p_last_error();
    return NULL;
  }
  job->handshake_ok = 1;
  for (;;) {
    uint8_t buffer[256];
    size_t n = 0;
    const p2p_error_t rc = p2p_session_receive(session, buffer, sizeof buffer, &n);
    if (rc == P2P_ERR_PEER_CLOSED) {
      job->clean_close = p2p_session_close(session) == P2P_OK;
      break;
    }
    if (rc != P2P_OK || p2p_session_send(session, buffer, n) != P2P_OK) {
      job->error = p2p_last_error();
      break;
    }
    ++job->echoed;
  }
  p2p_session_free(session);
  return NULL;
}

/* blocking_client_session: handshake, two echoes, close; on the adopted |sock|. */
static void blocking_client_session(p2p_socket_t* sock) {
  p2p_session_t* session =
      p2p_handshake_client(sock, g_client_kp, p2p_keypair_public_key(g_server_kp));
  CHECK(session != NULL);
  if (session == NULL) return;
  CHECK(memcmp(p2p_session_peer_pubkey(session), p2p_keypair_public_key(g_server_kp),
               P2P_PUBLIC_KEY_SIZE) == 0);
  const char* lines[] = {"over an adopted socket", "twice"};
  for (int i = 0; i < 2; ++i) {
    CHECK(p2p_session_send(session, (const uint8_t*)lines[i], strlen(lines[i])) == P2P_OK);
    uint8_t buffer[64];
    size_t n = 0;
    CHECK(p2p_session_receive(session, buffer, sizeof buffer, &n) == P2P_OK);
    CHECK(n == strlen(lines[i]) && memcmp(buffer, lines[i], n) == 0);
  }
  CHECK(p2p_session_close(session) == P2P_OK);
  uint8_t buffer[8];
  size_t n = 0;
  CHECK(p2p_session_receive(session, buffer, sizeof buffer, &n) == P2P_ERR_PEER_CLOSED);
  p2p_session_free(session);
}

/* run_pair: |server_sock| served on a thread, |client_sock| by the caller. */
static void run_pair(p2p_socket_t* client_sock, p2p_socket_t* server_sock) {
  REQUIRE(client_sock != NULL && server_sock != NULL);
  CHECK(p2p_socket_set_timeout(client_sock, kTimeoutMs) == P2P_OK);
  CHECK(p2p_socket_set_timeout(server_sock, kTimeoutMs) == P2P_OK);
  ServerJob job;
  memset(&job, 0, sizeof job);
  job.sock = server_sock;
  pthread_t thread;
  REQUIRE(pthread_create(&thread, NULL, serve_one, &job) == 0);
  blocking_client_session(client_sock);
  pthread_join(thread, NULL);
  CHECK(job.handshake_ok);
  CHECK(job.echoed == 2);
  CHECK(job.clean_close);
  if (!job.handshake_ok || !job.clean_close) {
    fprintf(stderr, "  server saw %s\n", p2p_error_name(job.error));
  }
}

/* tcp_pair: a connected pair of TCP sockets made with the system's calls, not the
 * library's, plus the listener they came from. */
static void tcp_pair(native_socket* client, native_socket* accepted, native_socket* listener) {
  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  *listener = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(*listener != BAD_SOCKET);
  REQUIRE(bind(*listener, (struct sockaddr*)&address, sizeof address) == 0);
  REQUIRE(listen(*listener, 4) == 0);
  socklen_t length = sizeof address;
  REQUIRE(getsockname(*listener, (struct sockaddr*)&address, &length) == 0);
  *client = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(*client != BAD_SOCKET);
  REQUIRE(connect(*client, (struct sockaddr*)&address, sizeof address) == 0);
  *accepted = accept(*listener, NULL, NULL);
  REQUIRE(*accepted != BAD_SOCKET);
}

static void adopt_tcp_sockets_from_the_caller(void) {
  native_socket client, accepted, listener;
  tcp_pair(&client, &accepted, &listener);
  p2p_socket_t* client_sock = p2p_socket_adopt((intptr_t)client);
  CHECK(p2p_last_error() == P2P_OK);
  p2p_socket_t* server_sock = p2p_socket_adopt((intptr_t)accepted);
  run_pair(client_sock, server_sock);
  p2p_socket_close(client_sock);
  p2p_socket_close(server_sock);

  /* The caller's listener, adopted: the library accepts on it. */
  p2p_socket_t* adopted_listener = p2p_socket_adopt((intptr_t)listener);
  REQUIRE(adopted_listener != NULL);
  const uint16_t port = p2p_socket_local_port(adopted_listener);
  CHECK(port != 0);
  p2p_socket_t* connected = p2p_socket_connect("127.0.0.1", port, kTimeoutMs);
  REQUIRE(connected != NULL);
  p2p_socket_t* taken = p2p_socket_accept(adopted_listener, kTimeoutMs);
  run_pair(connected, taken);
  p2p_socket_close(connected);
  p2p_socket_close(taken);
  p2p_socket_close(adopted_listener);
}

#ifndef _WIN32
static int int_option(int fd, int level, int name) {
  int value = -1;
  socklen_t length = sizeof value;
  REQUIRE(getsockopt(fd, level, name, &value, &length) == 0);
  return value;
}

/* Adopting changes exactly what p2pnet.h says (non-blocking, TCP_NODELAY; no
 * SO_NOSIGPIPE on Linux) and nothing else the caller set. */
static void adopt_changes_only_what_it_documents(void) {
  native_socket client, accepted, listener;
  tcp_pair(&client, &accepted, &listener);
  const int one = 1;
  REQUIRE(setsockopt(client, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one) == 0);
  REQUIRE(fcntl(client, F_SETFD, 0) == 0); /* close-on-exec off */
  const int rcvbuf = int_option(client, SOL_SOCKET, SO_RCVBUF);
  CHECK(int_option(client, IPPROTO_TCP, TCP_NODELAY) == 0);
  CHECK((fcntl(client, F_GETFL) & O_NONBLOCK) == 0);
  p2p_socket_t* sock = p2p_socket_adopt((intptr_t)client);
  REQUIRE(sock != NULL);
  CHECK((fcntl(client, F_GETFL) & O_NONBLOCK) != 0);
  CHECK(int_option(client, IPPROTO_TCP, TCP_NODELAY) != 0);
  CHECK((fcntl(client, F_GETFD) & FD_CLOEXEC) == 0);
  CHECK(int_option(client, SOL_SOCKET, SO_KEEPALIVE) != 0);
  CHECK(int_option(client, SOL_SOCKET, SO_RCVBUF) == rcvbuf);
  p2p_socket_close(sock);
  close_native(accepted);
  close_native(listener);
}
#endif

static void adopt_refuses_what_is_not_a_stream_socket(void) {
  CHECK(p2p_socket_adopt(-1) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  /* A datagram socket: refused, and still the caller's to use and close. */
  native_socket udp = socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(udp != BAD_SOCKET);
  CHECK(p2p_socket_adopt((intptr_t)udp) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  CHECK(strstr(p2p_last_error_message(), "stream") != NULL);
#ifndef _WIN32
  CHECK(fcntl(udp, F_GETFD) != -1);               /* not closed */
  CHECK((fcntl(udp, F_GETFL) & O_NONBLOCK) == 0); /* not changed */
  /* Descriptors that are no socket at all: a pipe, and one that is not open. */
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  CHECK(p2p_socket_adopt(pipe_fds[0]) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  CHECK(strstr(p2p_last_error_message(), "not a socket") != NULL);
  CHECK(fcntl(pipe_fds[0], F_GETFD) != -1);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  CHECK(p2p_socket_adopt(pipe_fds[0]) == NULL); /* closed just now */
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  CHECK(p2p_socket_adopt((intptr_t)INT32_MAX + 1) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
#endif
  close_native(udp);
}

#ifndef _WIN32

static void adopt_socketpair_blocking_both_ends(void) {
  int fds[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  p2p_socket_t* a = p2p_socket_adopt(fds[0]);
  p2p_socket_t* b = p2p_socket_adopt(fds[1]);
  REQUIRE(a != NULL && b != NULL);
  /* The blocking driver waits with poll(); the socket itself is non-blocking. */
  CHECK((fcntl(fds[0], F_GETFL) & O_NONBLOCK) != 0);
  run_pair(a, b);
  p2p_socket_close(a);
  p2p_socket_close(b);
  /* p2p_socket_close closed the adopted descriptors. */
  errno = 0;
  CHECK(fcntl(fds[0], F_GETFD) == -1 && errno == EBADF);
  CHECK(fcntl(fds[1], F_GETFD) == -1 && errno == EBADF);
}

static uint64_t monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* write_all writes out everything the connection has to send (the descriptor is
 * blocking: this side is the simplest possible sans-IO embedder). */
static int write_all(int fd, p2p_conn_t* conn) {
  uint8_t out[1024];
  size_t n;
  while ((n = p2p_conn_poll_transmit(conn, out, sizeof out)) > 0) {
    size_t done = 0;
    while (done < n) {
      const ssize_t w = send(fd, out + done, n - done, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return 0;
      done += (size_t)w;
    }
  }
  return 1;
}

/* One side adopted and blocking (server thread), the other a sans-IO client on the
 * raw descriptor, reading with poll() under the handshake deadline. */
static void adopt_socketpair_with_a_sans_io_peer(void) {
  int fds[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  p2p_socket_t* server_sock = p2p_socket_adopt(fds[1]);
  REQUIRE(server_sock != NULL);
  CHECK(p2p_socket_set_timeout(server_sock, kTimeoutMs) == P2P_OK);
  ServerJob job;
  memset(&job, 0, sizeof job);
  job.sock = server_sock;
  pthread_t thread;
  REQUIRE(pthread_create(&thread, NULL, serve_one, &job) == 0);

  p2p_conn_t* conn =
      p2p_conn_client(g_client_kp, p2p_keypair_public_key(g_server_kp), monotonic_ms());
  REQUIRE(conn != NULL);
  const char* question = "sans-IO meets blocking";
  int echoed = 0, established = 0, peer_closed = 0;
  const uint64_t give_up = monotonic_ms() + kTimeoutMs;
  uint8_t in[4096];
  while (!peer_closed && p2p_conn_error(conn) == P2P_OK && monotonic_ms() < give_up) {
    CHECK(write_all(fds[0], conn));
    struct pollfd pfd = {fds[0], POLLIN, 0};
    if (poll(&pfd, 1, 100) <= 0) {
      (void)p2p_conn_handle_timeout(conn, monotonic_ms());
      continue;
    }
    const ssize_t n = recv(fds[0], in, sizeof in, 0);
    size_t offset = 0, consumed = 0;
    if (n <= 0) {
      (void)p2p_conn_feed(conn, NULL, 0, monotonic_ms(), &consumed);
      break;
    }
    while (offset < (size_t)n) {
      const p2p_error_t rc =
          p2p_conn_feed(conn, in + offset, (size_t)n - offset, monotonic_ms(), &consumed);
      offset += consumed;
      p2p_event_t event;
      while (p2p_conn_poll_event(conn, &event)) {
        if (event.type == P2P_EVENT_HANDSHAKE_COMPLETE) {
          established = 1;
          CHECK(p2p_conn_send(conn, (const uint8_t*)question, strlen(question)) == P2P_OK);
        } else if (event.type == P2P_EVENT_MESSAGE) {
          CHECK(event.length == strlen(question) &&
                memcmp(event.data, question, event.length) == 0);
          ++echoed;
          CHECK(p2p_conn_close(conn) == P2P_OK);
        } else {
          peer_closed = 1;
        }
      }
      if (rc != P2P_OK) break;
    }
  }
  CHECK(write_all(fds[0], conn));
  CHECK(established && echoed == 1 && peer_closed);
  CHECK_CODE(p2p_conn_error(conn), P2P_OK);
  pthread_join(thread, NULL);
  CHECK(job.handshake_ok && job.echoed == 1 && job.clean_close);
  p2p_conn_free(conn);
  p2p_socket_close(server_sock);
  close(fds[0]);
}

/* What the peer does once its handshake is done, for the session key tests. */
typedef enum {
  kPeerSendsJunk,     /* a frame that does not authenticate: the engine fails */
  kPeerEndsStream,    /* end of stream without close_notify: truncated */
  kPeerGoesAway,      /* the socket is closed: the transport fails under the engine */
  kPeerClosesCleanly, /* waits for our close_notify, answers it */
} PeerAct;

typedef struct {
  p2p_socket_t* sock;
  int raw_fd;
  PeerAct act;
  int handshake_ok;
  int got_go;
} PeerJob;

static void* act_as_peer(void* arg) {
  PeerJob* job = (PeerJob*)arg;
  const uint8_t* allowed[1] = {p2p_keypair_public_key(g_client_kp)};
  p2p_session_t* session = p2p_handshake_server(job->sock, g_server_kp, allowed, 1);
  if (session == NULL) return NULL;
  job->handshake_ok = 1;
  /* The client's first message says its handshake is over, so nothing below can
   * arrive together with the Accept and fail the handshake instead. */
  uint8_t go[8];
  size_t go_size = 0;
  if (p2p_session_receive(session, go, sizeof go, &go_size) != P2P_OK) {
    p2p_session_free(session);
    return NULL;
  }
  job->got_go = 1;
  switch (job->act) {
    case kPeerSendsJunk: {
      uint8_t junk[3 + 4 + 16] = {0, 0, 0, 3}; /* L = 3, then a tag of zeros */
      (void)send(job->raw_fd, junk, sizeof junk, MSG_NOSIGNAL);
      break;
    }
    case kPeerEndsStream: (void)shutdown(job->raw_fd, SHUT_WR); break;
    case kPeerGoesAway: break; /* the main thread closes the socket after the join */
    case kPeerClosesCleanly: {
      uint8_t buffer[8];
      size_t n = 0;
      if (p2p_session_receive(session, buffer, sizeof buffer, &n) == P2P_ERR_PEER_CLOSED) {
        (void)p2p_session_close(session);
      }
      break;
    }
  }
  p2p_session_free(session);
  return NULL;
}

static int all_zero(const uint8_t* bytes, size_t n) {
  uint8_t any = 0;
  for (size_t i = 0; i < n; ++i) any |= bytes[i];
  return any == 0;
}

/* session_key_after: a blocking client session whose peer does |act|. The key
 * p2p_session_key gave out is wiped (the pointer stays valid, reading zeros) as soon
 * as the session ends, whichever way, and p2p_session_key then refuses (STATE); a
 * session that failed returns its error from every later call. */
static void session_key_after(PeerAct act) {
  int fds[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  p2p_socket_t* client_sock = p2p_socket_adopt(fds[0]);
  p2p_socket_t* server_sock = p2p_socket_adopt(fds[1]);
  REQUIRE(client_sock != NULL && server_sock != NULL);
  CHECK(p2p_socket_set_timeout(client_sock, kTimeoutMs) == P2P_OK);
  CHECK(p2p_socket_set_timeout(server_sock, kTimeoutMs) == P2P_OK);
  PeerJob job;
  memset(&job, 0, sizeof job);
  job.sock = server_sock;
  job.raw_fd = fds[1];
  job.act = act;
  pthread_t thread;
  REQUIRE(pthread_create(&thread, NULL, act_as_peer, &job) == 0);

  p2p_session_t* session =
      p2p_handshake_client(client_sock, g_client_kp, p2p_keypair_public_key(g_server_kp));
  REQUIRE(session != NULL);
  const uint8_t* key = p2p_session_key(session);
  REQUIRE(key != NULL);
  CHECK(!all_zero(key, P2P_SESSION_KEY_SIZE));
  CHECK_CODE(p2p_session_send(session, (const uint8_t*)"go", 2), P2P_OK);

  uint8_t buffer[64];
  size_t n = 0;
  p2p_error_t failure = P2P_OK;
  switch (act) {
    case kPeerSendsJunk:
      failure = p2p_session_receive(session, buffer, sizeof buffer, &n);
      CHECK(failure == P2P_ERR_PROTOCOL);
      break;
    case kPeerEndsStream:
      failure = p2p_session_receive(session, buffer, sizeof buffer, &n);
      CHECK(failure == P2P_ERR_CONNECTION_CLOSED);
      break;
    case kPeerGoesAway:
      pthread_join(thread, NULL);
      p2p_socket_close(server_sock);
      server_sock = NULL;
      failure = p2p_session_send(session, (const uint8_t*)"x", 1);
      CHECK(failure == P2P_ERR_CONNECTION_CLOSED || failure == P2P_ERR_SYSTEM);
      break;
    case kPeerClosesCleanly:
      /* A receive that only timed out changes nothing: the key stays. */
      CHECK(p2p_socket_set_timeout(client_sock, 20) == P2P_OK);
      CHECK_CODE(p2p_session_receive(session, buffer, sizeof buffer, &n), P2P_ERR_TIMEOUT);
      CHECK(p2p_session_key(session) == key && !all_zero(key, P2P_SESSION_KEY_SIZE));
      CHECK(p2p_socket_set_timeout(client_sock, kTimeoutMs) == P2P_OK);
      CHECK_CODE(p2p_session_close(session), P2P_OK);
      CHECK(p2p_session_key(session) == key); /* still open towards us */
      CHECK_CODE(p2p_session_receive(session, buffer, sizeof buffer, &n), P2P_ERR_PEER_CLOSED);
      break;
  }
  CHECK(p2p_session_key(session) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_STATE);
  CHECK(all_zero(key, P2P_SESSION_KEY_SIZE));
  if (failure != P2P_OK) {
    /* Failure is terminal: the same error, from every call. */
    CHECK_CODE(p2p_session_send(session, (const uint8_t*)"y", 1), failure);
    CHECK_CODE(p2p_session_receive(session, buffer, sizeof buffer, &n), failure);
    CHECK_CODE(p2p_session_close(session), failure);
  }
  p2p_session_free(session);
  if (act != kPeerGoesAway) pthread_join(thread, NULL);
  CHECK(job.handshake_ok && job.got_go);
  p2p_socket_close(client_sock);
  p2p_socket_close(server_sock);
}

static void session_key_is_wiped_when_the_peer_sends_a_bad_frame(void) {
  session_key_after(kPeerSendsJunk);
}
static void session_key_is_wiped_when_the_stream_ends_early(void) {
  session_key_after(kPeerEndsStream);
}
static void session_key_is_wiped_when_the_transport_fails(void) {
  session_key_after(kPeerGoesAway);
}
static void session_key_is_wiped_once_closed_both_ways(void) {
  session_key_after(kPeerClosesCleanly);
}

#endif /* !_WIN32 */

int main(void) {
#ifdef _WIN32
  WSADATA wsa;
  REQUIRE(WSAStartup(MAKEWORD(2, 2), &wsa) == 0);
#endif
  g_client_kp = p2p_keypair_generate();
  g_server_kp = p2p_keypair_generate();
  REQUIRE(g_client_kp != NULL && g_server_kp != NULL);

#ifndef _WIN32
  RUN_TEST(adopt_socketpair_blocking_both_ends);
  RUN_TEST(adopt_socketpair_with_a_sans_io_peer);
  RUN_TEST(session_key_is_wiped_when_the_peer_sends_a_bad_frame);
  RUN_TEST(session_key_is_wiped_when_the_stream_ends_early);
  RUN_TEST(session_key_is_wiped_when_the_transport_fails);
  RUN_TEST(session_key_is_wiped_once_closed_both_ways);
#endif
  RUN_TEST(adopt_tcp_sockets_from_the_caller);
  RUN_TEST(adopt_refuses_what_is_not_a_stream_socket);
#ifndef _WIN32
  RUN_TEST(adopt_changes_only_what_it_documents);
#endif

  p2p_keypair_free(g_client_kp);
  p2p_keypair_free(g_server_kp);
#ifdef _WIN32
  WSACleanup();
#endif
  return c_harness_finish("capi_adopt_test");
}
