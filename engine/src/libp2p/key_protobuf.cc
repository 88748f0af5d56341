// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The libp2p PublicKey protobuf of an Ed25519 key (internal/libp2p/key_protobuf.h).
#include "p2pnet/internal/libp2p/key_protobuf.h"

#include <algorithm>

#include "p2pnet/internal/bytes.h"

namespace p2pnet::libp2p {
namespace {

// Field 1 (varint) = 1 (Ed25519), field 2 (length-delimited), length 32.
constexpr std::array<std::uint8_t, 4> kEd25519Header = {
    0x08, static_cast<std::uint8_t>(KeyType::kEd25519), 0x12, kPublicKeySize};

}  // namespace

PublicKeyProtobuf encode_public_key_protobuf(const PublicKey& key) {
  PublicKeyProtobuf out{};
  concat_into(std::span(out), kEd25519Header, key.bytes);
  return out;
}

std::optional<PublicKey> parse_public_key_protobuf(ByteSpan in) {
  ByteReader reader(in);
  std::array<std::uint8_t, kEd25519Header.size()> header{};
  PublicKey key;
  if (!reader.read_array(&header) || header != kEd25519Header || !reader.read_array(&key.bytes) ||
      !reader.empty()) {
    return std::nullopt;
  }
  return key;
}

}  // namespace p2pnet::libp2p
