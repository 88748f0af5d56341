// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzz target wire_codec: drives the handshake message codec (engine/src/messages/,
// parse_* and write_* of messages.h) and the error table (errors.h).
//   1. Parse: every parser sees the raw input. At most one accepts it; the one that
//      does agrees with message_size() and writes the input back byte for byte.
//   2. Write then parse: the input fills the fields of each message; the written
//      bytes parse back to the same message, and one byte more or less is rejected.
//   3. Error table: every wire code maps to a peer-abort error, and every error has a
//      name, a message and a category that agree with its wire code.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "p2pnet/errors.h"
#include "p2pnet/internal/messages.h"
#include "support/fuzz_check.h"

namespace p2pnet::fuzz {
namespace {

using Buffer = std::array<std::uint8_t, kMaxHandshakeMessageSize + 1>;

template <typename Message>
using Parser = std::optional<Message> (*)(ByteSpan);
template <typename Message>
using Writer = bool (*)(ByteWriter&, const Message&);

// check_parse: if |parse| accepts |in|, it is exactly one message of |size| bytes
// and writing it back gives |in| again. Returns whether it accepted.
template <typename Message>
bool check_parse(ByteSpan in, Parser<Message> parse, Writer<Message> write, std::size_t size,
                 MessageType type) {
  const std::optional<Message> message = parse(in);
  if (!message) return false;
  FUZZ_CHECK(in.size() == size);
  FUZZ_CHECK(in[0] == static_cast<std::uint8_t>(type));
  FUZZ_CHECK(message_size(in[0]) == size);
  Buffer buffer{};
  ByteWriter out(buffer);
  FUZZ_CHECK(write(out, *message));
  FUZZ_CHECK(out.ok());
  FUZZ_CHECK(std::ranges::equal(out.result(), in));
  return true;
}

// check_write: |message| written, parsed back, is equal; the written bytes with one
// byte cut off or one byte added are rejected; a writer one byte short fails.
template <typename Message>
void check_write(const Message& message, Parser<Message> parse, Writer<Message> write,
                 std::size_t size, std::uint8_t extra) {
  Buffer buffer{};
  ByteWriter out(MutableByteSpan(buffer).first(size));
  FUZZ_CHECK(write(out, message));
  FUZZ_CHECK(out.ok());
  FUZZ_CHECK(out.written() == size);
  const std::optional<Message> parsed = parse(out.result());
  FUZZ_CHECK(parsed.has_value());
  FUZZ_CHECK(*parsed == message);
  FUZZ_CHECK(!parse(ByteSpan(buffer).first(size - 1)).has_value());
  buffer[size] = extra;
  FUZZ_CHECK(!parse(ByteSpan(buffer).first(size + 1)).has_value());

  Buffer small{};
  ByteWriter short_out(MutableByteSpan(small).first(size - 1));
  FUZZ_CHECK(!write(short_out, message));
  FUZZ_CHECK(!short_out.ok());
}

// fill copies the input, cyclically, over |out|, so every field gets fuzzer bytes.
template <std::size_t N>
void fill(std::array<std::uint8_t, N>& out, ByteSpan in, std::size_t offset) {
  for (std::size_t i = 0; i < N; ++i) out[i] = in.empty() ? 0 : in[(offset + i) % in.size()];
}

void check_error_table(std::uint8_t byte) {
  const auto wire = static_cast<WireErrorCode>(byte);
  const std::optional<ErrorMessage> parsed =
      parse_error_message(std::array<std::uint8_t, 2>{0xFF, byte});
  if (byte >= 0x01 && byte <= 0x06) {
    FUZZ_CHECK(parsed.has_value() && parsed->code == wire);
    FUZZ_CHECK(error_category(error_from_wire_code(wire)) == ErrorCategory::kPeerAbort);
  } else {
    FUZZ_CHECK(!parsed.has_value());
  }
  // kNone never comes off the wire; if it reached the mapping it is an undefined code.
  if (byte == 0x00) FUZZ_CHECK(error_from_wire_code(wire) == Error::kPeerAbortUnknownCode);
  const auto error = static_cast<Error>(byte % kErrorCount);
  FUZZ_CHECK(!error_name(error).empty());
  FUZZ_CHECK(!error_message(error).empty());
  const ErrorCategory category = error_category(error);
  FUZZ_CHECK((category == ErrorCategory::kNone) == (error == Error::kNone));
  // Only remote misbehaviour, timeouts and our own random failure are told to the
  // peer; a peer's abort is never answered with another Error message.
  if (category == ErrorCategory::kPeerAbort || category == ErrorCategory::kNone) {
    FUZZ_CHECK(wire_code_for(error) == WireErrorCode::kNone);
  }
  if (wire_code_for(error) != WireErrorCode::kNone) {
    FUZZ_CHECK(error_category(error_from_wire_code(wire_code_for(error))) ==
               ErrorCategory::kPeerAbort);
  }
}

}  // namespace
}  // namespace p2pnet::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace p2pnet;
  using namespace p2pnet::fuzz;
  const ByteSpan in(data, size);

  int accepted = 0;
  accepted += check_parse<ClientHello>(in, parse_client_hello, write_client_hello, kClientHelloSize,
                                       MessageType::kClientHello);
  accepted += check_parse<ServerHello>(in, parse_server_hello, write_server_hello, kServerHelloSize,
                                       MessageType::kServerHello);
  accepted += check_parse<KeyExchange>(in, parse_key_exchange, write_key_exchange, kKeyExchangeSize,
                                       MessageType::kKeyExchange);
  accepted +=
      check_parse<Accept>(in, parse_accept, write_accept, kAcceptSize, MessageType::kAccept);
  accepted += check_parse<ErrorMessage>(in, parse_error_message, write_error_message,
                                        kErrorMessageSize, MessageType::kError);
  FUZZ_CHECK(accepted <= 1);
  if (size > 0 && !message_size(data[0])) FUZZ_CHECK(accepted == 0);

  const std::uint8_t extra = size > 0 ? data[size - 1] : 0;
  ClientHello client_hello;
  fill(client_hello.client_id.bytes, in, 0);
  check_write(client_hello, parse_client_hello, write_client_hello, kClientHelloSize, extra);
  ServerHello server_hello;
  fill(server_hello.server_id.bytes, in, 1);
  fill(server_hello.challenge, in, 33);
  check_write(server_hello, parse_server_hello, write_server_hello, kServerHelloSize, extra);
  KeyExchange key_exchange;
  fill(key_exchange.client_eph, in, 2);
  fill(key_exchange.client_sig, in, 34);
  check_write(key_exchange, parse_key_exchange, write_key_exchange, kKeyExchangeSize, extra);
  Accept accept;
  fill(accept.server_eph, in, 3);
  fill(accept.server_sig, in, 35);
  check_write(accept, parse_accept, write_accept, kAcceptSize, extra);
  if (size > 0 && data[0] >= 0x01 && data[0] <= 0x06) {
    check_write(ErrorMessage{static_cast<WireErrorCode>(data[0])}, parse_error_message,
                write_error_message, kErrorMessageSize, extra);
  }

  // The table is small: check all of it on every input (wire codes 0x00..0x07).
  for (std::uint8_t byte = 0; byte <= 0x07; ++byte) check_error_table(byte);
  for (std::size_t i = 0; i < std::min<std::size_t>(size, 4); ++i) check_error_table(data[i]);
  return 0;
}
