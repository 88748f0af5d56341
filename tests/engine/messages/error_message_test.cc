// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <vector>

#include "p2pnet/internal/messages.h"

namespace p2pnet {
namespace {

ErrorMessage sample() {
  ErrorMessage message;
  message.code = WireErrorCode::kReplayedChallenge;
  return message;
}

std::vector<std::uint8_t> encode(const ErrorMessage& message) {
  std::vector<std::uint8_t> out(256);
  ByteWriter writer(out);
  EXPECT_TRUE(write_error_message(writer, message));
  out.resize(writer.written());
  return out;
}

TEST(ErrorMessageTest, RoundTripsAtItsFixedSize) {
  const std::vector<std::uint8_t> bytes = encode(sample());
  ASSERT_EQ(bytes.size(), 2u);
  EXPECT_EQ(message_size(bytes[0]), 2u);
  const auto parsed = parse_error_message(bytes);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, sample());
}

TEST(ErrorMessageTest, RejectsEveryTruncationAndAnyTrailingByte) {
  const std::vector<std::uint8_t> bytes = encode(sample());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(parse_error_message(ByteSpan(bytes.data(), n))) << n;
  }
  std::vector<std::uint8_t> longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(parse_error_message(longer));
}

TEST(ErrorMessageTest, RejectsEveryOtherTypeByte) {
  std::vector<std::uint8_t> bytes = encode(sample());
  const std::uint8_t own = bytes[0];
  for (int type = 0; type < 256; ++type) {
    if (type == own) continue;
    bytes[0] = static_cast<std::uint8_t>(type);
    EXPECT_FALSE(parse_error_message(bytes)) << type;
  }
}

TEST(ErrorMessageTest, AShortWriterFailsInsteadOfWritingPart) {
  std::vector<std::uint8_t> out(2u - 1);
  ByteWriter writer(out);
  EXPECT_FALSE(write_error_message(writer, sample()));
}

TEST(ErrorMessageTest, AcceptsOnlyTheSixDefinedCodes) {
  for (int code = 0; code < 256; ++code) {
    const std::uint8_t bytes[] = {0xFF, static_cast<std::uint8_t>(code)};
    EXPECT_EQ(parse_error_message(bytes).has_value(), code >= 1 && code <= 6) << code;
  }
}

}  // namespace
}  // namespace p2pnet
