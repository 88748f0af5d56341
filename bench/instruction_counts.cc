// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// instruction_counts.cc: fixed-count loops for callgrind (scripts/bench.sh
// instructions). `p2pnet_instruction_counts MODE N [SIZE]` runs N iterations of one of:
//   handshake-engine  a client and a server Connection, the four messages carried
//                     between them, both kHandshakeComplete events, then teardown
//   handshake-floor   the libsodium calls protocol-v1 obliges both sides to make
//                     (crypto_floor.h)
//   noise-engine      protocol v2's handshake, Noise_XX_25519_ChaChaPoly_BLAKE2b with
//                     its prologue and payloads, through the engine's Noise core, both
//                     sides (noise_floor.h)
//   noise-floor       the libsodium calls that handshake obliges both sides to make
//   message-engine    one SIZE-byte message (default 16 KiB): send() on an established
//                     client, its frame handed to the server's handle_bytes straight
//                     from the client's queue (peek_transmit/consume_transmit, as the
//                     socket server writes), poll_event
//   message-engine-copy  the same, but the frame is first copied out of the queue
//                     into a caller buffer (poll_transmit, as an event loop writes)
//   message-raw       the same message sealed and opened with the bare calls of the
//                     library the engine uses at that size (raw_aead.h)
// The script runs each mode at two counts and divides the difference in instructions
// by the difference in iterations, so start-up (sodium_init, libcrypto's own
// initialisation, the first buffers) cancels out. Instruction counts do not depend
// on the machine's load, which is why the bench stage can gate on them.
#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "crypto_floor.h"
#include "noise_floor.h"
#include "p2pnet/internal/aead.h"
#include "p2pnet/random.h"
#include "raw_aead.h"
#include "shuttle.h"

namespace p2pnet::bench {
namespace {

using testing::complete_handshake;
using testing::PinnedPeers;
using testing::ShuttleBuffer;

constexpr std::size_t kDefaultMessageSize = 16384;

AeadLibrary engine_library_for(std::size_t size) {
  return aead_openssl_built_in() && size >= kOpenSslMinSize ? AeadLibrary::kOpenSsl
                                                            : AeadLibrary::kSodium;
}

bool handshakes(long count) {
  const PinnedPeers peers;
  static ShuttleBuffer buffer{};
  for (long i = 0; i < count; ++i) {
    Connection client = Connection::client(peers.client_config(), Instant{0});
    Connection server = Connection::server(peers.server_config(), Instant{0});
    if (!complete_handshake(client, server, buffer)) return false;
  }
  return true;
}

bool noise_handshakes(long count, bool floor) {
  const NoiseIdentities ids;
  for (long i = 0; i < count; ++i) {
    if (!(floor ? noise_xx_floor(ids) : noise_xx_engine(ids))) return false;
  }
  return true;
}

bool floors(long count) {
  HandshakeFloor floor;
  for (long i = 0; i < count; ++i) {
    if (!floor.both_sides()) return false;
  }
  return true;
}

// engine_messages: |copy| takes each frame out through poll_transmit into a buffer
// first, otherwise the server reads it from the client's queue.
// The handshake before the loop draws from seeded sources, so it costs the same
// instructions at both counts and cancels out exactly (with system randomness its
// variable-time signature checks left about +-200 instructions per message at 100
// iterations' difference, too much for an absolute gate).
bool engine_messages(long count, std::size_t size, bool copy) {
  const PinnedPeers peers;
  static ShuttleBuffer buffer{};
  DeterministicRandom client_random(1), server_random(2);
  ClientConfig client_config = peers.client_config();
  ServerConfig server_config = peers.server_config();
  client_config.random = &client_random;
  server_config.random = &server_random;
  struct {
    Connection client;
    Connection server;
  } pair{Connection::client(client_config, Instant{0}),
         Connection::server(server_config, Instant{0})};
  if (!complete_handshake(pair.client, pair.server, buffer)) return false;
  std::vector<std::uint8_t> message(size);
  randombytes_buf(message.data(), message.size());
  for (long i = 0; i < count; ++i) {
    if (pair.client.send(message) != Error::kNone) return false;
    std::size_t received = 0;
    for (ByteSpan out = pair.client.peek_transmit(); !out.empty();
         out = pair.client.peek_transmit()) {
      if (copy) out = ByteSpan(buffer.data(), pair.client.poll_transmit(buffer));
      const ReadResult result = pair.server.handle_bytes(out, Instant{0});
      if (result.error != Error::kNone || (copy && result.consumed != out.size())) return false;
      if (!copy) pair.client.consume_transmit(result.consumed);
      while (const auto event = pair.server.poll_event()) received += event->message.size();
    }
    if (received != size) return false;
  }
  return true;
}

bool raw_messages(long count, std::size_t size) {
  RawAead raw(engine_library_for(size), size);
  for (long i = 0; i < count; ++i) {
    if (!raw.round_trip()) return false;
  }
  return true;
}

}  // namespace
}  // namespace p2pnet::bench

int main(int argc, char** argv) {
  using namespace p2pnet::bench;
  const std::size_t size = argc == 4 ? std::strtoul(argv[3], nullptr, 10) : kDefaultMessageSize;
  if (argc < 3 || argc > 4 || size == 0 || size > p2pnet::kMaxMessageSizeLimit ||
      sodium_init() < 0) {
    std::fprintf(stderr,
                 "usage: p2pnet_instruction_counts handshake-engine|handshake-floor|"
                 "noise-engine|noise-floor|"
                 "message-engine|message-engine-copy|message-raw|library N [SIZE]\n");
    return 2;
  }
  const std::string_view mode = argv[1];
  char* end = nullptr;
  const long count = std::strtol(argv[2], &end, 10);
  if (end == argv[2] || *end != '\0' || count < 0) {
    std::fprintf(stderr, "p2pnet_instruction_counts: N must be a whole number\n");
    return 2;
  }
  bool ok = false;
  if (mode == "handshake-engine") {
    ok = handshakes(count);
  } else if (mode == "handshake-floor") {
    ok = floors(count);
  } else if (mode == "noise-engine") {
    ok = noise_handshakes(count, false);
  } else if (mode == "noise-floor") {
    ok = noise_handshakes(count, true);
  } else if (mode == "message-engine") {
    ok = engine_messages(count, size, false);
  } else if (mode == "message-engine-copy") {
    ok = engine_messages(count, size, true);
  } else if (mode == "message-raw") {
    ok = raw_messages(count, size);
  } else if (mode == "library") {  // which library message-raw uses, for the report
    std::printf("%s\n", aead_library_name(engine_library_for(size)));
    ok = true;
  } else {
    std::fprintf(stderr, "p2pnet_instruction_counts: unknown mode '%s'\n", argv[1]);
    return 2;
  }
  if (!ok) std::fprintf(stderr, "p2pnet_instruction_counts: %s failed\n", argv[1]);
  return ok ? 0 : 1;
}
