// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzz target replay_cache: drives the client's ReplayCache (replay_cache.h), its
// open-addressing table with backward-shift deletion, against a plain reference
// model (a FIFO of the remembered challenges).
//
// Input: [capacity] then pairs [slot byte][tag byte]. Each pair makes a challenge
// whose hash bits come from the slot byte alone, so a few values collide a lot and
// the probe runs and deletions get exercised. The challenge is inserted; insert must
// refuse exactly the challenges the model remembers, and after every step the cache
// must remember exactly the model's challenges (the last `capacity` distinct ones),
// never more, and its size never passes its capacity.
#include "p2pnet/replay_cache.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>

#include "support/fuzz_check.h"

namespace {

p2pnet::Challenge challenge_from(std::uint8_t slot, std::uint8_t tag) {
  p2pnet::Challenge challenge{};
  challenge[0] = slot;  // the hash is the first 8 bytes; only this one varies
  challenge[8] = tag;
  return challenge;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace p2pnet;
  if (size < 1) return 0;
  const std::size_t capacity = data[0] % 17;  // 0 is raised to 1 by the cache
  ReplayCache cache(capacity);
  FUZZ_CHECK(cache.capacity() == std::max<std::size_t>(capacity, 1));
  std::deque<Challenge> model;

  for (std::size_t i = 1; i + 1 < size; i += 2) {
    const Challenge challenge = challenge_from(data[i] & 0x1F, data[i + 1] & 0x07);
    const bool known = std::find(model.begin(), model.end(), challenge) != model.end();
    FUZZ_CHECK(cache.contains(challenge) == known);
    FUZZ_CHECK(cache.insert(challenge) == !known);
    if (!known) {
      if (model.size() == cache.capacity()) model.pop_front();
      model.push_back(challenge);
    }
    FUZZ_CHECK(cache.size() == model.size());
    FUZZ_CHECK(cache.size() <= cache.capacity());
    for (const Challenge& remembered : model) FUZZ_CHECK(cache.contains(remembered));
  }
  // Nothing outside the model is remembered: every possible challenge is checked.
  for (unsigned slot = 0; slot < 0x20; ++slot) {
    for (unsigned tag = 0; tag < 8; ++tag) {
      const Challenge challenge =
          challenge_from(static_cast<std::uint8_t>(slot), static_cast<std::uint8_t>(tag));
      const bool known = std::find(model.begin(), model.end(), challenge) != model.end();
      FUZZ_CHECK(cache.contains(challenge) == known);
    }
  }
  return 0;
}
