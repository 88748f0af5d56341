// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// channel_test_access.h: test-only access to a Channel's counters and buffers, so a
// test can start a direction near the 2^64 - 1 counter limit without sending 2^64
// frames, and can check that buffers stay unallocated or wiped. Not installed; only
// tests include it.
#ifndef P2PNET_INTERNAL_CHANNEL_TEST_ACCESS_H_
#define P2PNET_INTERNAL_CHANNEL_TEST_ACCESS_H_

#include "p2pnet/internal/channel.h"

namespace p2pnet {

struct ChannelTestAccess {
  static void set_send_counter(Channel& channel, std::uint64_t value) { channel.send_counter_ = value; }
  static void set_receive_counter(Channel& channel, std::uint64_t value) {
    channel.receive_counter_ = value;
  }
  static std::size_t receive_buffer_capacity(const Channel& channel) { return channel.rx_.capacity(); }
};

}  // namespace p2pnet

#endif  // P2PNET_INTERNAL_CHANNEL_TEST_ACCESS_H_
