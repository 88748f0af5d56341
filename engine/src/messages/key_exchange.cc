// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// KeyExchange (0x03): type || client_eph (X25519, 32) || client_sig (Ed25519, 64).
// 97 bytes.
#include "p2pnet/internal/messages.h"

namespace p2pnet {

std::optional<KeyExchange> parse_key_exchange(ByteSpan in) {
  ByteReader reader(in);
  std::uint8_t type = 0;
  KeyExchange message;
  if (!reader.read_u8(&type) || type != static_cast<std::uint8_t>(MessageType::kKeyExchange) ||
      !reader.read_array(&message.client_eph) || !reader.read_array(&message.client_sig) ||
      !reader.empty()) {
    return std::nullopt;
  }
  return message;
}

bool write_key_exchange(ByteWriter& out, const KeyExchange& message) {
  out.write_u8(static_cast<std::uint8_t>(MessageType::kKeyExchange));
  out.write(message.client_eph);
  out.write(message.client_sig);
  return out.ok();
}

}  // namespace p2pnet
