// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "p2pnet/internal/messages.h"

namespace p2pnet {
namespace {

TEST(MessageSizeTest, OnlyTheFiveTypesHaveASize) {
  int known = 0;
  for (int type = 0; type < 256; ++type) {
    if (message_size(static_cast<std::uint8_t>(type))) ++known;
  }
  EXPECT_EQ(known, 5);
  EXPECT_EQ(message_size(0x01), 33u);
  EXPECT_EQ(message_size(0x02), 65u);
  EXPECT_EQ(message_size(0x03), 97u);
  EXPECT_EQ(message_size(0x04), 97u);
  EXPECT_EQ(message_size(0xFF), 2u);
  EXPECT_FALSE(message_size(0x00));
  EXPECT_FALSE(message_size(0x05));
}

}  // namespace
}  // namespace p2pnet
