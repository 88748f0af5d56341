// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Memory: the engine never grows its memory with the input. Measured with the counting
// operator new this binary links (tests/support/counting_allocator.h), so an engine that kept a
// growing queue, allocated per message or buffered a frame before checking its
// length would fail here. The loops below allocate nothing themselves inside a scope.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "counting_allocator.h"
#include "p2pnet/internal/channel.h"
#include "session_setup.h"

namespace p2pnet::testing {
namespace {

class EstablishedPair {
 public:
  EstablishedPair(const PairSeeds& seeds, std::size_t max_message_size) : setup_(seeds) {
    cc_ = setup_.client_config();
    sc_ = setup_.server_config();
    cc_.channel.max_message_size = max_message_size;
    sc_.channel.max_message_size = max_message_size;
    pair.emplace(cc_, sc_);
    pair->drive();
  }
  std::optional<Pair> pair;

 private:
  PairSetup setup_;
  ClientConfig cc_;
  ServerConfig sc_;
};

struct Measured {
  std::size_t allocations = 0;
  std::size_t peak_growth = 0;
  std::size_t messages = 0;
  bool content_ok = true;
  Error error = Error::kNone;
};

// receive feeds |stream| in |chunk|-byte pieces and checks every message against
// |expected| (cyclically) in place, allocating nothing itself.
Measured receive(Connection& conn, const Bytes& stream, std::size_t chunk,
                 const std::vector<Bytes>& expected) {
  Measured m;
  const AllocationScope scope;
  ByteSpan rest(stream);
  while (!rest.empty() && m.error == Error::kNone) {
    ByteSpan piece = rest.first(std::min(chunk, rest.size()));
    rest = rest.subspan(piece.size());
    while (!piece.empty()) {
      const ReadResult result = conn.handle_bytes(piece, Instant{0});
      while (auto event = conn.poll_event()) {
        if (event->type != EventType::kMessage) continue;
        if (!expected.empty()) {
          m.content_ok = m.content_ok &&
                         std::ranges::equal(event->message, expected[m.messages % expected.size()]);
        }
        ++m.messages;
      }
      if (result.error != Error::kNone) {
        m.error = result.error;
        break;
      }
      piece = piece.subspan(result.consumed);
    }
  }
  m.allocations = static_cast<std::size_t>(scope.allocations());
  m.peak_growth = static_cast<std::size_t>(scope.peak_growth());  // the peak starts at live bytes
  return m;
}

// frames_for seals |messages| |rounds| times from the client's side, draining as it goes.
Bytes frames_for(Connection& sender, const std::vector<Bytes>& messages, std::size_t rounds) {
  Bytes stream;
  for (std::size_t round = 0; round < rounds; ++round) {
    for (const Bytes& message : messages) {
      RC_ASSERT(sender.send(message) == Error::kNone);
      const Bytes frame = take_output(sender);
      stream.insert(stream.end(), frame.begin(), frame.end());
    }
  }
  return stream;
}

RC_GTEST_PROP(Memory, ReceivingMoreFramesNeverAllocatesMore, ()) {
  const PairSeeds seeds = *gen_pair_seeds();
  const auto max_message = *rc::gen::inRange<std::size_t>(1, 4097);
  const auto messages = *rc::gen::nonEmpty(rc::gen::container<std::vector<Bytes>>(
      rc::gen::mapcat(rc::gen::inRange<std::size_t>(1, max_message + 1), [](std::size_t size) {
        return rc::gen::container<Bytes>(size, rc::gen::arbitrary<std::uint8_t>());
      })));
  const auto rounds = *rc::gen::inRange<std::size_t>(2, 9);
  const auto chunk = *rc::gen::inRange<std::size_t>(1, 5000);

  // Two pairs from the same seeds have the same keys: one receives the messages once,
  // the other |rounds| times as many.
  EstablishedPair once(seeds, max_message);
  EstablishedPair many(seeds, max_message);
  RC_ASSERT(once.pair->server.is_established());
  const Bytes once_stream = frames_for(once.pair->client, messages, 1);
  const Bytes many_stream = frames_for(many.pair->client, messages, rounds);
  const Measured a = receive(once.pair->server, once_stream, chunk, messages);
  const Measured b = receive(many.pair->server, many_stream, chunk, messages);

  RC_ASSERT(a.error == Error::kNone);
  RC_ASSERT(b.error == Error::kNone);
  RC_ASSERT(a.content_ok && b.content_ok);
  RC_ASSERT(a.messages == messages.size());
  RC_ASSERT(b.messages == messages.size() * rounds);
  RC_ASSERT(b.allocations == a.allocations);
  RC_ASSERT(b.peak_growth == a.peak_growth);
  // The receive buffer holds at most one frame body; while it grows, the old and the
  // new allocation briefly coexist, hence twice the largest frame body.
  RC_ASSERT(a.peak_growth <= 2 * (max_message + kFrameTagSize));
}

RC_GTEST_PROP(Memory, SendingMoreMessagesNeverAllocatesMore, ()) {
  const PairSeeds seeds = *gen_pair_seeds();
  const auto messages = *rc::gen::nonEmpty(rc::gen::container<std::vector<Bytes>>(
      rc::gen::mapcat(rc::gen::inRange<std::size_t>(1, 3000), [](std::size_t size) {
        return rc::gen::container<Bytes>(size, rc::gen::arbitrary<std::uint8_t>());
      })));
  const auto rounds = *rc::gen::inRange<std::size_t>(2, 9);
  Bytes out(1 << 13);

  const auto measure = [&](std::size_t count) {
    EstablishedPair pair(seeds, kDefaultMaxMessageSize);
    Connection& sender = pair.pair->server;
    Error error = Error::kNone;
    const AllocationScope scope;
    for (std::size_t round = 0; round < count && error == Error::kNone; ++round) {
      for (const Bytes& message : messages) {
        error = sender.send(message);  // RC_ASSERT here would allocate inside the scope
        while (sender.poll_transmit(out) != 0) {
        }
      }
    }
    const auto measured = std::pair(scope.allocations(), scope.peak_growth());
    RC_ASSERT(error == Error::kNone);
    return measured;
  };
  const auto a = measure(1);
  const auto b = measure(rounds);
  RC_ASSERT(b == a);
}

// Junk after a correct handshake: whatever the bytes say, the connection holds at
// most one frame body (twice that while its buffer grows), and a header over the maximum is refused
// before any body byte is buffered.
RC_GTEST_PROP(Memory, JunkInputIsBoundedByTheMaximumFrame, ()) {
  const PairSeeds seeds = *gen_pair_seeds();
  const auto max_message = *rc::gen::inRange<std::size_t>(1, 65537);
  // Junk: a length header (any value) followed by arbitrary bytes, repeated.
  const auto junk = *rc::gen::container<Bytes>(rc::gen::arbitrary<std::uint8_t>());
  const auto header = *rc::gen::arbitrary<std::uint32_t>();
  const auto repeat = *rc::gen::inRange<std::size_t>(1, 50);
  const auto chunk = *rc::gen::inRange<std::size_t>(1, 5000);
  Bytes stream;
  for (std::size_t i = 0; i < repeat; ++i) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      stream.push_back(static_cast<std::uint8_t>(header >> shift));
    }
    stream.insert(stream.end(), junk.begin(), junk.end());
  }

  EstablishedPair pair(seeds, max_message);
  const Measured m = receive(pair.pair->server, stream, chunk, {});
  RC_ASSERT(m.messages == 0u);  // junk never authenticates
  if (header > max_message) {
    RC_ASSERT(m.error == Error::kFrameTooLarge);
    RC_ASSERT(m.peak_growth == 0u);
  }
  RC_ASSERT(m.peak_growth <= 2 * (std::min<std::size_t>(header, max_message) + kFrameTagSize));
}

// Handshake input: whatever arrives, the handshake allocates nothing at all (its
// buffers are fixed arrays in the object).
RC_GTEST_PROP(Memory, HandshakeInputNeverAllocates, ()) {
  const PairSeeds seeds = *gen_pair_seeds();
  PairSetup setup(seeds);
  const ClientConfig cc = setup.client_config();
  const ServerConfig sc = setup.server_config();
  const bool to_server = *rc::gen::arbitrary<bool>();
  // Start from a plausible first byte, so more than the first check is reached.
  Bytes junk = *rc::gen::container<Bytes>(rc::gen::arbitrary<std::uint8_t>());
  const std::uint8_t first = *rc::gen::element<std::uint8_t>(0x01, 0x02, 0xFF, 0x00);
  junk.insert(junk.begin(), first);
  const auto chunk = *rc::gen::inRange<std::size_t>(1, 200);
  Connection conn =
      to_server ? Connection::server(sc, Instant{0}) : Connection::client(cc, Instant{0});
  const Measured m = receive(conn, junk, chunk, {});
  RC_ASSERT(m.allocations == 0u);
}

}  // namespace
}  // namespace p2pnet::testing
