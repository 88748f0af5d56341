// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// algorithms.h: the names and sizes of the Noise crypto functions the core supports
// (docs/noise.md, "Crypto functions"): DH 25519; ciphers ChaChaPoly and AESGCM;
// hashes SHA256, SHA512, BLAKE2s and BLAKE2b. AESGCM and BLAKE2s come from OpenSSL's
// libcrypto and exist only in a build that has it (P2PNET_AEAD_OPENSSL): the
// *_available() functions say so, and a protocol that names a missing one is refused
// when its HandshakeState is made.
#ifndef P2PNET_INTERNAL_NOISE_ALGORITHMS_H_
#define P2PNET_INTERNAL_NOISE_ALGORITHMS_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace p2pnet::noise {

enum class DhKind : std::uint8_t { kCurve25519 };
enum class CipherKind : std::uint8_t { kChaChaPoly, kAesGcm };
enum class HashKind : std::uint8_t { kSha256, kSha512, kBlake2s, kBlake2b };

inline constexpr std::size_t kDhLen = 32;         // 25519 public keys and DH outputs
inline constexpr std::size_t kKeyLen = 32;        // cipher keys and PSKs
inline constexpr std::size_t kTagLen = 16;        // both ciphers' authentication tag
inline constexpr std::size_t kMaxHashLen = 64;    // SHA512, BLAKE2b
inline constexpr std::size_t kMaxBlockLen = 128;  // SHA512, BLAKE2b
// Every Noise message, handshake or transport, is at most this long (spec section 3).
inline constexpr std::size_t kMaxMessageLen = 65535;

// hash_len is HASHLEN (32 or 64); hash_block_len is BLOCKLEN (64 or 128), the HMAC block.
std::size_t hash_len(HashKind kind);
std::size_t hash_block_len(HashKind kind);

// The names used in protocol names ("25519", "AESGCM", "BLAKE2s", ...).
std::string_view dh_name(DhKind kind);
std::string_view cipher_name(CipherKind kind);
std::string_view hash_name(HashKind kind);

// cipher_available / hash_available: whether this build has the function (AESGCM and
// BLAKE2s need libcrypto; the others are libsodium's and always there).
bool cipher_available(CipherKind kind);
bool hash_available(HashKind kind);

}  // namespace p2pnet::noise

#endif  // P2PNET_INTERNAL_NOISE_ALGORITHMS_H_
