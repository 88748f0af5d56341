// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Protocol names (spec section 8): "Noise_" and four sections separated by "_".
#include "p2pnet/internal/noise/protocol.h"

#include <algorithm>
#include <optional>

namespace p2pnet::noise {
namespace {

constexpr std::string_view kPrefix = "Noise_";

// next_section returns the text before the next '_' (or all of it) and drops it and
// the '_' from |*rest|.
std::string_view next_section(std::string_view* rest) {
  const std::size_t end = rest->find('_');
  const std::string_view section = rest->substr(0, end);
  *rest = end == std::string_view::npos ? std::string_view() : rest->substr(end + 1);
  return section;
}

std::optional<CipherKind> cipher_named(std::string_view name) {
  for (const CipherKind kind : {CipherKind::kChaChaPoly, CipherKind::kAesGcm}) {
    if (cipher_name(kind) == name) return kind;
  }
  return std::nullopt;
}

std::optional<HashKind> hash_named(std::string_view name) {
  for (const HashKind kind :
       {HashKind::kSha256, HashKind::kSha512, HashKind::kBlake2s, HashKind::kBlake2b}) {
    if (hash_name(kind) == name) return kind;
  }
  return std::nullopt;
}

// psk_position reads "psk<N>" (N without leading zeros); nullopt for anything else.
std::optional<std::size_t> psk_position(std::string_view modifier) {
  if (!modifier.starts_with("psk") || modifier.size() < 4 || modifier.size() > 5) {
    return std::nullopt;
  }
  const std::string_view digits = modifier.substr(3);
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  std::size_t value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::size_t>(c - '0');
  }
  return value;
}

Error parse_pattern(Pattern* out, std::string_view section) {
  // The base name: upper-case letters and digits; modifiers start lower-case.
  const std::size_t base_size =
      std::min(section.find_first_of("abcdefghijklmnopqrstuvwxyz"), section.size());
  const Pattern* base = find_pattern(section.substr(0, base_size));
  if (base == nullptr) return Error::kInvalidArgument;
  Pattern pattern = *base;
  std::string_view modifiers = section.substr(base_size);
  std::optional<std::size_t> last;
  while (!modifiers.empty()) {
    const std::size_t plus = modifiers.find('+');
    const std::optional<std::size_t> position = psk_position(modifiers.substr(0, plus));
    // The order of psk modifiers does not change the protocol, so the spec asks for
    // them sorted (section 8.1); each appears once.
    if (!position || (last && *position <= *last)) return Error::kInvalidArgument;
    if (apply_psk_modifier(&pattern, *position) != Error::kNone) return Error::kInvalidArgument;
    last = position;
    if (plus == std::string_view::npos) break;
    modifiers = modifiers.substr(plus + 1);
    if (modifiers.empty()) return Error::kInvalidArgument;  // a trailing '+'
  }
  *out = pattern;
  return Error::kNone;
}

}  // namespace

Error parse_protocol_name(Protocol* out, std::string_view name) {
  if (name.size() > kMaxProtocolNameLen || !name.starts_with(kPrefix) ||
      std::ranges::count(name, '_') != 4) {
    return Error::kInvalidArgument;
  }
  std::string_view rest = name.substr(kPrefix.size());
  const std::string_view pattern = next_section(&rest);
  const std::string_view dh = next_section(&rest);
  const std::string_view cipher = next_section(&rest);
  const std::string_view hash = next_section(&rest);
  if (!rest.empty() || hash.empty()) return Error::kInvalidArgument;
  if (dh != dh_name(DhKind::kCurve25519)) return Error::kInvalidArgument;
  const std::optional<CipherKind> cipher_kind = cipher_named(cipher);
  const std::optional<HashKind> hash_kind = hash_named(hash);
  if (!cipher_kind || !hash_kind) return Error::kInvalidArgument;
  Protocol protocol;
  if (parse_pattern(&protocol.pattern, pattern) != Error::kNone) return Error::kInvalidArgument;
  protocol.dh = DhKind::kCurve25519;
  protocol.cipher = *cipher_kind;
  protocol.hash = *hash_kind;
  *out = protocol;
  return Error::kNone;
}

Error protocol_name(ProtocolName* out, const Protocol& protocol) {
  const std::string_view parts[] = {
      kPrefix, protocol.pattern.name(),      "_", dh_name(protocol.dh),
      "_",     cipher_name(protocol.cipher), "_", hash_name(protocol.hash)};
  std::size_t size = 0;
  for (const std::string_view part : parts) size += part.size();
  if (size > kMaxProtocolNameLen) return Error::kInvalidArgument;
  ProtocolName name;
  for (const std::string_view part : parts) {
    std::ranges::copy(part, std::span(name.bytes).subspan(name.size).begin());
    name.size += part.size();
  }
  *out = name;
  return Error::kNone;
}

}  // namespace p2pnet::noise
