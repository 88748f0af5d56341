// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The key schedule of protocol-v1 ("Signatures", "Keys"). The labels go first in the
// signed contents so a signature made here is never valid in another protocol that
// uses the same identity key; both identities are signed so that a relaying peer in
// the middle cannot misbind a session (Krawczyk, SIGMA).
#include "p2pnet/internal/key_schedule.h"

#include <sodium.h>

#include "p2pnet/internal/bytes.h"

namespace p2pnet {
namespace {

ByteSpan label_bytes(std::string_view label) {
  return ByteSpan(reinterpret_cast<const std::uint8_t*>(label.data()), label.size());
}

// label_array: |label| as bytes of a size known when compiling, for concat_into.
template <std::size_t N>
constexpr std::array<std::uint8_t, N> label_array(std::string_view label) {
  std::array<std::uint8_t, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = static_cast<std::uint8_t>(label[i]);
  return out;
}
constexpr auto kClientAuthLabelBytes = label_array<kClientAuthLabel.size()>(kClientAuthLabel);
constexpr auto kServerAuthLabelBytes = label_array<kServerAuthLabel.size()>(kServerAuthLabel);

// BLAKE2b-256(key=k, label || challenge || client_eph || server_eph)
void derive_traffic_key(Key& out, const Key& session_key, std::string_view label,
                        const Transcript& t) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, session_key.data(), session_key.kSize, kKeySize);
  crypto_generichash_update(&state, label_bytes(label).data(), label.size());
  crypto_generichash_update(&state, t.challenge.data(), t.challenge.size());
  crypto_generichash_update(&state, t.client_eph.data(), t.client_eph.size());
  crypto_generichash_update(&state, t.server_eph.data(), t.server_eph.size());
  crypto_generichash_final(&state, out.data(), kKeySize);
  sodium_memzero(&state, sizeof state);  // the state holds the session key
}

}  // namespace

// The signed contents are built with concat_into, whose sizes are checked when this
// file is compiled: each content is exactly its fields, and no run can produce a
// shorter (or empty) one to sign or verify.
SignedContent client_signed_content(const Transcript& t) {
  SignedContent content;
  concat_into(std::span(content.bytes).first<kClientSignedContentSize>(), kClientAuthLabelBytes,
              t.challenge, t.client_eph, t.client_id.bytes, t.server_id.bytes);
  content.size = kClientSignedContentSize;
  return content;
}

SignedContent server_signed_content(const Transcript& t) {
  SignedContent content;
  concat_into(std::span(content.bytes).first<kServerSignedContentSize>(), kServerAuthLabelBytes,
              t.challenge, t.server_eph, t.client_eph, t.client_id.bytes, t.server_id.bytes);
  content.size = kServerSignedContentSize;
  return content;
}

EphemeralKeyPair ephemeral_from_secret(Secret<kX25519KeySize> secret_key) {
  EphemeralKeyPair pair{std::move(secret_key), {}};
  crypto_scalarmult_base(pair.public_key.data(), pair.secret_key.data());
  return pair;
}

std::optional<SessionKeys> derive_session_keys(const Secret<kX25519KeySize>& my_eph_secret,
                                               const EphemeralPublicKey& peer_eph,
                                               const Transcript& t) {
  Secret<crypto_scalarmult_BYTES> shared;
  // libsodium returns -1 when the result is all zero, which is what every low-order
  // (small-subgroup) peer key gives: protocol-v1 fails that with 0x02.
  if (crypto_scalarmult(shared.data(), my_eph_secret.data(), peer_eph.data()) != 0) {
    return std::nullopt;
  }
  SessionKeys keys;
  // session_key = BLAKE2b-256(shared_secret || client_id || server_id || "P2PNetSessionKey")
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, kKeySize);
  crypto_generichash_update(&state, shared.data(), shared.kSize);
  crypto_generichash_update(&state, t.client_id.bytes.data(), kPublicKeySize);
  crypto_generichash_update(&state, t.server_id.bytes.data(), kPublicKeySize);
  crypto_generichash_update(&state, label_bytes(kSessionKeyLabel).data(), kSessionKeyLabel.size());
  crypto_generichash_final(&state, keys.session_key.data(), kKeySize);
  sodium_memzero(&state, sizeof state);
  shared.wipe();

  derive_traffic_key(keys.key_c2s, keys.session_key, kClientToServerLabel, t);
  derive_traffic_key(keys.key_s2c, keys.session_key, kServerToClientLabel, t);
  return keys;
}

}  // namespace p2pnet
