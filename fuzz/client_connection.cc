// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzz target client_connection: drives a client Connection answered by a scripted
// server: the input is everything the server says (ServerHello, Accept, frames,
// Error messages), and the fuzzer mutates that script.
//
// Input: [options] [chunk] [script...]. The script arrives |chunk| bytes at a time
// (0: all at once). The client's identity and random seed are fixed (fixtures.h), so
// its ephemeral key is the same on every run and a recorded server transcript in the
// corpus still authenticates.
// Options: bits 0-1 expected server (the server / any / the stranger / the server);
// bit 2 replay: run the script twice with one replay cache; bit 3 echo every message
// back; bit 4 end of stream after the script; bit 5 small channel limit (64 bytes);
// bit 6 each chunk arrives one second after the previous one; bit 7 the replay cache
// holds a single entry, already taken by another challenge (eviction).
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

namespace p2pnet::fuzz {
namespace {

struct Run {
  Error error = Error::kNone;
  bool established = false;
  bool signed_challenge = false;  // the client sent a KeyExchange
};

Run run_script(ByteSpan script, std::size_t chunk, std::uint8_t options, ReplayCache* cache) {
  DeterministicRandom random(kClientRandomSeed);
  ClientConfig config;
  config.identity = &client_identity();
  config.random = &random;
  config.replay_cache = cache;
  const unsigned expect_mode = options & 3u;
  if (expect_mode == 0 || expect_mode == 3) config.expected_server = server_identity().public_key();
  if (expect_mode == 2) config.expected_server = stranger_identity().public_key();
  const bool echo = (options & 8u) != 0;
  const bool eof = (options & 16u) != 0;
  if ((options & 32u) != 0) config.channel.max_message_size = 64;
  const Duration step = (options & 64u) != 0 ? Duration{1000} : Duration{0};

  Instant now{0};
  Connection client = Connection::client(config, now);
  ConnectionDriver driver(client, server_identity().public_key(), config.channel);
  Bytes sent = driver.take_output();
  std::size_t echoed = 0;
  for (std::size_t offset = 0; offset < script.size(); offset += chunk) {
    const ByteSpan piece = script.subspan(offset, std::min(chunk, script.size() - offset));
    if (step.count() != 0) {
      now += step;
      (void)driver.advance_to(now);
    }
    (void)driver.deliver(piece, now);
    while (echo && echoed < driver.received().size()) (void)driver.send(driver.received()[echoed++]);
    const Bytes out = driver.take_output();
    sent.insert(sent.end(), out.begin(), out.end());
  }
  if (eof) (void)driver.deliver_eof(now);
  const Bytes out = driver.take_output();
  sent.insert(sent.end(), out.begin(), out.end());

  if (expect_mode == 2) FUZZ_CHECK(!driver.handshake_complete());
  const auto& received = driver.received();
  for (std::size_t i = 0; i < received.size(); ++i) FUZZ_CHECK(received[i] == scripted_message(i));
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
  if (size < 2) return 0;
  const std::uint8_t options = data[0];
  const std::size_t chunk = data[1] == 0 ? size : data[1];
  const ByteSpan script(data + 2, size - 2);

  const bool replay = (options & 4u) != 0;
  const bool tiny_cache = (options & 128u) != 0;
  ReplayCache cache(tiny_cache ? 1 : ReplayCache::kDefaultCapacity);
  if (tiny_cache) {
    Challenge other{};
    other.fill(0xEE);
    FUZZ_CHECK(cache.insert(other));
    FUZZ_CHECK(!cache.insert(other));
  }
  const Run first = run_script(script, chunk, options, replay || tiny_cache ? &cache : nullptr);
  if (first.signed_challenge && (replay || tiny_cache)) FUZZ_CHECK(cache.size() == 1);
  if (!replay) return 0;
  const Run second = run_script(script, chunk, options, &cache);
  if (first.signed_challenge) {
    // Same script, same challenge: the cache must stop the client from signing again.
    FUZZ_CHECK(!second.established);
    FUZZ_CHECK(!second.signed_challenge);
    FUZZ_CHECK(second.error == Error::kReplayedChallenge);
  }
  return 0;
}
