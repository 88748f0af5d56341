// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// aead.h: ChaCha20-Poly1305-IETF (RFC 8439) for one traffic key, behind one small
// interface: seal and open (in place or between buffers) and wipe. Engine-internal:
// Channel uses it, tests and the aead_backends fuzz target compare the backends.
//
// Two implementations of the same AEAD give the same bytes:
//   - libsodium (engine/src/aead_sodium.cc), always there;
//   - OpenSSL 3 libcrypto EVP (engine/src/aead_openssl.cc), when the build found it
//     (P2PNET_AEAD_OPENSSL, defines P2PNET_HAVE_OPENSSL_AEAD).
// With both, each message goes to the one that is faster at its size: libsodium below
// kOpenSslMinSize bytes (less set-up per call), OpenSSL from there on (its AVX-512
// ChaCha20 and Poly1305). docs/benchmarks.md has the measurements behind the limit.
//
// The OpenSSL cipher context is created on the first message that uses it, once per
// key, and reused for every later message, so a connection that only ever sends small
// messages never allocates one and steady state allocates nothing. If libcrypto cannot
// give a context (out of memory, ChaCha20-Poly1305 unavailable in its configuration),
// the key stays with libsodium: same bytes, nothing fails.
#ifndef P2PNET_INTERNAL_AEAD_H_
#define P2PNET_INTERNAL_AEAD_H_

#include <cstddef>
#include <cstdint>

#include "p2pnet/internal/bytes.h"
#include "p2pnet/internal/key_schedule.h"

namespace p2pnet {

inline constexpr std::size_t kAeadTagSize = 16;
inline constexpr std::size_t kAeadNonceSize = 12;
// Messages from this many bytes on go to OpenSSL when it is built in.
inline constexpr std::size_t kOpenSslMinSize = 512;

enum class AeadBackend : std::uint8_t {
  kAuto,     // by message size, as above
  kSodium,   // always libsodium
  kOpenSsl,  // OpenSSL when built in and available, else libsodium
};

// aead_openssl_built_in: whether this build has the OpenSSL backend.
bool aead_openssl_built_in();

class AeadKey {
 public:
  AeadKey() = default;  // an all-zero key
  explicit AeadKey(Key key) : key_(std::move(key)) {}
  ~AeadKey();
  AeadKey(AeadKey&& other) noexcept;
  AeadKey& operator=(AeadKey&& other) noexcept;
  AeadKey(const AeadKey&) = delete;
  AeadKey& operator=(const AeadKey&) = delete;

  // seal encrypts |size| bytes from |plaintext| to |ciphertext| (the same pointer for
  // in place) and writes the 16-byte tag to |tag|, with nonce = 4 zero bytes || 64-bit
  // little-endian |counter| and associated data |ad|.
  void seal(std::uint8_t* ciphertext, std::uint8_t* tag, const std::uint8_t* plaintext,
            std::size_t size, ByteSpan ad, std::uint64_t counter,
            AeadBackend backend = AeadBackend::kAuto);
  // open checks |tag| and decrypts |size| bytes from |ciphertext| to |plaintext| (the
  // same pointer for in place). Returns false if the frame is not authentic; then the
  // |size| bytes at |plaintext| are zero (never unauthenticated plaintext).
  [[nodiscard]] bool open(std::uint8_t* plaintext, const std::uint8_t* ciphertext, std::size_t size,
                          const std::uint8_t* tag, ByteSpan ad, std::uint64_t counter,
                          AeadBackend backend = AeadBackend::kAuto);

  // wipe zeroes the key and frees the OpenSSL context (which clears its own copy).
  void wipe();
  // release_context frees the OpenSSL context but keeps the key; the next large
  // message creates it again.
  void release_context() { free_openssl(); }
  const Key& key() const { return key_; }
  // has_openssl_context: whether an OpenSSL context (a copy of the key) exists now.
  bool has_openssl_context() const { return openssl_ != nullptr; }

 private:
  bool use_openssl(std::size_t size, AeadBackend backend);
  void free_openssl();

  Key key_;
  void* openssl_ = nullptr;  // EVP_CIPHER_CTX*, created on first use (see above)
};

// The two implementations, each on its own, for tests, fuzzing and benchmarks.
void aead_sodium_seal(std::uint8_t* ciphertext, std::uint8_t* tag, const std::uint8_t* plaintext,
                      std::size_t size, ByteSpan ad, const std::uint8_t* nonce, const Key& key);
[[nodiscard]] bool aead_sodium_open(std::uint8_t* plaintext, const std::uint8_t* ciphertext,
                                    std::size_t size, const std::uint8_t* tag, ByteSpan ad,
                                    const std::uint8_t* nonce, const Key& key);

}  // namespace p2pnet

#endif  // P2PNET_INTERNAL_AEAD_H_
