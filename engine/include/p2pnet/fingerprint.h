// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// fingerprint.h: a short name for a key, for logs. Both sides of a session print the
// same fingerprint of their session key, so an operator can match the two ends
// without either printing the key.
#ifndef P2PNET_FINGERPRINT_H_
#define P2PNET_FINGERPRINT_H_

#include <cstdint>
#include <span>
#include <string>

namespace p2pnet {

// key_fingerprint returns 16 hex characters that identify |key| in logs: the first 8
// bytes of BLAKE2b-256(key=|key|, "P2PNet-v1 fingerprint"). It reveals nothing usable
// about the key.
std::string key_fingerprint(std::span<const std::uint8_t> key);

}  // namespace p2pnet

#endif  // P2PNET_FINGERPRINT_H_
