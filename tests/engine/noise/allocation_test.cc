// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Heap allocations of the Noise core: once a HandshakeState and the two transport
// CipherStates exist, a whole handshake (initialize, every message, split) and every
// transport message allocate nothing, for every cipher and for SHA256, SHA512 and
// BLAKE2b. BLAKE2s comes from libcrypto 3.0, which allocates a provider context each
// time a hash starts: its handshakes allocate (counted and shown here, documented in
// docs/noise.md), its transport messages do not. This binary links the counting
// operator new and routes libcrypto's malloc through it.
#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <vector>

#include "counting_allocator.h"
#include "noise_parties.h"
#include "p2pnet/internal/noise/handshake_state.h"

namespace p2pnet::noise {
namespace {

const bool kLibcryptoCounted = testing::count_libcrypto_allocations();

struct Counts {
  std::uint64_t handshake = 0;
  std::uint64_t transport = 0;
};

// run plays |rounds| handshakes with the same states and reports the allocations of
// the last one and of 64 transport messages each way after it.
Counts run(const std::string& name, int rounds) {
  Protocol protocol;
  EXPECT_EQ(parse_protocol_name(&protocol, name), Error::kNone);
  testing::NoiseParties parties(9);
  const HandshakeConfig ic = parties.config(protocol, Role::kInitiator);
  const HandshakeConfig rc = parties.config(protocol, Role::kResponder);
  static std::array<std::uint8_t, kMaxMessageLen> message{};
  static std::array<std::uint8_t, kMaxMessageLen> payload{};
  const std::array<std::uint8_t, 100> text{};
  HandshakeState initiator, responder;
  CipherState is, ir, rs, rr;
  Counts counts;
  for (int round = 0; round < rounds; ++round) {
    const std::uint64_t before = testing::heap_counts().allocations;
    EXPECT_EQ(initiator.initialize(ic), Error::kNone);
    EXPECT_EQ(responder.initialize(rc), Error::kNone);
    EXPECT_EQ(testing::play_handshake(initiator, responder, text, message, payload), Error::kNone);
    EXPECT_EQ(initiator.split(&is, &ir), Error::kNone);
    EXPECT_EQ(responder.split(&rs, &rr), Error::kNone);
    const std::uint64_t middle = testing::heap_counts().allocations;
    for (int i = 0; i < 64; ++i) {
      std::size_t n = 0, m = 0;
      EXPECT_EQ(is.encrypt_with_ad(&n, message, {}, text), Error::kNone);
      EXPECT_EQ(rr.decrypt_with_ad(&m, payload, {}, std::span(message).first(n)), Error::kNone);
      EXPECT_EQ(rs.encrypt_with_ad(&n, message, {}, text), Error::kNone);
      EXPECT_EQ(ir.decrypt_with_ad(&m, payload, {}, std::span(message).first(n)), Error::kNone);
    }
    counts.handshake = middle - before;
    counts.transport = testing::heap_counts().allocations - middle;
  }
  return counts;
}

TEST(NoiseAllocationTest, NothingPerHandshakeOrMessage) {
  for (const std::string pattern : {"XX", "IKpsk2", "NNpsk0+psk2", "X1K1"}) {
    for (const std::string cipher : {"ChaChaPoly", "AESGCM"}) {
      for (const std::string hash : {"SHA256", "SHA512", "BLAKE2b"}) {
        std::string name = "Noise_";
        name.append(pattern).append("_25519_").append(cipher).append("_").append(hash);
        if (!cipher_available(cipher == "AESGCM" ? CipherKind::kAesGcm : CipherKind::kChaChaPoly)) {
          continue;
        }
        // The first round makes the libcrypto contexts, the second hands them on to
        // the transport states; from the third on everything is reused.
        const Counts counts = run(name, 3);
        EXPECT_EQ(counts.handshake, 0U) << name;
        EXPECT_EQ(counts.transport, 0U) << name;
      }
    }
  }
}

TEST(NoiseAllocationTest, Blake2sAllocatesPerHashOnlyInTheHandshake) {
  if (!hash_available(HashKind::kBlake2s)) GTEST_SKIP() << "no BLAKE2s in this build";
  if (!kLibcryptoCounted) GTEST_SKIP() << "libcrypto's allocations are not counted";
  const Counts counts = run("Noise_XX_25519_ChaChaPoly_BLAKE2s", 3);
  EXPECT_GT(counts.handshake, 0U);  // one provider context per hash computation
  EXPECT_EQ(counts.transport, 0U);
  RecordProperty("blake2s_xx_handshake_allocations", std::to_string(counts.handshake));
  std::cout << "Noise_XX_25519_ChaChaPoly_BLAKE2s: " << counts.handshake
            << " allocations per handshake (both sides)\n";
}

TEST(NoiseAllocationTest, TheFirstHandshakeMakesTheContextsOnce) {
  if (!cipher_available(CipherKind::kAesGcm) || !kLibcryptoCounted) GTEST_SKIP();
  // Round one: each side's handshake cipher context and its spare (2 per side, and
  // whatever libcrypto allocates for each).
  const Counts first = run("Noise_XX_25519_AESGCM_SHA256", 1);
  EXPECT_GT(first.handshake, 0U);
  EXPECT_EQ(first.transport, 0U);
}

}  // namespace
}  // namespace p2pnet::noise
