// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// wire.h: encode handshake messages into byte vectors, for tests that play one side
// of the protocol by hand (to sign the wrong thing, send a low-order key, relay...).
#ifndef P2PNET_TESTS_SUPPORT_WIRE_H_
#define P2PNET_TESTS_SUPPORT_WIRE_H_

#include <vector>

#include "p2pnet/internal/messages.h"

namespace p2pnet::testing {

std::vector<std::uint8_t> encode(const ClientHello& message);
std::vector<std::uint8_t> encode(const ServerHello& message);
std::vector<std::uint8_t> encode(const KeyExchange& message);
std::vector<std::uint8_t> encode(const Accept& message);
std::vector<std::uint8_t> encode(const ErrorMessage& message);

}  // namespace p2pnet::testing

#endif  // P2PNET_TESTS_SUPPORT_WIRE_H_
