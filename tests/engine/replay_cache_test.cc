// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/replay_cache.h"

#include <gtest/gtest.h>

namespace p2pnet {
namespace {

Challenge challenge_of(std::uint32_t n) {
  Challenge c{};
  // Spread n into the hash bytes and the tail, so collisions in the first 8 bytes
  // are tested separately below.
  for (int i = 0; i < 4; ++i)
    c[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (8 * i));
  c[31] = 0x5A;
  return c;
}

TEST(ReplayCacheTest, RefusesAChallengeSeenBefore) {
  ReplayCache cache(8);
  EXPECT_TRUE(cache.insert(challenge_of(1)));
  EXPECT_FALSE(cache.insert(challenge_of(1)));
  EXPECT_TRUE(cache.insert(challenge_of(2)));
  EXPECT_EQ(cache.size(), 2u);
}

TEST(ReplayCacheTest, ForgetsTheOldestPastCapacityAndNeverGrows) {
  ReplayCache cache(64);
  for (std::uint32_t i = 0; i < 1000; ++i) ASSERT_TRUE(cache.insert(challenge_of(i)));
  EXPECT_EQ(cache.size(), 64u);
  EXPECT_EQ(cache.capacity(), 64u);
  for (std::uint32_t i = 0; i < 936; ++i) EXPECT_FALSE(cache.contains(challenge_of(i))) << i;
  for (std::uint32_t i = 936; i < 1000; ++i) EXPECT_TRUE(cache.contains(challenge_of(i))) << i;
}

TEST(ReplayCacheTest, HandlesChallengesThatCollideInTheHash) {
  ReplayCache cache(16);
  // Same first 8 bytes (same hash slot), different tails: long probe runs, then
  // evictions in the middle of them.
  for (std::uint8_t i = 0; i < 40; ++i) {
    Challenge c{};
    c[20] = i;
    ASSERT_TRUE(cache.insert(c)) << int{i};
  }
  for (std::uint8_t i = 0; i < 40; ++i) {
    Challenge c{};
    c[20] = i;
    EXPECT_EQ(cache.contains(c), i >= 24) << int{i};
  }
}

}  // namespace
}  // namespace p2pnet
