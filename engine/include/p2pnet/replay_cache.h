// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// replay_cache.h: protocol-v1 "Replay": a client refuses to sign a challenge it has
// signed before. The cache holds the last `capacity` challenges in a fixed table
// allocated once at construction, so a handshake never allocates. Challenges are
// public values, so the cache holds nothing secret. It is not thread-safe: share
// one across threads only behind the caller's lock.
#ifndef P2PNET_REPLAY_CACHE_H_
#define P2PNET_REPLAY_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "p2pnet/challenge.h"

namespace p2pnet {

class ReplayCache {
 public:
  static constexpr std::size_t kDefaultCapacity = 4096;

  // ReplayCache remembers up to |capacity| challenges (at least 1); the oldest is
  // forgotten first.
  explicit ReplayCache(std::size_t capacity = kDefaultCapacity);

  // insert records |challenge|. Returns false, changing nothing, if it is already
  // remembered (a replay).
  [[nodiscard]] bool insert(const Challenge& challenge);
  bool contains(const Challenge& challenge) const;
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return entries_.size(); }

 private:
  std::size_t find_slot(const Challenge& challenge) const;
  void erase_oldest();

  std::vector<Challenge> entries_;    // ring buffer in insertion order
  std::vector<std::uint32_t> slots_;  // open addressing: entry index + 1, 0 = empty
  std::size_t oldest_ = 0;
  std::size_t size_ = 0;
};

}  // namespace p2pnet

#endif  // P2PNET_REPLAY_CACHE_H_
