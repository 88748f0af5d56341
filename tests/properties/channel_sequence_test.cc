// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The channel: for any sequence of messages and any chunking the receiver delivers
// exactly that sequence; any tampering with the byte stream ends the channel with an
// error after delivering only the frames that were complete before the damage.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "p2pnet/internal/channel.h"
#include "session_setup.h"

namespace p2pnet::testing {
namespace {

struct Scenario {
  std::uint64_t key_seed = 0;
  std::size_t max_message = 0;
  std::vector<Bytes> messages;
  bool close = false;
  std::vector<std::size_t> chunks;  // cycled; the receiver sees the stream in these pieces
};

Scenario gen_scenario() {
  Scenario s;
  s.key_seed = *rc::gen::arbitrary<std::uint64_t>();
  s.max_message = *rc::gen::inRange<std::size_t>(1, 2049);
  s.messages = *rc::gen::container<std::vector<Bytes>>(
      rc::gen::mapcat(rc::gen::inRange<std::size_t>(1, s.max_message + 1), [](std::size_t size) {
        return rc::gen::container<Bytes>(size, rc::gen::arbitrary<std::uint8_t>());
      }));
  s.close = *rc::gen::arbitrary<bool>();
  s.chunks = *rc::gen::nonEmpty(
      rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(1, 3000)));
  return s;
}

// The traffic keys both ends hold, drawn from a seed.
struct Keys {
  explicit Keys(std::uint64_t seed) {
    DeterministicRandom random(seed);
    RC_ASSERT(random.fill(c2s));
    RC_ASSERT(random.fill(s2c));
  }
  Key key(const std::array<std::uint8_t, kKeySize>& bytes) const {
    Key k;
    std::ranges::copy(bytes, k.bytes().begin());
    return k;
  }
  std::array<std::uint8_t, kKeySize> c2s{};
  std::array<std::uint8_t, kKeySize> s2c{};
};

struct Sealed {
  Bytes stream;
  std::vector<std::size_t> frame_ends;  // offset just past each frame, in order
};

Sealed seal_all(const Scenario& s, const Keys& keys) {
  Channel sender(Role::kClient, keys.key(keys.c2s), keys.key(keys.s2c),
                 ChannelConfig{s.max_message, 0});
  Sealed out;
  Bytes buffer(s.max_message + kFrameOverhead);
  const auto drain = [&] {
    while (const std::size_t n = sender.poll_transmit(buffer)) {
      out.stream.insert(out.stream.end(), buffer.begin(),
                        buffer.begin() + static_cast<std::ptrdiff_t>(n));
    }
    out.frame_ends.push_back(out.stream.size());
  };
  for (const Bytes& m : s.messages) {
    RC_ASSERT(sender.send(m) == Error::kNone);
    drain();
  }
  if (s.close) {
    RC_ASSERT(sender.close() == Error::kNone);
    drain();
  }
  return out;
}

struct Received {
  std::vector<Bytes> messages;
  bool peer_closed = false;
  Error error = Error::kNone;
};

// receive_all feeds |stream| in the scenario's chunks, then end of stream.
void receive_into(Channel& receiver, const Bytes& stream, const std::vector<std::size_t>& chunks,
                  Received& got) {
  const auto pull = [&] {
    while (auto event = receiver.poll_event()) {
      if (event->type == ChannelEventType::kMessage) {
        got.messages.emplace_back(event->message.begin(), event->message.end());
      } else {
        got.peer_closed = true;
      }
    }
  };
  ByteSpan rest(stream);
  for (std::size_t i = 0; !rest.empty(); ++i) {
    ByteSpan piece = rest.first(std::min(chunks[i % chunks.size()], rest.size()));
    rest = rest.subspan(piece.size());
    while (!piece.empty()) {
      const ReadResult result = receiver.handle_bytes(piece);
      pull();
      got.error = result.error;
      if (result.error != Error::kNone) return;
      piece = piece.subspan(result.consumed);
    }
  }
  got.error = receiver.handle_bytes({}).error;  // end of stream
  pull();
}

RC_GTEST_PROP(Channel, DeliversExactlyTheSentSequenceInAnyChunking, ()) {
  const Scenario s = gen_scenario();
  const Keys keys(s.key_seed);
  const Sealed sealed = seal_all(s, keys);
  Channel receiver(Role::kServer, keys.key(keys.c2s), keys.key(keys.s2c),
                   ChannelConfig{s.max_message, 0});
  Received got;
  receive_into(receiver, sealed.stream, s.chunks, got);
  RC_ASSERT(got.messages == s.messages);
  RC_ASSERT(got.peer_closed == s.close);
  // A stream that ends without close_notify is truncated, never a clean end.
  RC_ASSERT(got.error == (s.close ? Error::kNone : Error::kTruncated));
}

enum class Tamper : std::uint8_t { kFlip, kTruncate, kInsert, kDelete };

void showValue(Tamper t, std::ostream& os) {
  static constexpr std::array kNames{"flip", "truncate", "insert", "delete"};
  os << kNames[static_cast<std::size_t>(t)];
}

RC_GTEST_PROP(Channel, AnyTamperingEndsItAndDeliversNothingAfter, ()) {
  const Scenario s = gen_scenario();
  const Keys keys(s.key_seed);
  const Sealed sealed = seal_all(s, keys);
  RC_PRE(!sealed.stream.empty());
  const auto tamper =
      *rc::gen::element(Tamper::kFlip, Tamper::kTruncate, Tamper::kInsert, Tamper::kDelete);
  const std::size_t size = sealed.stream.size();
  // Insert may also append after the last byte; the others need an existing byte.
  const auto at = *rc::gen::inRange<std::size_t>(0, tamper == Tamper::kInsert ? size + 1 : size);
  Bytes stream = sealed.stream;
  const auto pos = stream.begin() + static_cast<std::ptrdiff_t>(at);
  switch (tamper) {
    case Tamper::kFlip: *pos ^= *rc::gen::inRange<std::uint8_t>(1, 255); break;
    case Tamper::kTruncate: stream.erase(pos, stream.end()); break;
    case Tamper::kInsert: stream.insert(pos, *rc::gen::arbitrary<std::uint8_t>()); break;
    case Tamper::kDelete: stream.erase(pos); break;
  }

  Channel receiver(Role::kServer, keys.key(keys.c2s), keys.key(keys.s2c),
                   ChannelConfig{s.max_message, 0});
  Received got;
  receive_into(receiver, stream, s.chunks, got);
  // The damage starts at the first byte that differs (inserting or deleting one byte
  // of a run of equal bytes changes the stream only where the run ends).
  const std::size_t damage =
      static_cast<std::size_t>(std::ranges::mismatch(stream, sealed.stream).in1 - stream.begin());
  // Exactly the frames that ended at or before the damage arrive, in order.
  const auto intact = static_cast<std::size_t>(std::ranges::upper_bound(sealed.frame_ends, damage) -
                                               sealed.frame_ends.begin());
  const std::size_t intact_messages = std::min(intact, s.messages.size());
  RC_ASSERT(got.messages ==
            std::vector<Bytes>(s.messages.begin(),
                               s.messages.begin() + static_cast<std::ptrdiff_t>(intact_messages)));
  RC_ASSERT(got.peer_closed == (s.close && intact > s.messages.size()));
  RC_ASSERT(got.error == Error::kFrameAuthFailed || got.error == Error::kFrameTooLarge ||
            got.error == Error::kTruncated || got.error == Error::kDataAfterClose);
  RC_TAG(error_name(got.error));

  // Failure is terminal: even the genuine rest of the stream delivers nothing more.
  const ReadResult again = receiver.handle_bytes(sealed.stream);
  RC_ASSERT(again.error == got.error);
  RC_ASSERT(again.consumed == 0u);
  RC_ASSERT(!receiver.poll_event().has_value());
}

}  // namespace
}  // namespace p2pnet::testing
