// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "wire.h"

namespace p2pnet::testing {
namespace {

template <typename Message, typename Write>
std::vector<std::uint8_t> encode_with(const Message& message, Write write) {
  std::vector<std::uint8_t> out(kMaxHandshakeMessageSize);
  ByteWriter writer(out);
  if (!write(writer, message))
    out.clear();  // kMaxHandshakeMessageSize fits every message
  else
    out.resize(writer.written());
  return out;
}

}  // namespace

std::vector<std::uint8_t> encode(const ClientHello& m) {
  return encode_with(m, write_client_hello);
}
std::vector<std::uint8_t> encode(const ServerHello& m) {
  return encode_with(m, write_server_hello);
}
std::vector<std::uint8_t> encode(const KeyExchange& m) {
  return encode_with(m, write_key_exchange);
}
std::vector<std::uint8_t> encode(const Accept& m) { return encode_with(m, write_accept); }
std::vector<std::uint8_t> encode(const ErrorMessage& m) {
  return encode_with(m, write_error_message);
}

}  // namespace p2pnet::testing
