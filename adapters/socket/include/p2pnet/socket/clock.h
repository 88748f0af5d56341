// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// clock.h: the adapters' only clock. The engine never reads time; the adapters read
// std::chrono::steady_clock (monotonic, so a wall-clock jump cannot stretch or cut a
// deadline) and pass it in as p2pnet::Instant.
#ifndef P2PNET_SOCKET_CLOCK_H_
#define P2PNET_SOCKET_CLOCK_H_

#include <algorithm>
#include <chrono>

#include "p2pnet/time.h"

namespace p2pnet::net {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

// to_instant is |time| as the engine's Instant: whole milliseconds, rounded down.
inline Instant to_instant(Deadline time) {
  return std::chrono::floor<Instant>(time.time_since_epoch());
}

// engine_now is steady_clock's current time as the engine's Instant.
inline Instant engine_now() { return to_instant(Clock::now()); }

// to_deadline maps an engine Instant (from poll_timeout) back onto steady_clock.
inline Deadline to_deadline(Instant instant) { return Deadline(instant); }

inline Deadline deadline_after(Duration duration) { return Clock::now() + duration; }

// remaining_ms is the time left until |deadline|, rounded up so a wait never ends
// just before the deadline, clamped to [0, cap_ms].
inline int remaining_ms(Deadline deadline, int cap_ms = 60'000) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, cap_ms));
}

}  // namespace p2pnet::net

#endif  // P2PNET_SOCKET_CLOCK_H_
