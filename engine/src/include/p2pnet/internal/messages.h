// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// messages.h: the five handshake messages of protocol-v1 ("Handshake messages").
// There is no length prefix: the type byte fixes the size. Each message has one
// parse/write pair, in engine/src/messages/<message>.cc. Parsers are strict: a wrong
// type byte, a short buffer, or a trailing byte is an error, and they allocate nothing.
#ifndef P2PNET_INTERNAL_MESSAGES_H_
#define P2PNET_INTERNAL_MESSAGES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "p2pnet/challenge.h"
#include "p2pnet/errors.h"
#include "p2pnet/identity.h"
#include "p2pnet/internal/bytes.h"

namespace p2pnet {

inline constexpr std::size_t kX25519KeySize = 32;

using EphemeralPublicKey = std::array<std::uint8_t, kX25519KeySize>;

enum class MessageType : std::uint8_t {
  kClientHello = 0x01,
  kServerHello = 0x02,
  kKeyExchange = 0x03,
  kAccept = 0x04,
  kError = 0xFF,
};

inline constexpr std::size_t kClientHelloSize = 33;
inline constexpr std::size_t kServerHelloSize = 65;
inline constexpr std::size_t kKeyExchangeSize = 97;
inline constexpr std::size_t kAcceptSize = 97;
inline constexpr std::size_t kErrorMessageSize = 2;
inline constexpr std::size_t kMaxHandshakeMessageSize = 97;

// message_size returns the size fixed by a type byte, or nullopt for an unknown type.
std::optional<std::size_t> message_size(std::uint8_t type_byte);

struct ClientHello {
  PublicKey client_id;
  friend bool operator==(const ClientHello&, const ClientHello&) = default;
};

struct ServerHello {
  PublicKey server_id;
  Challenge challenge{};
  friend bool operator==(const ServerHello&, const ServerHello&) = default;
};

struct KeyExchange {
  EphemeralPublicKey client_eph{};
  Signature client_sig{};
  friend bool operator==(const KeyExchange&, const KeyExchange&) = default;
};

struct Accept {
  EphemeralPublicKey server_eph{};
  Signature server_sig{};
  friend bool operator==(const Accept&, const Accept&) = default;
};

struct ErrorMessage {
  WireErrorCode code = WireErrorCode::kInternal;
  friend bool operator==(const ErrorMessage&, const ErrorMessage&) = default;
};

// parse_<message> succeeds only on exactly one well-formed message of that type.
std::optional<ClientHello> parse_client_hello(ByteSpan in);
std::optional<ServerHello> parse_server_hello(ByteSpan in);
std::optional<KeyExchange> parse_key_exchange(ByteSpan in);
std::optional<Accept> parse_accept(ByteSpan in);
// parse_error_message also rejects codes outside 0x01..0x06.
std::optional<ErrorMessage> parse_error_message(ByteSpan in);

// write_<message> appends the message to |out| and returns out.ok(): on a short
// buffer it writes nothing usable, leaves |out| failed and returns false.
[[nodiscard]] bool write_client_hello(ByteWriter& out, const ClientHello& message);
[[nodiscard]] bool write_server_hello(ByteWriter& out, const ServerHello& message);
[[nodiscard]] bool write_key_exchange(ByteWriter& out, const KeyExchange& message);
[[nodiscard]] bool write_accept(ByteWriter& out, const Accept& message);
[[nodiscard]] bool write_error_message(ByteWriter& out, const ErrorMessage& message);

}  // namespace p2pnet

#endif  // P2PNET_INTERNAL_MESSAGES_H_
