// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/internal/byte_buffer.h"

#include <gtest/gtest.h>

namespace p2pnet {
namespace {

TEST(ByteBufferTest, GrowsOnlyPastItsHighWaterMarkAndKeepsThePrefix) {
  ByteBuffer buffer;
  EXPECT_EQ(buffer.capacity(), 0u);
  ASSERT_TRUE(buffer.reserve(4, 0));
  std::uint8_t* first = buffer.data();
  for (std::uint8_t i = 0; i < 4; ++i) buffer.data()[i] = i;
  ASSERT_TRUE(buffer.reserve(3, 0));  // smaller: no change
  EXPECT_EQ(buffer.data(), first);
  ASSERT_TRUE(buffer.reserve(16, 3));
  EXPECT_EQ(buffer.capacity(), 16u);
  EXPECT_EQ(buffer.data()[0], 0);
  EXPECT_EQ(buffer.data()[2], 2);
}

TEST(ByteBufferTest, WipeZeroesAndMoveTransfersOwnership) {
  ByteBuffer buffer;
  ASSERT_TRUE(buffer.reserve(8, 0));
  for (std::size_t i = 0; i < 8; ++i) buffer.data()[i] = 0xAA;
  buffer.wipe();
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(buffer.data()[i], 0);
  ByteBuffer moved(std::move(buffer));
  EXPECT_EQ(moved.capacity(), 8u);
  // NOLINTNEXTLINE(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(buffer.capacity(), 0u);
}

}  // namespace
}  // namespace p2pnet
