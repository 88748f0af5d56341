// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// varint.h: the unsigned varint of multiformats (docs/libp2p.md "Codecs"), used by
// multistream-select lengths, multihash headers and the protobuf codecs of the libp2p
// profile. Seven bits per byte, least significant group first, the high bit set on
// every byte but the last. Strict: at most 9 bytes (63 bits), and minimal, so a value
// has exactly one encoding (a trailing 0x00 group is refused).
#ifndef P2PNET_INTERNAL_LIBP2P_VARINT_H_
#define P2PNET_INTERNAL_LIBP2P_VARINT_H_

#include <cstddef>
#include <cstdint>

#include "p2pnet/internal/bytes.h"

namespace p2pnet::libp2p {

// DecodeStatus: what a decoder that reads from a stream found. kNeedMore is a normal
// return (the input ends inside the item; read more and call again), not an error.
enum class DecodeStatus : std::uint8_t {
  kOk,
  kNeedMore,
  kMalformed,
};

inline constexpr std::size_t kMaxVarintSize = 9;
inline constexpr std::uint64_t kMaxVarintValue = (std::uint64_t{1} << 63) - 1;

// read_varint reads one varint from |reader| into |*out|. On kOk the varint is consumed;
// on kNeedMore (the input ends with continuation bytes, fewer than 9) and kMalformed
// (a tenth byte would be needed, or the encoding is not minimal) |reader| is unchanged
// and |*out| is not written.
[[nodiscard]] DecodeStatus read_varint(ByteReader& reader, std::uint64_t* out);

// varint_size returns the number of bytes of the minimal encoding of |value| (1..5).
std::size_t varint_size(std::uint32_t value);

// write_varint appends the minimal encoding of |value| (1..5 bytes). Every value the
// engine writes is a length or a protobuf tag, which fit 32 bits, so there is no
// value to refuse; only |out| running short can fail (check out.ok()).
void write_varint(ByteWriter& out, std::uint32_t value);

}  // namespace p2pnet::libp2p

#endif  // P2PNET_INTERNAL_LIBP2P_VARINT_H_
