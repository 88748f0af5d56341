// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// aead_openssl.h: the OpenSSL 3 libcrypto implementation of ChaCha20-Poly1305-IETF
// (engine/src/aead_openssl.cc), built only with P2PNET_HAVE_OPENSSL_AEAD. A context
// belongs to one key; it is reused for every message, so only its creation allocates.
#ifndef P2PNET_ENGINE_SRC_AEAD_OPENSSL_H_
#define P2PNET_ENGINE_SRC_AEAD_OPENSSL_H_

#include <cstddef>
#include <cstdint>

#include "p2pnet/internal/aead.h"

namespace p2pnet {

// openssl_aead_create gives a context holding |key|, or nullptr if libcrypto cannot
// (out of memory, the cipher not available): the caller then keeps to libsodium.
void* openssl_aead_create(const Key& key);
// openssl_aead_free clears the context's key schedule and frees it.
void openssl_aead_free(void* context);
// Each returns false if libcrypto failed; open also if the tag does not match, and
// then zeroes the |size| bytes at |plaintext|.
[[nodiscard]] bool openssl_aead_seal(void* context, std::uint8_t* ciphertext, std::uint8_t* tag,
                                     const std::uint8_t* plaintext, std::size_t size, ByteSpan ad,
                                     const std::uint8_t* nonce);
[[nodiscard]] bool openssl_aead_open(void* context, std::uint8_t* plaintext,
                                     const std::uint8_t* ciphertext, std::size_t size,
                                     const std::uint8_t* tag, ByteSpan ad,
                                     const std::uint8_t* nonce);

}  // namespace p2pnet

#endif  // P2PNET_ENGINE_SRC_AEAD_OPENSSL_H_
