// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// base58.h: base58btc, the text of libp2p peer IDs (docs/libp2p.md "Peer IDs"): the
// bytes as one big-endian number in base 58 with the Bitcoin alphabet, each leading
// zero byte written as '1'. Every byte string has exactly one text, so decoding needs
// no canonical-form check. Bounded: at most kMaxBase58Bytes bytes and kMaxBase58Text
// characters, worked in fixed arrays; nothing is allocated.
#ifndef P2PNET_INTERNAL_LIBP2P_BASE58_H_
#define P2PNET_INTERNAL_LIBP2P_BASE58_H_

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "p2pnet/byte_span.h"

namespace p2pnet::libp2p {

inline constexpr std::size_t kMaxBase58Bytes = 64;
// 64 bytes need at most 88 characters (64 * log(256) / log(58) rounds up to 88).
inline constexpr std::size_t kMaxBase58Text = 88;

// encode_base58btc writes the text of |in| (at most kMaxBase58Bytes) into |out| and
// returns its length; nullopt, with |out| unspecified, if |in| is too long or |out|
// too short.
std::optional<std::size_t> encode_base58btc(ByteSpan in, std::span<char> out);

// decode_base58btc writes the bytes of |text| (at most kMaxBase58Text characters, all
// in the alphabet) into |out| and returns their count; nullopt if |text| is empty, too
// long, holds a character outside the alphabet, or |out| is too short.
std::optional<std::size_t> decode_base58btc(std::string_view text, MutableByteSpan out);

}  // namespace p2pnet::libp2p

#endif  // P2PNET_INTERNAL_LIBP2P_BASE58_H_
