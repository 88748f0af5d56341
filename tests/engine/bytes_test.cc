// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/internal/bytes.h"

#include <gtest/gtest.h>

#include <vector>

namespace p2pnet {
namespace {

TEST(ByteReaderTest, ReadsAreCheckedAndLeaveTheReaderUnchangedOnFailure) {
  const std::vector<std::uint8_t> data{0x01, 0x02, 0x03};
  ByteReader reader(data);
  std::uint32_t word = 0;
  EXPECT_FALSE(reader.read_u32_be(&word));
  EXPECT_EQ(reader.remaining(), 3u);
  std::array<std::uint8_t, 4> four{};
  EXPECT_FALSE(reader.read_array(&four));
  EXPECT_EQ(reader.remaining(), 3u);
  std::uint8_t byte = 0;
  ASSERT_TRUE(reader.read_u8(&byte));
  EXPECT_EQ(byte, 0x01);
  ByteSpan rest;
  ASSERT_TRUE(reader.read_span(2, &rest));
  EXPECT_EQ(rest[1], 0x03);
  EXPECT_TRUE(reader.empty());
  EXPECT_FALSE(reader.read_u8(&byte));
}

TEST(ByteReaderTest, ReadsBigEndian) {
  const std::vector<std::uint8_t> data{0x00, 0x10, 0x00, 0x01};
  ByteReader reader(data);
  std::uint32_t word = 0;
  ASSERT_TRUE(reader.read_u32_be(&word));
  EXPECT_EQ(word, 0x00100001u);
}

TEST(ByteWriterTest, AShortBufferFailsTheWriterAndWritesNothingMore) {
  std::array<std::uint8_t, 5> out{};
  ByteWriter writer(out);
  writer.write_u32_be(0x01020304);
  EXPECT_TRUE(writer.ok());
  writer.write_u32_be(0x05060708);  // does not fit
  EXPECT_FALSE(writer.ok());
  writer.write_u8(0x09);  // would fit, but the writer has failed
  EXPECT_FALSE(writer.ok());
  EXPECT_EQ(writer.written(), 4u);
  EXPECT_EQ(out[4], 0);
  EXPECT_EQ(out[0], 0x01);
}

TEST(BytesTest, StoresLittleEndianCounter) {
  std::array<std::uint8_t, 8> out{};
  store_u64_le(out, 0x0102030405060708ull);
  EXPECT_EQ(out[0], 0x08);
  EXPECT_EQ(out[7], 0x01);
}

}  // namespace
}  // namespace p2pnet
