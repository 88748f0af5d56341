// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// capi_out_of_memory_test.cc: the C API (p2pnet.h) when memory runs out. This binary
// links the counting allocator (tests/support/counting_allocator.h), which fails one
// chosen allocation of the calling thread. A whole session through the sans-IO C API
// (keypairs, options with a log hook and a key log, a client and a server, the
// handshake, a short and a long message each way, timeouts, close both ways) runs
// once per allocation it makes, with that allocation failing. Every time, the process
// survives, every call's result agrees with p2p_last_error(), a connection that
// failed reports the same error from p2p_conn_error() (and P2P_STATE_FAILED from
// p2p_conn_state()) and sends no frame (a handshake Error message at most), and
// every message that arrives is one that was sent. The
// blocking API gets the same over a socketpair, with a peer thread that never fails:
// a session that failed says so from every later call and holds no session key.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <thread>

#ifndef _WIN32
#include <sys/socket.h>
#include <unistd.h>
#endif

#include "counting_allocator.h"
#include "p2pnet.h"

namespace {

using p2pnet::testing::FailAllocation;

// libcrypto (the OpenSSL AEAD backend, for the long message) allocates with malloc:
// routed through the same counter, from before its first allocation, so its
// allocations are failed in turn too.
const bool kLibcryptoCounted = p2pnet::testing::count_libcrypto_allocations();

// Mismatches: what the session saw go wrong, kept without allocating (the session runs
// with an allocation armed to fail) and reported once it is over.
struct Mismatch {
  const char* what;
  int line;
  p2p_error_t returned;
  p2p_error_t last;
};

class Checks {
 public:
  // code: a p2p_error_t result must be p2p_last_error().
  p2p_error_t code(p2p_error_t rc, const char* what, int line) {
    if (rc != p2p_last_error()) add(what, line, rc);
    return rc;
  }
  // pointer: NULL exactly when p2p_last_error() is not P2P_OK.
  template <typename T>
  T* pointer(T* p, const char* what, int line) {
    if ((p == nullptr) != (p2p_last_error() != P2P_OK)) add(what, line, P2P_OK);
    return p;
  }
  // value: a count, flag or instant is its failure value when p2p_last_error() says so.
  template <typename T>
  T value(T v, T on_failure, const char* what, int line) {
    if (p2p_last_error() != P2P_OK && v != on_failure) add(what, line, P2P_OK);
    return v;
  }
  void expect(bool holds, const char* what, int line) {
    if (!holds) add(what, line, P2P_OK);
  }

  void report(std::uint64_t n) const {
    for (std::size_t i = 0; i < count_; ++i) {
      ADD_FAILURE() << "allocation " << n << " failing: " << mismatches_[i].what << " (line "
                    << mismatches_[i].line << "): returned "
                    << p2p_error_name(mismatches_[i].returned) << ", last error "
                    << p2p_error_name(mismatches_[i].last);
    }
  }

 private:
  void add(const char* what, int line, p2p_error_t returned) {
    if (count_ < mismatches_.size())
      mismatches_[count_++] = {what, line, returned, p2p_last_error()};
  }
  std::array<Mismatch, 16> mismatches_{};
  std::size_t count_ = 0;
};

#define CODE(call) checks.code((call), #call, __LINE__)
#define POINTER(call) checks.pointer((call), #call, __LINE__)
#define VALUE(call, on_failure) checks.value((call), (on_failure), #call, __LINE__)
#define EXPECT_IN_SESSION(cond) checks.expect((cond), #cond, __LINE__)

void ignore_log(void*, p2p_log_level_t, uint64_t, const char*) {}
void ignore_key_line(void*, const char*) {}

constexpr std::size_t kLongSize = 2048;  // over the OpenSSL backend's threshold

// One side of the session: its connection and what it saw.
struct Side {
  p2p_conn_t* conn = nullptr;
  bool complete = false;
  bool peer_closed = false;
  int messages = 0;
  p2p_error_t failure = P2P_OK;  // the error that ended it, if any
};

// Session: one run, every buffer fixed, so the only allocations are the library's.
class Session {
 public:
  explicit Session(Checks& checks_in) : checks(checks_in) {
    for (std::size_t i = 0; i < long_message_.size(); ++i) {
      long_message_[i] = static_cast<std::uint8_t>(i * 7);
    }
  }
  ~Session() {
    p2p_conn_free(client_.conn);
    p2p_conn_free(server_.conn);
    p2p_keypair_free(client_kp_);
    p2p_keypair_free(server_kp_);
    p2p_replay_cache_free(cache_);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Checks& checks;  // what CODE, POINTER and VALUE record into

  // run goes as far as it can; true if the whole session completed.
  bool run() {
    client_kp_ = POINTER(p2p_keypair_generate());
    server_kp_ = POINTER(p2p_keypair_generate());
    cache_ = POINTER(p2p_replay_cache_new(16));
    if (client_kp_ == nullptr || server_kp_ == nullptr || cache_ == nullptr) return false;
    char text[P2P_PUBLIC_KEY_TEXT_SIZE];
    std::uint8_t server_key[P2P_PUBLIC_KEY_SIZE];
    if (CODE(p2p_public_key_to_text(p2p_keypair_public_key(server_kp_), text)) != P2P_OK ||
        CODE(p2p_public_key_from_text(text, server_key)) != P2P_OK) {
      return false;
    }
    p2p_conn_options_t options;
    p2p_conn_options_init(&options);
    options.log = ignore_log;
    options.key_log = ignore_key_line;
    p2p_conn_options_t client_options = options;
    client_options.replay_cache = cache_;
    client_.conn = POINTER(p2p_conn_client_ex(client_kp_, server_key, &client_options, 0));
    const uint8_t* allowed[] = {p2p_keypair_public_key(client_kp_)};
    server_.conn = POINTER(p2p_conn_server_ex(server_kp_, allowed, 1, &options, 0));
    if (client_.conn == nullptr || server_.conn == nullptr) return false;

    for (int round = 0; round < 4 && !(client_.complete && server_.complete); ++round) {
      if (!move(client_, server_) || !move(server_, client_)) return false;
    }
    if (!client_.complete || !server_.complete) return false;
    EXPECT_IN_SESSION(POINTER(p2p_conn_peer_public_key(client_.conn)) != nullptr);
    EXPECT_IN_SESSION(VALUE(p2p_conn_next_timeout_ms(client_.conn), int64_t{-1}) == -1);
    if (!settle(server_, CODE(p2p_conn_handle_timeout(server_.conn, 60'000)))) return false;

    const std::uint8_t hello[] = {'h', 'e', 'l', 'l', 'o'};
    if (!settle(client_, CODE(p2p_conn_send(client_.conn, hello, sizeof hello))) ||
        !settle(server_, CODE(p2p_conn_send(server_.conn, long_message_.data(), kLongSize))) ||
        !move(client_, server_) || !move(server_, client_)) {
      return false;
    }
    if (!settle(client_, CODE(p2p_conn_close(client_.conn))) || !move(client_, server_) ||
        !settle(server_, CODE(p2p_conn_close(server_.conn))) || !move(server_, client_)) {
      return false;
    }
    EXPECT_IN_SESSION(CODE(p2p_conn_error(client_.conn)) == P2P_OK);
    EXPECT_IN_SESSION(p2p_conn_state(client_.conn) == P2P_STATE_CLOSED);
    EXPECT_IN_SESSION(p2p_conn_state(server_.conn) == P2P_STATE_CLOSED);
    return client_.messages == 1 && server_.messages == 1 && client_.peer_closed &&
           server_.peer_closed;
  }

 private:
  // settle checks a failed call's aftermath: the connection reports the same error,
  // and sends no frame from then on. Returns whether |side| is still healthy.
  bool settle(Side& side, p2p_error_t rc) {
    if (rc == P2P_OK) return true;
    side.failure = rc;
    EXPECT_IN_SESSION(CODE(p2p_conn_error(side.conn)) == rc);
    EXPECT_IN_SESSION(p2p_conn_state(side.conn) == P2P_STATE_FAILED);
    // A handshake that failed may still owe its peer an Error message (0xFF, code),
    // nothing else; a connection that failed later owes nothing.
    const std::size_t left =
        VALUE(p2p_conn_poll_transmit(side.conn, link_.data(), link_.size()), std::size_t{0});
    EXPECT_IN_SESSION(left == 0 || (left == 2 && link_[0] == 0xFF && !side.complete));
    std::uint8_t more[4];
    EXPECT_IN_SESSION(VALUE(p2p_conn_poll_transmit(side.conn, more, sizeof more), std::size_t{0}) ==
                      0);
    std::uint8_t byte = 0;
    EXPECT_IN_SESSION(CODE(p2p_conn_send(side.conn, &byte, 1)) != P2P_OK);
    return false;
  }

  // move delivers everything |from| has to send to |to|, pulling every event.
  bool move(Side& from, Side& to) {
    const std::size_t n =
        VALUE(p2p_conn_poll_transmit(from.conn, link_.data(), link_.size()), std::size_t{0});
    std::size_t offset = 0;
    while (offset < n) {
      std::size_t consumed = 0;
      const p2p_error_t rc =
          CODE(p2p_conn_feed(to.conn, link_.data() + offset, n - offset, 0, &consumed));
      offset += consumed;
      if (!pull_events(to) || !settle(to, rc)) return false;
      if (consumed == 0 && rc == P2P_OK) break;
    }
    return true;
  }

  bool pull_events(Side& side) {
    p2p_event_t event;
    for (;;) {
      const int got = VALUE(p2p_conn_poll_event(side.conn, &event), 0);
      if (p2p_last_error() != P2P_OK) return settle(side, p2p_last_error());
      if (got == 0) return true;
      switch (event.type) {
        case P2P_EVENT_HANDSHAKE_COMPLETE: side.complete = true; break;
        case P2P_EVENT_MESSAGE: {
          ++side.messages;
          // Only what was sent arrives: "hello" to the server, the long one to the client.
          const bool to_server = &side == &server_;
          EXPECT_IN_SESSION(to_server
                                ? (event.length == 5 && std::memcmp(event.data, "hello", 5) == 0)
                                : (event.length == kLongSize &&
                                   std::memcmp(event.data, long_message_.data(), kLongSize) == 0));
          break;
        }
        case P2P_EVENT_PEER_CLOSED: side.peer_closed = true; break;
      }
    }
  }

  p2p_keypair_t* client_kp_ = nullptr;
  p2p_keypair_t* server_kp_ = nullptr;
  p2p_replay_cache_t* cache_ = nullptr;
  Side client_, server_;
  std::array<std::uint8_t, 8192> link_{};
  std::array<std::uint8_t, kLongSize> long_message_{};
};

TEST(CapiOutOfMemoryTest, EveryAllocationOfAWholeSessionFailsCleanly) {
  {  // Without a failure, the session runs to the end (so the runs below mean something).
    Checks checks;
    Session session(checks);
    EXPECT_TRUE(session.run());
    checks.report(0);
  }
  std::uint64_t n = 1;
  for (; n < 10'000; ++n) {
    Checks checks;
    bool completed = false;
    bool fired = false;
    {
      Session session(checks);
      FailAllocation fail(n);
      completed = session.run();
      fired = fail.fired();
    }
    checks.report(n);
    if (!fired) {  // past the session's last allocation
      EXPECT_TRUE(completed);
      break;
    }
  }
  EXPECT_GT(n, 20u) << "a session makes more allocations than that: is the allocator counting?";
  RecordProperty("allocations", static_cast<int>(n - 1));
  RecordProperty("libcrypto_counted", kLibcryptoCounted ? 1 : 0);
}

// The completion path from C: the hook wrapper copies the log sentence, and the engine
// formats it; either failing must end the connection with OUT_OF_MEMORY, reported
// the same by the call, p2p_last_error() and p2p_conn_error(), with no
// HANDSHAKE_COMPLETE and no Accept (on the server) or frame sent.
TEST(CapiOutOfMemoryTest, TheCompletionPathFailsClosedFromC) {
  p2p_keypair_t* client_kp = p2p_keypair_generate();
  p2p_keypair_t* server_kp = p2p_keypair_generate();
  ASSERT_TRUE(client_kp != nullptr && server_kp != nullptr);
  p2p_conn_options_t options;
  p2p_conn_options_init(&options);
  options.log = ignore_log;
  options.key_log = ignore_key_line;
  std::array<std::uint8_t, 4096> link{};
  for (const bool server_fails : {false, true}) {
    SCOPED_TRACE(server_fails ? "server" : "client");
    std::uint64_t n = 1;
    for (; n < 100; ++n) {
      p2p_conn_t* client = p2p_conn_client_ex(client_kp, nullptr, &options, 0);
      p2p_conn_t* server = p2p_conn_server_ex(server_kp, nullptr, 0, &options, 0);
      ASSERT_TRUE(client != nullptr && server != nullptr);
      std::size_t consumed = 0;
      std::size_t len = p2p_conn_poll_transmit(client, link.data(), link.size());
      ASSERT_EQ(p2p_conn_feed(server, link.data(), len, 0, &consumed), P2P_OK);
      len = p2p_conn_poll_transmit(server, link.data(), link.size());
      ASSERT_EQ(p2p_conn_feed(client, link.data(), len, 0, &consumed), P2P_OK);
      len = p2p_conn_poll_transmit(client, link.data(), link.size());  // KeyExchange
      if (!server_fails) {
        ASSERT_EQ(p2p_conn_feed(server, link.data(), len, 0, &consumed), P2P_OK);
        len = p2p_conn_poll_transmit(server, link.data(), link.size());  // Accept
      }
      p2p_conn_t* side = server_fails ? server : client;
      p2p_error_t rc = P2P_OK;
      p2p_error_t last = P2P_OK;
      bool fired = false;
      {
        FailAllocation fail(n);
        rc = p2p_conn_feed(side, link.data(), len, 0, &consumed);
        last = p2p_last_error();
        fired = fail.fired();
      }
      p2p_event_t event;
      bool complete = false;
      while (p2p_conn_poll_event(side, &event) == 1) {
        complete = complete || event.type == P2P_EVENT_HANDSHAKE_COMPLETE;
      }
      if (!fired) {
        EXPECT_EQ(rc, P2P_OK);
        EXPECT_TRUE(complete);
        p2p_conn_free(client);
        p2p_conn_free(server);
        break;
      }
      SCOPED_TRACE(n);
      EXPECT_EQ(rc, P2P_ERR_OUT_OF_MEMORY);
      EXPECT_EQ(last, rc);
      EXPECT_EQ(p2p_conn_error(side), rc);
      EXPECT_EQ(p2p_conn_state(side), P2P_STATE_FAILED);  // never ESTABLISHED, even briefly
      EXPECT_FALSE(complete);
      EXPECT_EQ(p2p_conn_poll_transmit(side, link.data(), link.size()), 0u);
      const std::uint8_t byte = 1;
      EXPECT_EQ(p2p_conn_send(side, &byte, 1), P2P_ERR_OUT_OF_MEMORY);
      p2p_conn_free(client);
      p2p_conn_free(server);
    }
    EXPECT_GE(n - 1, 2u);  // the wrapper's copy and the engine's sentence at least
  }
  p2p_keypair_free(client_kp);
  p2p_keypair_free(server_kp);
}

#ifndef _WIN32
// The blocking API, the client side failing: handshake, a message too long for the
// first buffer (kept, then taken), close both ways. The peer echoes on its own thread,
// which no failure reaches (FailAllocation is per thread).
void echo_peer(p2p_socket_t* sock, const p2p_keypair_t* client_kp, p2p_keypair_t* server_kp) {
  const uint8_t* allowed[] = {p2p_keypair_public_key(client_kp)};
  p2p_session_t* session = p2p_handshake_server(sock, server_kp, allowed, 1);
  if (session == nullptr) return;
  std::array<std::uint8_t, 4096> buffer{};
  for (;;) {
    std::size_t n = 0;
    const p2p_error_t rc = p2p_session_receive(session, buffer.data(), buffer.size(), &n);
    if (rc == P2P_ERR_PEER_CLOSED) (void)p2p_session_close(session);
    if (rc != P2P_OK || p2p_session_send(session, buffer.data(), n) != P2P_OK) break;
  }
  p2p_session_free(session);
}

// blocking_session runs the client side; true if it went to the end.
bool blocking_session(Checks& checks, p2p_socket_t* sock, p2p_keypair_t* client_kp,
                      const p2p_keypair_t* server_kp) {
  p2p_session_t* session =
      POINTER(p2p_handshake_client(sock, client_kp, p2p_keypair_public_key(server_kp)));
  if (session == nullptr) return false;
  std::array<std::uint8_t, 1500> message{};
  message.fill(0x5A);
  std::array<std::uint8_t, 2048> buffer{};
  std::size_t n = 0;
  const uint8_t* key = POINTER(p2p_session_key(session));
  p2p_error_t rc = CODE(p2p_session_send(session, message.data(), message.size()));
  if (rc == P2P_OK) rc = CODE(p2p_session_receive(session, buffer.data(), 16, &n));
  if (rc == P2P_ERR_BUFFER_TOO_SMALL) {
    EXPECT_IN_SESSION(n == message.size());
    rc = CODE(p2p_session_receive(session, buffer.data(), buffer.size(), &n));
    EXPECT_IN_SESSION(rc != P2P_OK ||
                      (n == message.size() && std::memcmp(buffer.data(), message.data(), n) == 0));
  } else {
    EXPECT_IN_SESSION(rc != P2P_OK);
  }
  if (rc == P2P_OK) rc = CODE(p2p_session_close(session));
  if (rc == P2P_OK) {
    rc = CODE(p2p_session_receive(session, buffer.data(), buffer.size(), &n));
    EXPECT_IN_SESSION(rc != P2P_OK);
  }
  const bool completed = rc == P2P_ERR_PEER_CLOSED;
  if (!completed) {
    // Failed: every later call says so, and the key it gave out is wiped.
    EXPECT_IN_SESSION(CODE(p2p_session_send(session, message.data(), 1)) == rc);
    EXPECT_IN_SESSION(CODE(p2p_session_close(session)) == rc);
  }
  EXPECT_IN_SESSION(POINTER(p2p_session_key(session)) == nullptr);
  if (key != nullptr) {
    std::uint8_t any = 0;
    for (std::size_t i = 0; i < P2P_SESSION_KEY_SIZE; ++i) any |= key[i];
    EXPECT_IN_SESSION(any == 0);
  }
  p2p_session_free(session);
  return completed;
}

TEST(CapiOutOfMemoryTest, EveryAllocationOfABlockingSessionFailsCleanly) {
  p2p_keypair_t* client_kp = p2p_keypair_generate();
  p2p_keypair_t* server_kp = p2p_keypair_generate();
  ASSERT_TRUE(client_kp != nullptr && server_kp != nullptr);
  std::uint64_t n = 0;  // 0: no failure, the session runs to the end
  for (; n < 10'000; ++n) {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    p2p_socket_t* server_sock = p2p_socket_adopt(fds[1]);
    ASSERT_NE(server_sock, nullptr);
    ASSERT_EQ(p2p_socket_set_timeout(server_sock, 5000), P2P_OK);
    std::thread peer(echo_peer, server_sock, client_kp, server_kp);
    Checks checks;
    bool completed = false;
    bool fired = false;
    {
      FailAllocation fail(n);
      p2p_socket_t* sock = POINTER(p2p_socket_adopt(fds[0]));
      if (sock != nullptr) {
        if (CODE(p2p_socket_set_timeout(sock, 5000)) == P2P_OK) {
          completed = blocking_session(checks, sock, client_kp, server_kp);
        }
        p2p_socket_close(sock);  // the peer sees the end, whatever happened
      } else {
        close(fds[0]);
      }
      fired = fail.fired();
    }
    peer.join();
    p2p_socket_close(server_sock);
    checks.report(n);
    if (n == 0) {
      EXPECT_TRUE(completed);
    } else if (!fired) {  // past the session's last allocation
      EXPECT_TRUE(completed);
      break;
    }
  }
  EXPECT_GT(n, 10u);
  RecordProperty("allocations", static_cast<int>(n - 1));
  p2p_keypair_free(client_kp);
  p2p_keypair_free(server_kp);
}
#endif  // !_WIN32

// A count that no allocation could hold is the caller's mistake, not the library's.
TEST(CapiOutOfMemoryTest, AHugeAllowListIsAnInvalidArgument) {
  p2p_keypair_t* kp = p2p_keypair_generate();
  ASSERT_NE(kp, nullptr);
  const uint8_t* allowed[] = {p2p_keypair_public_key(kp)};
  for (const std::size_t count :
       {std::size_t{P2P_MAX_ALLOWED_PEERS} + 1, SIZE_MAX / 32, SIZE_MAX}) {
    EXPECT_EQ(p2p_conn_server(kp, allowed, count, 0), nullptr);
    EXPECT_EQ(p2p_last_error(), P2P_ERR_INVALID_ARGUMENT) << count;
  }
  p2p_socket_t* listener = p2p_socket_listen("127.0.0.1", 0);
  ASSERT_NE(listener, nullptr);
  EXPECT_EQ(p2p_handshake_server(listener, kp, allowed, SIZE_MAX), nullptr);
  EXPECT_EQ(p2p_last_error(), P2P_ERR_INVALID_ARGUMENT);
  p2p_socket_close(listener);
  p2p_keypair_free(kp);
}

}  // namespace
