// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// AES-256-GCM from OpenSSL 3 libcrypto (openssl_functions.h), for the Noise AESGCM
// cipher functions (spec section 12.4). One context per CipherState: the key is set
// in place when it changes, and each message only sets the nonce, so nothing here
// allocates after aesgcm_create. GCM decrypts before it checks the tag, so a failed
// open zeroes what it wrote.
#include <openssl/evp.h>
#include <sodium.h>

#include "openssl_functions.h"

namespace p2pnet::noise::openssl {
namespace {

EVP_CIPHER_CTX* as_context(void* context) { return static_cast<EVP_CIPHER_CTX*>(context); }

static_assert(kMaxMessageLen < 0x7fffffff);  // EVP counts in int

bool start(EVP_CIPHER_CTX* context, std::span<const std::uint8_t, 12> nonce, ByteSpan ad,
           int encrypt) {
  int written = 0;
  return EVP_CipherInit_ex(context, nullptr, nullptr, nullptr, nonce.data(), encrypt) == 1 &&
         (ad.empty() || EVP_CipherUpdate(context, nullptr, &written, ad.data(),
                                         static_cast<int>(ad.size())) == 1);
}

// run processes |in| into |out| (same size) and finishes; false unless every byte came
// out and libcrypto agreed (for decryption: the tag matched).
bool run(EVP_CIPHER_CTX* context, MutableByteSpan out, ByteSpan in) {
  int written = 0;
  int final_written = 0;
  if (!in.empty() && EVP_CipherUpdate(context, out.data(), &written, in.data(),
                                      static_cast<int>(in.size())) != 1) {
    return false;
  }
  const MutableByteSpan rest = out.subspan(static_cast<std::size_t>(written));
  return EVP_CipherFinal_ex(context, rest.data(), &final_written) == 1 &&
         static_cast<std::size_t>(written) + static_cast<std::size_t>(final_written) == in.size();
}

}  // namespace

void* aesgcm_create() {
  EVP_CIPHER_CTX* context = EVP_CIPHER_CTX_new();
  if (context == nullptr) return nullptr;
  if (EVP_CipherInit_ex(context, EVP_aes_256_gcm(), nullptr, nullptr, nullptr, 1) != 1 ||
      EVP_CIPHER_CTX_get_key_length(context) != static_cast<int>(kKeyLen) ||
      EVP_CIPHER_CTX_get_iv_length(context) != 12) {
    EVP_CIPHER_CTX_free(context);
    return nullptr;
  }
  return context;
}

void aesgcm_free(void* context) { EVP_CIPHER_CTX_free(as_context(context)); }

bool aesgcm_set_key(void* context, std::span<const std::uint8_t, kKeyLen> key) {
  return EVP_CipherInit_ex(as_context(context), nullptr, nullptr, key.data(), nullptr, 1) == 1;
}

bool aesgcm_seal(void* context, MutableByteSpan ciphertext, std::span<std::uint8_t, kTagLen> tag,
                 ByteSpan plaintext, ByteSpan ad, std::span<const std::uint8_t, 12> nonce) {
  EVP_CIPHER_CTX* ctx = as_context(context);
  return start(ctx, nonce, ad, 1) && run(ctx, ciphertext, plaintext) &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagLen), tag.data()) ==
             1;
}

bool aesgcm_open(void* context, MutableByteSpan plaintext, ByteSpan ciphertext,
                 std::span<const std::uint8_t, kTagLen> tag, ByteSpan ad,
                 std::span<const std::uint8_t, 12> nonce) {
  EVP_CIPHER_CTX* ctx = as_context(context);
  // SET_TAG takes a non-const pointer but only copies the tag into the context.
  const bool ok = start(ctx, nonce, ad, 0) &&
                  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagLen),
                                      const_cast<std::uint8_t*>(tag.data())) == 1 &&
                  run(ctx, plaintext, ciphertext);
  if (!ok) sodium_memzero(plaintext.data(), plaintext.size());
  return ok;
}

}  // namespace p2pnet::noise::openssl
