// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Protocol names (engine/src/noise/protocol.cc): every pattern with every suite and
// psk placement reads back to the same name, and every malformed or unsupported
// name is refused.
#include "p2pnet/internal/noise/protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace p2pnet::noise {
namespace {

TEST(NoiseProtocolTest, ParsesTheParts) {
  Protocol protocol;
  ASSERT_EQ(parse_protocol_name(&protocol, "Noise_XXpsk0+psk3_25519_AESGCM_SHA512"), Error::kNone);
  EXPECT_EQ(protocol.pattern.name(), "XXpsk0+psk3");
  EXPECT_EQ(protocol.pattern.psk_count(), 2U);
  EXPECT_EQ(protocol.dh, DhKind::kCurve25519);
  EXPECT_EQ(protocol.cipher, CipherKind::kAesGcm);
  EXPECT_EQ(protocol.hash, HashKind::kSha512);
  ASSERT_EQ(parse_protocol_name(&protocol, "Noise_N_25519_ChaChaPoly_BLAKE2s"), Error::kNone);
  EXPECT_TRUE(protocol.pattern.one_way());
  EXPECT_EQ(protocol.hash, HashKind::kBlake2s);
}

TEST(NoiseProtocolTest, EveryNameRoundTrips) {
  std::size_t count = 0;
  for (const Pattern& pattern : pattern_table()) {
    for (const std::string modifiers : {"", "psk0", "psk1", "psk0+psk2", "psk1+psk2"}) {
      for (const std::string cipher : {"ChaChaPoly", "AESGCM"}) {
        for (const std::string hash : {"SHA256", "SHA512", "BLAKE2s", "BLAKE2b"}) {
          std::string name = "Noise_";
          name += pattern.name();
          name += modifiers;
          name += "_25519_";
          name += cipher;
          name += "_";
          name += hash;
          Protocol protocol;
          const bool fits =
              modifiers.find("psk2") == std::string::npos || pattern.message_count >= 2;
          ASSERT_EQ(parse_protocol_name(&protocol, name),
                    fits ? Error::kNone : Error::kInvalidArgument)
              << name;
          if (!fits) continue;
          ProtocolName written;
          ASSERT_EQ(protocol_name(&written, protocol), Error::kNone);
          EXPECT_EQ(written.view(), name);
          ++count;
        }
      }
    }
  }
  EXPECT_GT(count, 1400U);
}

TEST(NoiseProtocolTest, RefusesWhatItDoesNotSupport) {
  const char* const refused[] = {
      "",
      "Noise_",
      "Noise_XX",
      "Noise_XX_25519_ChaChaPoly",
      "Noise_XX_25519_ChaChaPoly_BLAKE2b_",
      "Noise_XX_25519_ChaChaPoly_BLAKE2b_X",
      "Noise_XX_448_ChaChaPoly_BLAKE2b",            // 448 is not supported
      "Noise_XX_25519_ChaChaPoly_SHA3/256",         // nor other hashes
      "Noise_XX_25519_AES256GCM_BLAKE2b",           // nor other ciphers
      "Noise_XXfallback_25519_ChaChaPoly_BLAKE2b",  // nor fallback
      "Noise_XXhfs_25519_ChaChaPoly_BLAKE2b",
      "Noise_XY_25519_ChaChaPoly_BLAKE2b",
      "Noise_xx_25519_ChaChaPoly_BLAKE2b",
      "noise_XX_25519_ChaChaPoly_BLAKE2b",
      "Noise_XXpsk2+psk0_25519_ChaChaPoly_BLAKE2b",  // modifiers out of order
      "Noise_XXpsk0+psk0_25519_ChaChaPoly_BLAKE2b",  // twice
      "Noise_XXpsk0+_25519_ChaChaPoly_BLAKE2b",
      "Noise_XXpsk01_25519_ChaChaPoly_BLAKE2b",
      "Noise_XXpsk_25519_ChaChaPoly_BLAKE2b",
      "Noise_XXpsk4_25519_ChaChaPoly_BLAKE2b",  // XX has three messages
      "Noise_NNpsk3_25519_ChaChaPoly_BLAKE2b",
      "Noise_XXpsk0psk1_25519_ChaChaPoly_BLAKE2b",
  };
  for (const char* name : refused) {
    Protocol protocol;
    EXPECT_EQ(parse_protocol_name(&protocol, name), Error::kInvalidArgument) << name;
  }
  Protocol protocol;
  const std::string long_name = "Noise_XX_25519_ChaChaPoly_" + std::string(250, 'B');
  EXPECT_EQ(parse_protocol_name(&protocol, long_name), Error::kInvalidArgument);
}

}  // namespace
}  // namespace p2pnet::noise
