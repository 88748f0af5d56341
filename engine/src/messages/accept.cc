// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Accept (0x04): type || server_eph (X25519, 32) || server_sig (Ed25519, 64). 97 bytes.
#include "p2pnet/internal/messages.h"

namespace p2pnet {

std::optional<Accept> parse_accept(ByteSpan in) {
  ByteReader reader(in);
  std::uint8_t type = 0;
  Accept message;
  if (!reader.read_u8(&type) || type != static_cast<std::uint8_t>(MessageType::kAccept) ||
      !reader.read_array(&message.server_eph) || !reader.read_array(&message.server_sig) ||
      !reader.empty()) {
    return std::nullopt;
  }
  return message;
}

bool write_accept(ByteWriter& out, const Accept& message) {
  out.write_u8(static_cast<std::uint8_t>(MessageType::kAccept));
  out.write(message.server_eph);
  out.write(message.server_sig);
  return out.ok();
}

}  // namespace p2pnet
