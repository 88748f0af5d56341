// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// challenge.h: the server's 32-byte random challenge (protocol-v1 ServerHello). It is
// public: the client's replay cache (replay_cache.h) remembers challenges by value.
#ifndef P2PNET_CHALLENGE_H_
#define P2PNET_CHALLENGE_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace p2pnet {

inline constexpr std::size_t kChallengeSize = 32;
using Challenge = std::array<std::uint8_t, kChallengeSize>;

}  // namespace p2pnet

#endif  // P2PNET_CHALLENGE_H_
