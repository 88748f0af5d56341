// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// libp2p peer IDs of Ed25519 keys (peer_id.h): identity multihash and base58btc.
#include "p2pnet/peer_id.h"

#include "p2pnet/internal/bytes.h"
#include "p2pnet/internal/libp2p/base58.h"
#include "p2pnet/internal/libp2p/key_protobuf.h"

namespace p2pnet {
namespace {

// The multihash header: code 0x00 (identity), then the digest length as a varint
// (36 fits one byte).
constexpr std::array<std::uint8_t, 2> kIdentityMultihashHeader = {
    0x00, static_cast<std::uint8_t>(libp2p::kPublicKeyProtobufSize)};

}  // namespace

PeerIdBytes encode_peer_id_bytes(const PublicKey& key) {
  PeerIdBytes out{};
  concat_into(std::span(out), kIdentityMultihashHeader, libp2p::encode_public_key_protobuf(key));
  return out;
}

std::optional<PublicKey> decode_peer_id_bytes(std::span<const std::uint8_t> bytes) {
  ByteReader reader(bytes);
  std::array<std::uint8_t, kIdentityMultihashHeader.size()> header{};
  ByteSpan digest;
  if (!reader.read_array(&header) || header != kIdentityMultihashHeader ||
      !reader.read_span(libp2p::kPublicKeyProtobufSize, &digest) || !reader.empty()) {
    return std::nullopt;
  }
  auto key = libp2p::parse_public_key_protobuf(digest);
  if (!key || !is_valid_public_key(*key)) return std::nullopt;
  return key;
}

std::string encode_peer_id(const PublicKey& key) {
  const PeerIdBytes bytes = encode_peer_id_bytes(key);
  std::array<char, libp2p::kMaxBase58Text> text{};
  const auto length = libp2p::encode_base58btc(bytes, text);
  // 38 bytes always fit; the header's fixed leading bytes make every text 52 long.
  return std::string(text.data(), length.value_or(0));
}

std::optional<PublicKey> decode_peer_id(std::string_view text) {
  if (text.size() != kPeerIdTextSize) return std::nullopt;
  std::array<std::uint8_t, libp2p::kMaxBase58Bytes + 1> bytes{};
  const auto length = libp2p::decode_base58btc(text, bytes);
  if (!length) return std::nullopt;
  return decode_peer_id_bytes(std::span(bytes).first(*length));
}

}  // namespace p2pnet
