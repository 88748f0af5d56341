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

#ifdef P2PNET_HAVE_OPENSSL_AEAD
#include <openssl/crypto.h>

#include <atomic>
#include <cstdlib>
#endif

namespace p2pnet {
namespace {

using testing::shuttle;
using testing::ShuttleBuffer;

#ifdef P2PNET_HAVE_OPENSSL_AEAD
// libcrypto allocates with malloc, not operator new: the engine's OpenSSL AEAD
// contexts are counted through its own hooks, installed before its first allocation.
std::atomic<std::uint64_t> g_openssl_allocations{0};
void* counted_malloc(std::size_t size, const char*, int) {
  ++g_openssl_allocations;
  return std::malloc(size);
}
void* counted_realloc(void* p, std::size_t size, const char*, int) {
  ++g_openssl_allocations;
  return std::realloc(p, size);
}
void plain_free(void* p, const char*, int) { std::free(p); }
bool g_openssl_counted = CRYPTO_set_mem_functions(counted_malloc, counted_realloc, plain_free) == 1;
#endif

// heap_counts: the counting operator new's figures, plus libcrypto's mallocs.
testing::HeapCounts heap_counts() {
  testing::HeapCounts counts = testing::heap_counts();
#ifdef P2PNET_HAVE_OPENSSL_AEAD
  counts.allocations += g_openssl_allocations.load();
#endif
  return counts;
}

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
  ASSERT_TRUE(g_openssl_counted);  // 16 KiB messages go to OpenSSL: its heap counts too
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
