// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// BLAKE2s-256 from OpenSSL 3 libcrypto (openssl_functions.h), fetched once per
// context. libcrypto 3.0 re-creates the provider's context on every
// EVP_DigestInit_ex2, so each start allocates (docs/noise.md, "Allocations").
#include <openssl/evp.h>

#include "openssl_functions.h"

namespace p2pnet::noise::openssl {

void* blake2s_create(void** md) {
  *md = nullptr;
  EVP_MD* fetched = EVP_MD_fetch(nullptr, "BLAKE2S-256", nullptr);
  if (fetched == nullptr) return nullptr;
  if (EVP_MD_get_size(fetched) != 32) {
    EVP_MD_free(fetched);
    return nullptr;
  }
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  if (context == nullptr) {
    EVP_MD_free(fetched);
    return nullptr;
  }
  *md = fetched;
  return context;
}

void blake2s_free(void* context, void* md) {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context));  // clears the provider's state
  EVP_MD_free(static_cast<EVP_MD*>(md));
}

bool blake2s_start(void* context, void* md) {
  return EVP_DigestInit_ex2(static_cast<EVP_MD_CTX*>(context), static_cast<EVP_MD*>(md), nullptr) ==
         1;
}

bool blake2s_update(void* context, ByteSpan data) {
  return EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(context), data.data(), data.size()) == 1;
}

bool blake2s_finish(void* context, std::span<std::uint8_t, 32> out) {
  unsigned int size = 0;
  return EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(context), out.data(), &size) == 1 &&
         size == out.size();
}

}  // namespace p2pnet::noise::openssl
