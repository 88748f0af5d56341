// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The Noise 25519 DH functions (engine/src/noise/dh.cc): RFC 7748's test vector, a
// low-order public key refused, a failing random source refused with nothing left.
#include "p2pnet/internal/noise/dh.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "hex.h"
#include "low_order_points.h"

namespace p2pnet::noise {
namespace {

using testing::from_hex;
using testing::to_hex;

DhPrivateKey private_from_hex(std::string_view text) {
  DhPrivateKey key;
  const auto bytes = from_hex(text);
  EXPECT_TRUE(bytes && bytes->size() == kDhLen);
  if (bytes) std::ranges::copy(*bytes, key.bytes().begin());
  return key;
}

class FailingRandom final : public RandomSource {
 public:
  bool fill(std::span<std::uint8_t> out) override {
    std::ranges::fill(out, 0xab);  // half-written, then failed
    return false;
  }
};

TEST(NoiseDhTest, Rfc7748) {
  const DhPrivateKey alice =
      private_from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const DhPrivateKey bob =
      private_from_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  DhPublicKey alice_public{}, bob_public{};
  dh_public_key(&alice_public, alice);
  dh_public_key(&bob_public, bob);
  EXPECT_EQ(to_hex(alice_public),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(to_hex(bob_public), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  Secret<kDhLen> shared_a, shared_b;
  ASSERT_EQ(dh(&shared_a, alice, bob_public), Error::kNone);
  ASSERT_EQ(dh(&shared_b, bob, alice_public), Error::kNone);
  EXPECT_EQ(to_hex(shared_a.bytes()),
            "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  EXPECT_EQ(to_hex(shared_b.bytes()), to_hex(shared_a.bytes()));
}

TEST(NoiseDhTest, LowOrderPublicKeysAreRefused) {
  const DhPrivateKey key =
      private_from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  for (const auto& point : testing::low_order_points()) {
    Secret<kDhLen> shared;
    std::ranges::fill(shared.bytes(), 0x55);
    EXPECT_EQ(dh(&shared, key, point), Error::kAuthenticationFailed) << to_hex(point);
    EXPECT_TRUE(std::ranges::all_of(shared.bytes(), [](std::uint8_t b) { return b == 0; }));
  }
}

TEST(NoiseDhTest, GeneratedKeypairsAndAFailingRandomSource) {
  DeterministicRandom random(5);
  DhKeypair a, b;
  ASSERT_EQ(dh_generate_keypair(&a, random), Error::kNone);
  ASSERT_EQ(dh_generate_keypair(&b, random), Error::kNone);
  EXPECT_NE(to_hex(a.public_key), to_hex(b.public_key));
  DhPublicKey derived{};
  dh_public_key(&derived, a.private_key);
  EXPECT_EQ(derived, a.public_key);
  FailingRandom failing;
  EXPECT_EQ(dh_generate_keypair(&a, failing), Error::kRandomFailure);
  EXPECT_TRUE(std::ranges::all_of(a.private_key.bytes(), [](std::uint8_t x) { return x == 0; }));
  EXPECT_TRUE(std::ranges::all_of(a.public_key, [](std::uint8_t x) { return x == 0; }));
}

}  // namespace
}  // namespace p2pnet::noise
