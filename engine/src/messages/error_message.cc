// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Error (0xFF): type || code (1). 2 bytes. Only codes 0x01..0x06 are defined; any
// other code makes the message malformed.
#include "p2pnet/internal/messages.h"

namespace p2pnet {

std::optional<ErrorMessage> parse_error_message(ByteSpan in) {
  ByteReader reader(in);
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  if (!reader.read_u8(&type) || type != static_cast<std::uint8_t>(MessageType::kError) ||
      !reader.read_u8(&code) || !reader.empty()) {
    return std::nullopt;
  }
  if (code < static_cast<std::uint8_t>(WireErrorCode::kMalformed) ||
      code > static_cast<std::uint8_t>(WireErrorCode::kInternal)) {
    return std::nullopt;
  }
  return ErrorMessage{static_cast<WireErrorCode>(code)};
}

bool write_error_message(ByteWriter& out, const ErrorMessage& message) {
  out.write_u8(static_cast<std::uint8_t>(MessageType::kError));
  out.write_u8(static_cast<std::uint8_t>(message.code));
  return out.ok();
}

}  // namespace p2pnet
