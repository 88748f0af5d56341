// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// handshake_bench.cc: BM_Handshake_Engine (the real engine, both sides in one thread)
// and BM_Handshake_CryptoFloor (only the libsodium calls protocol-v1 obliges both
// sides to make). Their ratio is the engine's overhead over its own cryptography.
// BM_Handshake_Engine also reports the engine's heap allocations per handshake and
// the byte size of a client handshake, a server handshake and an established channel.
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "counting_allocator.h"
#include "p2pnet/internal/key_schedule.h"
#include "shuttle.h"

namespace p2pnet::bench {
namespace {

using testing::heap_counts;
using testing::PinnedPeers;
using testing::shuttle;
using testing::ShuttleBuffer;

std::int64_t live_bytes() { return heap_counts().live_bytes; }

// Memory figures, measured once outside the timed loop. A connection's size is its
// sizeof plus the heap it owns; the heap part is the live-byte delta of operations
// that touch only that connection.
struct MemoryFigures {
  double client_handshake_bytes = 0;  // largest size while the client handshakes
  double server_handshake_bytes = 0;  // largest size while the server handshakes
  double channel_idle_bytes = 0;      // an established connection before any traffic
  double channel_1k_bytes = 0;        // after one 1 KiB message each way
  bool ok = false;
};

MemoryFigures measure_memory(const PinnedPeers& peers, ShuttleBuffer& buffer) {
  MemoryFigures figures;
  const Instant now{0};
  const std::int64_t base = live_bytes();
  Connection client = Connection::client(peers.client_config(), now);
  std::int64_t client_heap = live_bytes() - base;
  const std::int64_t after_client = live_bytes();
  Connection server = Connection::server(peers.server_config(), now);
  std::int64_t server_heap = live_bytes() - after_client;

  bool client_done = false;
  bool server_done = false;
  // Each step changes only the receiving side's state (the sender's output queue is a
  // fixed array), so the delta of a step belongs to the receiver.
  std::int64_t before = live_bytes();
  bool ok = shuttle(client, server, now, buffer, &server_done);  // ClientHello
  server_heap = std::max(server_heap, server_heap + live_bytes() - before);
  before = live_bytes();
  ok = ok && shuttle(server, client, now, buffer, &client_done);  // ServerHello
  client_heap = std::max(client_heap, client_heap + live_bytes() - before);
  ok = ok && shuttle(client, server, now, buffer, &server_done);  // KeyExchange
  before = live_bytes();
  ok = ok && shuttle(server, client, now, buffer, &client_done);  // Accept
  const std::int64_t client_complete_delta = live_bytes() - before;
  ok = ok && client_done && server_done;

  figures.client_handshake_bytes = static_cast<double>(sizeof(Connection)) + static_cast<double>(client_heap);
  figures.server_handshake_bytes = static_cast<double>(sizeof(Connection)) + static_cast<double>(server_heap);
  std::int64_t channel_heap = client_heap + client_complete_delta;
  figures.channel_idle_bytes = static_cast<double>(sizeof(Connection)) + static_cast<double>(channel_heap);

  // One 1 KiB message each way grows the client's send queue and receive buffer.
  std::array<std::uint8_t, 1024> message{};
  before = live_bytes();
  ok = ok && client.send(message) == Error::kNone;
  channel_heap += live_bytes() - before;
  ok = ok && shuttle(client, server, now, buffer);
  ok = ok && server.send(message) == Error::kNone;
  before = live_bytes();
  ok = ok && shuttle(server, client, now, buffer);
  channel_heap += live_bytes() - before;
  figures.channel_1k_bytes = static_cast<double>(sizeof(Connection)) + static_cast<double>(channel_heap);
  figures.ok = ok;
  return figures;
}

void BM_Handshake_Engine(benchmark::State& state) {
  const PinnedPeers peers;
  ShuttleBuffer buffer{};
  const MemoryFigures memory = measure_memory(peers, buffer);
  if (!memory.ok) {
    state.SkipWithError("memory measurement handshake failed");
    return;
  }

  const std::uint64_t allocations_before = heap_counts().allocations;
  for (auto _ : state) {
    // Creation, the four messages with real randomness and key schedule, teardown.
    Connection client = Connection::client(peers.client_config(), Instant{0});
    Connection server = Connection::server(peers.server_config(), Instant{0});
    if (!testing::complete_handshake(client, server, buffer)) {
      state.SkipWithError("engine handshake failed");
      break;
    }
    benchmark::DoNotOptimize(client.session_key().data());
  }
  const double allocations = static_cast<double>(heap_counts().allocations - allocations_before);
  const double iterations = static_cast<double>(std::max<benchmark::IterationCount>(state.iterations(), 1));
  state.counters["allocs_per_handshake"] = allocations / iterations;
  state.counters["client_handshake_bytes"] = memory.client_handshake_bytes;
  state.counters["server_handshake_bytes"] = memory.server_handshake_bytes;
  state.counters["channel_idle_bytes"] = memory.channel_idle_bytes;
  state.counters["channel_1KiB_bytes"] = memory.channel_1k_bytes;
  state.counters["handshakes_per_s"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Handshake_Engine);

// --- The crypto floor -----------------------------------------------------------------

// One side's long-term Ed25519 key pair, made once (loading it is not per handshake).
struct SigningKey {
  std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES> public_key{};
  std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> secret_key{};
  SigningKey() { crypto_sign_keypair(public_key.data(), secret_key.data()); }
  ~SigningKey() { sodium_memzero(secret_key.data(), secret_key.size()); }
};

// BLAKE2b-256(shared || client_id || server_id || label), then the two keyed traffic
// keys: the derivations protocol-v1 "Keys" prescribes.
void derive_keys(const std::uint8_t* shared, const SigningKey& client, const SigningKey& server,
                 const std::uint8_t* tail, std::size_t tail_size, std::uint8_t* keys_out) {
  crypto_generichash_state hash;
  crypto_generichash_init(&hash, nullptr, 0, kKeySize);
  crypto_generichash_update(&hash, shared, crypto_scalarmult_BYTES);
  crypto_generichash_update(&hash, client.public_key.data(), client.public_key.size());
  crypto_generichash_update(&hash, server.public_key.data(), server.public_key.size());
  crypto_generichash_update(&hash, reinterpret_cast<const std::uint8_t*>(kSessionKeyLabel.data()),
                            kSessionKeyLabel.size());
  crypto_generichash_final(&hash, keys_out, kKeySize);
  for (const std::string_view label : {kClientToServerLabel, kServerToClientLabel}) {
    keys_out += kKeySize;
    crypto_generichash_init(&hash, keys_out - kKeySize, kKeySize, kKeySize);
    crypto_generichash_update(&hash, reinterpret_cast<const std::uint8_t*>(label.data()), label.size());
    crypto_generichash_update(&hash, tail, tail_size);
    crypto_generichash_final(&hash, keys_out, kKeySize);
  }
  sodium_memzero(&hash, sizeof hash);
}

void BM_Handshake_CryptoFloor(benchmark::State& state) {
  const SigningKey client_id;
  const SigningKey server_id;
  // The longest signed content (server): label || challenge || 2 eph || 2 ids. Its
  // bytes do not change the cost of signing, only its length does.
  std::array<std::uint8_t, kMaxSignedContentSize> client_content{};
  std::array<std::uint8_t, kMaxSignedContentSize> server_content{};
  const std::size_t client_content_size = kClientAuthLabel.size() + kChallengeSize + 32 + 2 * 32;
  std::array<std::uint8_t, 32> challenge{};
  std::array<std::uint8_t, 32> client_eph_secret{}, client_eph_public{};
  std::array<std::uint8_t, 32> server_eph_secret{}, server_eph_public{};
  std::array<std::uint8_t, 32> client_shared{}, server_shared{};
  std::array<std::uint8_t, 64> client_sig{}, server_sig{};
  std::array<std::uint8_t, 3 * kKeySize> client_keys{}, server_keys{};
  std::array<std::uint8_t, 96> tail{};  // challenge || client_eph || server_eph

  for (auto _ : state) {
    // Server: 32 random bytes of challenge.
    randombytes_buf(challenge.data(), challenge.size());
    // Client: ephemeral key pair, sign its content.
    randombytes_buf(client_eph_secret.data(), client_eph_secret.size());
    crypto_scalarmult_base(client_eph_public.data(), client_eph_secret.data());
    std::memcpy(client_content.data() + kClientAuthLabel.size() + kChallengeSize, client_eph_public.data(), 32);
    crypto_sign_detached(client_sig.data(), nullptr, client_content.data(), client_content_size,
                         client_id.secret_key.data());
    // Server: verify the client, ephemeral key pair, X25519, derive, sign.
    bool ok = crypto_sign_verify_detached(client_sig.data(), client_content.data(), client_content_size,
                                          client_id.public_key.data()) == 0;
    randombytes_buf(server_eph_secret.data(), server_eph_secret.size());
    crypto_scalarmult_base(server_eph_public.data(), server_eph_secret.data());
    ok = ok && crypto_scalarmult(server_shared.data(), server_eph_secret.data(), client_eph_public.data()) == 0;
    std::memcpy(tail.data(), challenge.data(), 32);
    std::memcpy(tail.data() + 32, client_eph_public.data(), 32);
    std::memcpy(tail.data() + 64, server_eph_public.data(), 32);
    derive_keys(server_shared.data(), client_id, server_id, tail.data(), tail.size(), server_keys.data());
    std::memcpy(server_content.data() + kServerAuthLabel.size() + kChallengeSize, server_eph_public.data(), 32);
    crypto_sign_detached(server_sig.data(), nullptr, server_content.data(), server_content.size(),
                         server_id.secret_key.data());
    // Client: verify the server, X25519, derive.
    ok = ok && crypto_sign_verify_detached(server_sig.data(), server_content.data(), server_content.size(),
                                           server_id.public_key.data()) == 0;
    ok = ok && crypto_scalarmult(client_shared.data(), client_eph_secret.data(), server_eph_public.data()) == 0;
    derive_keys(client_shared.data(), client_id, server_id, tail.data(), tail.size(), client_keys.data());
    if (!ok || sodium_memcmp(client_keys.data(), server_keys.data(), client_keys.size()) != 0) {
      state.SkipWithError("crypto floor: sides disagree");
      break;
    }
    benchmark::DoNotOptimize(client_keys.data());
  }
  sodium_memzero(client_eph_secret.data(), client_eph_secret.size());
  sodium_memzero(server_eph_secret.data(), server_eph_secret.size());
  state.counters["handshakes_per_s"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Handshake_CryptoFloor);

}  // namespace
}  // namespace p2pnet::bench
