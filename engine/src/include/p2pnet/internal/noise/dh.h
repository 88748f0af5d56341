// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// dh.h: the Noise DH functions for 25519 (spec section 12.1), libsodium's X25519.
#ifndef P2PNET_INTERNAL_NOISE_DH_H_
#define P2PNET_INTERNAL_NOISE_DH_H_

#include <array>
#include <cstdint>
#include <span>

#include "p2pnet/errors.h"
#include "p2pnet/internal/noise/algorithms.h"
#include "p2pnet/random.h"
#include "p2pnet/secret.h"

namespace p2pnet::noise {

using DhPublicKey = std::array<std::uint8_t, kDhLen>;
using DhPrivateKey = Secret<kDhLen>;

struct DhKeypair {
  DhPrivateKey private_key;
  DhPublicKey public_key{};
};

// dh_public_key sets |*out| to the public key of |private_key| (X25519 base point).
void dh_public_key(DhPublicKey* out, const DhPrivateKey& private_key);

// dh_generate_keypair fills |*out| with a key pair drawn from |random|. Errors:
// kRandomFailure if |random| fails (|*out| is then wiped).
[[nodiscard]] Error dh_generate_keypair(DhKeypair* out, RandomSource& random);

// dh sets |*out| = DH(private_key, public_key). Errors: kAuthenticationFailed if the
// result is all zeros (|public_key| is of low order): the engine refuses it where the
// spec allows either (docs/noise.md, "Where the engine is stricter"); |*out| is then
// zero.
[[nodiscard]] Error dh(Secret<kDhLen>* out, const DhPrivateKey& private_key,
                       std::span<const std::uint8_t, kDhLen> public_key);

}  // namespace p2pnet::noise

#endif  // P2PNET_INTERNAL_NOISE_DH_H_
