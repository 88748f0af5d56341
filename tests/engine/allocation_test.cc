// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Heap allocations: none on the handshake path, none per message in steady state.
// This binary links the counting operator new (tests/support/counting_allocator.h),
// so it is kept apart from the other engine tests. Bytes move through shuttle(),
// which allocates nothing itself.
#include <gtest/gtest.h>

#include "counting_allocator.h"
#include "pair.h"
#include "shuttle.h"

namespace p2pnet {
namespace {

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

TEST(AllocationTest, SteadyStateMessagesAllocateNothing) {
  const Identity client_identity = testing::identity_from_byte(1);
  const Identity server_identity = testing::identity_from_byte(2);
  ClientConfig cc;
  cc.identity = &client_identity;
  ServerConfig sc;
  sc.identity = &server_identity;
  testing::Pair pair(cc, sc);
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

}  // namespace
}  // namespace p2pnet
