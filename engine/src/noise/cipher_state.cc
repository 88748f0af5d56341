// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The Noise CipherState (cipher_state.h; spec sections 5.1, 12.3 and 12.4). Every
// check comes before any byte is written or n changes, so a refused call leaves the
// state as it was.
#include "p2pnet/internal/noise/cipher_state.h"

#include <algorithm>
#include <array>

#include "p2pnet/internal/bytes.h"

#ifdef P2PNET_HAVE_OPENSSL_AEAD
#include "openssl_functions.h"
#endif

namespace p2pnet::noise {
namespace {

#ifdef P2PNET_HAVE_OPENSSL_AEAD
// AESGCM's nonce: 4 zero bytes || n big-endian (section 12.4).
std::array<std::uint8_t, 12> aesgcm_nonce(std::uint64_t n) {
  std::array<std::uint8_t, 12> nonce{};
  for (std::size_t i = 0; i < 8; ++i) nonce[4 + i] = static_cast<std::uint8_t>(n >> (56 - 8 * i));
  return nonce;
}
#endif

}  // namespace

CipherState::~CipherState() { free_context(); }

CipherState::CipherState(CipherState&& other) noexcept
    : kind_(other.kind_),
      key_state_(other.key_state_),
      n_(other.n_),
      backend_(other.backend_),
      chacha_(std::move(other.chacha_)),
      aesgcm_(other.aesgcm_) {
  other.aesgcm_ = nullptr;
  other.key_state_ = CipherKeyState::kEmpty;
  other.n_ = 0;
}

CipherState& CipherState::operator=(CipherState&& other) noexcept {
  if (this != &other) {
    free_context();
    kind_ = other.kind_;
    key_state_ = other.key_state_;
    n_ = other.n_;
    backend_ = other.backend_;
    chacha_ = std::move(other.chacha_);
    aesgcm_ = other.aesgcm_;
    other.aesgcm_ = nullptr;
    other.key_state_ = CipherKeyState::kEmpty;
    other.n_ = 0;
  }
  return *this;
}

void CipherState::free_context() {
#ifdef P2PNET_HAVE_OPENSSL_AEAD
  if (aesgcm_ != nullptr) openssl::aesgcm_free(aesgcm_);  // clears its key schedule
#endif
  aesgcm_ = nullptr;
}

Error CipherState::init(CipherKind kind) {
  clear_key();
  if (!cipher_available(kind)) return Error::kInvalidArgument;
#ifdef P2PNET_HAVE_OPENSSL_AEAD
  if (kind == CipherKind::kAesGcm && aesgcm_ == nullptr) {
    aesgcm_ = openssl::aesgcm_create();
    if (aesgcm_ == nullptr) return Error::kOutOfMemory;
  }
#endif
  kind_ = kind;
  return Error::kNone;
}

bool CipherState::set_key(std::span<const std::uint8_t, kKeyLen> key) {
  switch (kind_) {
    case CipherKind::kChaChaPoly: {
      Key copy;
      std::ranges::copy(key, copy.bytes().begin());
      chacha_ = AeadKey(std::move(copy));  // frees the old key's OpenSSL context, if any
      return true;
    }
    case CipherKind::kAesGcm:
#ifdef P2PNET_HAVE_OPENSSL_AEAD
      return aesgcm_ != nullptr && openssl::aesgcm_set_key(aesgcm_, key);
#else
      return false;
#endif
  }
  return false;
}

Error CipherState::initialize_key(std::span<const std::uint8_t, kKeyLen> key) {
  n_ = 0;
  if (!set_key(key)) {
    clear_key();
    return Error::kInternalError;
  }
  key_state_ = CipherKeyState::kKeyed;
  return Error::kNone;
}

void CipherState::clear_key() {
  chacha_.wipe();
  // An AESGCM context keeps the old key schedule until the next key replaces it; the
  // state no longer uses it, and free_context clears it.
  key_state_ = CipherKeyState::kEmpty;
  n_ = 0;
}

void CipherState::disable() {
  clear_key();
  key_state_ = CipherKeyState::kDisabled;
}

bool CipherState::seal(MutableByteSpan ciphertext, std::span<std::uint8_t, kTagLen> tag,
                       ByteSpan plaintext, ByteSpan ad, std::uint64_t nonce) {
  switch (kind_) {
    case CipherKind::kChaChaPoly:
      chacha_.seal(ciphertext.data(), tag.data(), plaintext.data(), plaintext.size(), ad, nonce,
                   backend_);
      return true;
    case CipherKind::kAesGcm:
#ifdef P2PNET_HAVE_OPENSSL_AEAD
      return openssl::aesgcm_seal(aesgcm_, ciphertext, tag, plaintext, ad, aesgcm_nonce(nonce));
#else
      return false;
#endif
  }
  return false;
}

bool CipherState::open(MutableByteSpan plaintext, ByteSpan ciphertext,
                       std::span<const std::uint8_t, kTagLen> tag, ByteSpan ad,
                       std::uint64_t nonce) {
  switch (kind_) {
    case CipherKind::kChaChaPoly:
      return chacha_.open(plaintext.data(), ciphertext.data(), ciphertext.size(), tag.data(), ad,
                          nonce, backend_);
    case CipherKind::kAesGcm:
#ifdef P2PNET_HAVE_OPENSSL_AEAD
      return openssl::aesgcm_open(aesgcm_, plaintext, ciphertext, tag, ad, aesgcm_nonce(nonce));
#else
      return false;
#endif
  }
  return false;
}

Error CipherState::encrypt_with_ad(std::size_t* written, MutableByteSpan out, ByteSpan ad,
                                   ByteSpan plaintext) {
  *written = 0;
  switch (key_state_) {
    case CipherKeyState::kDisabled: return Error::kWrongState;
    case CipherKeyState::kEmpty:
      if (plaintext.size() > kMaxMessageLen) return Error::kMessageTooLarge;
      if (out.size() < plaintext.size()) return Error::kInvalidArgument;
      if (out.data() != plaintext.data()) std::ranges::copy(plaintext, out.begin());
      *written = plaintext.size();
      return Error::kNone;
    case CipherKeyState::kKeyed: break;
  }
  if (n_ == kMaxNonce) return Error::kCounterExhausted;
  const std::size_t size = plaintext.size() + kTagLen;
  if (size > kMaxMessageLen) return Error::kMessageTooLarge;
  if (out.size() < size) return Error::kInvalidArgument;
  if (!seal(out.first(plaintext.size()), out.subspan(plaintext.size()).first<kTagLen>(), plaintext,
            ad, n_)) {
    return Error::kInternalError;
  }
  ++n_;
  *written = size;
  return Error::kNone;
}

Error CipherState::decrypt_with_ad(std::size_t* written, MutableByteSpan out, ByteSpan ad,
                                   ByteSpan ciphertext) {
  *written = 0;
  if (ciphertext.size() > kMaxMessageLen) {
    return key_state_ == CipherKeyState::kDisabled ? Error::kWrongState : Error::kMalformedMessage;
  }
  switch (key_state_) {
    case CipherKeyState::kDisabled: return Error::kWrongState;
    case CipherKeyState::kEmpty:
      if (out.size() < ciphertext.size()) return Error::kInvalidArgument;
      if (out.data() != ciphertext.data()) std::ranges::copy(ciphertext, out.begin());
      *written = ciphertext.size();
      return Error::kNone;
    case CipherKeyState::kKeyed: break;
  }
  if (n_ == kMaxNonce) return Error::kCounterExhausted;
  if (ciphertext.size() < kTagLen) return Error::kMalformedMessage;
  const std::size_t size = ciphertext.size() - kTagLen;
  if (out.size() < size) return Error::kInvalidArgument;
  // The tag is read before the body is decrypted, which may overwrite it in place.
  std::array<std::uint8_t, kTagLen> tag{};
  std::ranges::copy(ciphertext.subspan(size), tag.begin());
  if (!open(out.first(size), ciphertext.first(size), tag, ad, n_)) {
    return Error::kAuthenticationFailed;
  }
  ++n_;
  *written = size;
  return Error::kNone;
}

Error CipherState::rekey() {
  if (key_state_ != CipherKeyState::kKeyed) return Error::kWrongState;
  Secret<kKeyLen> zeros;  // becomes the new key, in place
  std::array<std::uint8_t, kTagLen> tag{};
  if (!seal(zeros.bytes(), tag, zeros.bytes(), {}, kMaxNonce) || !set_key(zeros.bytes())) {
    clear_key();
    return Error::kInternalError;
  }
  return Error::kNone;
}

}  // namespace p2pnet::noise
