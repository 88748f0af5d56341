// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/internal/key_schedule.h"

#include <gtest/gtest.h>

#include <string>

#include "hex.h"
#include "low_order_points.h"
#include "pair.h"

namespace p2pnet {
namespace {

Secret<kX25519KeySize> secret_of(std::uint8_t b) {
  Secret<kX25519KeySize> s;
  std::fill(s.bytes().begin(), s.bytes().end(), b);
  return s;
}

Transcript sample_transcript() {
  Transcript t;
  t.client_id = testing::identity_from_byte(1).public_key();
  t.server_id = testing::identity_from_byte(2).public_key();
  t.challenge.fill(0xC0);
  t.client_eph.fill(0xCE);
  t.server_eph.fill(0x5E);
  return t;
}

TEST(SignedContentTest, ClientContentIsLabelChallengeEphAndBothIdentities) {
  const Transcript t = sample_transcript();
  const SignedContent content = client_signed_content(t);
  const std::string label = "P2PNet-v1 client auth";
  ASSERT_EQ(content.size, label.size() + 32 * 4);
  EXPECT_EQ(std::string(content.bytes.begin(), content.bytes.begin() + 21), label);
  EXPECT_EQ(content.bytes[21], 0xC0);
  EXPECT_EQ(content.bytes[21 + 32], 0xCE);
  EXPECT_EQ(content.bytes[21 + 64], t.client_id.bytes[0]);
  EXPECT_EQ(content.bytes[21 + 96], t.server_id.bytes[0]);
}

TEST(SignedContentTest, ServerContentAddsServerEphBeforeClientEph) {
  const Transcript t = sample_transcript();
  const SignedContent content = server_signed_content(t);
  ASSERT_EQ(content.size, 21 + 32 * 5u);
  EXPECT_EQ(std::string(content.bytes.begin(), content.bytes.begin() + 21),
            "P2PNet-v1 server auth");
  EXPECT_EQ(content.bytes[21], 0xC0);
  EXPECT_EQ(content.bytes[21 + 32], 0x5E);
  EXPECT_EQ(content.bytes[21 + 64], 0xCE);
  EXPECT_EQ(content.bytes[21 + 96], t.client_id.bytes[0]);
  EXPECT_EQ(content.bytes[21 + 128], t.server_id.bytes[0]);
}

TEST(KeyScheduleTest, BothSidesDeriveTheSameKeysAndTheDirectionsDiffer) {
  const EphemeralKeyPair client = ephemeral_from_secret(secret_of(3));
  const EphemeralKeyPair server = ephemeral_from_secret(secret_of(4));
  Transcript t = sample_transcript();
  t.client_eph = client.public_key;
  t.server_eph = server.public_key;
  const auto client_keys = derive_session_keys(client.secret_key, server.public_key, t);
  const auto server_keys = derive_session_keys(server.secret_key, client.public_key, t);
  ASSERT_TRUE(client_keys && server_keys);
  EXPECT_TRUE(
      equal_constant_time(client_keys->session_key.bytes(), server_keys->session_key.bytes()));
  EXPECT_TRUE(equal_constant_time(client_keys->key_c2s.bytes(), server_keys->key_c2s.bytes()));
  EXPECT_TRUE(equal_constant_time(client_keys->key_s2c.bytes(), server_keys->key_s2c.bytes()));
  EXPECT_FALSE(equal_constant_time(client_keys->key_c2s.bytes(), client_keys->key_s2c.bytes()));
  EXPECT_FALSE(equal_constant_time(client_keys->session_key.bytes(), client_keys->key_c2s.bytes()));
}

TEST(KeyScheduleTest, EveryTranscriptFieldChangesTheTrafficKeys) {
  const EphemeralKeyPair client = ephemeral_from_secret(secret_of(3));
  const EphemeralKeyPair server = ephemeral_from_secret(secret_of(4));
  Transcript t = sample_transcript();
  t.server_eph = server.public_key;
  const auto base = derive_session_keys(client.secret_key, server.public_key, t);
  ASSERT_TRUE(base);
  Transcript other_challenge = t;
  other_challenge.challenge[0] ^= 1;
  Transcript other_client = t;
  other_client.client_id = testing::identity_from_byte(9).public_key();
  for (const Transcript& changed : {other_challenge, other_client}) {
    const auto keys = derive_session_keys(client.secret_key, server.public_key, changed);
    ASSERT_TRUE(keys);
    EXPECT_FALSE(equal_constant_time(keys->key_c2s.bytes(), base->key_c2s.bytes()));
  }
}

TEST(KeyScheduleTest, SessionKeyIsThePlansFormula) {
  const EphemeralKeyPair client = ephemeral_from_secret(secret_of(3));
  const EphemeralKeyPair server = ephemeral_from_secret(secret_of(4));
  Transcript t = sample_transcript();
  const auto keys = derive_session_keys(client.secret_key, server.public_key, t);
  ASSERT_TRUE(keys);
  std::array<std::uint8_t, 32> shared{};
  ASSERT_EQ(crypto_scalarmult(shared.data(), client.secret_key.data(), server.public_key.data()),
            0);
  std::vector<std::uint8_t> input(shared.begin(), shared.end());
  input.insert(input.end(), t.client_id.bytes.begin(), t.client_id.bytes.end());
  input.insert(input.end(), t.server_id.bytes.begin(), t.server_id.bytes.end());
  const std::string label = "P2PNetSessionKey";
  input.insert(input.end(), label.begin(), label.end());
  std::array<std::uint8_t, 32> expected{};
  crypto_generichash(expected.data(), 32, input.data(), input.size(), nullptr, 0);
  EXPECT_EQ(testing::to_hex(keys->session_key.bytes()), testing::to_hex(expected));
}

TEST(KeyScheduleTest, RejectsEveryLowOrderPeerKey) {
  const EphemeralKeyPair mine = ephemeral_from_secret(secret_of(3));
  for (const EphemeralPublicKey& point : testing::low_order_points()) {
    EXPECT_FALSE(derive_session_keys(mine.secret_key, point, sample_transcript()))
        << testing::to_hex(point);
  }
}

TEST(KeyFingerprintTest, IsShortStableAndKeyDependent) {
  const std::array<std::uint8_t, 32> a{}, b{1};
  EXPECT_EQ(key_fingerprint(a).size(), 16u);
  EXPECT_EQ(key_fingerprint(a), key_fingerprint(a));
  EXPECT_NE(key_fingerprint(a), key_fingerprint(b));
  EXPECT_EQ(key_fingerprint(a).find(testing::to_hex(a).substr(0, 16)), std::string::npos);
}

}  // namespace
}  // namespace p2pnet
