// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// AeadKey: one traffic key and the choice of implementation per message (aead.h).
#include "p2pnet/internal/aead.h"

#include <array>

#include "p2pnet/config.h"

#ifdef P2PNET_HAVE_OPENSSL_AEAD
#include "aead_openssl.h"
#endif

namespace p2pnet {
namespace {

using Nonce = std::array<std::uint8_t, kAeadNonceSize>;

// nonce = 4 zero bytes || 64-bit little-endian counter (protocol-v1, "Transport frames")
Nonce nonce_for(std::uint64_t counter) {
  Nonce nonce{};
  store_u64_le(std::span<std::uint8_t, 8>(nonce.data() + 4, 8), counter);
  return nonce;
}

}  // namespace

bool aead_openssl_built_in() {
#ifdef P2PNET_HAVE_OPENSSL_AEAD
  return true;
#else
  return false;
#endif
}

AeadKey::~AeadKey() { free_openssl(); }

AeadKey::AeadKey(AeadKey&& other) noexcept : key_(std::move(other.key_)), openssl_(other.openssl_) {
  other.openssl_ = nullptr;
}

AeadKey& AeadKey::operator=(AeadKey&& other) noexcept {
  if (this != &other) {
    free_openssl();
    key_ = std::move(other.key_);
    openssl_ = other.openssl_;
    other.openssl_ = nullptr;
  }
  return *this;
}

void AeadKey::wipe() {
  key_.wipe();
  free_openssl();
}

void AeadKey::free_openssl() {
#ifdef P2PNET_HAVE_OPENSSL_AEAD
  if (openssl_ != nullptr) openssl_aead_free(openssl_);
#endif
  openssl_ = nullptr;
}

bool AeadKey::use_openssl([[maybe_unused]] std::size_t size, [[maybe_unused]] AeadBackend backend) {
#ifdef P2PNET_HAVE_OPENSSL_AEAD
  if (size > kMaxMessageSizeLimit)
    return false;  // EVP counts in int; the engine never goes past this
  switch (backend) {
    case AeadBackend::kSodium: return false;
    case AeadBackend::kAuto:
      if (size < kOpenSslMinSize) return false;
      break;
    case AeadBackend::kOpenSsl: break;
  }
  if (openssl_ == nullptr) openssl_ = openssl_aead_create(key_);  // first use; may fail
  return openssl_ != nullptr;
#else
  return false;
#endif
}

void AeadKey::seal(std::uint8_t* ciphertext, std::uint8_t* tag, const std::uint8_t* plaintext,
                   std::size_t size, ByteSpan ad, std::uint64_t counter, AeadBackend backend) {
  const Nonce nonce = nonce_for(counter);
#ifdef P2PNET_HAVE_OPENSSL_AEAD
  // A libcrypto failure (never seen) leaves the message to libsodium: the same bytes.
  if (use_openssl(size, backend) &&
      openssl_aead_seal(openssl_, ciphertext, tag, plaintext, size, ad, nonce.data())) {
    return;
  }
#endif
  (void)backend;
  aead_sodium_seal(ciphertext, tag, plaintext, size, ad, nonce.data(), key_);
}

bool AeadKey::open(std::uint8_t* plaintext, const std::uint8_t* ciphertext, std::size_t size,
                   const std::uint8_t* tag, ByteSpan ad, std::uint64_t counter,
                   AeadBackend backend) {
  const Nonce nonce = nonce_for(counter);
#ifdef P2PNET_HAVE_OPENSSL_AEAD
  // A rejection is final: falling back to libsodium here would try the frame twice.
  if (use_openssl(size, backend)) {
    return openssl_aead_open(openssl_, plaintext, ciphertext, size, tag, ad, nonce.data());
  }
#endif
  (void)backend;
  return aead_sodium_open(plaintext, ciphertext, size, tag, ad, nonce.data(), key_);
}

}  // namespace p2pnet
