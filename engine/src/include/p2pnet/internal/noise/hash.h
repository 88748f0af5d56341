// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// hash.h: the Noise HASH functions behind one seam, and the spec's HMAC and HKDF over
// them (section 4.3). SHA256, SHA512 and BLAKE2b are libsodium's; BLAKE2s is
// libcrypto's (EVP "BLAKE2S-256"), in builds that have it. HMAC is RFC 2104 over the
// hash's block (BLOCKLEN), never a keyed hash in its place; HKDF is the spec's
// two- or three-output form. Every output is exactly HASHLEN bytes.
//
// A Hash is made once for a kind (init) and reused for every computation. For the
// libsodium hashes nothing is allocated. libcrypto 3.0 allocates a provider context
// each time a BLAKE2s computation starts (EVP_DigestInit_ex2 frees and re-creates
// it), so a BLAKE2s handshake is the one suite that allocates per hash
// (docs/noise.md, "Allocations").
#ifndef P2PNET_INTERNAL_NOISE_HASH_H_
#define P2PNET_INTERNAL_NOISE_HASH_H_

#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "p2pnet/byte_span.h"
#include "p2pnet/errors.h"
#include "p2pnet/internal/noise/algorithms.h"
#include "p2pnet/secret.h"

namespace p2pnet::noise {

// HashOutput: HASHLEN bytes of a hash, HMAC or HKDF output, kept as a secret (chaining
// keys and HKDF temporaries are secrets; h is not, but one type keeps it simple).
struct HashOutput {
  Secret<kMaxHashLen> bytes;
  std::size_t size = 0;

  ByteSpan span() const { return ByteSpan(bytes.bytes()).first(size); }
  MutableByteSpan mutable_span() { return MutableByteSpan(bytes.bytes()).first(size); }
  void wipe() { bytes.wipe(); }
};

class Hash {
 public:
  Hash() = default;
  ~Hash();
  Hash(Hash&& other) noexcept;
  Hash& operator=(Hash&& other) noexcept;
  Hash(const Hash&) = delete;
  Hash& operator=(const Hash&) = delete;

  // init makes the hash ready for |kind|. For BLAKE2s it creates the libcrypto context
  // (the only allocation of a Hash); calling it again for the same kind keeps it.
  // Errors: kInvalidArgument if this build lacks |kind| (hash_available), kOutOfMemory
  // if libcrypto could not make the context.
  [[nodiscard]] Error init(HashKind kind);
  bool ready() const { return ready_; }
  HashKind kind() const { return kind_; }
  std::size_t len() const { return hash_len(kind_); }
  std::size_t block_len() const { return hash_block_len(kind_); }

  // digest sets |*out| = HASH(a || b). Errors: kWrongState before init,
  // kOutOfMemory or kInternalError if libcrypto fails (BLAKE2s only).
  [[nodiscard]] Error digest(HashOutput* out, ByteSpan a, ByteSpan b = {});
  // hmac sets |*out| = HMAC-HASH(key, a || b), with the key hashed first when it is
  // longer than the block (never, in Noise). Errors: as digest.
  [[nodiscard]] Error hmac(HashOutput* out, ByteSpan key, ByteSpan a, ByteSpan b = {});
  // hkdf sets |*out1|, |*out2| and, unless |out3| is null, |*out3| to the spec's
  // HKDF(chaining_key, input_key_material, 2 or 3). Errors: as digest; on error the
  // outputs are wiped.
  [[nodiscard]] Error hkdf(HashOutput* out1, HashOutput* out2, HashOutput* out3,
                           ByteSpan chaining_key, ByteSpan input_key_material);

 private:
  // One incremental computation: start, update any number of times, finish.
  [[nodiscard]] bool start();
  [[nodiscard]] bool update(ByteSpan data);
  [[nodiscard]] bool finish(HashOutput* out);
  void free_context();

  HashKind kind_ = HashKind::kSha256;
  bool ready_ = false;
  // The libsodium state of the computation under way; kind_ says which member.
  union SodiumState {
    crypto_hash_sha256_state sha256;
    crypto_hash_sha512_state sha512;
    crypto_generichash_blake2b_state blake2b;
  };
  SodiumState sodium_{};
  void* evp_ = nullptr;     // EVP_MD_CTX* for BLAKE2s
  void* evp_md_ = nullptr;  // EVP_MD* fetched once for BLAKE2s
};

}  // namespace p2pnet::noise

#endif  // P2PNET_INTERNAL_NOISE_HASH_H_
