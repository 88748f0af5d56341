// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/internal/libp2p/multistream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hex.h"

namespace p2pnet::libp2p {
namespace {

using testing::from_hex;
using testing::to_hex;

std::vector<std::uint8_t> bytes_of(const std::string& text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

std::string encode(std::string_view text) {
  std::vector<std::uint8_t> out(kMaxMultistreamEncoded);
  ByteWriter writer(out);
  EXPECT_TRUE(write_multistream_message(writer, text));
  EXPECT_EQ(writer.written(), multistream_message_size(text));
  return to_hex(writer.result());
}

// The messages of the libp2p connections specification, byte for byte.
TEST(MultistreamTest, WritesTheSpecificationsMessages) {
  EXPECT_EQ(encode(kMultistreamProtocol), "13" + to_hex(bytes_of("/multistream/1.0.0\n")));
  EXPECT_EQ(encode(kNoiseProtocol), "07" + to_hex(bytes_of("/noise\n")));
  EXPECT_EQ(encode(kNotAvailable), "03" + to_hex(bytes_of("na\n")));
}

TEST(MultistreamTest, ParsesOneMessageAndLeavesWhatFollows) {
  // A dialer may send the header and its proposal in one write.
  const std::vector<std::uint8_t> in = *from_hex("13" + to_hex(bytes_of("/multistream/1.0.0\n")) +
                                                 "07" + to_hex(bytes_of("/noise\n")));
  ByteSpan text;
  std::size_t consumed = 0;
  ASSERT_EQ(parse_multistream_message(in, &text, &consumed), DecodeStatus::kOk);
  EXPECT_TRUE(text_equals(text, kMultistreamProtocol));
  EXPECT_EQ(consumed, 20u);
  ASSERT_EQ(parse_multistream_message(ByteSpan(in).subspan(consumed), &text, &consumed),
            DecodeStatus::kOk);
  EXPECT_TRUE(text_equals(text, kNoiseProtocol));
  EXPECT_FALSE(text_equals(text, "/noise/2"));
  EXPECT_EQ(consumed, 8u);
}

TEST(MultistreamTest, NeedsMoreAtEveryCutOfAMessage) {
  const std::vector<std::uint8_t> in = *from_hex("13" + to_hex(bytes_of("/multistream/1.0.0\n")));
  for (std::size_t n = 0; n < in.size(); ++n) {
    ByteSpan text;
    std::size_t consumed = 99;
    EXPECT_EQ(parse_multistream_message(ByteSpan(in).first(n), &text, &consumed),
              DecodeStatus::kNeedMore)
        << n;
    EXPECT_EQ(consumed, 99u);
  }
}

TEST(MultistreamTest, RefusesALengthOfZeroOrOverTheBound) {
  ByteSpan text;
  std::size_t consumed = 0;
  EXPECT_EQ(parse_multistream_message(*from_hex("00"), &text, &consumed), DecodeStatus::kMalformed);
  // 1025 = 0x81 0x08: refused from the length alone, before any body byte.
  EXPECT_EQ(parse_multistream_message(*from_hex("8108"), &text, &consumed),
            DecodeStatus::kMalformed);
  // A varint still unfinished after two bytes is over 16383: refused at once.
  EXPECT_EQ(parse_multistream_message(*from_hex("8080"), &text, &consumed),
            DecodeStatus::kMalformed);
  // A non-minimal length is a bad varint.
  EXPECT_EQ(parse_multistream_message(*from_hex("8300"), &text, &consumed),
            DecodeStatus::kMalformed);
}

TEST(MultistreamTest, AcceptsTheLongestMessage) {
  const std::string longest(kMaxMultistreamMessage - 1, 'a');
  std::vector<std::uint8_t> out(kMaxMultistreamEncoded);
  ByteWriter writer(out);
  ASSERT_TRUE(write_multistream_message(writer, longest));
  EXPECT_EQ(writer.written(), kMaxMultistreamEncoded);
  ByteSpan text;
  std::size_t consumed = 0;
  ASSERT_EQ(parse_multistream_message(writer.result(), &text, &consumed), DecodeStatus::kOk);
  EXPECT_EQ(text.size(), longest.size());
  EXPECT_EQ(consumed, kMaxMultistreamEncoded);
}

TEST(MultistreamTest, RefusesABodyWithoutItsNewlineOrWithTwo) {
  ByteSpan text;
  std::size_t consumed = 0;
  EXPECT_EQ(parse_multistream_message(*from_hex("03" + to_hex(bytes_of("nax"))), &text, &consumed),
            DecodeStatus::kMalformed);
  EXPECT_EQ(
      parse_multistream_message(*from_hex("03" + to_hex(bytes_of("n\n\n"))), &text, &consumed),
      DecodeStatus::kMalformed);
  // An early newline is refused as soon as it arrives, before the body is complete.
  EXPECT_EQ(parse_multistream_message(*from_hex("07" + to_hex(bytes_of("/n\n"))), &text, &consumed),
            DecodeStatus::kMalformed);
}

TEST(MultistreamTest, AnEmptyLineIsAMessage) {
  ByteSpan text;
  std::size_t consumed = 0;
  ASSERT_EQ(parse_multistream_message(*from_hex("0a"), &text, &consumed), DecodeStatus::kNeedMore);
  ASSERT_EQ(parse_multistream_message(*from_hex("010a"), &text, &consumed), DecodeStatus::kOk);
  EXPECT_TRUE(text.empty());
}

TEST(MultistreamTest, WriteRefusesTextItCannotCarry) {
  std::vector<std::uint8_t> out(kMaxMultistreamEncoded + 8);
  ByteWriter writer(out);
  EXPECT_FALSE(write_multistream_message(writer, "two\nlines"));
  EXPECT_FALSE(write_multistream_message(writer, std::string(kMaxMultistreamMessage, 'a')));
  EXPECT_EQ(writer.written(), 0u);
  std::vector<std::uint8_t> small(4);
  ByteWriter short_writer(small);
  EXPECT_FALSE(write_multistream_message(short_writer, kNoiseProtocol));
}

}  // namespace
}  // namespace p2pnet::libp2p
