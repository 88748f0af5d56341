// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The libsodium implementation of ChaCha20-Poly1305-IETF, the backend every build has.
// libsodium checks the tag before it writes any plaintext and allows in-place use.
#include <sodium.h>

#include "p2pnet/internal/aead.h"

namespace p2pnet {

static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == kAeadTagSize);
static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == kAeadNonceSize);
static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == kKeySize);

void aead_sodium_seal(std::uint8_t* ciphertext, std::uint8_t* tag, const std::uint8_t* plaintext,
                      std::size_t size, ByteSpan ad, const std::uint8_t* nonce, const Key& key) {
  crypto_aead_chacha20poly1305_ietf_encrypt_detached(
      ciphertext, tag, nullptr, plaintext, size, ad.data(), ad.size(), nullptr, nonce, key.data());
}

bool aead_sodium_open(std::uint8_t* plaintext, const std::uint8_t* ciphertext, std::size_t size,
                      const std::uint8_t* tag, ByteSpan ad, const std::uint8_t* nonce,
                      const Key& key) {
  // On failure libsodium has written nothing; zero the output anyway, so both
  // backends leave the same bytes behind.
  if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(plaintext, nullptr, ciphertext, size, tag,
                                                         ad.data(), ad.size(), nonce,
                                                         key.data()) == 0) {
    return true;
  }
  sodium_memzero(plaintext, size);
  return false;
}

}  // namespace p2pnet
