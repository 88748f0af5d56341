// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// peer_id.h: libp2p peer IDs of Ed25519 identities (docs/libp2p.md "Peer IDs"). The
// peer ID of a key is the identity multihash of its libp2p PublicKey protobuf,
//   0x00 (identity) || 0x24 (36 bytes) || 08 01 12 20 || the 32-byte key,
// shown as base58btc text, "12D3KooW" then 44 more characters. An Ed25519 peer ID holds
// the whole key, so the text names the key exactly, as the 43-character text of
// identity.h does. Peer IDs of other key types (SHA-256 multihashes, "Qm...") and the
// CIDv1 text form are not accepted: the libp2p profile speaks Ed25519 identities only.
#ifndef P2PNET_PEER_ID_H_
#define P2PNET_PEER_ID_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "p2pnet/identity.h"

namespace p2pnet {

inline constexpr std::size_t kPeerIdSize = 38;
inline constexpr std::size_t kPeerIdTextSize = 52;
using PeerIdBytes = std::array<std::uint8_t, kPeerIdSize>;

// encode_peer_id_bytes returns the 38-byte multihash of |key|'s peer ID.
PeerIdBytes encode_peer_id_bytes(const PublicKey& key);

// decode_peer_id_bytes returns the key named by a binary peer ID: the identity
// multihash of the canonical PublicKey protobuf of an Ed25519 key, exactly; nullopt for
// anything else, or for a key that is not a valid Ed25519 point of large order.
std::optional<PublicKey> decode_peer_id_bytes(std::span<const std::uint8_t> bytes);

// encode_peer_id returns the 52-character base58btc text of |key|'s peer ID.
std::string encode_peer_id(const PublicKey& key);

// decode_peer_id parses the base58btc text of an Ed25519 peer ID into its key; nullopt
// for text that is not 52 characters of base58btc, not the identity multihash of an
// Ed25519 key, or names an invalid point.
std::optional<PublicKey> decode_peer_id(std::string_view text);

}  // namespace p2pnet

#endif  // P2PNET_PEER_ID_H_
