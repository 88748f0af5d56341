// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/identity.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace p2pnet {
namespace {

constexpr int kBase64Variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
constexpr std::string_view kIdentityFileMagic = "P2PNETK1";

}  // namespace

std::string encode_public_key(const PublicKey& key) {
  std::array<char, kPublicKeyTextSize + 1> text{};  // + NUL written by libsodium
  sodium_bin2base64(text.data(), text.size(), key.bytes.data(), key.bytes.size(), kBase64Variant);
  return std::string(text.data(), kPublicKeyTextSize);
}

std::optional<PublicKey> decode_public_key(std::string_view text) {
  if (text.size() != kPublicKeyTextSize) return std::nullopt;
  PublicKey key;
  std::size_t decoded = 0;
  const char* end = nullptr;
  if (sodium_base642bin(key.bytes.data(), key.bytes.size(), text.data(), text.size(),
                        /*ignore=*/nullptr, &decoded, &end, kBase64Variant) != 0 ||
      decoded != kPublicKeySize || end != text.data() + text.size()) {
    return std::nullopt;
  }
  // 43 characters carry 258 bits; the last two must be zero, so that every key has
  // exactly one text. Re-encoding and comparing checks that without bit fiddling.
  if (encode_public_key(key) != text) return std::nullopt;
  if (!is_valid_public_key(key)) return std::nullopt;
  return key;
}

bool is_valid_public_key(const PublicKey& key) {
  return crypto_core_ed25519_is_valid_point(key.bytes.data()) == 1;
}

std::optional<Identity> Identity::generate(RandomSource& random) {
  Secret<kIdentitySeedSize> seed;
  if (!random.fill(seed.bytes())) return std::nullopt;
  return from_seed(seed.bytes());
}

Identity Identity::from_seed(std::span<const std::uint8_t, kIdentitySeedSize> seed) {
  Identity identity;
  crypto_sign_seed_keypair(identity.public_key_.bytes.data(), identity.secret_key_.data(),
                           seed.data());
  return identity;
}

Signature Identity::sign(std::span<const std::uint8_t> message) const {
  Signature signature{};
  crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(),
                       secret_key_.data());
  return signature;
}

bool verify_signature(const PublicKey& signer, std::span<const std::uint8_t> message,
                      const Signature& signature) {
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     signer.bytes.data()) == 0;
}

IdentityFileBytes encode_identity_file(const Identity& identity) {
  IdentityFileBytes file;
  auto out = file.bytes();
  std::copy(kIdentityFileMagic.begin(), kIdentityFileMagic.end(), out.begin());
  // libsodium's secret key is seed || public key: exactly the rest of the file.
  std::copy_n(identity.secret_key_.data(), 64, out.begin() + kIdentityFileMagic.size());
  return file;
}

std::optional<Identity> parse_identity_file(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != kIdentityFileSize) return std::nullopt;
  const auto magic = bytes.first(kIdentityFileMagic.size());
  if (!std::equal(magic.begin(), magic.end(), kIdentityFileMagic.begin())) return std::nullopt;
  const auto seed = bytes.subspan(kIdentityFileMagic.size()).first<kIdentitySeedSize>();
  const auto stored_public = bytes.last<kPublicKeySize>();
  Identity identity = Identity::from_seed(seed);
  if (!equal_constant_time(identity.public_key().bytes, stored_public)) return std::nullopt;
  return identity;
}

}  // namespace p2pnet
