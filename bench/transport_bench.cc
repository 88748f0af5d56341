// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// transport_bench.cc: BM_Transport_Engine seals a message on an established client
// Connection and opens it on its server peer, through the same calls an event loop
// makes (send, poll_transmit into a socket-sized buffer, handle_bytes, poll_event).
// BM_Transport_RawAEAD does the same work with bare libsodium: a 4-byte length header
// as associated data, a counter nonce, seal and open. Their ratio is the engine's
// framing overhead. BM_Transport_Engine also counts heap allocations per message once
// warmed up (the channel's buffers have reached their high-water mark).
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <vector>

#include "counting_allocator.h"
#include "shuttle.h"

namespace p2pnet::bench {
namespace {

using testing::heap_counts;
using testing::PinnedPeers;
using testing::shuttle;
using testing::ShuttleBuffer;

constexpr std::size_t kHeaderSize = 4;
constexpr std::size_t kTagSize = crypto_aead_chacha20poly1305_ietf_ABYTES;

void set_transport_counters(benchmark::State& state, std::size_t message_size) {
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(message_size));
  state.counters["messages_per_s"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Transport_Engine(benchmark::State& state) {
  const auto message_size = static_cast<std::size_t>(state.range(0));
  const PinnedPeers peers;
  ShuttleBuffer buffer{};
  testing::ShuttledPair pair(peers, buffer);
  if (!pair.ok()) {
    state.SkipWithError("engine handshake failed");
    return;
  }
  std::vector<std::uint8_t> message(message_size);
  randombytes_buf(message.data(), message.size());

  // One message before timing: the channel's buffers grow to their high-water mark.
  std::size_t received = 0;
  if (pair.client.send(message) != Error::kNone ||
      !shuttle(pair.client, pair.server, Instant{0}, buffer, nullptr, &received) || received != message_size) {
    state.SkipWithError("engine warm-up message failed");
    return;
  }

  const std::uint64_t allocations_before = heap_counts().allocations;
  for (auto _ : state) {
    if (pair.client.send(message) != Error::kNone) {
      state.SkipWithError("send failed");
      break;
    }
    const std::size_t n = pair.client.poll_transmit(buffer);
    const ReadResult result = pair.server.handle_bytes(ByteSpan(buffer.data(), n), Instant{0});
    const auto event = pair.server.poll_event();
    if (result.error != Error::kNone || result.consumed != n || !event ||
        event->type != EventType::kMessage || event->message.size() != message_size) {
      state.SkipWithError("open failed");
      break;
    }
    benchmark::DoNotOptimize(event->message.data());
  }
  const double allocations = static_cast<double>(heap_counts().allocations - allocations_before);
  state.counters["allocs_per_message"] =
      allocations / static_cast<double>(std::max<benchmark::IterationCount>(state.iterations(), 1));
  set_transport_counters(state, message_size);
}
BENCHMARK(BM_Transport_Engine)->Arg(64)->Arg(1024)->Arg(16384)->Arg(65536);

void BM_Transport_RawAEAD(benchmark::State& state) {
  const auto message_size = static_cast<std::size_t>(state.range(0));
  std::array<std::uint8_t, crypto_aead_chacha20poly1305_ietf_KEYBYTES> key{};
  crypto_aead_chacha20poly1305_ietf_keygen(key.data());
  std::vector<std::uint8_t> message(message_size);
  randombytes_buf(message.data(), message.size());
  std::vector<std::uint8_t> frame(kHeaderSize + message_size + kTagSize);
  std::vector<std::uint8_t> opened(message_size);
  std::array<std::uint8_t, crypto_aead_chacha20poly1305_ietf_NPUBBYTES> send_nonce{};
  std::array<std::uint8_t, crypto_aead_chacha20poly1305_ietf_NPUBBYTES> receive_nonce{};
  std::uint64_t send_counter = 0;
  std::uint64_t receive_counter = 0;

  for (auto _ : state) {
    // Seal: header = big-endian length, nonce = 4 zero bytes || little-endian counter.
    const auto length = static_cast<std::uint32_t>(message_size);
    frame[0] = static_cast<std::uint8_t>(length >> 24);
    frame[1] = static_cast<std::uint8_t>(length >> 16);
    frame[2] = static_cast<std::uint8_t>(length >> 8);
    frame[3] = static_cast<std::uint8_t>(length);
    for (std::size_t i = 0; i < 8; ++i) send_nonce[4 + i] = static_cast<std::uint8_t>(send_counter >> (8 * i));
    ++send_counter;
    crypto_aead_chacha20poly1305_ietf_encrypt_detached(
        frame.data() + kHeaderSize, frame.data() + kHeaderSize + message_size, nullptr, message.data(),
        message_size, frame.data(), kHeaderSize, nullptr, send_nonce.data(), key.data());
    // Open.
    for (std::size_t i = 0; i < 8; ++i) {
      receive_nonce[4 + i] = static_cast<std::uint8_t>(receive_counter >> (8 * i));
    }
    if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
            opened.data(), nullptr, frame.data() + kHeaderSize, message_size,
            frame.data() + kHeaderSize + message_size, frame.data(), kHeaderSize, receive_nonce.data(),
            key.data()) != 0) {
      state.SkipWithError("open failed");
      break;
    }
    ++receive_counter;
    benchmark::DoNotOptimize(opened.data());
  }
  sodium_memzero(key.data(), key.size());
  set_transport_counters(state, message_size);
}
BENCHMARK(BM_Transport_RawAEAD)->Arg(64)->Arg(1024)->Arg(16384)->Arg(65536);

}  // namespace
}  // namespace p2pnet::bench
