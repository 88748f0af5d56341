// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <vector>

#include "p2pnet/internal/messages.h"

namespace p2pnet {
namespace {

ServerHello sample() {
  ServerHello message;
  message.server_id.bytes.fill(0x22);
  message.challenge.fill(0x33);
  return message;
}

std::vector<std::uint8_t> encode(const ServerHello& message) {
  std::vector<std::uint8_t> out(256);
  ByteWriter writer(out);
  EXPECT_TRUE(write_server_hello(writer, message));
  out.resize(writer.written());
  return out;
}

TEST(ServerHelloTest, RoundTripsAtItsFixedSize) {
  const std::vector<std::uint8_t> bytes = encode(sample());
  ASSERT_EQ(bytes.size(), 65u);
  EXPECT_EQ(message_size(bytes[0]), 65u);
  const auto parsed = parse_server_hello(bytes);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, sample());
}

TEST(ServerHelloTest, RejectsEveryTruncationAndAnyTrailingByte) {
  const std::vector<std::uint8_t> bytes = encode(sample());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(parse_server_hello(ByteSpan(bytes.data(), n))) << n;
  }
  std::vector<std::uint8_t> longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(parse_server_hello(longer));
}

TEST(ServerHelloTest, RejectsEveryOtherTypeByte) {
  std::vector<std::uint8_t> bytes = encode(sample());
  const std::uint8_t own = bytes[0];
  for (int type = 0; type < 256; ++type) {
    if (type == own) continue;
    bytes[0] = static_cast<std::uint8_t>(type);
    EXPECT_FALSE(parse_server_hello(bytes)) << type;
  }
}

TEST(ServerHelloTest, AShortWriterFailsInsteadOfWritingPart) {
  std::vector<std::uint8_t> out(65u - 1);
  ByteWriter writer(out);
  EXPECT_FALSE(write_server_hello(writer, sample()));
}

}  // namespace
}  // namespace p2pnet
