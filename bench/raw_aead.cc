// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "raw_aead.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <array>

namespace p2pnet::bench {
namespace {

constexpr std::size_t kHeaderSize = 4;
constexpr std::size_t kTagSize = 16;
using Nonce = std::array<std::uint8_t, 12>;

Nonce nonce_for(std::uint64_t counter) {
  Nonce nonce{};
  for (std::size_t i = 0; i < 8; ++i) nonce[4 + i] = static_cast<std::uint8_t>(counter >> (8 * i));
  return nonce;
}

EVP_CIPHER_CTX* make_context(const std::uint8_t* key, int encrypt) {
  EVP_CIPHER_CTX* context = EVP_CIPHER_CTX_new();
  if (context != nullptr &&
      EVP_CipherInit_ex(context, EVP_chacha20_poly1305(), nullptr, key, nullptr, encrypt) != 1) {
    EVP_CIPHER_CTX_free(context);
    return nullptr;
  }
  return context;
}

}  // namespace

const char* aead_library_name(AeadLibrary library) {
  switch (library) {
    case AeadLibrary::kSodium: return "libsodium";
    case AeadLibrary::kOpenSsl: return "OpenSSL";
  }
  return "?";
}

RawAead::RawAead(AeadLibrary library, std::size_t message_size)
    : library_(library),
      size_(message_size),
      message_(message_size),
      frame_(kHeaderSize + message_size + kTagSize),
      opened_(message_size) {
  crypto_aead_chacha20poly1305_ietf_keygen(key_);
  randombytes_buf(message_.data(), message_.size());
  if (library_ == AeadLibrary::kOpenSsl) {
    seal_context_ = make_context(key_, 1);
    open_context_ = make_context(key_, 0);
  }
}

RawAead::~RawAead() {
  EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(seal_context_));
  EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(open_context_));
  sodium_memzero(key_, sizeof key_);
}

bool RawAead::round_trip() { return seal() && open(); }

bool RawAead::seal() {
  const auto length = static_cast<std::uint32_t>(size_);
  frame_[0] = static_cast<std::uint8_t>(length >> 24);
  frame_[1] = static_cast<std::uint8_t>(length >> 16);
  frame_[2] = static_cast<std::uint8_t>(length >> 8);
  frame_[3] = static_cast<std::uint8_t>(length);
  const Nonce nonce = nonce_for(send_counter_++);
  std::uint8_t* ciphertext = frame_.data() + kHeaderSize;
  std::uint8_t* tag = ciphertext + size_;
  switch (library_) {
    case AeadLibrary::kSodium:
      crypto_aead_chacha20poly1305_ietf_encrypt_detached(ciphertext, tag, nullptr, message_.data(),
                                                         size_, frame_.data(), kHeaderSize, nullptr,
                                                         nonce.data(), key_);
      return true;
    case AeadLibrary::kOpenSsl: {
      auto* context = static_cast<EVP_CIPHER_CTX*>(seal_context_);
      int n = 0, final_n = 0;
      return context != nullptr &&
             EVP_CipherInit_ex(context, nullptr, nullptr, nullptr, nonce.data(), 1) == 1 &&
             EVP_CipherUpdate(context, nullptr, &n, frame_.data(), kHeaderSize) == 1 &&
             EVP_CipherUpdate(context, ciphertext, &n, message_.data(), static_cast<int>(size_)) ==
                 1 &&
             EVP_CipherFinal_ex(context, ciphertext + n, &final_n) == 1 &&
             EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, kTagSize, tag) == 1;
    }
  }
  return false;
}

bool RawAead::open() {
  const Nonce nonce = nonce_for(receive_counter_++);
  const std::uint8_t* ciphertext = frame_.data() + kHeaderSize;
  std::uint8_t* tag = frame_.data() + kHeaderSize + size_;
  switch (library_) {
    case AeadLibrary::kSodium:
      return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
                 opened_.data(), nullptr, ciphertext, size_, tag, frame_.data(), kHeaderSize,
                 nonce.data(), key_) == 0;
    case AeadLibrary::kOpenSsl: {
      auto* context = static_cast<EVP_CIPHER_CTX*>(open_context_);
      int n = 0, final_n = 0;
      return context != nullptr &&
             EVP_CipherInit_ex(context, nullptr, nullptr, nullptr, nonce.data(), 0) == 1 &&
             EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, kTagSize, tag) == 1 &&
             EVP_CipherUpdate(context, nullptr, &n, frame_.data(), kHeaderSize) == 1 &&
             EVP_CipherUpdate(context, opened_.data(), &n, ciphertext, static_cast<int>(size_)) ==
                 1 &&
             EVP_CipherFinal_ex(context, opened_.data() + n, &final_n) == 1;
    }
  }
  return false;
}

}  // namespace p2pnet::bench
