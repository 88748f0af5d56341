// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The Noise 25519 DH functions (dh.h; spec section 12.1) over libsodium's X25519.
#include "p2pnet/internal/noise/dh.h"

#include <sodium.h>

namespace p2pnet::noise {

static_assert(crypto_scalarmult_BYTES == kDhLen && crypto_scalarmult_SCALARBYTES == kDhLen);

void dh_public_key(DhPublicKey* out, const DhPrivateKey& private_key) {
  crypto_scalarmult_base(out->data(), private_key.data());
}

Error dh_generate_keypair(DhKeypair* out, RandomSource& random) {
  bool filled = false;
  try {
    filled = random.fill(out->private_key.bytes());
  } catch (...) {
    filled = false;  // random.h: a fill that throws is one that failed
  }
  if (!filled) {
    out->private_key.wipe();
    out->public_key.fill(0);
    return Error::kRandomFailure;
  }
  dh_public_key(&out->public_key, out->private_key);
  return Error::kNone;
}

Error dh(Secret<kDhLen>* out, const DhPrivateKey& private_key,
         std::span<const std::uint8_t, kDhLen> public_key) {
  // libsodium returns -1 when the result is all zeros (a low-order public key).
  if (crypto_scalarmult(out->data(), private_key.data(), public_key.data()) != 0) {
    out->wipe();
    return Error::kAuthenticationFailed;
  }
  return Error::kNone;
}

}  // namespace p2pnet::noise
