// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/internal/libp2p/varint.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "hex.h"

namespace p2pnet::libp2p {
namespace {

using testing::from_hex;
using testing::to_hex;

std::string encode(std::uint32_t value) {
  std::vector<std::uint8_t> out(16);
  ByteWriter writer(out);
  write_varint(writer, value);
  EXPECT_TRUE(writer.ok());
  EXPECT_EQ(writer.written(), varint_size(value));
  return to_hex(writer.result());
}

DecodeStatus decode(const std::string& hex, std::uint64_t* value, std::size_t* left) {
  const std::vector<std::uint8_t> bytes = *from_hex(hex);
  ByteReader reader(bytes);
  const DecodeStatus status = read_varint(reader, value);
  *left = reader.remaining();
  return status;
}

// The examples of the multiformats unsigned-varint specification.
TEST(VarintTest, EncodesTheSpecificationExamples) {
  EXPECT_EQ(encode(1), "01");
  EXPECT_EQ(encode(127), "7f");
  EXPECT_EQ(encode(128), "8001");
  EXPECT_EQ(encode(255), "ff01");
  EXPECT_EQ(encode(300), "ac02");
  EXPECT_EQ(encode(16384), "808001");
  EXPECT_EQ(encode(0), "00");
  EXPECT_EQ(encode(0xffffffff), "ffffffff0f");
}

TEST(VarintTest, DecodesTheSpecificationExamplesAndLeavesTheRest) {
  const std::pair<const char*, std::uint64_t> cases[] = {
      {"01", 1},     {"7f", 127},       {"8001", 128}, {"ff01", 255},
      {"ac02", 300}, {"808001", 16384}, {"00", 0},
  };
  for (const auto& [hex, expected] : cases) {
    std::uint64_t value = 99;
    std::size_t left = 0;
    EXPECT_EQ(decode(std::string(hex) + "aa", &value, &left), DecodeStatus::kOk) << hex;
    EXPECT_EQ(value, expected) << hex;
    EXPECT_EQ(left, 1u) << hex;
  }
}

TEST(VarintTest, DecodesThe63BitMaximumInNineBytes) {
  std::uint64_t value = 0;
  std::size_t left = 0;
  ASSERT_EQ(decode("ffffffffffffffff7f", &value, &left), DecodeStatus::kOk);
  EXPECT_EQ(value, kMaxVarintValue);
}

TEST(VarintTest, RefusesATenthByte) {
  std::uint64_t value = 7;
  std::size_t left = 0;
  EXPECT_EQ(decode("ffffffffffffffffff01", &value, &left), DecodeStatus::kMalformed);
  EXPECT_EQ(decode("808080808080808080", &value, &left), DecodeStatus::kMalformed);
  EXPECT_EQ(value, 7u);
  EXPECT_EQ(left, 9u);  // nothing consumed
}

TEST(VarintTest, RefusesEncodingsThatAreNotMinimal) {
  std::uint64_t value = 7;
  std::size_t left = 0;
  EXPECT_EQ(decode("8000", &value, &left), DecodeStatus::kMalformed);
  EXPECT_EQ(decode("8100", &value, &left), DecodeStatus::kMalformed);
  EXPECT_EQ(decode("ff8000", &value, &left), DecodeStatus::kMalformed);
  EXPECT_EQ(value, 7u);
}

TEST(VarintTest, NeedsMoreWhenTheInputEndsInsideAVarint) {
  std::uint64_t value = 7;
  std::size_t left = 0;
  EXPECT_EQ(decode("", &value, &left), DecodeStatus::kNeedMore);
  EXPECT_EQ(decode("80", &value, &left), DecodeStatus::kNeedMore);
  EXPECT_EQ(decode("ffffffffffffffff", &value, &left), DecodeStatus::kNeedMore);
  EXPECT_EQ(left, 8u);
  EXPECT_EQ(value, 7u);
}

TEST(VarintTest, EveryValueOfEachSizeRoundTrips) {
  for (std::uint32_t value : {0u, 1u, 127u, 128u, 16383u, 16384u, 2097151u, 2097152u, 268435455u,
                              268435456u, 0xffffffffu}) {
    std::vector<std::uint8_t> out(8);
    ByteWriter writer(out);
    write_varint(writer, value);
    ASSERT_TRUE(writer.ok());
    ByteReader reader(writer.result());
    std::uint64_t decoded = 0;
    ASSERT_EQ(read_varint(reader, &decoded), DecodeStatus::kOk);
    EXPECT_EQ(decoded, value);
    EXPECT_TRUE(reader.empty());
  }
}

TEST(VarintTest, WriteFailsTheWriterWhenShort) {
  std::vector<std::uint8_t> out(1);
  ByteWriter writer(out);
  write_varint(writer, 300);
  EXPECT_FALSE(writer.ok());
  EXPECT_EQ(writer.written(), 0u);
}

}  // namespace
}  // namespace p2pnet::libp2p
