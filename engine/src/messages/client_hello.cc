// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// ClientHello (0x01): type || client_id (32). 33 bytes.
#include "p2pnet/internal/messages.h"

namespace p2pnet {

std::optional<ClientHello> parse_client_hello(ByteSpan in) {
  ByteReader reader(in);
  std::uint8_t type = 0;
  ClientHello message;
  if (!reader.read_u8(&type) || type != static_cast<std::uint8_t>(MessageType::kClientHello) ||
      !reader.read_array(&message.client_id.bytes) || !reader.empty()) {
    return std::nullopt;
  }
  return message;
}

bool write_client_hello(ByteWriter& out, const ClientHello& message) {
  out.write_u8(static_cast<std::uint8_t>(MessageType::kClientHello));
  out.write(message.client_id.bytes);
  return out.ok();
}

}  // namespace p2pnet
