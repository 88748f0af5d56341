// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "hex.h"

#include <sodium.h>

namespace p2pnet::testing {

std::string to_hex(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return {};  // libsodium's arguments must not be null
  std::string text(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(text.data(), text.size(), bytes.data(), bytes.size());
  text.pop_back();
  return text;
}

std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  if (text.empty()) return std::vector<std::uint8_t>{};  // libsodium's arguments must not be null
  std::vector<std::uint8_t> bytes(text.size() / 2);
  std::size_t decoded = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(bytes.data(), bytes.size(), text.data(), text.size(), nullptr, &decoded,
                     &end) != 0 ||
      decoded != bytes.size() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return bytes;
}

}  // namespace p2pnet::testing
