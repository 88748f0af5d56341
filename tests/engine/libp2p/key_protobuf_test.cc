// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/internal/libp2p/key_protobuf.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hex.h"

namespace p2pnet::libp2p {
namespace {

using testing::from_hex;
using testing::to_hex;

// The Ed25519 test vector of the libp2p peer-IDs specification: the PrivateKey protobuf
// 08 01 12 40 || seed || public key, and the PublicKey protobuf below.
constexpr const char* kSeedHex = "7e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d";
constexpr const char* kPublicKeyHex =
    "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
constexpr const char* kPublicKeyProtobufHex =
    "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";

TEST(KeyProtobufTest, EncodesTheSpecificationVector) {
  const std::vector<std::uint8_t> seed = *from_hex(kSeedHex);
  const Identity identity = Identity::from_seed(std::span<const std::uint8_t, 32>(seed.data(), 32));
  EXPECT_EQ(to_hex(identity.public_key().bytes), kPublicKeyHex);
  EXPECT_EQ(to_hex(encode_public_key_protobuf(identity.public_key())), kPublicKeyProtobufHex);
}

TEST(KeyProtobufTest, ParsesTheSpecificationVector) {
  const auto key = parse_public_key_protobuf(*from_hex(kPublicKeyProtobufHex));
  ASSERT_TRUE(key);
  EXPECT_EQ(to_hex(key->bytes), kPublicKeyHex);
}

TEST(KeyProtobufTest, RefusesOtherKeyTypesAndEncodings) {
  const std::string key = kPublicKeyHex;
  const std::string cases[] = {
      // The secp256k1 public key of the specification's vectors.
      "08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99",
      "08001220" + key,                                  // RSA type with 32 bytes
      "08031220" + key,                                  // ECDSA type
      "1220" + key + "0801",                             // fields in the wrong order
      "0801121f" + key.substr(2),                        // 31 bytes
      "08011221" + key + "00",                           // 33 bytes
      "0881001220" + key,                                // a varint that is not minimal
      std::string(kPublicKeyProtobufHex) + "00",         // a trailing byte
      std::string(kPublicKeyProtobufHex).substr(0, 70),  // one byte short
      "",
  };
  for (const std::string& hex : cases) {
    EXPECT_FALSE(parse_public_key_protobuf(*from_hex(hex))) << hex;
  }
}

}  // namespace
}  // namespace p2pnet::libp2p
