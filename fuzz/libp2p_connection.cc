// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzz target libp2p_connection: drives the libp2p profile's Libp2pConnection
// (multistream-select, the Noise XX handshake with its signed payload, the stream).
// A FuzzedDataProvider picks a mode:
//   0, 1: an attacker's raw bytes, in fuzzer-chosen pieces, to a listener (0) or a
//         dialer (1), each with or without negotiation, then maybe the end of stream;
//   2:    a dialer and a listener over a hostile in-memory link: configs (negotiation,
//         muxer lists, expected peer, allow-list), then a script of deliveries with
//         faults (bit flip, drop, truncation), sends, closes, stream ends and time.
// Invariants:
//   - failure is terminal: once error() is set it never changes, no event follows, and
//     the connection's state is kFailed;
//   - events come in order: kHandshakeComplete at most once and before any kData;
//     nothing after kPeerEnded; data only in pieces of at most 65519 bytes;
//   - a raw attacker has no signing key: a handshake completes only on bytes an
//     honest peer signed (a replay against the same deterministic randomness), so the
//     peer named is that honest peer;
//   - in mode 2, what each side received is a prefix, in order, of what the other
//     sent, whatever the faults (the AEAD); both complete sides agree on the handshake
//     hash and the muxer, and name the right peer; with no fault, no end, agreeing
//     settings and no deadline, both complete and receive everything.
#include "p2pnet/libp2p_connection.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "FuzzedDataProvider.h"
#include "support/fixtures.h"
#include "support/fuzz_check.h"

namespace p2pnet::fuzz {
namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr Instant kStart{1'000};

struct Observed {
  Error error = Error::kNone;
  int completed = 0;
  bool ended = false;
  Bytes received;
};

// check_and_pull pulls every event of |conn| and checks the invariants on it.
void check_and_pull(Libp2pConnection& conn, Observed& seen) {
  if (seen.error != Error::kNone) {
    FUZZ_CHECK(conn.error() == seen.error);
    FUZZ_CHECK(conn.state() == Libp2pState::kFailed);
  }
  while (auto event = conn.poll_event()) {
    FUZZ_CHECK(seen.error == Error::kNone);
    switch (event->type) {
      case Libp2pEventType::kHandshakeComplete:
        FUZZ_CHECK(seen.completed == 0);
        ++seen.completed;
        FUZZ_CHECK(conn.peer_identity() != nullptr);
        break;
      case Libp2pEventType::kData:
        FUZZ_CHECK(seen.completed == 1 && !seen.ended);
        FUZZ_CHECK(!event->data.empty() && event->data.size() <= kLibp2pMaxChunk);
        seen.received.insert(seen.received.end(), event->data.begin(), event->data.end());
        break;
      case Libp2pEventType::kPeerEnded:
        FUZZ_CHECK(seen.completed == 1 && !seen.ended);
        seen.ended = true;
        break;
    }
  }
  if (conn.error() != Error::kNone) {
    if (seen.error == Error::kNone) seen.error = conn.error();
    FUZZ_CHECK(conn.error() == seen.error);
    FUZZ_CHECK(conn.pending_transmit() == 0);
  }
}

// feed offers |bytes| to |conn| in full (pulling events between), or the end of the
// stream when empty.
void feed(Libp2pConnection& conn, Observed& seen, const Bytes& bytes, Instant now) {
  if (bytes.empty()) {
    (void)conn.handle_bytes({}, now);
    check_and_pull(conn, seen);
    return;
  }
  ByteSpan rest(bytes);
  while (!rest.empty()) {
    const ReadResult r = conn.handle_bytes(rest, now);
    FUZZ_CHECK(r.consumed <= rest.size());
    check_and_pull(conn, seen);
    if (r.error != Error::kNone) return;
    FUZZ_CHECK(r.consumed > 0);  // nothing waits to be pulled, so it takes something
    rest = rest.subspan(r.consumed);
  }
}

Bytes take(Libp2pConnection& conn) {
  Bytes out(conn.pending_transmit());
  out.resize(conn.poll_transmit(out));
  return out;
}

struct Keys {
  Libp2pStaticKey dialer_static = Libp2pStaticKey::from_private_key(fill(0x11));
  Libp2pStaticKey listener_static = Libp2pStaticKey::from_private_key(fill(0x22));
  static std::array<std::uint8_t, 32> fill(std::uint8_t b) {
    std::array<std::uint8_t, 32> out{};
    out.fill(b);
    return out;
  }
};

const Keys& keys() {
  static const Keys kKeys;
  return kKeys;
}

constexpr std::string_view kMuxerNames[] = {"/yamux/1.0.0", "/mplex/6.7.0", "/other/1"};

void raw_attacker(FuzzedDataProvider& fdp, bool to_listener) {
  DeterministicRandom random(fdp.ConsumeIntegral<std::uint8_t>());
  Libp2pConfig config;
  config.identity = to_listener ? &server_identity() : &client_identity();
  config.static_key = to_listener ? &keys().listener_static : &keys().dialer_static;
  config.negotiate = fdp.ConsumeBool();
  config.random = &random;
  Libp2pConnection conn = to_listener ? Libp2pConnection::listener(config, kStart)
                                      : Libp2pConnection::dialer(config, kStart);
  Observed seen;
  (void)take(conn);
  while (fdp.remaining_bytes() > 0) {
    const Bytes piece =
        fdp.ConsumeBytes<std::uint8_t>(fdp.ConsumeIntegralInRange<std::size_t>(1, 4096));
    if (piece.empty()) break;
    feed(conn, seen, piece, kStart);
    (void)take(conn);
  }
  if (fdp.ConsumeBool()) feed(conn, seen, {}, kStart);
  // Completing needs a signature over a static key: the fuzzer has no signing key, so
  // only a replay of what the honest peer signed gets there, naming that peer.
  if (seen.completed == 1 && seen.error == Error::kNone) {
    const PublicKey& honest =
        to_listener ? client_identity().public_key() : server_identity().public_key();
    FUZZ_CHECK(*conn.peer_identity() == honest);
  }
}

enum class Fault : std::uint8_t { kNone, kFlip, kDrop, kTruncate };

void pair(FuzzedDataProvider& fdp) {
  DeterministicRandom dialer_random(fdp.ConsumeIntegral<std::uint8_t>());
  DeterministicRandom listener_random(fdp.ConsumeIntegral<std::uint8_t>() + 256u);
  std::vector<std::string_view> dialer_muxers;
  std::vector<std::string_view> listener_muxers;
  for (const std::string_view name : kMuxerNames) {
    if (fdp.ConsumeBool()) dialer_muxers.push_back(name);
    if (fdp.ConsumeBool()) listener_muxers.push_back(name);
  }
  const bool negotiate = fdp.ConsumeBool();
  const bool mismatched_negotiation = fdp.ConsumeIntegralInRange<int>(0, 7) == 0;
  const int expectation = fdp.ConsumeIntegralInRange<int>(0, 3);  // 0 any, 1 right, 2 wrong
  const int allowance = fdp.ConsumeIntegralInRange<int>(0, 3);    // 0 any, 1 right, 2 wrong
  const std::vector<PublicKey> allowed = {allowance == 2 ? stranger_identity().public_key()
                                                         : client_identity().public_key()};

  Libp2pConfig dc;
  dc.identity = &client_identity();
  dc.static_key = &keys().dialer_static;
  dc.stream_muxers = dialer_muxers;
  dc.negotiate = negotiate;
  dc.random = &dialer_random;
  if (expectation == 1) dc.expected_peer = server_identity().public_key();
  if (expectation == 2) dc.expected_peer = stranger_identity().public_key();
  Libp2pConfig lc;
  lc.identity = &server_identity();
  lc.static_key = &keys().listener_static;
  lc.stream_muxers = listener_muxers;
  lc.negotiate = mismatched_negotiation ? !negotiate : negotiate;
  lc.random = &listener_random;
  if (allowance != 0) lc.allowed_peers = allowed;

  Libp2pConnection dialer = Libp2pConnection::dialer(dc, kStart);
  Libp2pConnection listener = Libp2pConnection::listener(lc, kStart);
  Observed d;
  Observed l;
  Bytes to_listener;  // in flight
  Bytes to_dialer;
  Bytes sent_by_dialer;
  Bytes sent_by_listener;
  bool faulted = mismatched_negotiation || expectation == 2 || allowance == 2;
  Instant now = kStart;

  const auto deliver = [&](bool to_l, std::size_t n, Fault fault, std::size_t at) {
    Bytes& link = to_l ? to_listener : to_dialer;
    n = std::min(n, link.size());
    if (n == 0) return;
    Bytes piece(link.begin(), link.begin() + static_cast<std::ptrdiff_t>(n));
    link.erase(link.begin(), link.begin() + static_cast<std::ptrdiff_t>(n));
    switch (fault) {
      case Fault::kNone: break;
      case Fault::kFlip:
        piece[at % piece.size()] ^= static_cast<std::uint8_t>(1u << (at % 8));
        faulted = true;
        break;
      case Fault::kDrop: faulted = true; return;
      case Fault::kTruncate:
        piece.resize(at % piece.size());
        faulted = true;
        if (piece.empty()) return;
        break;
    }
    feed(to_l ? listener : dialer, to_l ? l : d, piece, now);
  };

  for (int steps = 0; steps < 64 && fdp.remaining_bytes() > 0; ++steps) {
    auto out = take(dialer);
    to_listener.insert(to_listener.end(), out.begin(), out.end());
    out = take(listener);
    to_dialer.insert(to_dialer.end(), out.begin(), out.end());
    switch (fdp.ConsumeIntegralInRange<int>(0, 7)) {
      case 0:
      case 1: {
        const bool to_l = fdp.ConsumeBool();
        const std::size_t n = fdp.ConsumeIntegralInRange<std::size_t>(1, 70'000);
        const auto fault = static_cast<Fault>(
            fdp.ConsumeIntegralInRange<int>(0, 9) < 7 ? 0 : fdp.ConsumeIntegralInRange<int>(1, 3));
        deliver(to_l, n, fault, fdp.ConsumeIntegral<std::uint16_t>());
        break;
      }
      case 2:
      case 3: {
        const bool from_dialer = fdp.ConsumeBool();
        // Mostly small; now and then past a whole Noise message (65519 bytes).
        const std::size_t size = fdp.ConsumeIntegralInRange<int>(0, 15) == 0
                                     ? fdp.ConsumeIntegralInRange<std::size_t>(0, 70'000)
                                     : fdp.ConsumeIntegralInRange<std::size_t>(0, 300);
        Bytes data(size);
        for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<std::uint8_t>(i * 13 + size);
        Libp2pConnection& conn = from_dialer ? dialer : listener;
        if (conn.send(data) == Error::kNone) {
          Bytes& sent = from_dialer ? sent_by_dialer : sent_by_listener;
          sent.insert(sent.end(), data.begin(), data.end());
        }
        check_and_pull(conn, from_dialer ? d : l);
        break;
      }
      case 4: (void)(fdp.ConsumeBool() ? dialer : listener).close(); break;
      case 5: {
        const bool end_listener = fdp.ConsumeBool();
        feed(end_listener ? listener : dialer, end_listener ? l : d, {}, now);
        faulted = true;
        break;
      }
      case 6:
        now += Duration(fdp.ConsumeIntegralInRange<int>(0, 12'000));
        dialer.handle_timeout(now);
        listener.handle_timeout(now);
        check_and_pull(dialer, d);
        check_and_pull(listener, l);
        if (now >= kStart + Duration(10'000)) faulted = true;
        break;
      case 7: break;
    }
  }
  // Settle: deliver everything still in flight, without faults.
  for (int round = 0; round < 64; ++round) {
    auto out = take(dialer);
    to_listener.insert(to_listener.end(), out.begin(), out.end());
    out = take(listener);
    to_dialer.insert(to_dialer.end(), out.begin(), out.end());
    if (to_listener.empty() && to_dialer.empty()) break;
    deliver(true, to_listener.size(), Fault::kNone, 0);
    deliver(false, to_dialer.size(), Fault::kNone, 0);
  }

  // Safety, whatever the faults.
  FUZZ_CHECK(l.received.size() <= sent_by_dialer.size());
  FUZZ_CHECK(d.received.size() <= sent_by_listener.size());
  FUZZ_CHECK(std::equal(l.received.begin(), l.received.end(), sent_by_dialer.begin()));
  FUZZ_CHECK(std::equal(d.received.begin(), d.received.end(), sent_by_listener.begin()));
  if (d.completed == 1) {
    FUZZ_CHECK(expectation != 2);
    if (d.error == Error::kNone) {
      FUZZ_CHECK(*dialer.peer_identity() == server_identity().public_key());
    }
  }
  if (l.completed == 1) {
    FUZZ_CHECK(allowance != 2);
    if (l.error == Error::kNone)
      FUZZ_CHECK(*listener.peer_identity() == client_identity().public_key());
  }
  if (d.completed == 1 && l.completed == 1 && d.error == Error::kNone && l.error == Error::kNone) {
    FUZZ_CHECK(std::ranges::equal(dialer.handshake_hash(), listener.handshake_hash()));
    FUZZ_CHECK(dialer.stream_muxer() == listener.stream_muxer());
  }
  // Liveness when nothing went wrong.
  if (!faulted) {
    FUZZ_CHECK(d.completed == 1 && l.completed == 1);
    FUZZ_CHECK(l.received == sent_by_dialer && d.received == sent_by_listener);
  }
}

}  // namespace
}  // namespace p2pnet::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  switch (fdp.ConsumeIntegralInRange<int>(0, 2)) {
    case 0: p2pnet::fuzz::raw_attacker(fdp, true); break;
    case 1: p2pnet::fuzz::raw_attacker(fdp, false); break;
    default: p2pnet::fuzz::pair(fdp); break;
  }
  return 0;
}
