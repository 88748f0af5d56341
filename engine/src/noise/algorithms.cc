// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The names, sizes and availability of the Noise crypto functions (algorithms.h).
#include "p2pnet/internal/noise/algorithms.h"

namespace p2pnet::noise {

std::size_t hash_len(HashKind kind) {
  switch (kind) {
    case HashKind::kSha256:
    case HashKind::kBlake2s: return 32;
    case HashKind::kSha512:
    case HashKind::kBlake2b: return 64;
  }
  return 0;
}

std::size_t hash_block_len(HashKind kind) {
  switch (kind) {
    case HashKind::kSha256:
    case HashKind::kBlake2s: return 64;
    case HashKind::kSha512:
    case HashKind::kBlake2b: return 128;
  }
  return 0;
}

std::string_view dh_name(DhKind kind) {
  switch (kind) {
    case DhKind::kCurve25519: return "25519";
  }
  return "";
}

std::string_view cipher_name(CipherKind kind) {
  switch (kind) {
    case CipherKind::kChaChaPoly: return "ChaChaPoly";
    case CipherKind::kAesGcm: return "AESGCM";
  }
  return "";
}

std::string_view hash_name(HashKind kind) {
  switch (kind) {
    case HashKind::kSha256: return "SHA256";
    case HashKind::kSha512: return "SHA512";
    case HashKind::kBlake2s: return "BLAKE2s";
    case HashKind::kBlake2b: return "BLAKE2b";
  }
  return "";
}

namespace {
#ifdef P2PNET_HAVE_OPENSSL_AEAD
constexpr bool kHaveLibcrypto = true;
#else
constexpr bool kHaveLibcrypto = false;
#endif
}  // namespace

bool cipher_available(CipherKind kind) {
  switch (kind) {
    case CipherKind::kChaChaPoly: return true;
    case CipherKind::kAesGcm: return kHaveLibcrypto;
  }
  return false;
}

bool hash_available(HashKind kind) {
  switch (kind) {
    case HashKind::kSha256:
    case HashKind::kSha512:
    case HashKind::kBlake2b: return true;
    case HashKind::kBlake2s: return kHaveLibcrypto;
  }
  return false;
}

}  // namespace p2pnet::noise
