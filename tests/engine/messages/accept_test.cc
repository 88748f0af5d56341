// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <vector>

#include "p2pnet/internal/messages.h"

namespace p2pnet {
namespace {

Accept sample() {
  Accept message;
  message.server_eph.fill(0x66);
  message.server_sig.fill(0x77);
  return message;
}

std::vector<std::uint8_t> encode(const Accept& message) {
  std::vector<std::uint8_t> out(256);
  ByteWriter writer(out);
  EXPECT_TRUE(write_accept(writer, message));
  out.resize(writer.written());
  return out;
}

TEST(AcceptTest, RoundTripsAtItsFixedSize) {
  const std::vector<std::uint8_t> bytes = encode(sample());
  ASSERT_EQ(bytes.size(), 97u);
  EXPECT_EQ(message_size(bytes[0]), 97u);
  const auto parsed = parse_accept(bytes);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, sample());
}

TEST(AcceptTest, RejectsEveryTruncationAndAnyTrailingByte) {
  const std::vector<std::uint8_t> bytes = encode(sample());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(parse_accept(ByteSpan(bytes.data(), n))) << n;
  }
  std::vector<std::uint8_t> longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(parse_accept(longer));
}

TEST(AcceptTest, RejectsEveryOtherTypeByte) {
  std::vector<std::uint8_t> bytes = encode(sample());
  const std::uint8_t own = bytes[0];
  for (int type = 0; type < 256; ++type) {
    if (type == own) continue;
    bytes[0] = static_cast<std::uint8_t>(type);
    EXPECT_FALSE(parse_accept(bytes)) << type;
  }
}

TEST(AcceptTest, AShortWriterFailsInsteadOfWritingPart) {
  std::vector<std::uint8_t> out(97u - 1);
  ByteWriter writer(out);
  EXPECT_FALSE(write_accept(writer, sample()));
}

}  // namespace
}  // namespace p2pnet
