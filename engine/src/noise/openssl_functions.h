// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// openssl_functions.h: the Noise crypto functions that come from OpenSSL 3 libcrypto
// (EVP), built only with P2PNET_HAVE_OPENSSL_AEAD: BLAKE2s (hash_openssl.cc) and
// AESGCM (cipher_openssl.cc). The contexts are opaque here so that no engine header
// includes OpenSSL's.
#ifndef P2PNET_ENGINE_SRC_NOISE_OPENSSL_FUNCTIONS_H_
#define P2PNET_ENGINE_SRC_NOISE_OPENSSL_FUNCTIONS_H_

#include <cstdint>
#include <span>

#include "p2pnet/byte_span.h"
#include "p2pnet/internal/noise/algorithms.h"

namespace p2pnet::noise::openssl {

// BLAKE2s-256. blake2s_create returns an EVP_MD_CTX and sets |*md| to the fetched
// EVP_MD, or nullptr (out of memory, or the algorithm missing) with |*md| null.
void* blake2s_create(void** md);
void blake2s_free(void* context, void* md);
// Each returns false if libcrypto failed (start allocates: see hash.h).
[[nodiscard]] bool blake2s_start(void* context, void* md);
[[nodiscard]] bool blake2s_update(void* context, ByteSpan data);
[[nodiscard]] bool blake2s_finish(void* context, std::span<std::uint8_t, 32> out);

// AES-256-GCM. aesgcm_create returns an EVP_CIPHER_CTX with no key, or nullptr.
void* aesgcm_create();
void aesgcm_free(void* context);
[[nodiscard]] bool aesgcm_set_key(void* context, std::span<const std::uint8_t, kKeyLen> key);
// aesgcm_seal and aesgcm_open: |nonce| is the 12-byte GCM IV. open zeroes
// |plaintext| when it fails. Sizes are at most kMaxMessageLen.
[[nodiscard]] bool aesgcm_seal(void* context, MutableByteSpan ciphertext,
                               std::span<std::uint8_t, kTagLen> tag, ByteSpan plaintext,
                               ByteSpan ad, std::span<const std::uint8_t, 12> nonce);
[[nodiscard]] bool aesgcm_open(void* context, MutableByteSpan plaintext, ByteSpan ciphertext,
                               std::span<const std::uint8_t, kTagLen> tag, ByteSpan ad,
                               std::span<const std::uint8_t, 12> nonce);

}  // namespace p2pnet::noise::openssl

#endif  // P2PNET_ENGINE_SRC_NOISE_OPENSSL_FUNCTIONS_H_
