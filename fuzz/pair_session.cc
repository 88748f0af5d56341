// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzz target pair_session: drives a whole client/server pair of Connections over a
// hostile in-memory link (after ngtcp2's read_write_pkt.cc). A FuzzedDataProvider
// picks the configs and random seeds, then a script of actions: deliver part of
// what one side sent, with a fault (bit flip, drop, duplicate, delay behind later
// bytes); advance time; send a message; close; end a side's stream. Splits and
// merges come free: a delivery takes any number of bytes from the link.
//
// Invariants, checked whatever the faults (besides the ConnectionDriver's):
//   - when both sides completed the handshake they agree on the transcript and on
//     every key (both sides' signatures cover the whole transcript);
//   - each side received a prefix, in order, of what the other side sent, and
//     PeerClosed only if the other side closed;
// and, when nothing was tampered with, no stream was ended, the configs agree and no
// deadline passed, liveness: after the link settles both sides are established and
// each received exactly everything the other sent.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "FuzzedDataProvider.h"
#include "p2pnet/internal/connection_test_access.h"
#include "support/connection_driver.h"
#include "support/fixtures.h"
#include "support/fuzz_check.h"

namespace p2pnet::fuzz {
namespace {

// completed: the handshake finished and the connection did not fail (it may be closed).
bool completed(const Connection& connection) {
  return connection.state() == ConnectionState::kEstablished ||
         connection.state() == ConnectionState::kClosed;
}

// SometimesFailingRandom is a DeterministicRandom whose |fail_at|-th draw (1-based;
// 0: never) fails, to reach the engine's fail-closed paths.
class SometimesFailingRandom final : public RandomSource {
 public:
  SometimesFailingRandom(std::uint64_t seed, unsigned fail_at) : random_(seed), fail_at_(fail_at) {}
  bool fill(std::span<std::uint8_t> out) override {
    if (++calls_ == fail_at_) {
      failed_ = true;
      return false;
    }
    return random_.fill(out);
  }
  bool failed() const { return failed_; }

 private:
  DeterministicRandom random_;
  unsigned fail_at_;
  unsigned calls_ = 0;
  bool failed_ = false;
};

enum class Action : std::uint8_t {
  kDeliverToServer,
  kDeliverToClient,
  kAdvanceTime,
  kClientSend,
  kServerSend,
  kClientClose,
  kServerClose,
  kClientEndOfStream,
  kServerEndOfStream,
  kMaxValue = kServerEndOfStream,
};

enum class Fault : std::uint8_t { kNone, kFlip, kDrop, kDuplicate, kDelay, kMaxValue = kDelay };

constexpr int kMaxActions = 400;

// deliver moves up to a fuzzer-chosen number of bytes from |link| to |to|, applying
// a fault. Returns true if the fault changed what arrives.
bool deliver(FuzzedDataProvider& fdp, Bytes& link, ConnectionDriver& to, Instant now) {
  if (link.empty()) return false;
  const std::size_t n = fdp.ConsumeIntegralInRange<std::size_t>(1, link.size());
  Bytes piece(link.begin(), link.begin() + static_cast<std::ptrdiff_t>(n));
  link.erase(link.begin(), link.begin() + static_cast<std::ptrdiff_t>(n));
  switch (fdp.ConsumeEnum<Fault>()) {
    case Fault::kNone: (void)to.deliver(piece, now); return false;
    case Fault::kFlip: {
      const std::size_t at = fdp.ConsumeIntegralInRange<std::size_t>(0, n - 1);
      piece[at] ^= static_cast<std::uint8_t>(1u << fdp.ConsumeIntegralInRange(0, 7));
      (void)to.deliver(piece, now);
      return true;
    }
    case Fault::kDrop: return true;
    case Fault::kDuplicate:
      (void)to.deliver(piece, now);
      (void)to.deliver(piece, now);
      return true;
    case Fault::kDelay: {
      const bool reorders = !link.empty();
      link.insert(link.end(), piece.begin(), piece.end());
      return reorders;
    }
  }
  return false;
}

// is_prefix: |got| is the first got.size() entries of |sent|.
bool is_prefix(const std::vector<Bytes>& got, const std::vector<Bytes>& sent) {
  return got.size() <= sent.size() && std::equal(got.begin(), got.end(), sent.begin());
}

}  // namespace
}  // namespace p2pnet::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace p2pnet;
  using namespace p2pnet::fuzz;
  FuzzedDataProvider fdp(data, size);

  // Configuration. Zero bytes (an exhausted provider) pick the ordinary choice.
  // One value per statement: the order of evaluation of function arguments is
  // unspecified, and g++ and clang differ, which would make the replay tests read
  // a different script from the same file.
  const auto client_seed = fdp.ConsumeIntegral<std::uint64_t>();
  const auto client_fail_at = fdp.ConsumeIntegralInRange(0u, 15u);
  const auto server_seed = fdp.ConsumeIntegral<std::uint64_t>();
  const auto server_fail_at = fdp.ConsumeIntegralInRange(0u, 15u);
  SometimesFailingRandom client_random(client_seed, client_fail_at);
  SometimesFailingRandom server_random(server_seed, server_fail_at);
  const unsigned expect_mode = fdp.ConsumeIntegralInRange(0u, 3u);  // 2: any, 3: stranger
  const unsigned allow_mode = fdp.ConsumeIntegralInRange(0u, 3u);   // 2: +stranger, 3: stranger
  const Duration timeout = fdp.ConsumeBool()
                               ? Duration{fdp.ConsumeIntegralInRange<std::int64_t>(-1, 30000)}
                               : kDefaultHandshakeTimeout;
  ChannelConfig channel;
  switch (fdp.ConsumeIntegralInRange(0, 7)) {
    case 0: break;                                                       // the default 1 MiB
    case 6: channel.max_message_size = 0; break;                         // invalid
    case 7: channel.max_message_size = kMaxMessageSizeLimit + 1; break;  // invalid
    default: channel.max_message_size = fdp.ConsumeIntegralInRange<std::size_t>(1, 300); break;
  }
  if (fdp.ConsumeBool()) {
    // Around the smallest valid bound, one full frame (config.h): the first 19 values
    // are below it and make the config invalid.
    const auto above_limit = fdp.ConsumeIntegralInRange<std::size_t>(1, 1000);
    channel.max_pending_output = channel.max_message_size + above_limit;
  }
  const bool use_replay_cache = fdp.ConsumeBool();

  const std::array<PublicKey, 2> allowed{client_identity().public_key(),
                                         stranger_identity().public_key()};
  ReplayCache cache(4);
  ClientConfig client_config;
  client_config.identity = &client_identity();
  client_config.random = &client_random;
  client_config.replay_cache = use_replay_cache ? &cache : nullptr;
  client_config.handshake_timeout = timeout;
  client_config.channel = channel;
  if (expect_mode <= 1) client_config.expected_server = server_identity().public_key();
  if (expect_mode == 3) client_config.expected_server = stranger_identity().public_key();
  ServerConfig server_config;
  server_config.identity = &server_identity();
  server_config.random = &server_random;
  server_config.handshake_timeout = timeout;
  server_config.channel = channel;
  if (allow_mode == 2) server_config.allowed_clients = std::span<const PublicKey>(allowed);
  if (allow_mode == 3) server_config.allowed_clients = std::span<const PublicKey>(allowed).last(1);

  const Instant start{0};
  Instant now = start;
  Connection client = Connection::client(client_config, now);
  Connection server = Connection::server(server_config, now);
  ConnectionDriver client_side(client, server_identity().public_key(), channel);
  ConnectionDriver server_side(server, client_identity().public_key(), channel);
  Bytes to_server = client_side.take_output();
  Bytes to_client;
  bool tampered = false;
  bool stream_ended = false;

  auto collect = [&] {
    const Bytes c = client_side.take_output();
    to_server.insert(to_server.end(), c.begin(), c.end());
    const Bytes s = server_side.take_output();
    to_client.insert(to_client.end(), s.begin(), s.end());
  };

  for (int i = 0; i < kMaxActions && fdp.remaining_bytes() > 0; ++i) {
    switch (fdp.ConsumeEnum<Action>()) {
      case Action::kDeliverToServer: tampered |= deliver(fdp, to_server, server_side, now); break;
      case Action::kDeliverToClient: tampered |= deliver(fdp, to_client, client_side, now); break;
      case Action::kAdvanceTime:
        now += Duration{fdp.ConsumeIntegralInRange<std::int64_t>(0, 12000)};
        (void)client_side.advance_to(now);
        (void)server_side.advance_to(now);
        break;
      case Action::kClientSend:
        (void)client_side.send(
            fdp.ConsumeBytes<std::uint8_t>(fdp.ConsumeIntegralInRange<std::size_t>(0, 300)));
        break;
      case Action::kServerSend:
        (void)server_side.send(
            fdp.ConsumeBytes<std::uint8_t>(fdp.ConsumeIntegralInRange<std::size_t>(0, 300)));
        break;
      case Action::kClientClose: (void)client_side.close(); break;
      case Action::kServerClose: (void)server_side.close(); break;
      case Action::kClientEndOfStream:
        (void)client_side.deliver_eof(now);
        stream_ended = true;
        break;
      case Action::kServerEndOfStream:
        (void)server_side.deliver_eof(now);
        stream_ended = true;
        break;
    }
    collect();
  }

  // Let the link settle: everything still in flight arrives, whole and unharmed.
  for (int round = 0; round < 8 && (!to_server.empty() || !to_client.empty()); ++round) {
    const Bytes s = std::exchange(to_server, {});
    const Bytes c = std::exchange(to_client, {});
    if (!s.empty()) (void)server_side.deliver(s, now);
    if (!c.empty()) (void)client_side.deliver(c, now);
    collect();
  }

  // Safety, whatever happened on the link. Keys are compared as each side read its
  // session key at kHandshakeComplete, and where both still hold a traffic key (a
  // direction that is done has wiped it).
  const Bytes& client_key = client_side.session_key_at_completion();
  const Bytes& server_key = server_side.session_key_at_completion();
  if (!client_key.empty() && !server_key.empty()) {
    FUZZ_CHECK(client_key == server_key);
    // key_schedule.h: both sides of a session print the same fingerprint.
    FUZZ_CHECK(key_fingerprint(client_key) == key_fingerprint(server_key));
  }
  const auto both_hold = [](ByteSpan a, ByteSpan b) { return !a.empty() && !b.empty(); };
  using Access = ConnectionTestAccess;
  if (both_hold(Access::key_c2s(client), Access::key_c2s(server))) {
    FUZZ_CHECK(std::ranges::equal(Access::key_c2s(client), Access::key_c2s(server)));
  }
  if (both_hold(Access::key_s2c(client), Access::key_s2c(server))) {
    FUZZ_CHECK(std::ranges::equal(Access::key_s2c(client), Access::key_s2c(server)));
  }
  if (completed(client) && completed(server)) {
    const Transcript& a = *Access::transcript(client);
    const Transcript& b = *Access::transcript(server);
    FUZZ_CHECK(a.client_id == b.client_id && a.server_id == b.server_id);
    FUZZ_CHECK(a.challenge == b.challenge && a.client_eph == b.client_eph &&
               a.server_eph == b.server_eph);
  }
  FUZZ_CHECK(is_prefix(client_side.received(), server_side.sent()));
  FUZZ_CHECK(is_prefix(server_side.received(), client_side.sent()));
  // A close_notify that arrived was sent (unless its sender failed afterwards, which
  // ends every state).
  if (client_side.peer_closed())
    FUZZ_CHECK(server.sent_close() || server.state() == ConnectionState::kFailed);
  if (server_side.peer_closed())
    FUZZ_CHECK(client.sent_close() || client.state() == ConnectionState::kFailed);
  if (expect_mode == 3 || allow_mode == 3) {
    FUZZ_CHECK(!client_side.handshake_complete() && !server_side.handshake_complete());
  }

  // Liveness, when nothing stood in the way.
  const bool configs_agree = expect_mode <= 2 && allow_mode <= 2 && timeout > Duration::zero() &&
                             channel_config_is_valid(channel);
  const bool undisturbed = !tampered && !stream_ended && now - start < timeout &&
                           !client_random.failed() && !server_random.failed();
  if (configs_agree && undisturbed) {
    FUZZ_CHECK(completed(client) && completed(server));
    FUZZ_CHECK(client_side.received() == server_side.sent());
    FUZZ_CHECK(server_side.received() == client_side.sent());
    FUZZ_CHECK(client_side.peer_closed() == server.sent_close());
    FUZZ_CHECK(server_side.peer_closed() == client.sent_close());
  }
  return 0;
}
