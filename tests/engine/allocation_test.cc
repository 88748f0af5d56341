// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Heap allocations: none on the handshake path, none per message in steady state.
// This binary replaces the global operator new to count allocations, so it is kept
// apart from the other engine tests.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "pair.h"

#ifdef P2PNET_HAVE_OPENSSL_AEAD
#include <openssl/crypto.h>
#endif

namespace {
std::atomic<std::size_t> g_allocations{0};

#ifdef P2PNET_HAVE_OPENSSL_AEAD
// libcrypto allocates with malloc, not operator new: the engine's OpenSSL AEAD
// contexts are counted through its own hooks, installed before its first allocation.
void* counted_malloc(std::size_t size, const char*, int) {
  ++g_allocations;
  return std::malloc(size);
}
void* counted_realloc(void* p, std::size_t size, const char*, int) {
  ++g_allocations;
  return std::realloc(p, size);
}
void plain_free(void* p, const char*, int) { std::free(p); }
const bool g_openssl_counted = CRYPTO_set_mem_functions(counted_malloc, counted_realloc, plain_free) == 1;
#endif
}  // namespace

void* operator new(std::size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace p2pnet {
namespace {

using testing::Bytes;

// Moves everything |from| has to send into |to|, using only preallocated buffers.
void pump(Connection& from, Connection& to, Bytes& buffer, Instant now) {
  buffer.resize(buffer.capacity());
  const std::size_t n = from.poll_transmit(buffer);
  ByteSpan rest(buffer.data(), n);
  while (!rest.empty()) {
    const ReadResult result = to.handle_bytes(rest, now);
    ASSERT_EQ(result.error, Error::kNone);
    rest = rest.subspan(result.consumed);
    while (to.poll_event()) {
    }
  }
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
  Bytes buffer;
  buffer.reserve(4096);
  const Instant now{0};

  const std::size_t before = g_allocations.load();
  Connection client = Connection::client(cc, now);
  Connection server = Connection::server(sc, now);
  for (int i = 0; i < 3; ++i) {
    pump(client, server, buffer, now);
    pump(server, client, buffer, now);
  }
  const std::size_t after = g_allocations.load();
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
  Bytes buffer;
  buffer.reserve(1 << 17);
  const Bytes message(16384, 0x5A);
  // Warm-up: the channel's buffers grow to their high-water mark once. That this
  // allocates shows the counter is live, so the zero below means something.
  const std::size_t before_warm_up = g_allocations.load();
  ASSERT_EQ(pair.client.send(message), Error::kNone);
  pump(pair.client, pair.server, buffer, pair.now);
  EXPECT_GT(g_allocations.load() - before_warm_up, 0u);
#ifdef P2PNET_HAVE_OPENSSL_AEAD
  ASSERT_TRUE(g_openssl_counted);  // 16 KiB messages go to OpenSSL: its heap counts too
#endif

  const std::size_t before = g_allocations.load();
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(pair.client.send(message), Error::kNone);
    pump(pair.client, pair.server, buffer, pair.now);
  }
  EXPECT_EQ(g_allocations.load() - before, 0u);
}

}  // namespace
}  // namespace p2pnet
