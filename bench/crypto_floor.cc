// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "crypto_floor.h"

#include <cstring>
#include <string_view>

namespace p2pnet::bench {
namespace {

const std::size_t kClientContentSize = kClientAuthLabel.size() + kChallengeSize + 32 + 2 * 32;

// BLAKE2b-256(shared || client_id || server_id || label), then the two keyed traffic
// keys: the derivations protocol-v1 "Keys" prescribes.
void derive_keys(const std::uint8_t* shared, const SigningKey& client, const SigningKey& server,
                 const std::uint8_t* tail, std::size_t tail_size, std::uint8_t* keys_out) {
  crypto_generichash_state hash;
  crypto_generichash_init(&hash, nullptr, 0, kKeySize);
  crypto_generichash_update(&hash, shared, crypto_scalarmult_BYTES);
  crypto_generichash_update(&hash, client.public_key.data(), client.public_key.size());
  crypto_generichash_update(&hash, server.public_key.data(), server.public_key.size());
  crypto_generichash_update(&hash, reinterpret_cast<const std::uint8_t*>(kSessionKeyLabel.data()),
                            kSessionKeyLabel.size());
  crypto_generichash_final(&hash, keys_out, kKeySize);
  for (const std::string_view label : {kClientToServerLabel, kServerToClientLabel}) {
    keys_out += kKeySize;
    crypto_generichash_init(&hash, keys_out - kKeySize, kKeySize, kKeySize);
    crypto_generichash_update(&hash, reinterpret_cast<const std::uint8_t*>(label.data()),
                              label.size());
    crypto_generichash_update(&hash, tail, tail_size);
    crypto_generichash_final(&hash, keys_out, kKeySize);
  }
  sodium_memzero(&hash, sizeof hash);
}

}  // namespace

HandshakeFloor::HandshakeFloor() {
  client_signs();  // a client message the server side can verify
}

void HandshakeFloor::client_signs() {
  randombytes_buf(client_eph_secret_.data(), client_eph_secret_.size());
  crypto_scalarmult_base(client_eph_public_.data(), client_eph_secret_.data());
  std::memcpy(client_content_.data() + kClientAuthLabel.size() + kChallengeSize,
              client_eph_public_.data(), 32);
  crypto_sign_detached(client_sig_.data(), nullptr, client_content_.data(), kClientContentSize,
                       client_id_.secret_key.data());
}

bool HandshakeFloor::server_side() {
  randombytes_buf(challenge_.data(), challenge_.size());
  bool ok = crypto_sign_verify_detached(client_sig_.data(), client_content_.data(),
                                        kClientContentSize, client_id_.public_key.data()) == 0;
  randombytes_buf(server_eph_secret_.data(), server_eph_secret_.size());
  crypto_scalarmult_base(server_eph_public_.data(), server_eph_secret_.data());
  ok = ok && crypto_scalarmult(server_shared_.data(), server_eph_secret_.data(),
                               client_eph_public_.data()) == 0;
  std::memcpy(tail_.data(), challenge_.data(), 32);
  std::memcpy(tail_.data() + 32, client_eph_public_.data(), 32);
  std::memcpy(tail_.data() + 64, server_eph_public_.data(), 32);
  derive_keys(server_shared_.data(), client_id_, server_id_, tail_.data(), tail_.size(),
              server_keys_.data());
  std::memcpy(server_content_.data() + kServerAuthLabel.size() + kChallengeSize,
              server_eph_public_.data(), 32);
  crypto_sign_detached(server_sig_.data(), nullptr, server_content_.data(), server_content_.size(),
                       server_id_.secret_key.data());
  sodium_memzero(server_eph_secret_.data(), server_eph_secret_.size());
  return ok;
}

bool HandshakeFloor::both_sides() {
  // Client: ephemeral key pair, sign its content.
  client_signs();
  // Server: challenge, verify the client, ephemeral key pair, X25519, derive, sign.
  bool ok = server_side();
  // Client: verify the server, X25519, derive.
  ok = ok && crypto_sign_verify_detached(server_sig_.data(), server_content_.data(),
                                         server_content_.size(), server_id_.public_key.data()) == 0;
  ok = ok && crypto_scalarmult(client_shared_.data(), client_eph_secret_.data(),
                               server_eph_public_.data()) == 0;
  derive_keys(client_shared_.data(), client_id_, server_id_, tail_.data(), tail_.size(),
              client_keys_.data());
  sodium_memzero(client_eph_secret_.data(), client_eph_secret_.size());
  return ok && sodium_memcmp(client_keys_.data(), server_keys_.data(), client_keys_.size()) == 0;
}

}  // namespace p2pnet::bench
