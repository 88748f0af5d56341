/* Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
 *
 * capi_test.c: the C API used from C11, end to end over loopback. A server thread
 * accepts, runs p2p_handshake_server and echoes; the main thread is the client. Also
 * the failure paths a C caller sees: wrong server identity, client not on the
 * allow-list, NULL arguments, accept timeout, key files (0600, no overwrite, loose
 * permissions refused, a FIFO refused without blocking), a receive buffer that is
 * too small, and sockets that an exec'd child does not inherit. Every wait is bounded
 * by a socket timeout, so a bug fails the test instead of hanging it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifndef _WIN32
#include <fcntl.h>
#include <sys/wait.h>
#endif

#include "c_harness.h"
#include "p2pnet.h"

#ifdef _WIN32
/* mingw-w64 has no mkdtemp; _mktemp_s + _mkdir make the same unique directory. The
 * working directory (ctest's, under the build tree) holds it: Windows has no /tmp. */
#include <io.h>
static char* make_temp_dir(char* name) {
  return (_mktemp_s(name, strlen(name) + 1) == 0 && mkdir(name) == 0) ? name : NULL;
}
#define TEMP_DIR_TEMPLATE "p2pnet_capi_XXXXXX"
#else
#define make_temp_dir mkdtemp
#define TEMP_DIR_TEMPLATE "/tmp/p2pnet_capi_XXXXXX"
#endif

enum { kTimeoutMs = 5000 };

/* What the server thread is told to do and what it saw. */
typedef struct {
  p2p_socket_t* listener;
  p2p_keypair_t* keypair;
  const uint8_t* allowed[1];
  size_t num_allowed;
  int echo; /* echo messages until close_notify */
  int handshake_ok;
  p2p_error_t handshake_error;
  uint8_t session_key[P2P_SESSION_KEY_SIZE];
  uint8_t peer[P2P_PUBLIC_KEY_SIZE];
  int clean_close;
} ServerJob;

static void* server_main(void* arg) {
  ServerJob* job = (ServerJob*)arg;
  p2p_socket_t* sock = p2p_socket_accept(job->listener, kTimeoutMs);
  if (sock == NULL) {
    job->handshake_error = p2p_last_error();
    return NULL;
  }
  p2p_socket_set_timeout(sock, kTimeoutMs);
  p2p_session_t* session = p2p_handshake_server(
      sock, job->keypair, job->num_allowed ? job->allowed : NULL, job->num_allowed);
  if (session == NULL) {
    job->handshake_error = p2p_last_error();
    p2p_socket_close(sock);
    return NULL;
  }
  job->handshake_ok = 1;
  memcpy(job->session_key, p2p_session_key(session), P2P_SESSION_KEY_SIZE);
  memcpy(job->peer, p2p_session_peer_pubkey(session), P2P_PUBLIC_KEY_SIZE);
  while (job->echo) {
    uint8_t buffer[256];
    size_t n = 0;
    const p2p_error_t rc = p2p_session_receive(session, buffer, sizeof buffer, &n);
    if (rc == P2P_ERR_PEER_CLOSED) {
      job->clean_close = p2p_session_close(session) == P2P_OK;
      break;
    }
    if (rc != P2P_OK || p2p_session_send(session, buffer, n) != P2P_OK) break;
  }
  p2p_session_free(session);
  p2p_socket_close(sock);
  return NULL;
}

static void test_echo_session(p2p_keypair_t* server_kp, p2p_keypair_t* client_kp) {
  p2p_socket_t* listener = p2p_socket_listen("127.0.0.1", 0);
  REQUIRE(listener != NULL);
  const uint16_t port = p2p_socket_local_port(listener);
  CHECK(port != 0);

  ServerJob job;
  memset(&job, 0, sizeof job);
  job.listener = listener;
  job.keypair = server_kp;
  job.allowed[0] = p2p_keypair_public_key(client_kp);
  job.num_allowed = 1;
  job.echo = 1;
  pthread_t thread;
  REQUIRE(pthread_create(&thread, NULL, server_main, &job) == 0);

  p2p_socket_t* sock = p2p_socket_connect("127.0.0.1", port, kTimeoutMs);
  REQUIRE(sock != NULL);
  CHECK(p2p_socket_set_timeout(sock, kTimeoutMs) == P2P_OK);
  p2p_session_t* session = p2p_handshake_client(sock, client_kp, p2p_keypair_public_key(server_kp));
  REQUIRE(session != NULL);
  CHECK(p2p_last_error() == P2P_OK);
  CHECK(memcmp(p2p_session_peer_pubkey(session), p2p_keypair_public_key(server_kp),
               P2P_PUBLIC_KEY_SIZE) == 0);
  /* The session key is read now: it is wiped once close_notify has gone both ways. */
  uint8_t client_key[P2P_SESSION_KEY_SIZE];
  REQUIRE(p2p_session_key(session) != NULL);
  memcpy(client_key, p2p_session_key(session), sizeof client_key);

  const char* text = "hello from C";
  CHECK(p2p_session_send(session, (const uint8_t*)text, strlen(text)) == P2P_OK);
  /* Too small a buffer: the message is kept and its size reported. */
  uint8_t small[4];
  size_t n = 0;
  CHECK(p2p_session_receive(session, small, sizeof small, &n) == P2P_ERR_BUFFER_TOO_SMALL);
  CHECK(n == strlen(text));
  uint8_t buffer[64];
  CHECK(p2p_session_receive(session, buffer, sizeof buffer, &n) == P2P_OK);
  CHECK(n == strlen(text) && memcmp(buffer, text, n) == 0);

  /* Empty messages are refused: an empty frame would be close_notify. */
  CHECK(p2p_session_send(session, (const uint8_t*)text, 0) == P2P_ERR_INVALID_ARGUMENT);

  CHECK(p2p_session_close(session) == P2P_OK);
  CHECK(p2p_session_send(session, (const uint8_t*)text, 1) == P2P_ERR_STATE);
  CHECK(p2p_session_receive(session, buffer, sizeof buffer, &n) == P2P_ERR_PEER_CLOSED);
  CHECK(p2p_session_key(session) == NULL && p2p_last_error() == P2P_ERR_STATE);
  p2p_session_free(session);
  p2p_socket_close(sock);
  pthread_join(thread, NULL);

  CHECK(job.handshake_ok);
  CHECK(job.clean_close);
  CHECK(memcmp(job.session_key, client_key, sizeof client_key) == 0);
  CHECK(memcmp(job.peer, p2p_keypair_public_key(client_kp), P2P_PUBLIC_KEY_SIZE) == 0);
  p2p_socket_close(listener);
}

/* run_failing_handshake: the client expects |expected| and the server allows
 * |allowed|; both handshakes must fail with the given codes. */
static void run_failing_handshake(p2p_keypair_t* server_kp, p2p_keypair_t* client_kp,
                                  const uint8_t* expected, const uint8_t* allowed,
                                  p2p_error_t client_error, p2p_error_t server_error) {
  p2p_socket_t* listener = p2p_socket_listen("127.0.0.1", 0);
  REQUIRE(listener != NULL);
  ServerJob job;
  memset(&job, 0, sizeof job);
  job.listener = listener;
  job.keypair = server_kp;
  job.allowed[0] = allowed;
  job.num_allowed = allowed ? 1 : 0;
  pthread_t thread;
  REQUIRE(pthread_create(&thread, NULL, server_main, &job) == 0);

  p2p_socket_t* sock = p2p_socket_connect("127.0.0.1", p2p_socket_local_port(listener), kTimeoutMs);
  REQUIRE(sock != NULL);
  p2p_socket_set_timeout(sock, kTimeoutMs);
  p2p_session_t* session = p2p_handshake_client(sock, client_kp, expected);
  CHECK(session == NULL);
  CHECK(p2p_last_error() == client_error);
  CHECK(strlen(p2p_last_error_message()) > 0);
  p2p_socket_close(sock);
  pthread_join(thread, NULL);
  CHECK(!job.handshake_ok);
  CHECK(job.handshake_error == server_error);
  if (job.handshake_error != server_error) {
    fprintf(stderr, "  server saw %s\n", p2p_error_name(job.handshake_error));
  }
  p2p_socket_close(listener);
}

static void test_key_files(p2p_keypair_t* kp) {
  char dir[] = TEMP_DIR_TEMPLATE;
  REQUIRE(make_temp_dir(dir) != NULL);
  char path[256];
  snprintf(path, sizeof path, "%s/id.key", dir);

  CHECK(p2p_keypair_save(kp, path, 0) == P2P_OK);
#ifndef _WIN32 /* POSIX mode bits: Windows has none, identity_file.cc checks them on POSIX */
  struct stat info;
  CHECK(stat(path, &info) == 0 && (info.st_mode & 0777) == 0600);
#endif
  CHECK(p2p_keypair_save(kp, path, 0) == P2P_ERR_FILE_EXISTS);
  CHECK(p2p_keypair_save(kp, path, 1) == P2P_OK);

  p2p_keypair_t* loaded = p2p_keypair_load(path);
  REQUIRE(loaded != NULL);
  CHECK(memcmp(p2p_keypair_public_key(loaded), p2p_keypair_public_key(kp), P2P_PUBLIC_KEY_SIZE) ==
        0);
  p2p_keypair_free(loaded);

#ifndef _WIN32
  CHECK(chmod(path, 0644) == 0);
  CHECK(p2p_keypair_load(path) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_FILE_PERMISSIONS);
  CHECK(strstr(p2p_last_error_message(), "0644") != NULL);
#endif

  char missing[300];
  snprintf(missing, sizeof missing, "%s/missing.key", dir);
  CHECK(p2p_keypair_load(missing) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_FILE_NOT_FOUND);

#ifndef _WIN32
  /* A FIFO is refused at once, not waited on (forever) for a writer. The load runs in
   * a child that alarm() ends if it blocks, so a regression fails instead of hanging. */
  char fifo[300];
  snprintf(fifo, sizeof fifo, "%s/fifo.key", dir);
  CHECK(mkfifo(fifo, 0600) == 0);
  const pid_t child = fork();
  if (child == 0) {
    alarm(5);
    const p2p_keypair_t* fifo_kp = p2p_keypair_load(fifo);
    _exit(fifo_kp == NULL && p2p_last_error() == P2P_ERR_FILE_INVALID &&
                  strstr(p2p_last_error_message(), "FIFO") != NULL
              ? 0
              : 1);
  }
  int status = 0;
  CHECK(child > 0 && waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
        "p2p_keypair_load(FIFO) returns FILE_INVALID at once");
  if (WIFSIGNALED(status))
    fprintf(stderr, "  p2p_keypair_load(FIFO) was still blocked after 5 s\n");
  unlink(fifo);
#endif

  unlink(path);
  rmdir(dir);
}

static void test_public_key_text(p2p_keypair_t* kp) {
  char text[P2P_PUBLIC_KEY_TEXT_SIZE];
  CHECK(p2p_public_key_to_text(p2p_keypair_public_key(kp), text) == P2P_OK);
  CHECK(strlen(text) == 43);
  uint8_t back[P2P_PUBLIC_KEY_SIZE];
  CHECK(p2p_public_key_from_text(text, back) == P2P_OK);
  CHECK(memcmp(back, p2p_keypair_public_key(kp), sizeof back) == 0);
  CHECK(p2p_public_key_from_text("not a key", back) == P2P_ERR_INVALID_ARGUMENT);
}

static void test_invalid_arguments(p2p_keypair_t* kp) {
  CHECK(p2p_handshake_client(NULL, kp, NULL) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  CHECK(p2p_handshake_server(NULL, kp, NULL, 0) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_INVALID_ARGUMENT);
  CHECK(p2p_session_peer_pubkey(NULL) == NULL);
  CHECK(p2p_session_key(NULL) == NULL);
  p2p_session_free(NULL); /* allowed, like free(NULL) */
  CHECK(p2p_socket_connect("not-an-address", 1, 100) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_ADDRESS);

  p2p_socket_t* listener = p2p_socket_listen("127.0.0.1", 0);
  REQUIRE(listener != NULL);
  CHECK(p2p_socket_accept(listener, 50) == NULL);
  CHECK(p2p_last_error() == P2P_ERR_TIMEOUT);
  p2p_socket_close(listener);
}

/* test_sockets_close_on_exec: a listening, a connected and an accepted socket are all
 * close-on-exec (issue 10 item 11). The C API hands out no descriptor, so every socket
 * descriptor of this process is checked; these three are the only ones open. Windows:
 * the handles are created not inheritable; there is no handle to check from C here. */
static void test_sockets_close_on_exec(void) {
#ifndef _WIN32
  p2p_socket_t* listener = p2p_socket_listen("127.0.0.1", 0);
  REQUIRE(listener != NULL);
  p2p_socket_t* client =
      p2p_socket_connect("127.0.0.1", p2p_socket_local_port(listener), kTimeoutMs);
  REQUIRE(client != NULL);
  p2p_socket_t* accepted = p2p_socket_accept(listener, kTimeoutMs);
  REQUIRE(accepted != NULL);
  int sockets = 0;
  for (int fd = 0; fd < 1024; ++fd) {
    struct stat info;
    if (fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode)) continue;
    ++sockets;
    const int flags = fcntl(fd, F_GETFD);
    if (flags < 0 || (flags & FD_CLOEXEC) == 0)
      fprintf(stderr, "socket descriptor %d is inherited by exec\n", fd);
    CHECK(flags >= 0 && (flags & FD_CLOEXEC) != 0);
  }
  CHECK(sockets == 3);
  p2p_socket_close(accepted);
  p2p_socket_close(client);
  p2p_socket_close(listener);
#endif
}

static p2p_keypair_t* g_server_kp;
static p2p_keypair_t* g_client_kp;
static p2p_keypair_t* g_stranger_kp;

static void echo_session(void) { test_echo_session(g_server_kp, g_client_kp); }

/* Wrong server identity: the client aborts (Error 0x03) before KeyExchange. */
static void wrong_server_identity(void) {
  run_failing_handshake(g_server_kp, g_client_kp, p2p_keypair_public_key(g_stranger_kp),
                        p2p_keypair_public_key(g_client_kp), P2P_ERR_PEER_NOT_ALLOWED,
                        P2P_ERR_REJECTED_BY_PEER);
}

/* Client not on the allow-list: refused before any challenge. */
static void client_not_on_the_allow_list(void) {
  run_failing_handshake(g_server_kp, g_client_kp, p2p_keypair_public_key(g_server_kp),
                        p2p_keypair_public_key(g_stranger_kp), P2P_ERR_REJECTED_BY_PEER,
                        P2P_ERR_PEER_NOT_ALLOWED);
}

static void key_files(void) { test_key_files(g_client_kp); }
static void public_key_text(void) { test_public_key_text(g_client_kp); }
static void invalid_arguments(void) { test_invalid_arguments(g_client_kp); }

int main(void) {
  g_server_kp = p2p_keypair_generate();
  g_client_kp = p2p_keypair_generate();
  g_stranger_kp = p2p_keypair_generate();
  REQUIRE(g_server_kp != NULL && g_client_kp != NULL && g_stranger_kp != NULL);

  RUN_TEST(echo_session);
  RUN_TEST(wrong_server_identity);
  RUN_TEST(client_not_on_the_allow_list);
  RUN_TEST(key_files);
  RUN_TEST(public_key_text);
  RUN_TEST(invalid_arguments);
  RUN_TEST(test_sockets_close_on_exec);

  p2p_keypair_free(g_server_kp);
  p2p_keypair_free(g_client_kp);
  p2p_keypair_free(g_stranger_kp);
  return c_harness_finish("capi_test");
}
