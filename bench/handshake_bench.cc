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

#include "counting_allocator.h"
#include "crypto_floor.h"
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

  figures.client_handshake_bytes =
      static_cast<double>(sizeof(Connection)) + static_cast<double>(client_heap);
  figures.server_handshake_bytes =
      static_cast<double>(sizeof(Connection)) + static_cast<double>(server_heap);
  std::int64_t channel_heap = client_heap + client_complete_delta;
  figures.channel_idle_bytes =
      static_cast<double>(sizeof(Connection)) + static_cast<double>(channel_heap);

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
  figures.channel_1k_bytes =
      static_cast<double>(sizeof(Connection)) + static_cast<double>(channel_heap);
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
  const double iterations =
      static_cast<double>(std::max<benchmark::IterationCount>(state.iterations(), 1));
  state.counters["allocs_per_handshake"] = allocations / iterations;
  state.counters["client_handshake_bytes"] = memory.client_handshake_bytes;
  state.counters["server_handshake_bytes"] = memory.server_handshake_bytes;
  state.counters["channel_idle_bytes"] = memory.channel_idle_bytes;
  state.counters["channel_1KiB_bytes"] = memory.channel_1k_bytes;
  state.counters["handshakes_per_s"] =
      benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Handshake_Engine);

// --- The crypto floor (crypto_floor.h) ------------------------------------------------

void BM_Handshake_CryptoFloor(benchmark::State& state) {
  HandshakeFloor floor;
  for (auto _ : state) {
    if (!floor.both_sides()) {
      state.SkipWithError("crypto floor: sides disagree");
      break;
    }
  }
  state.counters["handshakes_per_s"] =
      benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Handshake_CryptoFloor);

}  // namespace
}  // namespace p2pnet::bench
