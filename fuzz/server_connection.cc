// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzz target server_connection: drives a server Connection (handshake, then
// channel) fed arbitrary bytes as if from a client.
//
// Input: [options] [chunk] [stream...] (support/stream_input.h). The stream arrives
// |chunk| bytes at a time (0: all at once). The server's identity and random seed are
// fixed (fixtures.h), so its challenge is the same on every run and a recorded client
// transcript in the corpus (ClientHello, KeyExchange, frames) still authenticates:
// the fuzzer starts from an established session and mutates from there.
// Options: bits 0-1 allow-list (none / client / stranger only / client and
// stranger); bit 2 close after the client's close_notify; then the bits every
// connection target shares: bit 3 echo every message back; bit 4 end of stream after
// the input; bit 5 small channel limit (64 bytes); bit 6 each chunk arrives one
// second after the previous one; and bit 7 a log hook and a key log are set (log.h,
// key_log.h).
//
// Beyond the ConnectionDriver's invariants: the server establishes only with the
// client identity, never when the allow-list leaves it out, and the i-th message it
// delivers is exactly scripted_message(i), the only frames a real client sealed. With
// the hooks: one key log line of the documented length exactly when the handshake
// completed, and one warning or error exactly when the connection failed.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "support/connection_driver.h"
#include "support/fixtures.h"
#include "support/fuzz_check.h"
#include "support/stream_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace p2pnet;
  using namespace p2pnet::fuzz;
  const auto input = parse_stream_input(data, size);
  if (!input) return 0;

  const std::array<PublicKey, 2> allowed{client_identity().public_key(),
                                         stranger_identity().public_key()};
  DeterministicRandom random(kServerRandomSeed);
  ServerConfig config;
  config.identity = &server_identity();
  config.random = &random;
  const unsigned allow_mode = input->options & 3u;
  if (allow_mode == 1) config.allowed_clients = std::span<const PublicKey>(allowed).first(1);
  if (allow_mode == 2) config.allowed_clients = std::span<const PublicKey>(allowed).last(1);
  if (allow_mode == 3) config.allowed_clients = std::span<const PublicKey>(allowed);
  constexpr std::uint8_t kCloseAfterPeer = 1u << 2;
  const bool close_after_peer = input->has(kCloseAfterPeer);
  apply_channel_options(*input, config.channel);

  std::size_t key_lines = 0, failures = 0;
  const LogHook log_hook = [&failures](LogLevel level, std::uint64_t, std::string_view message) {
    FUZZ_CHECK(!message.empty() && message.size() < 200);
    if (level >= LogLevel::kWarning) ++failures;
  };
  const KeyLogHook key_log = [&key_lines](std::string_view line) {
    FUZZ_CHECK(line.size() == kKeyLogLabel.size() + 3 * 65);
    ++key_lines;
  };
  constexpr std::uint8_t kHooks = 1u << 7;
  const bool hooks = input->has(kHooks);
  if (hooks) {
    config.log_hook = &log_hook;
    config.key_log = &key_log;
  }

  Connection server = Connection::server(config, Instant{0});
  ConnectionDriver driver(server, client_identity().public_key(), config.channel);
  feed_connection(driver, *input, close_after_peer);

  if (allow_mode == 2) FUZZ_CHECK(!driver.handshake_complete());
  if (hooks) {
    FUZZ_CHECK(key_lines == (driver.handshake_complete() ? 1u : 0u));
    FUZZ_CHECK(failures == (server.error() != Error::kNone ? 1u : 0u));
  }
  FUZZ_CHECK(is_scripted(driver.received()));
  return 0;
}
