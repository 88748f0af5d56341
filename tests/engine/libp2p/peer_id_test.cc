// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/peer_id.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hex.h"
#include "pair.h"

namespace p2pnet {
namespace {

using testing::from_hex;
using testing::to_hex;

// The Ed25519 key of the libp2p peer-IDs specification's test vectors, and its peer ID
// (the same text js-libp2p's @libp2p/peer-id 5.1.9 prints for it).
constexpr const char* kPublicKeyHex =
    "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
constexpr const char* kPeerId = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";

PublicKey vector_key() {
  PublicKey key;
  const std::vector<std::uint8_t> bytes = *from_hex(kPublicKeyHex);
  std::copy(bytes.begin(), bytes.end(), key.bytes.begin());
  return key;
}

TEST(PeerIdTest, TheSpecificationKeyHasItsPeerId) {
  EXPECT_EQ(
      to_hex(encode_peer_id_bytes(vector_key())),
      std::string("0024080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e"));
  EXPECT_EQ(encode_peer_id(vector_key()), kPeerId);
  const auto key = decode_peer_id(kPeerId);
  ASSERT_TRUE(key);
  EXPECT_EQ(*key, vector_key());
}

TEST(PeerIdTest, EveryKeyRoundTripsAs52CharactersStartingWith12D3KooW) {
  for (int seed = 0; seed < 32; ++seed) {
    const PublicKey key = testing::identity_from_byte(static_cast<std::uint8_t>(seed)).public_key();
    const std::string text = encode_peer_id(key);
    EXPECT_EQ(text.size(), kPeerIdTextSize);
    EXPECT_EQ(text.substr(0, 8), "12D3KooW");
    EXPECT_EQ(decode_peer_id(text), key);
    EXPECT_EQ(decode_peer_id_bytes(encode_peer_id_bytes(key)), key);
  }
}

TEST(PeerIdTest, RefusesWhatIsNotAnEd25519PeerId) {
  const std::string good = kPeerId;
  const std::string cases[] = {
      "",
      good.substr(0, 51),
      good + "1",
      std::string("2").append(good, 1),                  // another number
      good.substr(0, 51) + "0",                          // outside the alphabet
      "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N",  // a SHA-256 peer ID (RSA)
      "bafzaajaiaejcaxuaa7nfmbkxrc6nwcp4yfshdfz3dqoboel7c2jdqwvzh6rkyvx",  // CIDv1 text
  };
  for (const std::string& text : cases) EXPECT_FALSE(decode_peer_id(text)) << text;
}

TEST(PeerIdTest, BinaryFormIsExactlyTheIdentityMultihash) {
  const PeerIdBytes good = encode_peer_id_bytes(vector_key());
  EXPECT_TRUE(decode_peer_id_bytes(good));
  for (std::size_t i = 0; i < 6; ++i) {  // the multihash and protobuf headers
    PeerIdBytes bad = good;
    bad[i] ^= 0x01;
    EXPECT_FALSE(decode_peer_id_bytes(bad)) << i;
  }
  std::vector<std::uint8_t> longer(good.begin(), good.end());
  longer.push_back(0);
  EXPECT_FALSE(decode_peer_id_bytes(longer));
  EXPECT_FALSE(decode_peer_id_bytes(std::span(good).first(kPeerIdSize - 1)));
  // SHA-256 multihash (0x12 0x20) of the same length class: not an identity.
  std::vector<std::uint8_t> sha(34, 0);
  sha[0] = 0x12;
  sha[1] = 0x20;
  EXPECT_FALSE(decode_peer_id_bytes(sha));
}

TEST(PeerIdTest, RefusesAKeyThatIsNotAValidPoint) {
  PublicKey small_order{};  // the identity point's encoding is 01 00 .. 00
  small_order.bytes[0] = 1;
  EXPECT_FALSE(is_valid_public_key(small_order));
  EXPECT_FALSE(decode_peer_id(encode_peer_id(small_order)));
  EXPECT_FALSE(decode_peer_id_bytes(encode_peer_id_bytes(small_order)));
}

}  // namespace
}  // namespace p2pnet
