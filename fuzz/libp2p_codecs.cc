// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzz target libp2p_codecs: drives every codec of the libp2p profile
// (engine/src/libp2p/) with the whole input:
//   1. read_varint: an accepted varint is at most 9 bytes, and one that fits 32 bits
//      is written back as exactly the bytes read (encodings are minimal, so unique).
//   2. parse_multistream_message: an accepted message is within the bound, is written
//      back as exactly the bytes consumed, and every cut of it needs more bytes;
//      refused input stays refused whatever bytes follow it.
//   3. parse_handshake_payload: an accepted payload is written, and the written bytes
//      parse to the same fields, with handshake_payload_size equal to what was written.
//   4. parse_public_key_protobuf: an accepted key encodes back to exactly the input.
//   5. base58btc, decode: accepted text encodes back to itself; encode: the input's
//      first 64 bytes encode to text that decodes back to them.
//   6. decode_peer_id and decode_peer_id_bytes: an accepted peer ID is the one
//      canonical form of its key, which is a valid point.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "p2pnet/internal/libp2p/base58.h"
#include "p2pnet/internal/libp2p/handshake_payload.h"
#include "p2pnet/internal/libp2p/key_protobuf.h"
#include "p2pnet/internal/libp2p/multistream.h"
#include "p2pnet/internal/libp2p/varint.h"
#include "p2pnet/peer_id.h"
#include "support/fuzz_check.h"

namespace p2pnet::fuzz {
namespace {

using namespace p2pnet::libp2p;

bool same_bytes(ByteSpan a, ByteSpan b) { return std::ranges::equal(a, b); }

void check_varint(ByteSpan in) {
  ByteReader reader(in);
  std::uint64_t value = 0;
  if (read_varint(reader, &value) != DecodeStatus::kOk) {
    FUZZ_CHECK(reader.remaining() == in.size());
    return;
  }
  const std::size_t used = in.size() - reader.remaining();
  FUZZ_CHECK(used >= 1 && used <= kMaxVarintSize && value <= kMaxVarintValue);
  if (value <= 0xffffffffu) {
    std::array<std::uint8_t, kMaxVarintSize> out{};
    ByteWriter writer(out);
    write_varint(writer, static_cast<std::uint32_t>(value));
    FUZZ_CHECK(writer.ok() && same_bytes(writer.result(), in.first(used)));
  }
}

void check_multistream(ByteSpan in) {
  ByteSpan text;
  std::size_t consumed = 0;
  const DecodeStatus status = parse_multistream_message(in, &text, &consumed);
  if (status == DecodeStatus::kOk) {
    FUZZ_CHECK(consumed <= in.size() && consumed <= kMaxMultistreamEncoded);
    std::array<std::uint8_t, kMaxMultistreamEncoded> out{};
    ByteWriter writer(out);
    const std::string line(text.begin(), text.end());
    FUZZ_CHECK(write_multistream_message(writer, line));
    FUZZ_CHECK(same_bytes(writer.result(), in.first(consumed)));
    // Every cut of the message needs more bytes; none is refused.
    for (std::size_t n = 0; n < consumed; ++n) {
      ByteSpan cut_text;
      std::size_t cut_consumed = 0;
      FUZZ_CHECK(parse_multistream_message(in.first(n), &cut_text, &cut_consumed) ==
                 DecodeStatus::kNeedMore);
    }
  } else if (status == DecodeStatus::kMalformed) {
    // Refused input stays refused however many bytes follow it.
    std::vector<std::uint8_t> longer(in.begin(), in.end());
    longer.push_back('\n');
    ByteSpan more_text;
    std::size_t more_consumed = 0;
    FUZZ_CHECK(parse_multistream_message(longer, &more_text, &more_consumed) ==
               DecodeStatus::kMalformed);
  }
}

bool same_payload(const HandshakePayload& a, const HandshakePayload& b) {
  if (!same_bytes(a.identity_key, b.identity_key) || !same_bytes(a.identity_sig, b.identity_sig) ||
      a.stream_muxer_count != b.stream_muxer_count) {
    return false;
  }
  for (std::size_t i = 0; i < a.stream_muxer_count; ++i) {
    if (!same_bytes(a.stream_muxers[i], b.stream_muxers[i])) return false;
  }
  return true;
}

void check_handshake_payload(ByteSpan in) {
  const auto payload = parse_handshake_payload(in);
  if (!payload) return;
  FUZZ_CHECK(payload->identity_key.size() <= kMaxIdentityKeySize);
  FUZZ_CHECK(payload->identity_sig.size() <= kMaxIdentitySigSize);
  FUZZ_CHECK(payload->stream_muxer_count <= kMaxStreamMuxers);
  FUZZ_CHECK(payload->certhash_count <= kMaxCerthashes);
  const auto size = handshake_payload_size(*payload);
  FUZZ_CHECK(size.has_value());
  std::vector<std::uint8_t> out(*size);
  ByteWriter writer(out);
  FUZZ_CHECK(write_handshake_payload(writer, *payload));
  FUZZ_CHECK(writer.written() == *size);
  const auto again = parse_handshake_payload(writer.result());
  FUZZ_CHECK(again.has_value() && same_payload(*payload, *again));
  FUZZ_CHECK(again->has_extensions == payload->has_extensions);
  // Without unknown fields or certhashes, and with the fields in canonical order, the
  // written bytes are the input itself; in every case they are no longer than it.
  FUZZ_CHECK(*size <= in.size());
}

void check_key_protobuf(ByteSpan in) {
  const auto key = parse_public_key_protobuf(in);
  if (!key) return;
  FUZZ_CHECK(same_bytes(encode_public_key_protobuf(*key), in));
}

void check_base58(ByteSpan in) {
  const std::string_view text(reinterpret_cast<const char*>(in.data()), in.size());
  std::array<std::uint8_t, 2 * kMaxBase58Text> decoded{};
  if (const auto length = decode_base58btc(text, decoded)) {
    FUZZ_CHECK(!text.empty() && text.size() <= kMaxBase58Text);
    if (*length <= kMaxBase58Bytes) {
      std::array<char, kMaxBase58Text> encoded{};
      const auto back = encode_base58btc(std::span(decoded).first(*length), encoded);
      FUZZ_CHECK(back.has_value() && std::string_view(encoded.data(), *back) == text);
    }
  }
  const ByteSpan bytes = in.first(std::min(in.size(), kMaxBase58Bytes));
  std::array<char, kMaxBase58Text> encoded{};
  const auto length = encode_base58btc(bytes, encoded);
  FUZZ_CHECK(length.has_value());
  if (*length == 0) {
    FUZZ_CHECK(bytes.empty());
    return;
  }
  std::array<std::uint8_t, 2 * kMaxBase58Text> back{};
  const auto back_length = decode_base58btc(std::string_view(encoded.data(), *length), back);
  FUZZ_CHECK(back_length.has_value() && same_bytes(std::span(back).first(*back_length), bytes));
}

void check_peer_id(ByteSpan in) {
  const std::string_view text(reinterpret_cast<const char*>(in.data()), in.size());
  if (const auto key = decode_peer_id(text)) {
    FUZZ_CHECK(is_valid_public_key(*key));
    FUZZ_CHECK(encode_peer_id(*key) == text);
  }
  if (const auto key = decode_peer_id_bytes(in)) {
    FUZZ_CHECK(is_valid_public_key(*key));
    FUZZ_CHECK(same_bytes(encode_peer_id_bytes(*key), in));
  }
}

}  // namespace
}  // namespace p2pnet::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace p2pnet::fuzz;
  const p2pnet::ByteSpan in(data, size);
  check_varint(in);
  check_multistream(in);
  check_handshake_payload(in);
  check_key_protobuf(in);
  check_base58(in);
  check_peer_id(in);
  return 0;
}
