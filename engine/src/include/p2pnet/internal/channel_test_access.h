// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// channel_test_access.h: test-only access to a Channel's counters and buffers, so a
// test can start a direction near the 2^64 - 1 counter limit without sending 2^64
// frames, can check that buffers stay unallocated or wiped, and can break an
// invariant on purpose to see P2PNET_ASSERT catch it. Not installed; only
// tests include it.
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
  // force_pending_message makes an impossible state: a pending message of |size|
  // bytes that the receive buffer does not hold, for the P2PNET_ASSERT tests.
  static void force_pending_message(Channel& channel, std::uint32_t size) {
    channel.pending_event_ = Channel::PendingEvent::kMessage;
    channel.pending_message_size_ = size;
  }
};

}  // namespace p2pnet

#endif  // P2PNET_INTERNAL_CHANNEL_TEST_ACCESS_H_
