// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// crypto_floor.h: the libsodium calls protocol-v1 obliges a handshake to make, and
// nothing else (no engine, no framing, no checks beyond the results). Per side: one
// X25519 key pair, one X25519, one Ed25519 signature, one verification, the three
// BLAKE2b derivations; the server also draws its 32-byte challenge. The Google
// Benchmark suite, the instruction counts and the loopback load all compare the
// engine with this one definition.
#ifndef P2PNET_BENCH_CRYPTO_FLOOR_H_
#define P2PNET_BENCH_CRYPTO_FLOOR_H_

#include <sodium.h>

#include <array>
#include <cstdint>

#include "p2pnet/internal/key_schedule.h"

namespace p2pnet::bench {

// One side's long-term Ed25519 key pair, made once (loading it is not per handshake).
struct SigningKey {
  std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES> public_key{};
  std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> secret_key{};
  SigningKey() { crypto_sign_keypair(public_key.data(), secret_key.data()); }
  ~SigningKey() { sodium_memzero(secret_key.data(), secret_key.size()); }
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;
};

class HandshakeFloor {
 public:
  HandshakeFloor();  // long-term keys, and a client message for server_side()
  HandshakeFloor(const HandshakeFloor&) = delete;
  HandshakeFloor& operator=(const HandshakeFloor&) = delete;

  // both_sides does one handshake's crypto for the client and the server. Returns
  // false if the two sides did not agree on the keys (never, unless broken).
  bool both_sides();
  // server_side does the server's share only: the challenge, the verification of a
  // client signature, its ephemeral key pair, X25519, the derivations, its signature.
  bool server_side();

 private:
  // client_signs: the client's first share, a fresh ephemeral key pair and the
  // signature over its content.
  void client_signs();

  SigningKey client_id_;
  SigningKey server_id_;
  // The longest signed content (server): label || challenge || 2 eph || 2 ids. Its
  // bytes do not change the cost of signing, only its length does.
  std::array<std::uint8_t, kMaxSignedContentSize> client_content_{};
  std::array<std::uint8_t, kMaxSignedContentSize> server_content_{};
  std::array<std::uint8_t, 32> challenge_{};
  std::array<std::uint8_t, 32> client_eph_secret_{}, client_eph_public_{};
  std::array<std::uint8_t, 32> server_eph_secret_{}, server_eph_public_{};
  std::array<std::uint8_t, 32> client_shared_{}, server_shared_{};
  std::array<std::uint8_t, 64> client_sig_{}, server_sig_{};
  std::array<std::uint8_t, 3 * 32> client_keys_{}, server_keys_{};
  std::array<std::uint8_t, 96> tail_{};  // challenge || client_eph || server_eph
};

}  // namespace p2pnet::bench

#endif  // P2PNET_BENCH_CRYPTO_FLOOR_H_
