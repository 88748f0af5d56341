// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// protocol.h: a Noise protocol, the pattern plus its three crypto functions, and the
// protocol name that names it ("Noise_XXpsk3_25519_ChaChaPoly_BLAKE2b", spec
// section 8). parse_protocol_name reads a name; protocol_name writes one back, the
// bytes InitializeSymmetric hashes.
#ifndef P2PNET_INTERNAL_NOISE_PROTOCOL_H_
#define P2PNET_INTERNAL_NOISE_PROTOCOL_H_

#include <array>
#include <cstddef>
#include <string_view>

#include "p2pnet/errors.h"
#include "p2pnet/internal/noise/algorithms.h"
#include "p2pnet/internal/noise/pattern.h"

namespace p2pnet::noise {

// A protocol name is at most 255 bytes (section 8).
inline constexpr std::size_t kMaxProtocolNameLen = 255;

struct Protocol {
  Pattern pattern;
  DhKind dh = DhKind::kCurve25519;
  CipherKind cipher = CipherKind::kChaChaPoly;
  HashKind hash = HashKind::kBlake2b;
};

// ProtocolName: the name's bytes, in fixed storage.
struct ProtocolName {
  std::array<char, kMaxProtocolNameLen> bytes{};
  std::size_t size = 0;
  std::string_view view() const { return std::string_view(bytes.data(), size); }
};

// parse_protocol_name reads "Noise_<pattern><modifiers>_<dh>_<cipher>_<hash>" into
// |*out|: a base pattern of the table, then psk modifiers (psk0, psk1, ...) in
// increasing order, each once, separated by "+". It accepts DH 25519, ciphers
// ChaChaPoly and AESGCM, hashes SHA256, SHA512, BLAKE2s and BLAKE2b, whether or not
// this build has them (cipher_available, hash_available). Returns kInvalidArgument,
// with |*out| unspecified, for anything else: an unknown pattern, modifier (fallback
// is not supported) or function (448 is not supported), modifiers out of order, a
// pskN past the last message, or a name over 255 bytes. It does not check the
// pattern's validity: HandshakeState does (check_pattern).
[[nodiscard]] Error parse_protocol_name(Protocol* out, std::string_view name);

// protocol_name writes the name of |protocol| to |*out|. Returns kInvalidArgument if it
// would be over 255 bytes (a hand-made pattern with a long name).
[[nodiscard]] Error protocol_name(ProtocolName* out, const Protocol& protocol);

}  // namespace p2pnet::noise

#endif  // P2PNET_INTERNAL_NOISE_PROTOCOL_H_
