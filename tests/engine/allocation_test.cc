// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Heap allocations: none on the handshake path, none per message in steady state.
// This binary links the counting operator new (tests/support/counting_allocator.h),
// so it is kept apart from the other engine tests. Bytes move through shuttle(),
// which allocates nothing itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "counting_allocator.h"
#include "p2pnet/internal/byte_buffer.h"
#include "p2pnet/internal/connection_test_access.h"
#include "p2pnet/key_log.h"
#include "pair.h"
#include "shuttle.h"

namespace p2pnet {
namespace {

using testing::Bytes;
using testing::heap_counts;
using testing::shuttle;
using testing::ShuttleBuffer;

// libcrypto allocates with malloc, not operator new: with the OpenSSL AEAD backend
// the engine's cipher contexts are counted too, from before libcrypto's first use.
const bool kLibcryptoCounted = testing::count_libcrypto_allocations();

TEST(AllocationTest, HandshakeAllocatesNothing) {
  const Identity client_identity = testing::identity_from_byte(1);
  const Identity server_identity = testing::identity_from_byte(2);
  DeterministicRandom client_random(1), server_random(2);
  ReplayCache cache(16);  // allocates here, once, at construction
  ClientConfig cc;
  cc.identity = &client_identity;
  cc.expected_server = server_identity.public_key();
  cc.replay_cache = &cache;
  cc.random = &client_random;
  const PublicKey allowed[] = {client_identity.public_key()};
  ServerConfig sc;
  sc.identity = &server_identity;
  sc.allowed_clients = allowed;
  sc.random = &server_random;
  static ShuttleBuffer buffer{};
  const Instant now{0};

  const std::uint64_t before = heap_counts().allocations;
  Connection client = Connection::client(cc, now);
  Connection server = Connection::server(sc, now);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(shuttle(client, server, now, buffer));
    ASSERT_TRUE(shuttle(server, client, now, buffer));
  }
  const std::uint64_t after = heap_counts().allocations;
  ASSERT_TRUE(client.is_established());
  ASSERT_TRUE(server.is_established());
  EXPECT_EQ(after - before, 0u);
}

// Configs: a plain client and server config and the identities they point to (so it
// neither copies nor moves).
struct Configs {
  Configs() {
    client.identity = &client_identity;
    server.identity = &server_identity;
  }
  Configs(const Configs&) = delete;
  Configs& operator=(const Configs&) = delete;
  const Identity client_identity = testing::identity_from_byte(1);
  const Identity server_identity = testing::identity_from_byte(2);
  ClientConfig client;
  ServerConfig server;
};

TEST(AllocationTest, SteadyStateMessagesAllocateNothing) {
  const Configs configs;
  testing::Pair pair(configs.client, configs.server);
  pair.drive();
  ASSERT_TRUE(pair.client.is_established());
  static ShuttleBuffer buffer{};
  const testing::Bytes message(16384, 0x5A);
  // Warm-up: the channel's buffers grow to their high-water mark once. That this
  // allocates shows the counter is live, so the zero below means something.
  const std::uint64_t before_warm_up = heap_counts().allocations;
  ASSERT_EQ(pair.client.send(message), Error::kNone);
  ASSERT_TRUE(shuttle(pair.client, pair.server, pair.now, buffer));
  EXPECT_GT(heap_counts().allocations - before_warm_up, 0u);
#ifdef P2PNET_HAVE_OPENSSL_AEAD
  ASSERT_TRUE(kLibcryptoCounted);  // 16 KiB messages go to OpenSSL: its heap counts too
#endif

  const std::uint64_t before = heap_counts().allocations;
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(pair.client.send(message), Error::kNone);
    ASSERT_TRUE(shuttle(pair.client, pair.server, pair.now, buffer));
  }
  EXPECT_EQ(heap_counts().allocations - before, 0u);
}

// --- Out of memory ---------------------------------------------------------------------
// An allocation that fails on the path that completes the handshake (the log hook's
// sentence, the embedder's own hooks, the channel's first receive buffer) must fail
// the connection closed: kOutOfMemory, no completion reported, no frame sent or
// opened, no key left. Each allocation of the completing call is failed in turn, on
// each side, until the call makes no more (then it must complete normally).

struct CompletionRun {
  Error error = Error::kNone;
  bool fired = false;
  bool completed = false;
  std::size_t messages = 0;
  std::size_t completion_lines = 0;  // hook calls at completion that returned
  Bytes output_after;                // what the side under test had to send after the call
  std::vector<std::string_view> key_holders;
  ConnectionState state = ConnectionState::kHandshaking;
  bool peer_completed = false;
};

// complete_with_failure runs a handshake whose |role| side has a log hook and a key
// log that allocate, failing the |n|-th allocation of the call that completes that
// side. For the client, the server's first message rides in the same input as the
// Accept, so the channel's receive buffer is on the path too.
CompletionRun complete_with_failure(Role role, std::uint64_t n) {
  Configs configs;
  ClientConfig& cc = configs.client;
  ServerConfig& sc = configs.server;
  std::vector<std::string> lines;
  const LogHook log = [&lines](LogLevel, std::uint64_t, std::string_view m) {
    lines.emplace_back(m);
  };
  const KeyLogHook key_log = [&lines](std::string_view line) { lines.emplace_back(line); };
  if (role == Role::kClient) {
    cc.log_hook = &log;
    cc.key_log = key_log_available() ? &key_log : nullptr;
  } else {
    sc.log_hook = &log;
    sc.key_log = key_log_available() ? &key_log : nullptr;
  }
  Connection client = Connection::client(cc, Instant{0});
  Connection server = Connection::server(sc, Instant{0});
  testing::Inbox client_inbox, server_inbox;
  testing::feed(server, testing::take_output(client), Instant{0}, server_inbox);
  testing::feed(client, testing::take_output(server), Instant{0}, client_inbox);
  Bytes to_server = testing::take_output(client);  // KeyExchange

  CompletionRun run;
  Connection& side = role == Role::kClient ? client : server;
  testing::Inbox& inbox = role == Role::kClient ? client_inbox : server_inbox;
  Bytes input;
  if (role == Role::kClient) {
    testing::feed(server, to_server, Instant{0}, server_inbox);
    if (server.send(Bytes{'h', 'i'}) != Error::kNone) ADD_FAILURE() << "server send";
    input = testing::take_output(server);  // Accept, then a frame
  } else {
    input = to_server;
  }
  {
    const std::size_t lines_before = lines.size();
    testing::FailAllocation fail(n);
    const ReadResult result = side.handle_bytes(input, Instant{0});
    run.fired = fail.fired();
    run.error = result.error;
    run.completion_lines = std::min<std::size_t>(lines.size() - lines_before, 2);
  }
  testing::drain_events(side, inbox);
  if (inbox.handshake_complete && role == Role::kClient) {
    testing::feed(client, Bytes(input.begin() + kAcceptSize, input.end()), Instant{0}, inbox);
  }
  run.completed = inbox.handshake_complete;
  run.messages = inbox.messages.size();
  run.state = side.state();
  run.key_holders = ConnectionTestAccess::key_holders(side);
  (void)side.send(Bytes{'x'});
  run.output_after = testing::take_output(side);
  if (role == Role::kServer) {
    testing::feed(client, run.output_after, Instant{0}, client_inbox);
    run.peer_completed = client_inbox.handshake_complete;
  }
  return run;
}

TEST(OutOfMemoryTest, EveryAllocationOnTheCompletionPathFailsClosed) {
  for (const Role role : {Role::kClient, Role::kServer}) {
    SCOPED_TRACE(role == Role::kClient ? "client" : "server");
    std::uint64_t n = 1;
    for (; n < 1000; ++n) {
      SCOPED_TRACE(n);
      const CompletionRun run = complete_with_failure(role, n);
      if (!run.fired) {  // past the call's last allocation: a normal completion
        EXPECT_EQ(run.error, Error::kNone);
        EXPECT_TRUE(run.completed);
        break;
      }
      EXPECT_EQ(run.error, Error::kOutOfMemory);
      EXPECT_EQ(run.state, ConnectionState::kFailed);
      // Completion is reported only when every hook at completion returned: then the
      // failure was the channel's own, on the frame that came with the Accept.
      if (run.completed) {
        EXPECT_EQ(run.completion_lines, key_log_available() ? 2u : 1u);
      }
      EXPECT_EQ(run.messages, 0u);
      EXPECT_TRUE(run.output_after.empty()) << "bytes sent after the failure";
      EXPECT_EQ(run.key_holders, std::vector<std::string_view>{});
      EXPECT_FALSE(run.peer_completed);  // a server that failed never sent its Accept
    }
    // The hooks' sentences and lines, and the client's receive buffer, allocate.
    EXPECT_GE(n - 1, 3u);
  }
}

// ByteBuffer (byte_buffer.h) reports an allocation that fails, never throws it, and
// is left as it was: the channel turns that into kOutOfMemory.
TEST(OutOfMemoryTest, AByteBufferThatCannotGrowSaysSoAndChangesNothing) {
  ByteBuffer buffer;
  ASSERT_TRUE(buffer.reserve(4, 0));
  buffer.data()[0] = 0x5A;
  const std::uint8_t* first = buffer.data();
  bool grew = true;
  {
    testing::FailAllocation fail(1);
    grew = buffer.reserve(64, 4);
    EXPECT_TRUE(fail.fired());
  }
  EXPECT_FALSE(grew);
  EXPECT_EQ(buffer.capacity(), 4u);
  EXPECT_EQ(buffer.data(), first);
  EXPECT_EQ(buffer.data()[0], 0x5A);
  ASSERT_TRUE(buffer.reserve(64, 4));  // and grows once memory is there again
  EXPECT_EQ(buffer.data()[0], 0x5A);
}

// The channel's buffers grow on first use. A send, a close or a receive whose buffer
// cannot grow ends the connection (kOutOfMemory, terminal) with every key wiped, the
// session key included, and nothing sent or delivered: the paths of the key-holder
// test (connection_test.cc) that only an allocation failure reaches.
TEST(OutOfMemoryTest, ASendCloseOrReceiveThatCannotGrowFailsClosed) {
  const Configs configs;
  enum class Path { kSend, kClose, kReceive };
  for (const Path path : {Path::kSend, Path::kClose, Path::kReceive}) {
    SCOPED_TRACE(static_cast<int>(path));
    testing::Pair pair(configs.client, configs.server);
    pair.drive();
    ASSERT_TRUE(pair.client.is_established());
    ASSERT_EQ(ConnectionTestAccess::key_holders(pair.client).size(), 3u);
    Bytes from_server;
    if (path == Path::kReceive) {
      ASSERT_EQ(pair.server.send(Bytes(100, 0x42)), Error::kNone);
      from_server = testing::take_output(pair.server);
    }
    const Bytes message(100, 0x17);
    Error error = Error::kNone;
    bool fired = false;
    {
      testing::FailAllocation fail(1);  // the buffer's growth, the first allocation
      switch (path) {
        case Path::kSend: error = pair.client.send(message); break;
        case Path::kClose: error = pair.client.close(); break;
        case Path::kReceive: error = pair.client.handle_bytes(from_server, pair.now).error; break;
      }
      fired = fail.fired();
    }
    ASSERT_TRUE(fired);
    EXPECT_EQ(error, Error::kOutOfMemory);
    EXPECT_EQ(pair.client.state(), ConnectionState::kFailed);
    EXPECT_EQ(ConnectionTestAccess::key_holders(pair.client), std::vector<std::string_view>{});
    EXPECT_TRUE(pair.client.session_key().empty());
    EXPECT_FALSE(pair.client.poll_event().has_value());
    EXPECT_TRUE(testing::take_output(pair.client).empty());
    EXPECT_EQ(pair.client.send(Bytes{1}), Error::kOutOfMemory);  // terminal
  }
}

}  // namespace
}  // namespace p2pnet
