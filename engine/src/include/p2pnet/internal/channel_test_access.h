// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// channel_test_access.h: test-only access to a Channel's counters and buffers, so a
// test can start a direction near the 2^64 - 1 counter limit without sending 2^64
// frames, can check that buffers stay unallocated or wiped, and can break an
// invariant on purpose to see each P2PNET_ASSERT site fail (abort, or fail closed).
// Not installed; only tests include it.
#ifndef P2PNET_INTERNAL_CHANNEL_TEST_ACCESS_H_
#define P2PNET_INTERNAL_CHANNEL_TEST_ACCESS_H_

#include "p2pnet/internal/channel.h"

namespace p2pnet {

struct ChannelTestAccess {
  static void set_send_counter(Channel& channel, std::uint64_t value) {
    channel.send_counter_ = value;
  }
  static void set_receive_counter(Channel& channel, std::uint64_t value) {
    channel.receive_counter_ = value;
  }
  static std::size_t receive_buffer_capacity(const Channel& channel) {
    return channel.rx_.capacity();
  }
  // Impossible states, one per P2PNET_ASSERT site of channel.cc, for
  // tests/engine/assert_test.cc:
  // force_pending_message: a pending message of |size| bytes that the receive buffer
  // does not hold (poll_event).
  static void force_pending_message(Channel& channel, std::uint32_t size) {
    channel.pending_event_ = Channel::PendingEvent::kMessage;
    channel.pending_message_size_ = size;
  }
  // end_send_queue_past_its_buffer: queued frames that end past the send buffer (seal).
  static void end_send_queue_past_its_buffer(Channel& channel) {
    channel.tx_begin_ = channel.tx_end_ = channel.tx_.capacity() + 1;
  }
  // open_frame runs the frame opener on |sealed| as handle_bytes would, so a test can
  // hand it a body whose length is not the one its header announced (open_frame).
  static Error open_frame(Channel& channel, ByteSpan sealed) { return channel.open_frame(sealed); }
};

}  // namespace p2pnet

#endif  // P2PNET_INTERNAL_CHANNEL_TEST_ACCESS_H_
