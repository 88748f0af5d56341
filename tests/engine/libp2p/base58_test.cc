// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/internal/libp2p/base58.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "hex.h"

namespace p2pnet::libp2p {
namespace {

using testing::from_hex;
using testing::to_hex;

std::string encode(const std::vector<std::uint8_t>& in) {
  std::array<char, kMaxBase58Text> out{};
  const auto length = encode_base58btc(in, out);
  EXPECT_TRUE(length);
  return std::string(out.data(), length.value_or(0));
}

std::optional<std::string> decode(std::string_view text) {
  std::array<std::uint8_t, 2 * kMaxBase58Text> out{};
  const auto length = decode_base58btc(text, out);
  if (!length) return std::nullopt;
  return to_hex(std::span(out).first(*length));
}

std::vector<std::uint8_t> text_bytes(std::string_view text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

// The examples of the base58 encoding scheme draft (draft-msporny-base58).
TEST(Base58Test, EncodesTheDraftExamples) {
  EXPECT_EQ(encode(text_bytes("Hello World!")), "2NEpo7TZRRrLZSi2U");
  EXPECT_EQ(encode(text_bytes("The quick brown fox jumps over the lazy dog.")),
            "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z");
  EXPECT_EQ(encode(*from_hex("0000287fb4cd")), "11233QC4");
  EXPECT_EQ(encode({}), "");
  EXPECT_EQ(encode({0}), "1");
}

TEST(Base58Test, DecodesTheDraftExamples) {
  EXPECT_EQ(decode("2NEpo7TZRRrLZSi2U"), to_hex(text_bytes("Hello World!")));
  EXPECT_EQ(decode("USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"),
            to_hex(text_bytes("The quick brown fox jumps over the lazy dog.")));
  EXPECT_EQ(decode("11233QC4"), "0000287fb4cd");
  EXPECT_EQ(decode("1"), "00");
}

TEST(Base58Test, RefusesCharactersOutsideTheAlphabet) {
  for (const char* text : {"0", "O", "I", "l", "2NEpo7TZRRrLZSi2U+", " 2NEp", "2NEp\n", ""}) {
    EXPECT_FALSE(decode(text)) << text;
  }
}

TEST(Base58Test, BoundsInputAndOutput) {
  const std::vector<std::uint8_t> max(kMaxBase58Bytes, 0xff);
  const std::string text = encode(max);
  EXPECT_EQ(text.size(), kMaxBase58Text);
  EXPECT_EQ(decode(text), to_hex(max));
  EXPECT_FALSE(decode(text + "1"));

  std::array<char, kMaxBase58Text> out{};
  EXPECT_FALSE(encode_base58btc(std::vector<std::uint8_t>(kMaxBase58Bytes + 1, 1), out));
  std::array<char, 16> small{};
  EXPECT_FALSE(encode_base58btc(max, small));
  std::array<std::uint8_t, 4> small_bytes{};
  EXPECT_FALSE(decode_base58btc("2NEpo7TZRRrLZSi2U", small_bytes));
  // 88 characters of 'z' are more than 64 bytes (the largest number 88 digits hold).
  std::array<std::uint8_t, 2 * kMaxBase58Text> big{};
  const auto length = decode_base58btc(std::string(kMaxBase58Text, 'z'), big);
  ASSERT_TRUE(length);
  EXPECT_EQ(*length, kMaxBase58Bytes + 1);
}

TEST(Base58Test, EveryLeadingZeroIsAOne) {
  for (std::size_t zeros = 0; zeros < 5; ++zeros) {
    std::vector<std::uint8_t> in(zeros, 0);
    in.push_back(57);
    const std::string text = encode(in);
    EXPECT_EQ(text, std::string(zeros, '1') + "z");
    EXPECT_EQ(decode(text), to_hex(in));
  }
}

}  // namespace
}  // namespace p2pnet::libp2p
