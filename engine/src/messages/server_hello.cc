// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// ServerHello (0x02): type || server_id (32) || challenge (32). 65 bytes.
#include "p2pnet/internal/messages.h"

namespace p2pnet {

std::optional<ServerHello> parse_server_hello(ByteSpan in) {
  ByteReader reader(in);
  std::uint8_t type = 0;
  ServerHello message;
  if (!reader.read_u8(&type) || type != static_cast<std::uint8_t>(MessageType::kServerHello) ||
      !reader.read_array(&message.server_id.bytes) || !reader.read_array(&message.challenge) ||
      !reader.empty()) {
    return std::nullopt;
  }
  return message;
}

bool write_server_hello(ByteWriter& out, const ServerHello& message) {
  out.write_u8(static_cast<std::uint8_t>(MessageType::kServerHello));
  out.write(message.server_id.bytes);
  out.write(message.challenge);
  return out.ok();
}

}  // namespace p2pnet
