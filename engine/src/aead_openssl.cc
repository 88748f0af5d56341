// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The OpenSSL 3 implementation of ChaCha20-Poly1305-IETF through EVP. The key is set
// once, when the context is created; each message only sets the nonce, so no call
// here allocates after creation. OpenSSL decrypts before it checks the tag, so a
// failed open zeroes what it wrote: the caller never sees unauthenticated plaintext.
// Nothing here calls OPENSSL_init_crypto or touches libcrypto's global settings
// (docs/architecture.md, "AEAD backends", says what libcrypto does by itself).
#include "aead_openssl.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <climits>
#include <span>

#include "p2pnet/config.h"

namespace p2pnet {
namespace {

EVP_CIPHER_CTX* as_context(void* context) { return static_cast<EVP_CIPHER_CTX*>(context); }

// The engine's messages are at most 16 MiB; EVP counts in int.
static_assert(kMaxMessageSizeLimit < INT_MAX);

bool start(EVP_CIPHER_CTX* context, const std::uint8_t* nonce, ByteSpan ad, int encrypt) {
  int written = 0;
  return EVP_CipherInit_ex(context, nullptr, nullptr, nullptr, nonce, encrypt) == 1 &&
         (ad.empty() || EVP_CipherUpdate(context, nullptr, &written, ad.data(),
                                         static_cast<int>(ad.size())) == 1);
}

}  // namespace

void* openssl_aead_create(const Key& key) {
  EVP_CIPHER_CTX* context = EVP_CIPHER_CTX_new();
  if (context == nullptr) return nullptr;
  if (EVP_CipherInit_ex(context, EVP_chacha20_poly1305(), nullptr, key.data(), nullptr, 1) != 1 ||
      EVP_CIPHER_CTX_get_key_length(context) != static_cast<int>(kKeySize) ||
      EVP_CIPHER_CTX_get_iv_length(context) != static_cast<int>(kAeadNonceSize)) {
    EVP_CIPHER_CTX_free(context);
    return nullptr;
  }
  return context;
}

void openssl_aead_free(void* context) {
  // EVP_CIPHER_CTX_free has the provider clear its key schedule (OPENSSL_clear_free).
  EVP_CIPHER_CTX_free(as_context(context));
}

bool openssl_aead_seal(void* context, std::uint8_t* ciphertext, std::uint8_t* tag,
                       const std::uint8_t* plaintext, std::size_t size, ByteSpan ad,
                       const std::uint8_t* nonce) {
  EVP_CIPHER_CTX* ctx = as_context(context);
  int written = 0;
  int final_written = 0;
  if (!start(ctx, nonce, ad, 1)) return false;
  if (size > 0 &&
      EVP_CipherUpdate(ctx, ciphertext, &written, plaintext, static_cast<int>(size)) != 1) {
    return false;
  }
  // The final call writes after the |written| bytes of the update (nothing, for a
  // stream cipher); a span cut keeps the arithmetic checked.
  std::uint8_t* const rest =
      std::span(ciphertext, size).subspan(static_cast<std::size_t>(written)).data();
  return EVP_CipherFinal_ex(ctx, rest, &final_written) == 1 &&
         static_cast<std::size_t>(written) + static_cast<std::size_t>(final_written) == size &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kAeadTagSize), tag) == 1;
}

bool openssl_aead_open(void* context, std::uint8_t* plaintext, const std::uint8_t* ciphertext,
                       std::size_t size, const std::uint8_t* tag, ByteSpan ad,
                       const std::uint8_t* nonce) {
  EVP_CIPHER_CTX* ctx = as_context(context);
  int written = 0;
  int final_written = 0;
  // SET_TAG takes a non-const pointer but only copies the tag into the context.
  bool ok = start(ctx, nonce, ad, 0) &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kAeadTagSize),
                                const_cast<std::uint8_t*>(tag)) == 1;
  if (ok && size > 0) {
    ok = EVP_CipherUpdate(ctx, plaintext, &written, ciphertext, static_cast<int>(size)) == 1;
  }
  std::uint8_t* const rest =
      std::span(plaintext, size).subspan(static_cast<std::size_t>(written)).data();
  ok = ok && EVP_CipherFinal_ex(ctx, rest, &final_written) == 1 &&
       static_cast<std::size_t>(written) + static_cast<std::size_t>(final_written) == size;
  if (!ok) sodium_memzero(plaintext, size);
  return ok;
}

}  // namespace p2pnet
