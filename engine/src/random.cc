// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/random.h"

#include <sodium.h>

#include <array>

#include "p2pnet/internal/bytes.h"

// The deterministic default source is keyed on the project's own define, which only
// the CMake option P2PNET_FUZZING_BUILD_MODE sets, in a build that has no example, no
// adapter and no install rule. OSS-Fuzz and ClusterFuzzLite set the generic
// FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION on every file; without our define that is a
// build that installs and links examples, so it is refused rather than quietly given
// either randomness (docs/fuzzing.md). Fix: configure with clang and
// -DP2PNET_BUILD_FUZZERS=ON, or remove the macro.
#if defined(FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION) && \
    !defined(P2PNET_FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
#error "FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION in a build that is not a P2PNet fuzzing build"
#endif

namespace p2pnet {

#if defined(P2PNET_FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
#if !defined(__clang__)
#error "the fuzzing build mode is for clang libFuzzer builds only"
#endif

namespace {
// The one piece of global mutable state in the engine, and only in fuzzing builds.
DeterministicRandom& fuzzing_random() {
  static DeterministicRandom instance(std::uint64_t{0});
  return instance;
}
}  // namespace

void fuzzing::reset_system_random(std::uint64_t seed) {
  fuzzing_random() = DeterministicRandom(seed);
}

bool SystemRandom::fill(std::span<std::uint8_t> out) { return fuzzing_random().fill(out); }

RandomSource& system_random() { return fuzzing_random(); }

#else

bool SystemRandom::fill(std::span<std::uint8_t> out) {
  randombytes_buf(out.data(), out.size());
  return true;
}

RandomSource& system_random() {
  // Stateless: randombytes_buf keeps its own state inside libsodium.
  static SystemRandom instance;
  return instance;
}

#endif  // P2PNET_FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION

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
