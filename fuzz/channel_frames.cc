// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzz target channel_frames: drives the encrypted Channel (engine/src/channel.cc)
// directly, with fixed traffic keys (fixtures.h), so no handshake stands between the
// fuzzer and the frame parser.
//
// Input: [options] [chunk] [frames...] (support/stream_input.h). Options: bit 0 the
// receiver is the client (it opens s2c frames), else the server; bit 1 small channel
// limit (64 bytes); bit 2 both counters start two frames short of the 2^64 - 1 limit;
// bit 3 end of stream after the frames; bit 4 the sender's pending output bounded by
// one full frame; bit 5 the receiving channel is moved to a new object halfway and
// back (the moved-from object must hold no key); bit 6 an invalid config (limit 0):
// every call fails with kInvalidArgument.
//   1. Receive: the frames arrive |chunk| bytes at a time (0: all at once). The i-th
//      message delivered is exactly scripted_message(i) (the corpus holds frames a
//      real sender sealed; anything else must fail authentication); no message
//      after close_notify or after a failure; a failure wipes both keys and never
//      changes; close_notify wipes the receive key; bytes after close_notify fail
//      with kDataAfterClose; a stream that ends early is kTruncated.
//   2. Round trip: the input, cut into messages, is sealed by a sender channel
//      (drained |chunk| bytes at a time, so its queue slides and grows) and opened
//      by a receiver: what arrives is exactly what was accepted for sending, then
//      close_notify. Every send() result is the one the documented rules predict,
//      and close() wipes the send key.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "p2pnet/internal/channel.h"
#include "p2pnet/internal/channel_test_access.h"
#include "support/fixtures.h"
#include "support/fuzz_check.h"
#include "support/stream_input.h"

namespace p2pnet::fuzz {
namespace {

constexpr std::uint64_t kNearLimit = kFrameCounterLimit - 2;

bool is_wiped(const Key& key) {
  return std::all_of(key.bytes().begin(), key.bytes().end(), [](std::uint8_t b) { return b == 0; });
}

// ChannelReceiver feeds a channel the way channel.h asks and checks its events.
class ChannelReceiver {
 public:
  explicit ChannelReceiver(Channel& channel) : channel_(&channel), error_(channel.error()) {
    if (error_ != Error::kNone) FUZZ_CHECK(is_wiped(channel.receive_key()));
  }

  // retarget follows the channel to the object it was moved into.
  void retarget(Channel& channel) { channel_ = &channel; }

  void deliver(ByteSpan bytes) {
    while (!bytes.empty()) {
      const bool was_closed = channel_->peer_closed();
      const ReadResult result = channel_->handle_bytes(bytes);
      FUZZ_CHECK(result.consumed <= bytes.size());
      FUZZ_CHECK(result.error == channel_->error());
      if (was_closed && error_ == Error::kNone) FUZZ_CHECK(result.error == Error::kDataAfterClose);
      const bool any_event = pull_events();
      if (!check_error(result.error)) return;
      FUZZ_CHECK(result.consumed == bytes.size() || any_event);
      bytes = bytes.subspan(result.consumed);
    }
  }

  void deliver_eof() {
    const bool was_failed = error_ != Error::kNone;
    const ReadResult result = channel_->handle_bytes({});
    FUZZ_CHECK(result.consumed == 0);
    pull_events();
    if (!was_failed) {
      FUZZ_CHECK(result.error == (channel_->peer_closed() ? Error::kNone : Error::kTruncated));
    }
    (void)check_error(result.error);
  }

  const std::vector<Bytes>& received() const { return received_; }

 private:
  bool pull_events() {
    bool any = false;
    while (const auto event = channel_->poll_event()) {
      any = true;
      FUZZ_CHECK(error_ == Error::kNone);
      FUZZ_CHECK(!closed_event_);
      switch (event->type) {
        case ChannelEventType::kMessage:
          FUZZ_CHECK(!event->message.empty());
          FUZZ_CHECK(event->message.size() <= channel_->max_message_size());
          received_.emplace_back(event->message.begin(), event->message.end());
          break;
        case ChannelEventType::kPeerClosed:
          closed_event_ = true;
          FUZZ_CHECK(is_wiped(channel_->receive_key()));  // nothing more to open
          break;
      }
    }
    return any;
  }

  // check_error records a failure and checks it is terminal; false once failed.
  bool check_error(Error error) {
    FUZZ_CHECK(error_ == Error::kNone || error == error_);
    if (error == Error::kNone) return true;
    error_ = error;
    FUZZ_CHECK(is_wiped(channel_->send_key()));
    FUZZ_CHECK(is_wiped(channel_->receive_key()));
    return false;
  }

  Channel* channel_;
  Error error_;
  bool closed_event_ = false;
  std::vector<Bytes> received_;
};

Error expected_send_error(const Channel& sender, std::size_t size, std::uint64_t counter,
                          std::size_t max_pending) {
  if (sender.error() != Error::kNone) return sender.error();
  if (sender.sent_close()) return Error::kAlreadyClosed;
  if (size == 0) return Error::kInvalidArgument;
  if (size > sender.max_message_size()) return Error::kMessageTooLarge;
  if (counter == kFrameCounterLimit) return Error::kCounterExhausted;
  if (sender.pending_transmit() + size + kFrameOverhead > max_pending)
    return Error::kSendBufferFull;
  return Error::kNone;
}

void round_trip(Role receiver_role, const ChannelConfig& config, bool near_limit, ByteSpan input,
                std::size_t chunk) {
  const Role sender_role = receiver_role == Role::kClient ? Role::kServer : Role::kClient;
  Channel sender(sender_role, channel_key_c2s(), channel_key_s2c(), config);
  Channel receiver(receiver_role, channel_key_c2s(), channel_key_s2c(), config);
  std::uint64_t counter = near_limit ? kNearLimit : 0;
  ChannelTestAccess::set_send_counter(sender, counter);
  ChannelTestAccess::set_receive_counter(receiver, counter);
  const std::size_t max_pending = config.max_pending_output != 0
                                      ? config.max_pending_output
                                      : 2 * (config.max_message_size + kFrameOverhead);

  std::vector<Bytes> accepted;
  Bytes wire;
  auto drain = [&](std::size_t limit) {
    Bytes out(std::min(limit, sender.pending_transmit()));
    FUZZ_CHECK(sender.poll_transmit(out) == out.size());
    wire.insert(wire.end(), out.begin(), out.end());
  };
  // Messages: the input cut every |chunk| bytes; the empty message is tried too.
  for (std::size_t offset = 0, n = 0; offset <= input.size() && n < 8; offset += chunk, ++n) {
    const ByteSpan message = input.subspan(offset, std::min(chunk, input.size() - offset));
    const Error expected = expected_send_error(sender, message.size(), counter, max_pending);
    const std::size_t pending = sender.pending_transmit();
    const Error error = sender.send(message);
    FUZZ_CHECK(error == expected);
    if (error == Error::kNone) {
      accepted.emplace_back(message.begin(), message.end());
      ++counter;
      FUZZ_CHECK(sender.pending_transmit() == pending + message.size() + kFrameOverhead);
    } else {
      FUZZ_CHECK(sender.pending_transmit() == pending);  // nothing queued on error
    }
    drain(chunk);
  }
  drain(sender.pending_transmit());
  // close_notify is a frame too: it needs a counter and room in the queue.
  const Error expected_close = sender.error() != Error::kNone  ? sender.error()
                               : counter == kFrameCounterLimit ? Error::kCounterExhausted
                               : kFrameOverhead > max_pending  ? Error::kSendBufferFull
                                                               : Error::kNone;
  const Error close_error = sender.close();
  FUZZ_CHECK(close_error == expected_close);
  drain(sender.pending_transmit());
  if (close_error == Error::kNone) {
    FUZZ_CHECK(is_wiped(sender.send_key()));  // nothing more to seal
    FUZZ_CHECK(sender.send(input) == Error::kAlreadyClosed);
    FUZZ_CHECK(sender.close() == Error::kAlreadyClosed);
  }

  ChannelReceiver reader(receiver);
  for_each_chunk(wire, chunk, [&](ByteSpan piece) { reader.deliver(piece); });
  reader.deliver_eof();
  FUZZ_CHECK(reader.received() == accepted);
  FUZZ_CHECK(receiver.peer_closed() == (close_error == Error::kNone));
  if (sender.error() == Error::kNone) {
    FUZZ_CHECK(receiver.error() ==
               (close_error == Error::kNone ? Error::kNone : Error::kTruncated));
  }
}

}  // namespace
}  // namespace p2pnet::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace p2pnet;
  using namespace p2pnet::fuzz;
  const auto input = parse_stream_input(data, size);
  if (!input) return 0;
  const std::uint8_t options = input->options;
  const std::size_t chunk = input->chunk;
  const ByteSpan frames = input->stream;
  const Role role = (options & 1u) != 0 ? Role::kClient : Role::kServer;
  ChannelConfig config;
  if ((options & 2u) != 0) config.max_message_size = 64;
  const bool near_limit = (options & 4u) != 0;
  const bool eof = (options & 8u) != 0;
  // The smallest valid bound (config.h): exactly one full frame of the largest message.
  if ((options & 16u) != 0) config.max_pending_output = config.max_message_size + kFrameOverhead;
  const bool move_halfway = (options & 32u) != 0;
  if ((options & 64u) != 0) config.max_message_size = 0;

  Channel channel(role, channel_key_c2s(), channel_key_s2c(), config);
  if (near_limit) ChannelTestAccess::set_receive_counter(channel, kNearLimit);
  ChannelReceiver reader(channel);
  const std::size_t half = frames.size() / 2;
  ByteSpan rest = frames;
  auto deliver_until = [&](std::size_t end) {
    while (frames.size() - rest.size() < end) {
      const std::size_t n = std::min(chunk, end - (frames.size() - rest.size()));
      reader.deliver(rest.first(n));
      rest = rest.subspan(n);
    }
  };
  deliver_until(move_halfway ? half : frames.size());
  if (move_halfway) {
    // secret.h: a move copies the keys and wipes the source.
    Channel moved(std::move(channel));
    // NOLINTNEXTLINE(clang-analyzer-cplusplus.Move,bugprone-use-after-move): checks the wipe
    FUZZ_CHECK(is_wiped(channel.send_key()) && is_wiped(channel.receive_key()));
    reader.retarget(moved);
    deliver_until(frames.size() - rest.size() + std::min(chunk, rest.size()));
    channel = std::move(moved);
    // NOLINTNEXTLINE(clang-analyzer-cplusplus.Move,bugprone-use-after-move): checks the wipe
    FUZZ_CHECK(is_wiped(moved.send_key()) && is_wiped(moved.receive_key()));
    reader.retarget(channel);
    deliver_until(frames.size());
  }
  if (eof) reader.deliver_eof();
  FUZZ_CHECK(is_scripted(reader.received()));

  round_trip(role, config, near_limit, frames.first(std::min<std::size_t>(frames.size(), 512)),
             chunk);
  return 0;
}
