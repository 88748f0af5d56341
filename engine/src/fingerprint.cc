// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// A key's fingerprint for logs: a keyed BLAKE2b of a fixed label, so the output says
// which key it is without being usable as (or to find) the key.
#include "p2pnet/fingerprint.h"

#include <sodium.h>

#include <array>

#include "p2pnet/internal/key_schedule.h"

namespace p2pnet {

std::string key_fingerprint(std::span<const std::uint8_t> key) {
  std::array<std::uint8_t, crypto_generichash_BYTES_MIN> digest{};  // 16: libsodium's minimum
  crypto_generichash(digest.data(), digest.size(),
                     reinterpret_cast<const std::uint8_t*>(kFingerprintLabel.data()),
                     kFingerprintLabel.size(), key.data(), key.size());
  std::array<char, 2 * 8 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), 8);
  return std::string(hex.data(), 2 * 8);
}

}  // namespace p2pnet
