// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/identity.h"

#include <gtest/gtest.h>

#include <string>

#include "pair.h"

namespace p2pnet {
namespace {

TEST(IdentityTest, FromSeedIsDeterministicAndSignsVerifiably) {
  const Identity a = testing::identity_from_byte(7);
  const Identity b = testing::identity_from_byte(7);
  EXPECT_EQ(a.public_key(), b.public_key());
  const std::uint8_t message[] = {'m', 's', 'g'};
  const Signature signature = a.sign(message);
  EXPECT_TRUE(verify_signature(a.public_key(), message, signature));
  Signature bad = signature;
  bad[0] ^= 1;
  EXPECT_FALSE(verify_signature(a.public_key(), message, bad));
  EXPECT_FALSE(verify_signature(testing::identity_from_byte(8).public_key(), message, signature));
}

TEST(IdentityTest, GenerateDrawsFromTheRandomSource) {
  DeterministicRandom r1(5), r2(5), r3(6);
  EXPECT_EQ(Identity::generate(r1)->public_key(), Identity::generate(r2)->public_key());
  EXPECT_NE(Identity::generate(r3)->public_key(), testing::identity_from_byte(5).public_key());
}

TEST(IdentityTest, GenerateFailsClosedWhenRandomFails) {
  struct Broken : RandomSource {
    bool fill(std::span<std::uint8_t>) override { return false; }
  } broken;
  EXPECT_FALSE(Identity::generate(broken).has_value());
}

TEST(PublicKeyTextTest, RoundTripsAs43UrlSafeCharacters) {
  const PublicKey key = testing::identity_from_byte(9).public_key();
  const std::string text = encode_public_key(key);
  EXPECT_EQ(text.size(), 43u);
  EXPECT_EQ(text.find_first_of("+/="), std::string::npos);
  EXPECT_EQ(decode_public_key(text), key);
}

TEST(PublicKeyTextTest, RejectsEverythingButOneCanonicalValidKey) {
  const std::string good = encode_public_key(testing::identity_from_byte(9).public_key());
  EXPECT_FALSE(decode_public_key(""));
  EXPECT_FALSE(decode_public_key(good.substr(0, 42)));
  EXPECT_FALSE(decode_public_key(good + "A"));
  EXPECT_FALSE(decode_public_key(good + "="));
  std::string bad_char = good;
  bad_char[10] = '+';  // standard base64, not URL-safe
  EXPECT_FALSE(decode_public_key(bad_char));
  bad_char[10] = ' ';
  EXPECT_FALSE(decode_public_key(bad_char));
  // The last character carries 2 unused bits: a non-zero value is a second spelling.
  std::string non_canonical = good;
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const auto index = alphabet.find(good[42]);
  non_canonical[42] = alphabet[index ^ 1];
  EXPECT_FALSE(decode_public_key(non_canonical));
  // Well-formed text of a key that is not a valid point of large order.
  PublicKey zero;  // all zero: a small-order point
  EXPECT_FALSE(decode_public_key(encode_public_key(zero)));
  PublicKey identity_point;
  identity_point.bytes[0] = 1;  // the neutral element
  EXPECT_FALSE(decode_public_key(encode_public_key(identity_point)));
}

TEST(IdentityFileTest, RoundTrips) {
  const Identity identity = testing::identity_from_byte(3);
  const IdentityFileBytes file = encode_identity_file(identity);
  const auto loaded = parse_identity_file(file.bytes());
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->public_key(), identity.public_key());
  EXPECT_EQ(std::string(file.bytes().begin(), file.bytes().begin() + 8), "P2PNETK1");
}

TEST(IdentityFileTest, RejectsWrongSizeMagicOrMismatchedKey) {
  const IdentityFileBytes file = encode_identity_file(testing::identity_from_byte(3));
  std::vector<std::uint8_t> bytes(file.bytes().begin(), file.bytes().end());
  EXPECT_FALSE(parse_identity_file(std::span(bytes).first(71)));
  std::vector<std::uint8_t> longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(parse_identity_file(longer));
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::vector<std::uint8_t> corrupt = bytes;
    corrupt[i] ^= 0x01;  // magic, seed and stored public key are all checked
    EXPECT_FALSE(parse_identity_file(corrupt)) << "byte " << i;
  }
}

}  // namespace
}  // namespace p2pnet
