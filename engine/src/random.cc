// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/random.h"

#include <sodium.h>

#include <array>

#include "p2pnet/bytes.h"

namespace p2pnet {

bool SystemRandom::fill(std::span<std::uint8_t> out) {
  randombytes_buf(out.data(), out.size());
  return true;
}

RandomSource& system_random() {
  // Stateless: randombytes_buf keeps its own state inside libsodium.
  static SystemRandom instance;
  return instance;
}

DeterministicRandom::DeterministicRandom(std::span<const std::uint8_t, 32> seed) {
  std::copy(seed.begin(), seed.end(), key_.bytes().begin());
}

DeterministicRandom::DeterministicRandom(std::uint64_t seed) {
  store_u64_le(key_.bytes().first<8>(), seed);
}

bool DeterministicRandom::fill(std::span<std::uint8_t> out) {
  // A new nonce per call, so two calls never return overlapping keystream.
  std::array<std::uint8_t, crypto_stream_chacha20_ietf_NONCEBYTES> nonce{};
  store_u64_le(std::span<std::uint8_t, 8>(nonce.data(), 8), calls_++);
  return crypto_stream_chacha20_ietf(out.data(), out.size(), nonce.data(), key_.data()) == 0;
}

}  // namespace p2pnet
