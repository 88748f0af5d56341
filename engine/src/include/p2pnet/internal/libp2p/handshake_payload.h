// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// handshake_payload.h: the NoiseHandshakePayload protobuf that the libp2p profile
// carries in the second and third Noise XX messages (docs/libp2p.md "Handshake
// payload"):
//   message NoiseExtensions {
//     repeated bytes webtransport_certhashes = 1;
//     repeated string stream_muxers = 2;
//   }
//   message NoiseHandshakePayload {
//     optional bytes identity_key = 1;          // a libp2p PublicKey protobuf
//     optional bytes identity_sig = 2;          // over "noise-libp2p-static-key:" || s
//     optional NoiseExtensions extensions = 4;
//   }
// A codec of its own for three fields, strict and bounded, that allocates nothing: the
// parsed payload points into the input. Parsing is stricter than protobuf where a
// libp2p peer never needs the leniency (docs/libp2p.md lists each place): a known field
// twice, a known field with the wrong wire type, a group, a reserved wire type, a
// varint that is not minimal or a field number 0 are refused; unknown fields of the
// four usable wire types are skipped, as protobuf requires, so a newer peer's
// additions do not break the handshake.
#ifndef P2PNET_INTERNAL_LIBP2P_HANDSHAKE_PAYLOAD_H_
#define P2PNET_INTERNAL_LIBP2P_HANDSHAKE_PAYLOAD_H_

#include <array>
#include <cstddef>
#include <optional>

#include "p2pnet/byte_span.h"
#include "p2pnet/internal/bytes.h"

namespace p2pnet::libp2p {

// Bounds. An identity key or signature of another key type than Ed25519 still parses
// (the profile then refuses the key type); RSA-4096 keys and signatures fit.
inline constexpr std::size_t kMaxIdentityKeySize = 1024;
inline constexpr std::size_t kMaxIdentitySigSize = 1024;
inline constexpr std::size_t kMaxStreamMuxers = 16;
inline constexpr std::size_t kMaxStreamMuxerSize = 256;  // one protocol ID
inline constexpr std::size_t kMaxCerthashes = 16;        // counted, never used
inline constexpr std::size_t kMaxCerthashSize = 128;

struct HandshakePayload {
  ByteSpan identity_key;
  ByteSpan identity_sig;
  // Whether the extensions field is present (js-libp2p always sends it, often empty).
  bool has_extensions = false;
  // The stream muxers in the sender's order of preference; each 1..kMaxStreamMuxerSize
  // bytes. Only the first |stream_muxer_count| entries are meaningful.
  std::array<ByteSpan, kMaxStreamMuxers> stream_muxers{};
  std::size_t stream_muxer_count = 0;
  // webtransport_certhashes are parsed for their bounds and counted; TCP never uses them.
  std::size_t certhash_count = 0;
};

// parse_handshake_payload succeeds only on exactly one well-formed payload filling
// |in|. The spans of the result point into |in|. An empty |in| is a payload with no
// field (what the first XX message carries).
std::optional<HandshakePayload> parse_handshake_payload(ByteSpan in);

// handshake_payload_size returns the encoded size of |payload|, or nullopt if a field
// breaks a bound above.
std::optional<std::size_t> handshake_payload_size(const HandshakePayload& payload);

// write_handshake_payload appends |payload| in canonical order (fields 1, 2, 4; each
// present field once; identity_key and identity_sig only when non-empty, extensions when
// has_extensions, certhashes never) and returns out.ok(). A payload that breaks a
// bound writes nothing and returns false.
[[nodiscard]] bool write_handshake_payload(ByteWriter& out, const HandshakePayload& payload);

}  // namespace p2pnet::libp2p

#endif  // P2PNET_INTERNAL_LIBP2P_HANDSHAKE_PAYLOAD_H_
