// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// symmetric_state.h: the Noise SymmetricState (spec section 5.2): a CipherState plus
// the chaining key ck and the handshake hash h, both HASHLEN bytes. Every function
// of the spec is here with the same meaning; those that can fail return the engine's
// Error (libcrypto failures for AESGCM and BLAKE2s, a tag that does not match).
#ifndef P2PNET_INTERNAL_NOISE_SYMMETRIC_STATE_H_
#define P2PNET_INTERNAL_NOISE_SYMMETRIC_STATE_H_

#include <cstddef>
#include <string_view>

#include "p2pnet/byte_span.h"
#include "p2pnet/errors.h"
#include "p2pnet/internal/noise/cipher_state.h"
#include "p2pnet/internal/noise/hash.h"

namespace p2pnet::noise {

class SymmetricState {
 public:
  // init makes the state ready for |cipher| and |hash| (their libcrypto contexts,
  // once); it must come before initialize_symmetric. Errors: those of
  // CipherState::init and Hash::init.
  [[nodiscard]] Error init(CipherKind cipher, HashKind hash);

  // initialize_symmetric: h = the name padded with zeros if it fits HASHLEN, else
  // HASH(name); ck = h; the key is emptied. Errors: kWrongState before init, Hash's.
  [[nodiscard]] Error initialize_symmetric(std::string_view protocol_name);
  // mix_key: ck, temp_k = HKDF(ck, ikm, 2); InitializeKey(temp_k truncated to 32).
  [[nodiscard]] Error mix_key(ByteSpan input_key_material);
  // mix_hash: h = HASH(h || data).
  [[nodiscard]] Error mix_hash(ByteSpan data);
  // mix_key_and_hash: ck, temp_h, temp_k = HKDF(ck, ikm, 3); MixHash(temp_h);
  // InitializeKey(temp_k truncated to 32). For PSKs (section 9.1).
  [[nodiscard]] Error mix_key_and_hash(ByteSpan input_key_material);
  // encrypt_and_hash: EncryptWithAd(h, plaintext) into |out|, then MixHash of it.
  // |out| may begin at |plaintext|. Errors: CipherState's and Hash's.
  [[nodiscard]] Error encrypt_and_hash(std::size_t* written, MutableByteSpan out,
                                       ByteSpan plaintext);
  // decrypt_and_hash: DecryptWithAd(h, ciphertext) into |out|, then MixHash of the
  // ciphertext. |out| may begin at |ciphertext| (h is computed before decrypting).
  // Errors: CipherState's and Hash's; on any, h is unchanged.
  [[nodiscard]] Error decrypt_and_hash(std::size_t* written, MutableByteSpan out,
                                       ByteSpan ciphertext);
  // split: temp_k1, temp_k2 = HKDF(ck, empty, 2); |*c1| and |*c2| get the two keys
  // (truncated to 32 bytes) with the cipher given to init. A CipherState that already has
  // this cipher's context keeps it (no allocation). Errors: Hash's, CipherState's.
  [[nodiscard]] Error split(CipherState* c1, CipherState* c2);

  // handshake_hash: h (HASHLEN bytes), for channel binding once the handshake is done.
  ByteSpan handshake_hash() const { return h_.span(); }
  bool has_key() const { return cipher_.has_key(); }
  // cipher: the handshake's CipherState (tests; the HandshakeState hands its context on).
  CipherState& cipher() { return cipher_; }
  std::size_t hash_len() const { return hash_.len(); }
  // wipe_keys clears ck and the key, and keeps h (after split, for channel binding).
  void wipe_keys();
  // wipe clears ck, h and the key.
  void wipe();

 private:
  [[nodiscard]] Error initialize_truncated_key(const HashOutput& temp_k);

  CipherKind cipher_kind_ = CipherKind::kChaChaPoly;  // what split gives
  CipherState cipher_;
  Hash hash_;
  HashOutput ck_;
  HashOutput h_;
};

}  // namespace p2pnet::noise

#endif  // P2PNET_INTERNAL_NOISE_SYMMETRIC_STATE_H_
