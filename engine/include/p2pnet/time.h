// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// time.h: the engine never reads a clock. The embedder passes "now" into every call
// that may depend on time, as a count of milliseconds since any epoch it likes, as
// long as it never goes backwards (a monotonic clock). Tests use a virtual clock.
#ifndef P2PNET_TIME_H_
#define P2PNET_TIME_H_

#include <chrono>

namespace p2pnet {

using Duration = std::chrono::milliseconds;
// Instant is a point on the embedder's monotonic clock, as time since its epoch.
using Instant = std::chrono::milliseconds;

// saturating_add returns |instant| + |duration|, clamped to Instant::min()..max()
// instead of overflowing (signed overflow is undefined behaviour). The engine computes
// every "now + duration" with it: a deadline past the end of the clock's range
// becomes Instant::max(), which no embedder clock reaches, so a huge timeout means
// "no deadline" rather than a deadline in the past.
constexpr Instant saturating_add(Instant instant, Duration duration) {
  const Instant::rep a = instant.count();
  const Duration::rep b = duration.count();
  if (b > 0 && a > Instant::max().count() - b) return Instant::max();
  if (b < 0 && a < Instant::min().count() - b) return Instant::min();
  return Instant{a + b};
}

}  // namespace p2pnet

#endif  // P2PNET_TIME_H_
