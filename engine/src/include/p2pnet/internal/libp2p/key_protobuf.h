// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// key_protobuf.h: the libp2p PublicKey protobuf of an Ed25519 key (docs/libp2p.md
// "Peer IDs"):
//   message PublicKey { required KeyType Type = 1; required bytes Data = 2; }
// with Type = Ed25519 (1) and Data the 32-byte key. libp2p requires the deterministic
// encoding (fields in order, minimal varints, nothing else), because a peer ID is made
// from these bytes: for an Ed25519 key that is exactly 08 01 12 20 || key, and the
// parser accepts nothing else.
#ifndef P2PNET_INTERNAL_LIBP2P_KEY_PROTOBUF_H_
#define P2PNET_INTERNAL_LIBP2P_KEY_PROTOBUF_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "p2pnet/byte_span.h"
#include "p2pnet/identity.h"

namespace p2pnet::libp2p {

inline constexpr std::size_t kPublicKeyProtobufSize = 4 + kPublicKeySize;
using PublicKeyProtobuf = std::array<std::uint8_t, kPublicKeyProtobufSize>;

// KeyType: the libp2p key types (peer-ids "Keys"). Only Ed25519 is supported.
enum class KeyType : std::uint8_t {
  kRsa = 0,
  kEd25519 = 1,
  kSecp256k1 = 2,
  kEcdsa = 3,
};

// encode_public_key_protobuf returns the 36-byte PublicKey protobuf of |key|.
PublicKeyProtobuf encode_public_key_protobuf(const PublicKey& key);

// parse_public_key_protobuf returns the key of the canonical protobuf of an Ed25519
// key filling |in|; nullopt for any other key type, any other encoding, or trailing
// bytes. It does not check that the key is a valid point: signature verification
// refuses one that is not (identity.h).
std::optional<PublicKey> parse_public_key_protobuf(ByteSpan in);

}  // namespace p2pnet::libp2p

#endif  // P2PNET_INTERNAL_LIBP2P_KEY_PROTOBUF_H_
