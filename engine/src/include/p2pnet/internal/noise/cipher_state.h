// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// cipher_state.h: the Noise CipherState (spec section 5.1): a key k, which may be
// empty, and a 64-bit nonce n, with the cipher behind one seam:
//   - ChaChaPoly through the engine's AEAD (aead.h: libsodium, or OpenSSL when built
//     in and chosen with set_aead_backend); nonce = 4 zero bytes || n little-endian;
//   - AESGCM through libcrypto EVP (AES-256-GCM), in builds that have it; nonce =
//     4 zero bytes || n big-endian.
// The maximum nonce 2^64-1 is reserved (for rekey): a CipherState whose n reached it
// refuses to encrypt or decrypt (kCounterExhausted). A failed decryption leaves n
// unchanged, as the spec says; what to do next is the caller's choice (the
// HandshakeState fails for good).
//
// Stricter than the spec (docs/noise.md, "Where the engine is stricter"):
//   - a message, ciphertext or plaintext, is at most 65535 bytes (section 3 says so
//     of every Noise message; the spec's CipherState does not check it);
//   - a CipherState can be disabled (the direction a one-way pattern never uses),
//     after which every call fails with kWrongState instead of passing data through
//     as an empty key would.
//
// Allocation: an AESGCM CipherState owns a libcrypto context, made once by init and
// re-keyed in place afterwards (no allocation per key or per message). ChaChaPoly
// with the default libsodium backend allocates nothing; with the OpenSSL backend
// the AEAD makes its context on the first message of each key (aead.h).
#ifndef P2PNET_INTERNAL_NOISE_CIPHER_STATE_H_
#define P2PNET_INTERNAL_NOISE_CIPHER_STATE_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "p2pnet/byte_span.h"
#include "p2pnet/errors.h"
#include "p2pnet/internal/aead.h"
#include "p2pnet/internal/noise/algorithms.h"

namespace p2pnet::noise {

inline constexpr std::uint64_t kMaxNonce = ~std::uint64_t{0};  // 2^64-1, reserved

enum class CipherKeyState : std::uint8_t {
  kEmpty,     // no key: EncryptWithAd and DecryptWithAd pass data through (spec)
  kKeyed,     // a key is set
  kDisabled,  // never to be used (disable()): every call fails with kWrongState
};

class CipherState {
 public:
  CipherState() = default;  // ChaChaPoly, empty key
  ~CipherState();
  CipherState(CipherState&& other) noexcept;
  CipherState& operator=(CipherState&& other) noexcept;
  CipherState(const CipherState&) = delete;
  CipherState& operator=(const CipherState&) = delete;

  // init sets the cipher and empties the key. For AESGCM it makes the libcrypto
  // context (once: a CipherState that has one keeps it). Errors: kInvalidArgument if
  // this build lacks |kind| (cipher_available), kOutOfMemory if libcrypto could not
  // make the context; the state is then empty and keeps its previous cipher.
  [[nodiscard]] Error init(CipherKind kind);
  CipherKind kind() const { return kind_; }

  // initialize_key: InitializeKey(key); n = 0. Errors: kInternalError if libcrypto
  // refuses the key (AESGCM; never seen), and the key is then empty.
  [[nodiscard]] Error initialize_key(std::span<const std::uint8_t, kKeyLen> key);
  // clear_key: InitializeKey(empty); the old key is wiped.
  void clear_key();
  // disable wipes the key and makes every later call fail with kWrongState.
  void disable();
  CipherKeyState key_state() const { return key_state_; }
  bool has_key() const { return key_state_ == CipherKeyState::kKeyed; }
  void set_nonce(std::uint64_t nonce) { n_ = nonce; }
  std::uint64_t nonce() const { return n_; }

  // set_aead_backend chooses the ChaChaPoly implementation (aead.h); the default is
  // libsodium, which allocates nothing. No effect on AESGCM.
  void set_aead_backend(AeadBackend backend) { backend_ = backend; }

  // overhead: what encryption adds now, kTagLen with a key and 0 without.
  std::size_t overhead() const { return has_key() ? kTagLen : 0; }

  // encrypt_with_ad writes ENCRYPT(k, n++, ad, plaintext) (or the plaintext itself
  // when the key is empty) to the start of |out| and its size to |*written|. |out|
  // may begin at |plaintext| (in place) or not overlap it. Errors, with nothing
  // written and n unchanged: kWrongState if disabled, kCounterExhausted if n is
  // 2^64-1, kMessageTooLarge if the result would be over 65535 bytes,
  // kInvalidArgument if |out| is too small, kInternalError if libcrypto fails.
  [[nodiscard]] Error encrypt_with_ad(std::size_t* written, MutableByteSpan out, ByteSpan ad,
                                      ByteSpan plaintext);
  // decrypt_with_ad writes DECRYPT(k, n++, ad, ciphertext) (or the ciphertext itself
  // when the key is empty) to the start of |out| and its size to |*written|. |out|
  // may begin at |ciphertext| or not overlap it. Errors, with n unchanged:
  // kAuthenticationFailed if the tag does not match (the |out| bytes are then zero),
  // kMalformedMessage if |ciphertext| is shorter than a tag or over 65535 bytes,
  // kWrongState, kCounterExhausted, kInvalidArgument, kInternalError as above.
  [[nodiscard]] Error decrypt_with_ad(std::size_t* written, MutableByteSpan out, ByteSpan ad,
                                      ByteSpan ciphertext);
  // rekey: k = REKEY(k), the first 32 bytes of ENCRYPT(k, 2^64-1, empty, 32 zeros)
  // (sections 4.2 and 11.3); n is unchanged. Errors: kWrongState without a key,
  // kInternalError if libcrypto fails.
  [[nodiscard]] Error rekey();

 private:
  [[nodiscard]] bool seal(MutableByteSpan ciphertext, std::span<std::uint8_t, kTagLen> tag,
                          ByteSpan plaintext, ByteSpan ad, std::uint64_t nonce);
  [[nodiscard]] bool open(MutableByteSpan plaintext, ByteSpan ciphertext,
                          std::span<const std::uint8_t, kTagLen> tag, ByteSpan ad,
                          std::uint64_t nonce);
  [[nodiscard]] bool set_key(std::span<const std::uint8_t, kKeyLen> key);
  void free_context();

  CipherKind kind_ = CipherKind::kChaChaPoly;
  CipherKeyState key_state_ = CipherKeyState::kEmpty;
  std::uint64_t n_ = 0;
  AeadBackend backend_ = AeadBackend::kSodium;
  AeadKey chacha_;          // ChaChaPoly's key
  void* aesgcm_ = nullptr;  // EVP_CIPHER_CTX* holding AESGCM's key
};

}  // namespace p2pnet::noise

#endif  // P2PNET_INTERNAL_NOISE_CIPHER_STATE_H_
