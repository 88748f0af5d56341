// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The Noise HASH functions, HMAC and HKDF (hash.h; spec sections 4.3 and 12.5-12.8).
// The incremental interfaces of libsodium (SHA256, SHA512, BLAKE2b) and of libcrypto
// (BLAKE2s) hash the concatenations the spec writes (h || data, out1 || 0x02) without
// copying them together.
#include "p2pnet/internal/noise/hash.h"

#include <algorithm>
#include <array>

#ifdef P2PNET_HAVE_OPENSSL_AEAD
#include "openssl_functions.h"
#endif

namespace p2pnet::noise {
namespace {

constexpr std::uint8_t kInnerPad = 0x36;
constexpr std::uint8_t kOuterPad = 0x5c;

template <typename State>
void wipe_state(State* state) {
  sodium_memzero(state, sizeof(*state));
}

}  // namespace

Hash::~Hash() { free_context(); }

Hash::Hash(Hash&& other) noexcept
    : kind_(other.kind_),
      ready_(other.ready_),
      sodium_(other.sodium_),
      evp_(other.evp_),
      evp_md_(other.evp_md_) {
  wipe_state(&other.sodium_);
  other.evp_ = nullptr;
  other.evp_md_ = nullptr;
  other.ready_ = false;
}

Hash& Hash::operator=(Hash&& other) noexcept {
  if (this != &other) {
    free_context();
    kind_ = other.kind_;
    ready_ = other.ready_;
    sodium_ = other.sodium_;
    evp_ = other.evp_;
    evp_md_ = other.evp_md_;
    wipe_state(&other.sodium_);
    other.evp_ = nullptr;
    other.evp_md_ = nullptr;
    other.ready_ = false;
  }
  return *this;
}

void Hash::free_context() {
#ifdef P2PNET_HAVE_OPENSSL_AEAD
  if (evp_ != nullptr || evp_md_ != nullptr) openssl::blake2s_free(evp_, evp_md_);
#endif
  evp_ = nullptr;
  evp_md_ = nullptr;
  wipe_state(&sodium_);
}

Error Hash::init(HashKind kind) {
  if (!hash_available(kind)) return Error::kInvalidArgument;
  if (kind == HashKind::kBlake2s) {
#ifdef P2PNET_HAVE_OPENSSL_AEAD
    if (evp_ == nullptr) {
      evp_ = openssl::blake2s_create(&evp_md_);
      if (evp_ == nullptr) {
        ready_ = false;
        return Error::kOutOfMemory;
      }
    }
#endif
  }
  kind_ = kind;
  ready_ = true;
  return Error::kNone;
}

bool Hash::start() {
  switch (kind_) {
    case HashKind::kSha256: return crypto_hash_sha256_init(&sodium_.sha256) == 0;
    case HashKind::kSha512: return crypto_hash_sha512_init(&sodium_.sha512) == 0;
    case HashKind::kBlake2b:
      return crypto_generichash_blake2b_init(&sodium_.blake2b, nullptr, 0,
                                             crypto_generichash_blake2b_BYTES_MAX) == 0;
    case HashKind::kBlake2s:
#ifdef P2PNET_HAVE_OPENSSL_AEAD
      return evp_ != nullptr && openssl::blake2s_start(evp_, evp_md_);
#else
      return false;
#endif
  }
  return false;
}

bool Hash::update(ByteSpan data) {
  if (data.empty()) return true;
  switch (kind_) {
    case HashKind::kSha256:
      return crypto_hash_sha256_update(&sodium_.sha256, data.data(), data.size()) == 0;
    case HashKind::kSha512:
      return crypto_hash_sha512_update(&sodium_.sha512, data.data(), data.size()) == 0;
    case HashKind::kBlake2b:
      return crypto_generichash_blake2b_update(&sodium_.blake2b, data.data(), data.size()) == 0;
    case HashKind::kBlake2s:
#ifdef P2PNET_HAVE_OPENSSL_AEAD
      return openssl::blake2s_update(evp_, data);
#else
      return false;
#endif
  }
  return false;
}

bool Hash::finish(HashOutput* out) {
  out->size = len();
  bool ok = false;
  switch (kind_) {
    case HashKind::kSha256:
      ok = crypto_hash_sha256_final(&sodium_.sha256, out->bytes.data()) == 0;
      break;
    case HashKind::kSha512:
      ok = crypto_hash_sha512_final(&sodium_.sha512, out->bytes.data()) == 0;
      break;
    case HashKind::kBlake2b:
      ok = crypto_generichash_blake2b_final(&sodium_.blake2b, out->bytes.data(),
                                            crypto_generichash_blake2b_BYTES_MAX) == 0;
      break;
    case HashKind::kBlake2s:
#ifdef P2PNET_HAVE_OPENSSL_AEAD
      ok = openssl::blake2s_finish(evp_, out->bytes.bytes().first<32>());
#endif
      break;
  }
  // The state may hold an HMAC key's pad: wipe it.
  wipe_state(&sodium_);
  if (!ok) out->wipe();
  return ok;
}

Error Hash::digest(HashOutput* out, ByteSpan a, ByteSpan b) {
  if (!ready_) return Error::kWrongState;
  if (!start() || !update(a) || !update(b) || !finish(out)) return Error::kInternalError;
  return Error::kNone;
}

Error Hash::hmac(HashOutput* out, ByteSpan key, ByteSpan a, ByteSpan b) {
  if (!ready_) return Error::kWrongState;
  const std::size_t block = block_len();
  Secret<kMaxBlockLen> key_block;  // the key, zero-padded to the block (RFC 2104)
  HashOutput hashed_key;
  if (key.size() > block) {
    if (const Error err = digest(&hashed_key, key); err != Error::kNone) return err;
    key = hashed_key.span();
  }
  std::ranges::copy(key, key_block.bytes().begin());
  Secret<kMaxBlockLen> pad;
  const std::span<std::uint8_t> pad_block = pad.bytes().first(block);
  for (std::size_t i = 0; i < block; ++i) pad_block[i] = key_block.bytes()[i] ^ kInnerPad;
  HashOutput inner;
  if (!start() || !update(pad_block) || !update(a) || !update(b) || !finish(&inner)) {
    return Error::kInternalError;
  }
  for (std::size_t i = 0; i < block; ++i) pad_block[i] = key_block.bytes()[i] ^ kOuterPad;
  if (!start() || !update(pad_block) || !update(inner.span()) || !finish(out)) {
    return Error::kInternalError;
  }
  return Error::kNone;
}

Error Hash::hkdf(HashOutput* out1, HashOutput* out2, HashOutput* out3, ByteSpan chaining_key,
                 ByteSpan input_key_material) {
  // temp_key is computed before any output is written, so an output may be the
  // chaining key itself (MixKey: ck, temp_k = HKDF(ck, ...)).
  HashOutput temp_key;
  static constexpr std::array<std::uint8_t, 1> kOne = {0x01};
  static constexpr std::array<std::uint8_t, 1> kTwo = {0x02};
  static constexpr std::array<std::uint8_t, 1> kThree = {0x03};
  Error err = hmac(&temp_key, chaining_key, input_key_material);
  if (err == Error::kNone) err = hmac(out1, temp_key.span(), kOne);
  if (err == Error::kNone) err = hmac(out2, temp_key.span(), out1->span(), kTwo);
  if (err == Error::kNone && out3 != nullptr)
    err = hmac(out3, temp_key.span(), out2->span(), kThree);
  if (err != Error::kNone) {
    out1->wipe();
    out2->wipe();
    if (out3 != nullptr) out3->wipe();
  }
  return err;
}

}  // namespace p2pnet::noise
