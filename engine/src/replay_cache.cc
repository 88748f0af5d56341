// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// A fixed-capacity set with FIFO eviction: a ring of entries for age, and an
// open-addressing table (linear probing, backward-shift deletion) for lookup. The
// challenges are uniformly random, so their first bytes are already a good hash;
// a peer that picks challenges can at worst make lookups linear, never grow memory.
#include "p2pnet/replay_cache.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace p2pnet {
namespace {

std::size_t hash_of(const Challenge& challenge) {
  std::uint64_t h = 0;
  std::memcpy(&h, challenge.data(), sizeof h);
  return static_cast<std::size_t>(h);
}

}  // namespace

ReplayCache::ReplayCache(std::size_t capacity)
    : entries_(std::max<std::size_t>(capacity, 1)),
      slots_(std::bit_ceil(2 * std::max<std::size_t>(capacity, 1)), 0) {}

std::size_t ReplayCache::find_slot(const Challenge& challenge) const {
  const std::size_t mask = slots_.size() - 1;
  std::size_t slot = hash_of(challenge) & mask;
  while (slots_[slot] != 0 && entries_[slots_[slot] - 1] != challenge) {
    slot = (slot + 1) & mask;
  }
  return slot;  // either the challenge's slot or the empty slot where it would go
}

bool ReplayCache::contains(const Challenge& challenge) const {
  return slots_[find_slot(challenge)] != 0;
}

bool ReplayCache::insert(const Challenge& challenge) {
  if (contains(challenge)) return false;
  if (size_ == entries_.size()) erase_oldest();
  const std::size_t index = (oldest_ + size_) % entries_.size();
  entries_[index] = challenge;
  slots_[find_slot(challenge)] = static_cast<std::uint32_t>(index + 1);
  ++size_;
  return true;
}

void ReplayCache::erase_oldest() {
  const std::size_t mask = slots_.size() - 1;
  std::size_t hole = find_slot(entries_[oldest_]);
  slots_[hole] = 0;
  // Backward-shift deletion: move later members of the probe run into the hole when
  // their home slot is not between the hole and their current slot.
  for (std::size_t next = (hole + 1) & mask; slots_[next] != 0; next = (next + 1) & mask) {
    const std::size_t home = hash_of(entries_[slots_[next] - 1]) & mask;
    if (((next - home) & mask) >= ((next - hole) & mask)) {
      slots_[hole] = slots_[next];
      slots_[next] = 0;
      hole = next;
    }
  }
  oldest_ = (oldest_ + 1) % entries_.size();
  --size_;
}

}  // namespace p2pnet
