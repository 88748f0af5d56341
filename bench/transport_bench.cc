// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// transport_bench.cc: BM_Transport_Engine seals a message on an established client
// Connection and opens it on its server peer: send, then the frame handed to the
// server's handle_bytes straight from the client's send queue (peek_transmit,
// consume_transmit: what the socket server and the blocking driver write from), then
// poll_event. BM_Transport_Engine_Copy is the same with the frame first copied out of
// the queue into a socket-sized buffer (poll_transmit), as an event loop that must own
// what it writes does. BM_Transport_RawAEAD and BM_Transport_RawAEAD_OpenSSL do the
// same work with the bare calls of libsodium and of OpenSSL's EVP (raw_aead.h), the two
// backends the engine can use, sealing into a frame and opening from it with no copy in
// between: the ratio of BM_Transport_Engine to the faster of them is the engine's
// framing overhead, and BM_Transport_Engine_Copy adds the copy. Both engine benchmarks
// also count heap allocations per message once warmed up (the channel's buffers have
// reached their high-water mark).
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <vector>

#include "counting_allocator.h"
#include "raw_aead.h"
#include "shuttle.h"

namespace p2pnet::bench {
namespace {

using testing::heap_counts;
using testing::PinnedPeers;
using testing::shuttle;
using testing::ShuttleBuffer;

void set_transport_counters(benchmark::State& state, std::size_t message_size) {
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(message_size));
  state.counters["messages_per_s"] =
      benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}

// run_engine: |copy| selects poll_transmit into |buffer| over peek/consume_transmit.
void run_engine(benchmark::State& state, bool copy) {
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
      !shuttle(pair.client, pair.server, Instant{0}, buffer, nullptr, &received) ||
      received != message_size) {
    state.SkipWithError("engine warm-up message failed");
    return;
  }

  const std::uint64_t allocations_before = heap_counts().allocations;
  for (auto _ : state) {
    if (pair.client.send(message) != Error::kNone) {
      state.SkipWithError("send failed");
      break;
    }
    const ByteSpan frame = copy ? ByteSpan(buffer.data(), pair.client.poll_transmit(buffer))
                                : pair.client.peek_transmit();
    const ReadResult result = pair.server.handle_bytes(frame, Instant{0});
    if (!copy) pair.client.consume_transmit(result.consumed);
    const auto event = pair.server.poll_event();
    if (result.error != Error::kNone || result.consumed != frame.size() || !event ||
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

void BM_Transport_Engine(benchmark::State& state) { run_engine(state, false); }
BENCHMARK(BM_Transport_Engine)->Arg(64)->Arg(1024)->Arg(16384)->Arg(65536);

void BM_Transport_Engine_Copy(benchmark::State& state) { run_engine(state, true); }
BENCHMARK(BM_Transport_Engine_Copy)->Arg(64)->Arg(1024)->Arg(16384)->Arg(65536);

void run_raw_aead(benchmark::State& state, AeadLibrary library) {
  const auto message_size = static_cast<std::size_t>(state.range(0));
  RawAead raw(library, message_size);
  for (auto _ : state) {
    if (!raw.round_trip()) {
      state.SkipWithError("raw AEAD: seal or open failed");
      break;
    }
  }
  set_transport_counters(state, message_size);
}

void BM_Transport_RawAEAD(benchmark::State& state) { run_raw_aead(state, AeadLibrary::kSodium); }
BENCHMARK(BM_Transport_RawAEAD)->Arg(64)->Arg(256)->Arg(512)->Arg(1024)->Arg(16384)->Arg(65536);

void BM_Transport_RawAEAD_OpenSSL(benchmark::State& state) {
  run_raw_aead(state, AeadLibrary::kOpenSsl);
}
BENCHMARK(BM_Transport_RawAEAD_OpenSSL)
    ->Arg(64)
    ->Arg(256)
    ->Arg(512)
    ->Arg(1024)
    ->Arg(16384)
    ->Arg(65536);

}  // namespace
}  // namespace p2pnet::bench
