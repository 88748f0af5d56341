// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/internal/messages.h"

namespace p2pnet {

std::optional<std::size_t> message_size(std::uint8_t type_byte) {
  switch (type_byte) {
    case static_cast<std::uint8_t>(MessageType::kClientHello): return kClientHelloSize;
    case static_cast<std::uint8_t>(MessageType::kServerHello): return kServerHelloSize;
    case static_cast<std::uint8_t>(MessageType::kKeyExchange): return kKeyExchangeSize;
    case static_cast<std::uint8_t>(MessageType::kAccept): return kAcceptSize;
    case static_cast<std::uint8_t>(MessageType::kError): return kErrorMessageSize;
    default: return std::nullopt;  // every other byte value is not a message type
  }
}

}  // namespace p2pnet
