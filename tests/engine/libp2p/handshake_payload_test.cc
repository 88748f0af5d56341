// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/internal/libp2p/handshake_payload.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hex.h"
#include "p2pnet/internal/libp2p/multistream.h"

namespace p2pnet::libp2p {
namespace {

using testing::from_hex;
using testing::to_hex;

// Written by js-libp2p's own encoder (@chainsafe/libp2p-noise 16.1.5, protons): the key
// of the libp2p peer-ID test vector, its signature over "noise-libp2p-static-key:" and
// 32 bytes of 0x42, and the stream muxers /yamux/1.0.0 then /mplex/6.7.0.
constexpr const char* kKeyHex =
    "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
constexpr const char* kSigHex =
    "44efa7a2af61f03c927b209ef0546d03b632835258cf08c2b9ac36f67d10fe193aef0b03ab79a9968126120c53928b"
    "b5"
    "187888dfbb58563e38cb1edbd4088d0e";
const std::string kJsPayload = std::string("0a24") + kKeyHex + "1240" + kSigHex +
                               "221c120c2f79616d75782f312e302e30120c2f6d706c65782f362e372e30";
// The same, with the extensions present but empty (what js-libp2p sends with no muxer).
const std::string kJsPayloadEmptyExtensions =
    std::string("0a24") + kKeyHex + "1240" + kSigHex + "2200";

std::vector<std::uint8_t> bytes(const std::string& hex) { return *from_hex(hex); }

std::string encode(const HandshakePayload& payload) {
  std::vector<std::uint8_t> out(4096);
  ByteWriter writer(out);
  EXPECT_TRUE(write_handshake_payload(writer, payload));
  EXPECT_EQ(handshake_payload_size(payload), writer.written());
  return to_hex(writer.result());
}

TEST(HandshakePayloadTest, ParsesWhatJsLibp2pWrites) {
  const std::vector<std::uint8_t> in = bytes(kJsPayload);
  const auto payload = parse_handshake_payload(in);
  ASSERT_TRUE(payload);
  EXPECT_EQ(to_hex(payload->identity_key), kKeyHex);
  EXPECT_EQ(to_hex(payload->identity_sig), kSigHex);
  EXPECT_TRUE(payload->has_extensions);
  ASSERT_EQ(payload->stream_muxer_count, 2u);
  EXPECT_TRUE(text_equals(payload->stream_muxers[0], "/yamux/1.0.0"));
  EXPECT_TRUE(text_equals(payload->stream_muxers[1], "/mplex/6.7.0"));
  EXPECT_EQ(payload->certhash_count, 0u);
}

TEST(HandshakePayloadTest, WritesWhatJsLibp2pWrites) {
  const std::vector<std::uint8_t> key = bytes(kKeyHex);
  const std::vector<std::uint8_t> sig = bytes(kSigHex);
  const std::string yamux = "/yamux/1.0.0";
  const std::string mplex = "/mplex/6.7.0";
  HandshakePayload payload;
  payload.identity_key = key;
  payload.identity_sig = sig;
  payload.has_extensions = true;
  EXPECT_EQ(encode(payload), kJsPayloadEmptyExtensions);
  payload.stream_muxers[0] =
      ByteSpan(reinterpret_cast<const std::uint8_t*>(yamux.data()), yamux.size());
  payload.stream_muxers[1] =
      ByteSpan(reinterpret_cast<const std::uint8_t*>(mplex.data()), mplex.size());
  payload.stream_muxer_count = 2;
  EXPECT_EQ(encode(payload), kJsPayload);
}

TEST(HandshakePayloadTest, AnEmptyPayloadHasNoField) {
  const auto payload = parse_handshake_payload({});
  ASSERT_TRUE(payload);
  EXPECT_TRUE(payload->identity_key.empty());
  EXPECT_FALSE(payload->has_extensions);
  EXPECT_EQ(encode(HandshakePayload{}), "");
}

TEST(HandshakePayloadTest, RejectsEveryTruncation) {
  const std::vector<std::uint8_t> in = bytes(kJsPayload);
  // Cutting at a field boundary leaves a valid, shorter payload; every other cut fails.
  const std::size_t boundaries[] = {0, 38, 104};
  for (std::size_t n = 0; n < in.size(); ++n) {
    const bool boundary =
        std::find(std::begin(boundaries), std::end(boundaries), n) != std::end(boundaries);
    EXPECT_EQ(parse_handshake_payload(ByteSpan(in).first(n)).has_value(), boundary) << n;
  }
}

TEST(HandshakePayloadTest, SkipsUnknownFieldsOfEveryUsableWireType) {
  // Field 3 (the old early-data bytes), 5 as a varint of ten bytes, 6 fixed64, 7
  // fixed32, then field 3 of the extensions: all skipped.
  const std::string unknown =
      "1a03616263"
      "28ffffffffffffffffff01"
      "310102030405060708"
      "3d01020304";
  const std::vector<std::uint8_t> in =
      bytes(std::string("0a24") + kKeyHex + unknown + "2206" + "1a0178" + "120179");
  const auto payload = parse_handshake_payload(in);
  ASSERT_TRUE(payload);
  EXPECT_EQ(to_hex(payload->identity_key), kKeyHex);
  ASSERT_EQ(payload->stream_muxer_count, 1u);
  EXPECT_TRUE(text_equals(payload->stream_muxers[0], "y"));
}

TEST(HandshakePayloadTest, RefusesWhatProtobufWouldAcceptButNoPeerSends) {
  const std::string key_field = std::string("0a24") + kKeyHex;
  const char* cases[] = {
      "0a01000a0100",  // identity_key twice
      "120100120100",  // identity_sig twice
      "22002200",      // extensions twice
      "0801",          // identity_key as a varint
      "1501020304",    // identity_sig as fixed32
      "2001",          // extensions as a varint
      "0b",            // a group start
      "0c",            // a group end
      "0e",
      "0f",                        // wire types 6 and 7
      "0201",                      // field number 0
      "8a0000",                    // a tag that is not minimal
      "0a8000",                    // a length that is not minimal
      "22021200",                  // an empty stream muxer
      "220212",                    // an extension field cut short
      "2202120178",                // an extension field longer than its message
      "0a05",                      // a length past the end
      "28ffffffffffffffffffff01",  // a skipped varint of eleven bytes
  };
  for (const char* hex : cases) {
    EXPECT_FALSE(parse_handshake_payload(bytes(hex))) << hex;
    EXPECT_FALSE(parse_handshake_payload(bytes(key_field + hex))) << hex;
  }
}

TEST(HandshakePayloadTest, BoundsEveryField) {
  const auto with_length = [](const std::string& tag, std::size_t length) {
    std::vector<std::uint8_t> out(8);
    ByteWriter writer(out);
    write_varint(writer, static_cast<std::uint32_t>(length));
    EXPECT_TRUE(writer.ok());
    return tag + to_hex(writer.result()) + std::string(2 * length, '1');
  };
  EXPECT_TRUE(parse_handshake_payload(bytes(with_length("0a", kMaxIdentityKeySize))));
  EXPECT_FALSE(parse_handshake_payload(bytes(with_length("0a", kMaxIdentityKeySize + 1))));
  EXPECT_TRUE(parse_handshake_payload(bytes(with_length("12", kMaxIdentitySigSize))));
  EXPECT_FALSE(parse_handshake_payload(bytes(with_length("12", kMaxIdentitySigSize + 1))));

  const auto extensions = [](const std::string& body) {
    std::vector<std::uint8_t> out(8);
    ByteWriter writer(out);
    write_varint(writer, static_cast<std::uint32_t>(body.size() / 2));
    EXPECT_TRUE(writer.ok());
    return "22" + to_hex(writer.result()) + body;
  };
  EXPECT_TRUE(parse_handshake_payload(bytes(extensions(with_length("12", kMaxStreamMuxerSize)))));
  EXPECT_FALSE(
      parse_handshake_payload(bytes(extensions(with_length("12", kMaxStreamMuxerSize + 1)))));
  EXPECT_TRUE(parse_handshake_payload(bytes(extensions(with_length("0a", kMaxCerthashSize)))));
  EXPECT_FALSE(parse_handshake_payload(bytes(extensions(with_length("0a", kMaxCerthashSize + 1)))));
  std::string muxers;
  std::string certhashes;
  for (std::size_t i = 0; i < kMaxStreamMuxers; ++i) muxers += "120178";
  for (std::size_t i = 0; i < kMaxCerthashes; ++i) certhashes += "0a00";
  const std::vector<std::uint8_t> in = bytes(extensions(muxers + certhashes));
  const auto many = parse_handshake_payload(in);
  ASSERT_TRUE(many);
  EXPECT_EQ(many->stream_muxer_count, kMaxStreamMuxers);
  EXPECT_EQ(many->certhash_count, kMaxCerthashes);
  EXPECT_FALSE(parse_handshake_payload(bytes(extensions(muxers + "120178"))));
  EXPECT_FALSE(parse_handshake_payload(bytes(extensions(certhashes + "0a00"))));
}

TEST(HandshakePayloadTest, WriteRefusesAPayloadOverItsBounds) {
  std::vector<std::uint8_t> big(kMaxIdentityKeySize + 1, 1);
  HandshakePayload payload;
  payload.identity_key = big;
  std::vector<std::uint8_t> out(4096);
  ByteWriter writer(out);
  EXPECT_FALSE(write_handshake_payload(writer, payload));
  EXPECT_FALSE(handshake_payload_size(payload));
  payload.identity_key = {};
  payload.has_extensions = true;
  payload.stream_muxer_count = 1;  // an empty muxer name
  EXPECT_FALSE(write_handshake_payload(writer, payload));
  EXPECT_EQ(writer.written(), 0u);
  payload.stream_muxer_count = kMaxStreamMuxers + 1;
  EXPECT_FALSE(handshake_payload_size(payload));
}

TEST(HandshakePayloadTest, WriteFailsWhenTheBufferIsShort) {
  const std::vector<std::uint8_t> key = bytes(kKeyHex);
  HandshakePayload payload;
  payload.identity_key = key;
  std::vector<std::uint8_t> out(10);
  ByteWriter writer(out);
  EXPECT_FALSE(write_handshake_payload(writer, payload));
}

}  // namespace
}  // namespace p2pnet::libp2p
