// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/random.h"

#include <gtest/gtest.h>

#include <array>

namespace p2pnet {
namespace {

TEST(DeterministicRandomTest, SameSeedSameBytesAndEveryCallIsFresh) {
  DeterministicRandom a(42), b(42), c(43);
  std::array<std::uint8_t, 32> a1{}, a2{}, b1{}, c1{};
  ASSERT_TRUE(a.fill(a1));
  ASSERT_TRUE(a.fill(a2));
  ASSERT_TRUE(b.fill(b1));
  ASSERT_TRUE(c.fill(c1));
  EXPECT_EQ(a1, b1);
  EXPECT_NE(a1, a2);
  EXPECT_NE(a1, c1);
}

TEST(SystemRandomTest, FillsWithFreshBytes) {
  std::array<std::uint8_t, 32> x{}, y{};
  ASSERT_TRUE(system_random().fill(x));
  ASSERT_TRUE(system_random().fill(y));
  EXPECT_NE(x, y);
}

}  // namespace
}  // namespace p2pnet
