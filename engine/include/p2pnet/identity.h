// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// identity.h: Ed25519 identities (docs/protocol.md "Identities"). A PublicKey is a
// peer's name; it is shown to people as URL-safe base64 without padding (43
// characters). An Identity owns the secret key and wipes it on destruction. The
// identity file format is encoded and parsed here; reading and writing the file (with
// its 0600 mode) is the adapters' job, because the engine does no I/O.
#ifndef P2PNET_IDENTITY_H_
#define P2PNET_IDENTITY_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "p2pnet/errors.h"
#include "p2pnet/random.h"
#include "p2pnet/secret.h"

namespace p2pnet {

inline constexpr std::size_t kPublicKeySize = 32;
inline constexpr std::size_t kSignatureSize = 64;
inline constexpr std::size_t kIdentitySeedSize = 32;
inline constexpr std::size_t kPublicKeyTextSize = 43;

struct PublicKey {
  std::array<std::uint8_t, kPublicKeySize> bytes{};
  friend bool operator==(const PublicKey&, const PublicKey&) = default;
};

using Signature = std::array<std::uint8_t, kSignatureSize>;

// encode_public_key returns the 43-character URL-safe base64 text of |key|.
std::string encode_public_key(const PublicKey& key);

// decode_public_key parses 43 characters of URL-safe base64 without padding. It
// rejects any other length, padding, characters outside the alphabet, non-canonical
// trailing bits, and keys that are not a valid Ed25519 point of large order. On
// failure returns nullopt (Error::kBadPublicKeyText is the error to report).
std::optional<PublicKey> decode_public_key(std::string_view text);

// is_valid_public_key is true when |key| is a canonical Ed25519 point of large order.
// decode_public_key requires it of keys typed by people. The handshake does not call
// it (it costs a scalar multiplication): verify_signature already rejects small-order
// and non-canonical keys, so a bad key in a hello fails authentication.
bool is_valid_public_key(const PublicKey& key);

// Identity is an Ed25519 key pair. It cannot be copied, only moved.
class Identity {
 public:
  // generate draws a fresh 32-byte seed from |random|. Fails with kRandomFailure.
  [[nodiscard]] static std::optional<Identity> generate(RandomSource& random);
  // from_seed derives the key pair from a 32-byte seed (crypto_sign_seed_keypair).
  static Identity from_seed(std::span<const std::uint8_t, kIdentitySeedSize> seed);

  const PublicKey& public_key() const { return public_key_; }

  // sign returns the detached Ed25519 signature of |message|.
  Signature sign(std::span<const std::uint8_t> message) const;

  // The file codec is the only code that reads the secret seed back out.
  friend Secret<72> encode_identity_file(const Identity& identity);

 private:
  Identity() = default;
  Secret<64> secret_key_;  // libsodium layout: seed || public key
  PublicKey public_key_;
};

// verify_signature checks a detached Ed25519 signature (crypto_sign_verify_detached).
bool verify_signature(const PublicKey& signer, std::span<const std::uint8_t> message,
                      const Signature& signature);

// --- Identity file (docs/identity-file.md) ----------------------------------------
// 72 bytes: the magic "P2PNETK1", the 32-byte seed, the 32-byte public key. The public
// key lets a load detect a corrupt or truncated file instead of silently becoming
// someone else.
inline constexpr std::size_t kIdentityFileSize = 72;
using IdentityFileBytes = Secret<kIdentityFileSize>;

// encode_identity_file returns the file's bytes (they contain the secret seed).
IdentityFileBytes encode_identity_file(const Identity& identity);

// parse_identity_file rejects a wrong size, a wrong magic, or a public key that does
// not match the seed (Error::kBadIdentityFile).
std::optional<Identity> parse_identity_file(std::span<const std::uint8_t> bytes);

}  // namespace p2pnet

#endif  // P2PNET_IDENTITY_H_
