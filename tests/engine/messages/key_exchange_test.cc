// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <vector>

#include "p2pnet/internal/messages.h"

namespace p2pnet {
namespace {

KeyExchange sample() {
  KeyExchange message;
  message.client_eph.fill(0x44);
  message.client_sig.fill(0x55);
  return message;
}

std::vector<std::uint8_t> encode(const KeyExchange& message) {
  std::vector<std::uint8_t> out(256);
  ByteWriter writer(out);
  EXPECT_TRUE(write_key_exchange(writer, message));
  out.resize(writer.written());
  return out;
}

TEST(KeyExchangeTest, RoundTripsAtItsFixedSize) {
  const std::vector<std::uint8_t> bytes = encode(sample());
  ASSERT_EQ(bytes.size(), 97u);
  EXPECT_EQ(message_size(bytes[0]), 97u);
  const auto parsed = parse_key_exchange(bytes);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, sample());
}

TEST(KeyExchangeTest, RejectsEveryTruncationAndAnyTrailingByte) {
  const std::vector<std::uint8_t> bytes = encode(sample());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(parse_key_exchange(ByteSpan(bytes.data(), n))) << n;
  }
  std::vector<std::uint8_t> longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(parse_key_exchange(longer));
}

TEST(KeyExchangeTest, RejectsEveryOtherTypeByte) {
  std::vector<std::uint8_t> bytes = encode(sample());
  const std::uint8_t own = bytes[0];
  for (int type = 0; type < 256; ++type) {
    if (type == own) continue;
    bytes[0] = static_cast<std::uint8_t>(type);
    EXPECT_FALSE(parse_key_exchange(bytes)) << type;
  }
}

TEST(KeyExchangeTest, AShortWriterFailsInsteadOfWritingPart) {
  std::vector<std::uint8_t> out(97u - 1);
  ByteWriter writer(out);
  EXPECT_FALSE(write_key_exchange(writer, sample()));
}

}  // namespace
}  // namespace p2pnet
