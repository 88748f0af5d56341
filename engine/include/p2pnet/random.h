// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// random.h: the engine draws every random byte (challenges, ephemeral keys, generated
// identities) through a RandomSource the embedder may inject, so tests and fuzzers
// can replay a handshake byte for byte. The default is libsodium's CSPRNG.
#ifndef P2PNET_RANDOM_H_
#define P2PNET_RANDOM_H_

#include <cstdint>
#include <span>

#include "p2pnet/secret.h"

namespace p2pnet {

// RandomSource fills buffers with random bytes. fill returns false if it cannot;
// the engine then fails closed (Error::kRandomFailure) rather than use weak bytes. A
// fill that throws counts as one that returned false: nothing it throws leaves the
// engine.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  [[nodiscard]] virtual bool fill(std::span<std::uint8_t> out) = 0;
};

// SystemRandom is libsodium's CSPRNG (randombytes_buf). It holds no state, so one
// instance may serve any number of engines on any threads.
class SystemRandom final : public RandomSource {
 public:
  [[nodiscard]] bool fill(std::span<std::uint8_t> out) override;
};

// system_random returns a process-wide SystemRandom (immutable, hence safe to share).
// In a fuzzing build (below) it returns a deterministic source instead.
RandomSource& system_random();

// DeterministicRandom expands a 32-byte seed with ChaCha20 (a fresh nonce per call).
// It is for tests, fuzzers, and test vectors: the same seed gives the same bytes.
// Never use it for real keys.
class DeterministicRandom final : public RandomSource {
 public:
  explicit DeterministicRandom(std::span<const std::uint8_t, 32> seed);
  // DeterministicRandom(n) seeds from a small integer, for tests.
  explicit DeterministicRandom(std::uint64_t seed);
  [[nodiscard]] bool fill(std::span<std::uint8_t> out) override;

 private:
  Secret<32> key_;
  std::uint64_t calls_ = 0;
};

#if defined(P2PNET_FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
// Fuzzing builds only (CMake option P2PNET_FUZZING_BUILD_MODE, the one place that
// defines this macro; it refuses to be set outside a clang libFuzzer build, and such a
// build has no example, no adapter and no install rule). Not the generic
// FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, which fuzzing services set on every file:
// system_random() and SystemRandom draw from one DeterministicRandom, so no input can
// reach the operating system's RNG. A fuzz target that relies on the default source
// calls reset_system_random at the start of each input so every run of an input sees
// the same bytes; today's targets all inject their own DeterministicRandom, so for
// them the mode is a guard that nothing falls back to real randomness.
namespace fuzzing {
void reset_system_random(std::uint64_t seed);
}  // namespace fuzzing
#endif

}  // namespace p2pnet

#endif  // P2PNET_RANDOM_H_
