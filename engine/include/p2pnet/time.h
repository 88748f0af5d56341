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

}  // namespace p2pnet

#endif  // P2PNET_TIME_H_
