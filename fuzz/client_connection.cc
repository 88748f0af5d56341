// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzz target client_connection: drives a client Connection answered by a scripted
// server: the input is everything the server says (ServerHello, Accept, frames,
// Error messages), and the fuzzer mutates that script.
//
// Input: [options] [chunk] [script...] (support/stream_input.h). The script arrives
// |chunk| bytes at a time (0: all at once). The client's identity and random seed are
// fixed (fixtures.h), so its ephemeral key is the same on every run and a recorded
// server transcript in the corpus still authenticates.
// Options: bits 0-1 expected server (the server / any / the stranger / the server);
// bit 2 replay: run the script twice with one replay cache; bit 7 the replay cache
// holds a single entry, already taken by another challenge (eviction); and the bits
// every connection target shares: bit 3 echo every message back; bit 4 end of stream
// after the script; bit 5 small channel limit (64 bytes); bit 6 each chunk arrives
// one second after the previous one.
//
// Beyond the ConnectionDriver's invariants: the client establishes only with the
// server identity, never when it expects the stranger; the i-th message it delivers
// is exactly scripted_message(i); and with a shared replay cache, a second run of a
// script whose first run signed a challenge fails with kReplayedChallenge.
#include <array>
#include <cstddef>
#include <cstdint>

#include "support/connection_driver.h"
#include "support/fixtures.h"
#include "support/fuzz_check.h"
#include "support/stream_input.h"

namespace p2pnet::fuzz {
namespace {

struct Run {
  Error error = Error::kNone;
  bool established = false;
  bool signed_challenge = false;  // the client sent a KeyExchange
};

Run run_script(const StreamInput& input, ReplayCache* cache) {
  DeterministicRandom random(kClientRandomSeed);
  ClientConfig config;
  config.identity = &client_identity();
  config.random = &random;
  config.replay_cache = cache;
  const unsigned expect_mode = input.options & 3u;
  if (expect_mode == 0 || expect_mode == 3) config.expected_server = server_identity().public_key();
  if (expect_mode == 2) config.expected_server = stranger_identity().public_key();
  apply_channel_options(input, config.channel);

  Connection client = Connection::client(config, Instant{0});
  ConnectionDriver driver(client, server_identity().public_key(), config.channel);
  Bytes sent = driver.take_output();
  feed_connection(driver, input, false);
  const Bytes out = driver.take_output();
  sent.insert(sent.end(), out.begin(), out.end());

  if (expect_mode == 2) FUZZ_CHECK(!driver.handshake_complete());
  FUZZ_CHECK(is_scripted(driver.received()));
  // The client's output starts with its ClientHello; a KeyExchange right after it
  // means a challenge was signed.
  return Run{client.error(), driver.handshake_complete(),
             sent.size() >= kClientHelloSize + kKeyExchangeSize &&
                 sent[kClientHelloSize] == static_cast<std::uint8_t>(MessageType::kKeyExchange)};
}

}  // namespace
}  // namespace p2pnet::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace p2pnet;
  using namespace p2pnet::fuzz;
  const auto input = parse_stream_input(data, size);
  if (!input) return 0;

  constexpr std::uint8_t kReplay = 1u << 2;
  constexpr std::uint8_t kTinyCache = 1u << 7;
  const bool replay = input->has(kReplay);
  const bool tiny_cache = input->has(kTinyCache);
  ReplayCache cache(tiny_cache ? 1 : ReplayCache::kDefaultCapacity);
  if (tiny_cache) {
    Challenge other{};
    other.fill(0xEE);
    FUZZ_CHECK(cache.insert(other));
    FUZZ_CHECK(!cache.insert(other));
  }
  const Run first = run_script(*input, replay || tiny_cache ? &cache : nullptr);
  if (first.signed_challenge && (replay || tiny_cache)) FUZZ_CHECK(cache.size() == 1);
  if (!replay) return 0;
  const Run second = run_script(*input, &cache);
  if (first.signed_challenge) {
    // Same script, same challenge: the cache must stop the client from signing again.
    FUZZ_CHECK(!second.established);
    FUZZ_CHECK(!second.signed_challenge);
    FUZZ_CHECK(second.error == Error::kReplayedChallenge);
  }
  return 0;
}
