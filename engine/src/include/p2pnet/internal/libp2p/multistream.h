// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// multistream.h: the messages of multistream-select 1.0 (docs/libp2p.md
// "Negotiation"), the protocol negotiation that comes before the libp2p Noise
// handshake. A message is a varint length, then that many bytes: a line of text (a
// protocol ID such as "/noise", or "na") ending in a newline, which the length counts.
// Strict: the length is 1..kMaxMultistreamMessage, the body ends in its one newline.
#ifndef P2PNET_INTERNAL_LIBP2P_MULTISTREAM_H_
#define P2PNET_INTERNAL_LIBP2P_MULTISTREAM_H_

#include <cstddef>
#include <string_view>

#include "p2pnet/byte_span.h"
#include "p2pnet/internal/bytes.h"
#include "p2pnet/internal/libp2p/varint.h"

namespace p2pnet::libp2p {

inline constexpr std::string_view kMultistreamProtocol = "/multistream/1.0.0";
inline constexpr std::string_view kNoiseProtocol = "/noise";
inline constexpr std::string_view kNotAvailable = "na";

// The longest body (text and newline) accepted or written: protocol IDs are short
// paths, and 1024 is the bound go-libp2p and js-libp2p also keep.
inline constexpr std::size_t kMaxMultistreamMessage = 1024;
// The longest encoded message: a 2-byte varint (1024 needs two) and the body.
inline constexpr std::size_t kMaxMultistreamEncoded = 2 + kMaxMultistreamMessage;

// parse_multistream_message reads one message from the start of |in|.
//   kOk: |*text| is the line without its newline (a view into |in|) and |*consumed|
//     the bytes of the whole message; bytes after it are left for the caller.
//   kNeedMore: |in| ends inside the message (or is empty); nothing is written.
//   kMalformed: a bad varint, a length of 0 or over kMaxMultistreamMessage, a body
//     that does not end in a newline or holds another one. Decided from the length
//     alone whenever it can be, before the body has arrived.
[[nodiscard]] DecodeStatus parse_multistream_message(ByteSpan in, ByteSpan* text,
                                                     std::size_t* consumed);

// multistream_message_size returns the encoded size of the message carrying |text|.
std::size_t multistream_message_size(std::string_view text);

// write_multistream_message appends the message carrying |text| (no newline in it,
// at most kMaxMultistreamMessage - 1 bytes) and returns out.ok(); a |text| that breaks
// those rules writes nothing and returns false.
[[nodiscard]] bool write_multistream_message(ByteWriter& out, std::string_view text);

// text_equals compares the bytes of a parsed line with |text|.
bool text_equals(ByteSpan bytes, std::string_view text);

}  // namespace p2pnet::libp2p

#endif  // P2PNET_INTERNAL_LIBP2P_MULTISTREAM_H_
