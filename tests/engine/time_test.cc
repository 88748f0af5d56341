// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/time.h"

#include <gtest/gtest.h>

namespace p2pnet {
namespace {

using namespace std::chrono_literals;

TEST(SaturatingAddTest, AddsWithinRange) {
  EXPECT_EQ(saturating_add(Instant{1'000}, 10s), Instant{11'000});
  EXPECT_EQ(saturating_add(Instant{-5}, 3ms), Instant{-2});
  EXPECT_EQ(saturating_add(Instant{7}, -7ms), Instant{0});
  EXPECT_EQ(saturating_add(Instant::max() - 1ms, 1ms), Instant::max());
  EXPECT_EQ(saturating_add(Instant::min() + 1ms, -1ms), Instant::min());
}

TEST(SaturatingAddTest, ClampsInsteadOfOverflowing) {
  EXPECT_EQ(saturating_add(Instant{1}, Duration::max()), Instant::max());
  EXPECT_EQ(saturating_add(Instant::max(), 1ms), Instant::max());
  EXPECT_EQ(saturating_add(Instant::max(), Duration::max()), Instant::max());
  EXPECT_EQ(saturating_add(Instant{-1}, Duration::min()), Instant::min());
  EXPECT_EQ(saturating_add(Instant::min(), Duration::min()), Instant::min());
  // Opposite signs never overflow.
  EXPECT_EQ(saturating_add(Instant::max(), Duration::min()), Instant{-1});
  EXPECT_EQ(saturating_add(Instant::min(), Duration::max()), Instant{-1});
}

static_assert(saturating_add(Instant{0}, Duration::max()) == Instant::max());

}  // namespace
}  // namespace p2pnet
