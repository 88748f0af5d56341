// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "fixtures.h"

#include <array>

namespace p2pnet::fuzz {
namespace {

Key key_from_byte(std::uint8_t b) {
  Key key;
  for (auto& byte : key.bytes()) byte = b;
  return key;
}

}  // namespace

Identity identity_from_byte(std::uint8_t b) {
  std::array<std::uint8_t, kIdentitySeedSize> seed;
  seed.fill(b);
  return Identity::from_seed(seed);
}

// Function-local statics: built once per process, on first use, and never changed.
const Identity& client_identity() {
  static const Identity identity = identity_from_byte(1);
  return identity;
}

const Identity& server_identity() {
  static const Identity identity = identity_from_byte(2);
  return identity;
}

const Identity& stranger_identity() {
  static const Identity identity = identity_from_byte(3);
  return identity;
}

Bytes scripted_message(std::size_t index) {
  const std::size_t size = 1 + (index * 37 + 11) % 200;
  Bytes message(size);
  for (std::size_t i = 0; i < size; ++i) {
    message[i] = static_cast<std::uint8_t>((index * 131 + i * 7) & 0xFF);
  }
  return message;
}

bool is_scripted(const std::vector<Bytes>& received) {
  for (std::size_t i = 0; i < received.size(); ++i) {
    if (received[i] != scripted_message(i)) return false;
  }
  return true;
}

Key channel_key_c2s() { return key_from_byte(0xC2); }
Key channel_key_s2c() { return key_from_byte(0x5C); }

}  // namespace p2pnet::fuzz
