// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The Noise SymmetricState (symmetric_state.h; spec section 5.2).
#include "p2pnet/internal/noise/symmetric_state.h"

#include <algorithm>

namespace p2pnet::noise {

Error SymmetricState::init(CipherKind cipher, HashKind hash) {
  if (const Error err = cipher_.init(cipher); err != Error::kNone) return err;
  cipher_kind_ = cipher;
  return hash_.init(hash);
}

Error SymmetricState::initialize_symmetric(std::string_view protocol_name) {
  if (!hash_.ready()) return Error::kWrongState;
  const ByteSpan name(reinterpret_cast<const std::uint8_t*>(protocol_name.data()),
                      protocol_name.size());
  if (name.size() <= hash_.len()) {
    h_.wipe();
    h_.size = hash_.len();
    std::ranges::copy(name, h_.bytes.bytes().begin());
  } else if (const Error err = hash_.digest(&h_, name); err != Error::kNone) {
    return err;
  }
  ck_.size = h_.size;
  std::ranges::copy(h_.span(), ck_.bytes.bytes().begin());
  cipher_.clear_key();
  return Error::kNone;
}

Error SymmetricState::initialize_truncated_key(const HashOutput& temp_k) {
  // HASHLEN 64: the key is the first 32 bytes.
  return cipher_.initialize_key(temp_k.span().first<kKeyLen>());
}

Error SymmetricState::mix_key(ByteSpan input_key_material) {
  HashOutput temp_k;
  if (const Error err = hash_.hkdf(&ck_, &temp_k, nullptr, ck_.span(), input_key_material);
      err != Error::kNone) {
    return err;
  }
  return initialize_truncated_key(temp_k);
}

Error SymmetricState::mix_hash(ByteSpan data) { return hash_.digest(&h_, h_.span(), data); }

Error SymmetricState::mix_key_and_hash(ByteSpan input_key_material) {
  HashOutput temp_h;
  HashOutput temp_k;
  if (const Error err = hash_.hkdf(&ck_, &temp_h, &temp_k, ck_.span(), input_key_material);
      err != Error::kNone) {
    return err;
  }
  if (const Error err = mix_hash(temp_h.span()); err != Error::kNone) return err;
  return initialize_truncated_key(temp_k);
}

Error SymmetricState::encrypt_and_hash(std::size_t* written, MutableByteSpan out,
                                       ByteSpan plaintext) {
  if (const Error err = cipher_.encrypt_with_ad(written, out, h_.span(), plaintext);
      err != Error::kNone) {
    return err;
  }
  return mix_hash(out.first(*written));
}

Error SymmetricState::decrypt_and_hash(std::size_t* written, MutableByteSpan out,
                                       ByteSpan ciphertext) {
  *written = 0;
  // h is needed twice: as the associated data, and hashed with the ciphertext, which
  // an in-place decryption overwrites; so the next h is computed first.
  HashOutput next_h;
  if (const Error err = hash_.digest(&next_h, h_.span(), ciphertext); err != Error::kNone) {
    return err;
  }
  if (const Error err = cipher_.decrypt_with_ad(written, out, h_.span(), ciphertext);
      err != Error::kNone) {
    return err;
  }
  h_ = std::move(next_h);
  return Error::kNone;
}

Error SymmetricState::split(CipherState* c1, CipherState* c2) {
  HashOutput temp_k1;
  HashOutput temp_k2;
  if (const Error err = hash_.hkdf(&temp_k1, &temp_k2, nullptr, ck_.span(), {});
      err != Error::kNone) {
    return err;
  }
  for (CipherState* c : {c1, c2}) {
    if (const Error err = c->init(cipher_kind_); err != Error::kNone) return err;
  }
  if (const Error err = c1->initialize_key(temp_k1.span().first<kKeyLen>()); err != Error::kNone) {
    return err;
  }
  return c2->initialize_key(temp_k2.span().first<kKeyLen>());
}

void SymmetricState::wipe_keys() {
  ck_.wipe();
  cipher_.clear_key();
}

void SymmetricState::wipe() {
  wipe_keys();
  h_.wipe();
}

}  // namespace p2pnet::noise
