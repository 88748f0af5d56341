// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Channel tests: protocol-v1 "Transport frames", driven through two Channels that
// share a pair of traffic keys.
#include "p2pnet/internal/channel.h"

#include <gtest/gtest.h>

#include "p2pnet/internal/channel_test_access.h"
#include "pair.h"

namespace p2pnet {
namespace {

using testing::Bytes;

Key key_of(std::uint8_t b) {
  Key key;
  std::fill(key.bytes().begin(), key.bytes().end(), b);
  return key;
}

struct Received {
  std::vector<Bytes> messages;
  bool peer_closed = false;
  Error error = Error::kNone;
};

// feed delivers |bytes| in pieces of |chunk| (0: whole), re-offering unconsumed input.
Received feed(Channel& channel, const Bytes& bytes, std::size_t chunk = 0, bool eof = false) {
  Received received;
  if (chunk == 0) chunk = std::max<std::size_t>(bytes.size(), 1);
  auto pull = [&] {
    while (auto event = channel.poll_event()) {
      if (event->type == ChannelEventType::kMessage) {
        received.messages.emplace_back(event->message.begin(), event->message.end());
      } else {
        received.peer_closed = true;
      }
    }
  };
  for (std::size_t offset = 0; offset < bytes.size() && received.error == Error::kNone;) {
    ByteSpan piece(bytes.data() + offset, std::min(chunk, bytes.size() - offset));
    offset += piece.size();
    while (!piece.empty()) {
      const ReadResult result = channel.handle_bytes(piece);
      pull();
      if (result.error != Error::kNone) {
        received.error = result.error;
        break;
      }
      piece = piece.subspan(result.consumed);
    }
  }
  if (eof && received.error == Error::kNone) received.error = channel.handle_bytes({}).error;
  pull();
  return received;
}

Bytes drain(Channel& channel) {
  Bytes out(channel.pending_transmit());
  out.resize(channel.poll_transmit(out));
  return out;
}

Bytes message_of(std::size_t size) {
  Bytes m(size);
  for (std::size_t i = 0; i < size; ++i) m[i] = static_cast<std::uint8_t>(i * 7 + 3);
  return m;
}

class ChannelTest : public ::testing::Test {
 protected:
  ChannelTest()
      : client(Role::kClient, key_of(0xC2), key_of(0x2C), ChannelConfig{}),
        server(Role::kServer, key_of(0xC2), key_of(0x2C), ChannelConfig{}) {}

  // Frames for |messages| sent by the client, optionally followed by close_notify.
  Bytes client_frames(const std::vector<Bytes>& messages, bool close) {
    for (const Bytes& m : messages) EXPECT_EQ(client.send(m), Error::kNone);
    if (close) {
      EXPECT_EQ(client.close(), Error::kNone);
    }
    return drain(client);
  }

  Channel client;
  Channel server;
};

TEST_F(ChannelTest, RoundTripsAtEverySize) {
  for (std::size_t size : {1u, 15u, 16u, 17u, 1024u, 65536u, 1u << 20}) {
    ASSERT_EQ(client.send(message_of(size)), Error::kNone) << size;
    const Bytes frame = drain(client);
    EXPECT_EQ(frame.size(), size + kFrameOverhead);
    EXPECT_EQ(frame[0], static_cast<std::uint8_t>(size >> 24));
    EXPECT_EQ(frame[3], static_cast<std::uint8_t>(size));
    const Received received = feed(server, frame);
    ASSERT_EQ(received.error, Error::kNone) << size;
    ASSERT_EQ(received.messages.size(), 1u);
    EXPECT_EQ(received.messages[0], message_of(size));
  }
}

// An idle channel gives its buffers (and OpenSSL contexts) back, but only when
// nothing is in them; afterwards it works as before.
TEST_F(ChannelTest, IdleBuffersAreReleasedOnlyWhenEmpty) {
  EXPECT_TRUE(server.release_idle_buffers());  // nothing yet
  ASSERT_EQ(client.send(message_of(20000)), Error::kNone);
  EXPECT_FALSE(client.release_idle_buffers());  // a frame waits to be sent
  const Bytes frame = drain(client);
  EXPECT_GT(client.buffer_capacity(), 0u);
  EXPECT_TRUE(client.release_idle_buffers());
  EXPECT_EQ(client.buffer_capacity(), 0u);

  // Half a frame in the receive buffer: it stays.
  const Bytes first_half(frame.begin(), frame.begin() + 5000);
  EXPECT_EQ(feed(server, first_half).error, Error::kNone);
  EXPECT_FALSE(server.release_idle_buffers());
  const Received received = feed(server, Bytes(frame.begin() + 5000, frame.end()));
  ASSERT_EQ(received.messages.size(), 1u);
  EXPECT_EQ(received.messages[0], message_of(20000));
  EXPECT_TRUE(server.release_idle_buffers());
  EXPECT_EQ(server.buffer_capacity(), 0u);

  // Both directions carry on with the next counters.
  for (const std::size_t size : {std::size_t{10}, std::size_t{3000}}) {
    ASSERT_EQ(client.send(message_of(size)), Error::kNone);
    const Received again = feed(server, drain(client));
    ASSERT_EQ(again.error, Error::kNone);
    ASSERT_EQ(again.messages.size(), 1u);
    EXPECT_EQ(again.messages[0], message_of(size));
  }
}

// A channel that failed in the middle of a frame still gives its buffers back: it
// has nothing left to deliver or send.
TEST_F(ChannelTest, FailedChannelReleasesItsBuffersEvenMidFrame) {
  ASSERT_EQ(client.send(message_of(20000)), Error::kNone);
  const Bytes frame = drain(client);
  EXPECT_EQ(feed(server, Bytes(frame.begin(), frame.begin() + 5000)).error, Error::kNone);
  EXPECT_FALSE(server.release_idle_buffers());  // healthy, half a frame in
  EXPECT_EQ(feed(server, {}, 0, /*eof=*/true).error, Error::kTruncated);
  EXPECT_GT(server.buffer_capacity(), 0u);
  EXPECT_TRUE(server.release_idle_buffers());
  EXPECT_EQ(server.buffer_capacity(), 0u);
  EXPECT_EQ(server.error(), Error::kTruncated);  // still failed, the same error
}

TEST_F(ChannelTest, CloseNotifyIsAnEmptyFrameAndEndsCleanly) {
  ASSERT_EQ(client.close(), Error::kNone);
  const Bytes frame = drain(client);
  EXPECT_EQ(frame.size(), kFrameOverhead);
  EXPECT_EQ(frame[0] | frame[1] | frame[2] | frame[3], 0);
  const Received received = feed(server, frame, 0, /*eof=*/true);
  EXPECT_TRUE(received.peer_closed);
  EXPECT_EQ(received.error, Error::kNone);
  EXPECT_TRUE(server.peer_closed());
  EXPECT_EQ(client.send(message_of(1)), Error::kAlreadyClosed);
  EXPECT_EQ(client.close(), Error::kAlreadyClosed);
  // The other direction stays open until the server closes too.
  ASSERT_EQ(server.send(message_of(3)), Error::kNone);
  EXPECT_EQ(feed(client, drain(server)).messages.size(), 1u);
}

// Every ChannelState transition (channel.h), with the state and accessors after it.
TEST_F(ChannelTest, StatesFollowTheCloseNotifyFramesBothWays) {
  EXPECT_EQ(client.state(), ChannelState::kOpen);
  EXPECT_TRUE(client.holds_send_key() && client.holds_receive_key());
  // kOpen --close()--> kSentClose
  ASSERT_EQ(client.close(), Error::kNone);
  EXPECT_EQ(client.state(), ChannelState::kSentClose);
  EXPECT_EQ(channel_state_name(client.state()), "SentClose");
  EXPECT_TRUE(client.sent_close());
  EXPECT_FALSE(client.peer_closed());
  EXPECT_FALSE(client.holds_send_key());
  EXPECT_TRUE(client.holds_receive_key());
  // kOpen --peer's close_notify--> kPeerClosed, with its one event.
  Received received = feed(server, drain(client));
  EXPECT_TRUE(received.peer_closed);
  EXPECT_EQ(server.state(), ChannelState::kPeerClosed);
  EXPECT_EQ(channel_state_name(server.state()), "PeerClosed");
  EXPECT_FALSE(server.sent_close());
  EXPECT_TRUE(server.peer_closed());
  EXPECT_TRUE(server.holds_send_key());
  EXPECT_FALSE(server.holds_receive_key());
  EXPECT_FALSE(server.poll_event().has_value());  // the event came once
  // kPeerClosed --close()--> kClosed
  ASSERT_EQ(server.close(), Error::kNone);
  EXPECT_EQ(server.state(), ChannelState::kClosed);
  EXPECT_EQ(channel_state_name(server.state()), "Closed");
  EXPECT_TRUE(server.sent_close() && server.peer_closed());
  EXPECT_FALSE(server.holds_send_key() || server.holds_receive_key());
  // kSentClose --peer's close_notify--> kClosed
  received = feed(client, drain(server), 0, /*eof=*/true);
  EXPECT_TRUE(received.peer_closed);
  EXPECT_EQ(received.error, Error::kNone);
  EXPECT_EQ(client.state(), ChannelState::kClosed);
  EXPECT_EQ(client.error(), Error::kNone);
  EXPECT_EQ(client.send(message_of(1)), Error::kAlreadyClosed);
  EXPECT_EQ(client.state(), ChannelState::kClosed);  // a refusal changes no state
}

TEST_F(ChannelTest, EveryStateFailsIntoFailedAndStaysThere) {
  const Bytes junk(kFrameOverhead + 1, 0x00);  // L = 0 with a bad tag
  {                                            // kOpen
    Channel channel(Role::kServer, key_of(0xC2), key_of(0x2C), ChannelConfig{});
    EXPECT_EQ(feed(channel, junk).error, Error::kFrameAuthFailed);
    EXPECT_EQ(channel.state(), ChannelState::kFailed);
    EXPECT_EQ(channel_state_name(channel.state()), "Failed");
    EXPECT_FALSE(channel.sent_close() || channel.peer_closed());
    EXPECT_FALSE(channel.holds_send_key() || channel.holds_receive_key());
    EXPECT_EQ(channel.close(), Error::kFrameAuthFailed);
    EXPECT_EQ(channel.handle_bytes({}).error, Error::kFrameAuthFailed);
    EXPECT_EQ(channel.state(), ChannelState::kFailed);
  }
  {  // kSentClose: the stream ends before the peer's close_notify.
    ASSERT_EQ(server.close(), Error::kNone);
    ASSERT_EQ(server.state(), ChannelState::kSentClose);
    EXPECT_EQ(server.handle_bytes({}).error, Error::kTruncated);
    EXPECT_EQ(server.state(), ChannelState::kFailed);
    EXPECT_FALSE(server.sent_close());
  }
  {  // kPeerClosed and kClosed: bytes after the peer's close_notify.
    for (const bool close_too : {false, true}) {
      Channel sender(Role::kClient, key_of(0xC2), key_of(0x2C), ChannelConfig{});
      Channel receiver(Role::kServer, key_of(0xC2), key_of(0x2C), ChannelConfig{});
      ASSERT_EQ(sender.close(), Error::kNone);
      ASSERT_TRUE(feed(receiver, drain(sender)).peer_closed);
      if (close_too) {
        ASSERT_EQ(receiver.close(), Error::kNone);
      }
      EXPECT_EQ(receiver.state(), close_too ? ChannelState::kClosed : ChannelState::kPeerClosed);
      EXPECT_EQ(receiver.handle_bytes(junk).error, Error::kDataAfterClose);
      EXPECT_EQ(receiver.state(), ChannelState::kFailed);
      EXPECT_EQ(receiver.send(message_of(1)), Error::kDataAfterClose);
    }
  }
  {  // A bad config starts in kFailed.
    ChannelConfig config;
    config.max_message_size = 0;
    Channel channel(Role::kClient, key_of(0xC2), key_of(0x2C), config);
    EXPECT_EQ(channel.state(), ChannelState::kFailed);
    EXPECT_EQ(channel.error(), Error::kInvalidArgument);
  }
}

TEST_F(ChannelTest, EachDirectionUsesItsOwnKey) {
  ASSERT_EQ(client.send(message_of(8)), Error::kNone);
  const Bytes from_client = drain(client);
  // A frame reflected back at its sender does not open (different key).
  EXPECT_EQ(feed(client, from_client).error, Error::kFrameAuthFailed);
}

TEST_F(ChannelTest, AnyFlippedBitIsFatalAndNothingIsDeliveredAfterIt) {
  const Bytes frames = client_frames({message_of(17), message_of(5)}, false);
  const std::size_t first_frame = 17 + kFrameOverhead;
  for (std::size_t bit = 0; bit < first_frame * 8; ++bit) {
    Channel receiver(Role::kServer, key_of(0xC2), key_of(0x2C), ChannelConfig{});
    Bytes corrupt = frames;
    corrupt[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    const Received received = feed(receiver, corrupt, 0, /*eof=*/true);
    EXPECT_NE(received.error, Error::kNone) << "bit " << bit;
    EXPECT_TRUE(received.messages.empty()) << "bit " << bit;
  }
}

TEST_F(ChannelTest, AuthenticationFailureWipesKeysAndRepeats) {
  Bytes frame = client_frames({message_of(4)}, false);
  frame.back() ^= 1;
  EXPECT_EQ(feed(server, frame).error, Error::kFrameAuthFailed);
  const std::array<std::uint8_t, 32> zero{};
  EXPECT_TRUE(std::ranges::equal(server.receive_key().bytes(), zero));
  EXPECT_TRUE(std::ranges::equal(server.send_key().bytes(), zero));
  EXPECT_EQ(server.send(message_of(1)), Error::kFrameAuthFailed);
  EXPECT_EQ(server.handle_bytes(message_of(3)).error, Error::kFrameAuthFailed);
}

TEST_F(ChannelTest, NothingQueuedBeforeAFailureIsSentAfterIt) {
  ASSERT_EQ(server.send(message_of(64)), Error::kNone);
  ASSERT_GT(server.pending_transmit(), 0u);
  Bytes frame = client_frames({message_of(4)}, false);
  frame[5] ^= 1;
  EXPECT_EQ(feed(server, frame).error, Error::kFrameAuthFailed);
  EXPECT_EQ(server.pending_transmit(), 0u);
  EXPECT_TRUE(drain(server).empty());
}

TEST_F(ChannelTest, ReplayedReorderedDroppedOrDuplicatedFramesAreFatal) {
  const Bytes f0 = client_frames({message_of(10)}, false);
  const Bytes f1 = client_frames({message_of(11)}, false);
  const Bytes f2 = client_frames({message_of(12)}, false);
  auto join = [](std::initializer_list<const Bytes*> parts) {
    Bytes out;
    for (const Bytes* p : parts) out.insert(out.end(), p->begin(), p->end());
    return out;
  };
  struct Case {
    const char* name;
    Bytes stream;
    std::size_t delivered_before_failure;
  };
  const Case cases[] = {
      {"duplicated", join({&f0, &f0}), 1},
      {"reordered", join({&f1, &f0}), 0},
      {"dropped", join({&f0, &f2}), 1},
      {"replayed later", join({&f0, &f1, &f0}), 2},
  };
  for (const Case& c : cases) {
    Channel receiver(Role::kServer, key_of(0xC2), key_of(0x2C), ChannelConfig{});
    const Received received = feed(receiver, c.stream);
    EXPECT_EQ(received.error, Error::kFrameAuthFailed) << c.name;
    EXPECT_EQ(received.messages.size(), c.delivered_before_failure) << c.name;
  }
}

TEST_F(ChannelTest, StreamEndingWithoutCloseNotifyIsTruncated) {
  const Bytes frames = client_frames({message_of(30)}, false);
  // At a frame boundary: all data arrived, but the end is not authenticated.
  Channel at_boundary(Role::kServer, key_of(0xC2), key_of(0x2C), ChannelConfig{});
  const Received whole = feed(at_boundary, frames, 0, /*eof=*/true);
  EXPECT_EQ(whole.messages.size(), 1u);
  EXPECT_EQ(whole.error, Error::kTruncated);
  // Inside a frame, at every cut point.
  for (std::size_t cut = 1; cut < frames.size(); ++cut) {
    Channel receiver(Role::kServer, key_of(0xC2), key_of(0x2C), ChannelConfig{});
    const Received received =
        feed(receiver, Bytes(frames.begin(), frames.begin() + static_cast<std::ptrdiff_t>(cut)), 0,
             true);
    EXPECT_EQ(received.error, Error::kTruncated) << cut;
    EXPECT_TRUE(received.messages.empty());
  }
}

TEST_F(ChannelTest, BytesAfterCloseNotifyAreFatal) {
  Bytes stream = client_frames({message_of(2)}, true);
  stream.push_back(0);
  const Received received = feed(server, stream);
  EXPECT_EQ(received.messages.size(), 1u);
  EXPECT_TRUE(received.peer_closed);
  EXPECT_EQ(received.error, Error::kDataAfterClose);
}

TEST_F(ChannelTest, OversizedHeaderIsFatalBeforeAnyBodyIsBuffered) {
  ChannelConfig config;
  config.max_message_size = 1000;
  Channel receiver(Role::kServer, key_of(0xC2), key_of(0x2C), config);
  const Bytes header{0x00, 0x00, 0x03, 0xE9};  // L = 1001
  const ReadResult result = receiver.handle_bytes(header);
  EXPECT_EQ(result.error, Error::kFrameTooLarge);
  EXPECT_EQ(ChannelTestAccess::receive_buffer_capacity(receiver), 0u);
  // The largest allowed L is accepted and buffered.
  Channel ok(Role::kServer, key_of(0xC2), key_of(0x2C), config);
  EXPECT_EQ(ok.handle_bytes(Bytes{0x00, 0x00, 0x03, 0xE8}).error, Error::kNone);
}

TEST_F(ChannelTest, SenderRefusesAtTheCounterLimit) {
  ChannelTestAccess::set_send_counter(client, kFrameCounterLimit - 1);
  ChannelTestAccess::set_receive_counter(server, kFrameCounterLimit - 1);
  ASSERT_EQ(client.send(message_of(9)), Error::kNone);  // counter 2^64 - 2: the last one
  EXPECT_EQ(client.send(message_of(9)), Error::kCounterExhausted);
  EXPECT_EQ(client.close(), Error::kCounterExhausted);
  const Bytes frame = drain(client);
  EXPECT_EQ(frame.size(), 9 + kFrameOverhead);  // the refused send queued nothing
  EXPECT_EQ(feed(server, frame).messages.size(), 1u);
  // A receiver whose counter reached the limit refuses any further frame.
  ChannelTestAccess::set_receive_counter(server, kFrameCounterLimit);
  EXPECT_EQ(server.handle_bytes(Bytes(kFrameOverhead + 1, 0)).error,
            Error::kCounterExhaustedRemote);
}

TEST_F(ChannelTest, EverySplitPointGivesTheSameMessages) {
  const std::vector<Bytes> sent{message_of(1), message_of(40), message_of(3), message_of(17)};
  const Bytes stream = client_frames(sent, true);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    Channel receiver(Role::kServer, key_of(0xC2), key_of(0x2C), ChannelConfig{});
    Received first =
        feed(receiver, Bytes(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(cut)));
    const Received second = feed(
        receiver, Bytes(stream.begin() + static_cast<std::ptrdiff_t>(cut), stream.end()), 0, true);
    first.messages.insert(first.messages.end(), second.messages.begin(), second.messages.end());
    EXPECT_EQ(first.messages, sent) << cut;
    EXPECT_TRUE(second.peer_closed || first.peer_closed) << cut;
    EXPECT_EQ(second.error, Error::kNone) << cut;
  }
  for (std::size_t chunk = 1; chunk < 64; ++chunk) {
    Channel receiver(Role::kServer, key_of(0xC2), key_of(0x2C), ChannelConfig{});
    EXPECT_EQ(feed(receiver, stream, chunk, true).messages, sent) << chunk;
  }
}

TEST_F(ChannelTest, SendRefusalsChangeNothing) {
  ChannelConfig small;
  small.max_message_size = 100;
  small.max_pending_output = 300;
  Channel sender(Role::kClient, key_of(0xC2), key_of(0x2C), small);
  EXPECT_EQ(sender.send({}), Error::kInvalidArgument);
  EXPECT_EQ(sender.send(message_of(101)), Error::kMessageTooLarge);
  ASSERT_EQ(sender.send(message_of(100)), Error::kNone);
  ASSERT_EQ(sender.send(message_of(100)), Error::kNone);
  EXPECT_EQ(sender.send(message_of(100)), Error::kSendBufferFull);  // 360 > 300
  EXPECT_EQ(sender.pending_transmit(), 240u);
  // After a refusal the counter did not move: the receiver opens both frames and a
  // frame sent once the queue drained.
  Channel receiver(Role::kServer, key_of(0xC2), key_of(0x2C), small);
  Bytes stream = drain(sender);
  ASSERT_EQ(sender.send(message_of(50)), Error::kNone);
  const Bytes more = drain(sender);
  stream.insert(stream.end(), more.begin(), more.end());
  EXPECT_EQ(feed(receiver, stream).messages.size(), 3u);
}

TEST_F(ChannelTest, ConfigOutsideTheLimitsFailsAtOnce) {
  ChannelConfig too_big;
  too_big.max_message_size = kMaxMessageSizeLimit + 1;
  EXPECT_EQ(Channel(Role::kClient, key_of(1), key_of(2), too_big).error(), Error::kInvalidArgument);
  ChannelConfig zero;
  zero.max_message_size = 0;
  EXPECT_EQ(Channel(Role::kClient, key_of(1), key_of(2), zero).error(), Error::kInvalidArgument);
  ChannelConfig largest;
  largest.max_message_size = kMaxMessageSizeLimit;
  EXPECT_EQ(Channel(Role::kClient, key_of(1), key_of(2), largest).error(), Error::kNone);
}

// A send queue smaller than one frame of the largest message would refuse that
// message with kSendBufferFull forever, however often the caller drains: such a
// bound is a config error, like a bad max_message_size.
TEST_F(ChannelTest, PendingOutputBelowOneFullFrameIsRejected) {
  ChannelConfig config;
  config.max_message_size = 100;
  const std::size_t one_frame = 100 + kFrameOverhead;
  for (const std::size_t bound : {std::size_t{1}, kFrameOverhead, one_frame - 1}) {
    config.max_pending_output = bound;
    Channel channel(Role::kClient, key_of(1), key_of(2), config);
    EXPECT_EQ(channel.error(), Error::kInvalidArgument) << bound;
    EXPECT_EQ(channel.send(message_of(1)), Error::kInvalidArgument) << bound;
    EXPECT_FALSE(channel_config_is_valid(config)) << bound;
  }
  // One full frame is enough: the largest message fits in an empty queue.
  config.max_pending_output = one_frame;
  Channel channel(Role::kClient, key_of(1), key_of(2), config);
  EXPECT_EQ(channel.error(), Error::kNone);
  EXPECT_EQ(channel.send(message_of(100)), Error::kNone);
  EXPECT_EQ(channel.send(message_of(1)), Error::kSendBufferFull);
  EXPECT_EQ(drain(channel).size(), one_frame);
  EXPECT_EQ(channel.send(message_of(100)), Error::kNone);
  // 0 stays the default (two full frames).
  config.max_pending_output = 0;
  EXPECT_TRUE(channel_config_is_valid(config));
}

TEST_F(ChannelTest, WaitsForTheCallerToTakeEachMessage) {
  const Bytes stream = client_frames({message_of(5), message_of(6)}, false);
  const ReadResult first = server.handle_bytes(stream);
  EXPECT_EQ(first.consumed, 5 + kFrameOverhead);
  EXPECT_EQ(server.handle_bytes(ByteSpan(stream).subspan(first.consumed)).consumed, 0u);
  ASSERT_TRUE(server.poll_event());
  EXPECT_EQ(server.handle_bytes(ByteSpan(stream).subspan(first.consumed)).consumed,
            6 + kFrameOverhead);
}

}  // namespace
}  // namespace p2pnet
