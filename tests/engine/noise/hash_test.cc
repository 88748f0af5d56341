// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The Noise hash functions, HMAC and HKDF (engine/src/noise/hash.cc): known answers
// for each hash at its full HASHLEN, HMAC per RFC 4231 (a key longer than the block
// too), HMAC over the block rather than a keyed hash, and HKDF's three outputs
// chained as the spec writes them.
#include "p2pnet/internal/noise/hash.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "hex.h"

namespace p2pnet::noise {
namespace {

using testing::to_hex;

ByteSpan bytes_of(std::string_view text) {
  return ByteSpan(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

std::string hex(const HashOutput& out) { return to_hex(out.span()); }

TEST(NoiseHashTest, KnownAnswersAtFullLength) {
  struct Case {
    HashKind kind;
    std::string_view abc;
  };
  const Case cases[] = {
      {HashKind::kSha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {HashKind::kSha512,
       "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3f"
       "eebbd454d4423643ce80e2a9ac94fa54ca49f"},
      {HashKind::kBlake2b,
       "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de453"
       "3cc9518d38aa8dbf1925ab92386edd4009923"},
      {HashKind::kBlake2s, "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982"},
  };
  for (const Case& c : cases) {
    Hash hash;
    if (!hash_available(c.kind)) {
      EXPECT_EQ(hash.init(c.kind), Error::kInvalidArgument);
      continue;
    }
    ASSERT_EQ(hash.init(c.kind), Error::kNone);
    HashOutput out;
    ASSERT_EQ(hash.digest(&out, bytes_of("a"), bytes_of("bc")), Error::kNone);  // a || bc
    EXPECT_EQ(out.size, hash_len(c.kind));
    EXPECT_EQ(hex(out), c.abc) << hash_name(c.kind);
  }
}

TEST(NoiseHashTest, HmacRfc4231) {
  const std::vector<std::uint8_t> key1(20, 0x0b);
  const std::vector<std::uint8_t> key6(131, 0xaa);  // longer than either block
  Hash sha256;
  Hash sha512;
  ASSERT_EQ(sha256.init(HashKind::kSha256), Error::kNone);
  ASSERT_EQ(sha512.init(HashKind::kSha512), Error::kNone);
  HashOutput out;
  ASSERT_EQ(sha256.hmac(&out, key1, bytes_of("Hi "), bytes_of("There")), Error::kNone);
  EXPECT_EQ(hex(out), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  ASSERT_EQ(sha512.hmac(&out, key1, bytes_of("Hi There")), Error::kNone);
  EXPECT_EQ(
      hex(out),
      "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274e"
      "aea3f4e4be9d914eeb61f1702e696c203a126854");
  ASSERT_EQ(
      sha256.hmac(&out, key6, bytes_of("Test Using Larger Than Block-Size Key - Hash Key First")),
      Error::kNone);
  EXPECT_EQ(hex(out), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(NoiseHashTest, HmacBlake2bIsNotTheKeyedHash) {
  Hash hash;
  ASSERT_EQ(hash.init(HashKind::kBlake2b), Error::kNone);
  const std::vector<std::uint8_t> key(64, 0x42);
  HashOutput hmac;
  ASSERT_EQ(hash.hmac(&hmac, key, bytes_of("data")), Error::kNone);
  std::vector<std::uint8_t> keyed(64);
  crypto_generichash_blake2b(keyed.data(), keyed.size(), bytes_of("data").data(), 4, key.data(),
                             key.size());
  EXPECT_NE(hex(hmac), to_hex(keyed));
  // HMAC by hand: H((K ^ opad) || H((K ^ ipad) || m)) over the 128-byte block.
  std::vector<std::uint8_t> inner_input(128, 0x36), outer_input(128, 0x5c);
  for (std::size_t i = 0; i < key.size(); ++i) {
    inner_input[i] ^= key[i];
    outer_input[i] ^= key[i];
  }
  for (const char c : std::string_view("data")) inner_input.push_back(static_cast<std::uint8_t>(c));
  std::vector<std::uint8_t> inner(64), expected(64);
  crypto_generichash_blake2b(inner.data(), 64, inner_input.data(), inner_input.size(), nullptr, 0);
  outer_input.insert(outer_input.end(), inner.begin(), inner.end());
  crypto_generichash_blake2b(expected.data(), 64, outer_input.data(), outer_input.size(), nullptr,
                             0);
  EXPECT_EQ(hex(hmac), to_hex(expected));
}

TEST(NoiseHashTest, HkdfChainsItsOutputs) {
  for (const HashKind kind :
       {HashKind::kSha256, HashKind::kSha512, HashKind::kBlake2s, HashKind::kBlake2b}) {
    if (!hash_available(kind)) continue;
    Hash hash;
    ASSERT_EQ(hash.init(kind), Error::kNone);
    const std::vector<std::uint8_t> ck(hash.len(), 0x11);
    const std::vector<std::uint8_t> ikm = {1, 2, 3};
    HashOutput out1, out2, out3, temp, e1, e2, e3;
    ASSERT_EQ(hash.hkdf(&out1, &out2, &out3, ck, ikm), Error::kNone);
    ASSERT_EQ(hash.hmac(&temp, ck, ikm), Error::kNone);
    const std::uint8_t one[] = {1}, two[] = {2}, three[] = {3};
    ASSERT_EQ(hash.hmac(&e1, temp.span(), one), Error::kNone);
    ASSERT_EQ(hash.hmac(&e2, temp.span(), e1.span(), two), Error::kNone);
    ASSERT_EQ(hash.hmac(&e3, temp.span(), e2.span(), three), Error::kNone);
    EXPECT_EQ(hex(out1), hex(e1));
    EXPECT_EQ(hex(out2), hex(e2));
    EXPECT_EQ(hex(out3), hex(e3));
    EXPECT_EQ(out1.size, hash_len(kind));
    // The two-output form gives the same first two.
    HashOutput two1, two2;
    ASSERT_EQ(hash.hkdf(&two1, &two2, nullptr, ck, ikm), Error::kNone);
    EXPECT_EQ(hex(two1), hex(e1));
    EXPECT_EQ(hex(two2), hex(e2));
  }
}

TEST(NoiseHashTest, UnreadyHashRefuses) {
  Hash hash;
  HashOutput out;
  EXPECT_EQ(hash.digest(&out, {}), Error::kWrongState);
  EXPECT_EQ(hash.hmac(&out, {}, {}), Error::kWrongState);
}

TEST(NoiseHashTest, SizesPerSpec) {
  EXPECT_EQ(hash_len(HashKind::kSha256), 32U);
  EXPECT_EQ(hash_block_len(HashKind::kSha256), 64U);
  EXPECT_EQ(hash_len(HashKind::kBlake2s), 32U);
  EXPECT_EQ(hash_block_len(HashKind::kBlake2s), 64U);
  EXPECT_EQ(hash_len(HashKind::kSha512), 64U);
  EXPECT_EQ(hash_block_len(HashKind::kSha512), 128U);
  EXPECT_EQ(hash_len(HashKind::kBlake2b), 64U);
  EXPECT_EQ(hash_block_len(HashKind::kBlake2b), 128U);
}

}  // namespace
}  // namespace p2pnet::noise
