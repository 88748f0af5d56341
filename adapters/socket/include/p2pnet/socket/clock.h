// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// clock.h: the adapters' only clock. The engine never reads time; the adapters read
// std::chrono::steady_clock (monotonic, so a wall-clock jump cannot stretch or cut a
// deadline) and pass it in as p2pnet::Instant.
#ifndef P2PNET_SOCKET_CLOCK_H_
#define P2PNET_SOCKET_CLOCK_H_

#include <chrono>

#include "p2pnet/time.h"

namespace p2pnet::net {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

// Every conversion and sum below saturates at the clock's range instead of
// overflowing, so a timeout of Duration::max() means "no deadline" rather than
// undefined behaviour (steady_clock counts nanoseconds in 64 bits: about 292 years,
// while Duration::max() milliseconds is a million times longer).

// to_instant is |time| as the engine's Instant: whole milliseconds, rounded down.
inline Instant to_instant(Deadline time) {
  return std::chrono::floor<Instant>(time.time_since_epoch());
}

// engine_now is steady_clock's current time as the engine's Instant.
inline Instant engine_now() { return to_instant(Clock::now()); }

// add_saturated is |time| + |duration|, clamped to [Deadline::min(), Deadline::max()].
inline Deadline add_saturated(Deadline time, Duration duration) {
  using Ticks = Clock::duration;
  constexpr Duration kLargest = std::chrono::duration_cast<Duration>(Ticks::max());
  if (duration > kLargest) return Deadline::max();
  if (duration < -kLargest) return Deadline::min();
  const Ticks step = duration;  // exact: within range now
  const Ticks base = time.time_since_epoch();
  if (step > Ticks::zero() && base > Ticks::max() - step) return Deadline::max();
  if (step < Ticks::zero() && base < Ticks::min() - step) return Deadline::min();
  return time + step;
}

// to_deadline maps an engine Instant (from poll_timeout) back onto steady_clock.
inline Deadline to_deadline(Instant instant) { return add_saturated(Deadline(), instant); }

// deadline_after is now + |duration|, saturated.
inline Deadline deadline_after(Duration duration) { return add_saturated(Clock::now(), duration); }

// remaining_ms is the time left until |deadline|, rounded up so a wait never ends
// just before the deadline, clamped to [0, cap_ms].
inline int remaining_ms(Deadline deadline, int cap_ms = 60'000) {
  const Deadline now = Clock::now();
  if (deadline <= now) return 0;
  if (deadline >= add_saturated(now, Duration{cap_ms}))
    return cap_ms;  // also keeps deadline - now in range
  return static_cast<int>(std::chrono::ceil<Duration>(deadline - now).count());
}

}  // namespace p2pnet::net

#endif  // P2PNET_SOCKET_CLOCK_H_
