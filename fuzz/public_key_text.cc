// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzz target public_key_text: drives the public-key text codec of identity.h
// (decode_public_key, encode_public_key, is_valid_public_key).
//   1. Decode: accepted text is exactly 43 characters, is the one canonical text of
//      its key (it encodes back to itself), and names a valid Ed25519 point.
//   2. Encode then decode: the input's first 32 bytes as a key encode to 43
//      characters that decode back to the same key when it is a valid point, and are
//      rejected when it is not.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "p2pnet/identity.h"
#include "support/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace p2pnet;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (const auto key = decode_public_key(text)) {
    FUZZ_CHECK(size == kPublicKeyTextSize);
    FUZZ_CHECK(encode_public_key(*key) == text);
    FUZZ_CHECK(is_valid_public_key(*key));
  }

  if (size >= kPublicKeySize) {
    PublicKey key;
    std::copy_n(data, kPublicKeySize, key.bytes.begin());
    const std::string encoded = encode_public_key(key);
    FUZZ_CHECK(encoded.size() == kPublicKeyTextSize);
    const auto decoded = decode_public_key(encoded);
    if (is_valid_public_key(key)) {
      FUZZ_CHECK(decoded.has_value() && *decoded == key);
    } else {
      FUZZ_CHECK(!decoded.has_value());
    }
  }
  return 0;
}
