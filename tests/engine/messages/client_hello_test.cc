// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <vector>

#include "p2pnet/internal/messages.h"

namespace p2pnet {
namespace {

ClientHello sample() {
  ClientHello message;
  message.client_id.bytes.fill(0x11);
  return message;
}

std::vector<std::uint8_t> encode(const ClientHello& message) {
  std::vector<std::uint8_t> out(256);
  ByteWriter writer(out);
  EXPECT_TRUE(write_client_hello(writer, message));
  out.resize(writer.written());
  return out;
}

TEST(ClientHelloTest, RoundTripsAtItsFixedSize) {
  const std::vector<std::uint8_t> bytes = encode(sample());
  ASSERT_EQ(bytes.size(), 33u);
  EXPECT_EQ(message_size(bytes[0]), 33u);
  const auto parsed = parse_client_hello(bytes);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, sample());
}

TEST(ClientHelloTest, RejectsEveryTruncationAndAnyTrailingByte) {
  const std::vector<std::uint8_t> bytes = encode(sample());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(parse_client_hello(ByteSpan(bytes.data(), n))) << n;
  }
  std::vector<std::uint8_t> longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(parse_client_hello(longer));
}

TEST(ClientHelloTest, RejectsEveryOtherTypeByte) {
  std::vector<std::uint8_t> bytes = encode(sample());
  const std::uint8_t own = bytes[0];
  for (int type = 0; type < 256; ++type) {
    if (type == own) continue;
    bytes[0] = static_cast<std::uint8_t>(type);
    EXPECT_FALSE(parse_client_hello(bytes)) << type;
  }
}

TEST(ClientHelloTest, AShortWriterFailsInsteadOfWritingPart) {
  std::vector<std::uint8_t> out(33u - 1);
  ByteWriter writer(out);
  EXPECT_FALSE(write_client_hello(writer, sample()));
}

}  // namespace
}  // namespace p2pnet
