// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The Noise SymmetricState (engine/src/noise/symmetric_state.cc), function by function
// against the spec's definitions computed here from the hash alone: a short name
// padded and a long one hashed, MixHash, MixKey and MixKeyAndHash through HKDF, the
// key truncated to 32 bytes for a 64-byte hash, Split, and DecryptAndHash keeping h
// when the tag fails and working in place.
#include "p2pnet/internal/noise/symmetric_state.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hex.h"

namespace p2pnet::noise {
namespace {

using Bytes = std::vector<std::uint8_t>;
using testing::to_hex;

ByteSpan bytes_of(std::string_view text) {
  return ByteSpan(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

std::string hex(ByteSpan bytes) { return to_hex(bytes); }

TEST(NoiseSymmetricStateTest, InitializeSymmetricPadsOrHashes) {
  SymmetricState state;
  ASSERT_EQ(state.init(CipherKind::kChaChaPoly, HashKind::kSha256), Error::kNone);
  const std::string short_name = "Noise_NN_25519_ChaChaPoly_SHA256";  // exactly 32 bytes
  ASSERT_EQ(short_name.size(), 32U);
  ASSERT_EQ(state.initialize_symmetric(short_name), Error::kNone);
  EXPECT_EQ(hex(state.handshake_hash()), hex(bytes_of(short_name)));
  EXPECT_FALSE(state.has_key());
  const std::string long_name = "Noise_XXpsk3_25519_ChaChaPoly_SHA256";
  ASSERT_EQ(state.initialize_symmetric(long_name), Error::kNone);
  Hash hash;
  ASSERT_EQ(hash.init(HashKind::kSha256), Error::kNone);
  HashOutput expected;
  ASSERT_EQ(hash.digest(&expected, bytes_of(long_name)), Error::kNone);
  EXPECT_EQ(hex(state.handshake_hash()), hex(expected.span()));
  // BLAKE2b: HASHLEN 64, so the 32-byte name is padded to 64.
  SymmetricState wide;
  ASSERT_EQ(wide.init(CipherKind::kChaChaPoly, HashKind::kBlake2b), Error::kNone);
  ASSERT_EQ(wide.initialize_symmetric(short_name), Error::kNone);
  Bytes padded(bytes_of(short_name).begin(), bytes_of(short_name).end());
  padded.resize(64, 0);
  EXPECT_EQ(hex(wide.handshake_hash()), to_hex(padded));
}

TEST(NoiseSymmetricStateTest, MixFunctionsFollowTheSpec) {
  for (const HashKind kind : {HashKind::kSha256, HashKind::kBlake2b}) {
    SymmetricState state;
    ASSERT_EQ(state.init(CipherKind::kChaChaPoly, kind), Error::kNone);
    ASSERT_EQ(state.initialize_symmetric("Noise_NN_25519_ChaChaPoly_X"), Error::kNone);
    Hash hash;
    ASSERT_EQ(hash.init(kind), Error::kNone);
    HashOutput h, ck, temp_k, temp_h;  // the spec's variables, kept by hand
    h.size = hash.len();
    std::ranges::copy(state.handshake_hash(), h.bytes.bytes().begin());
    ck.size = hash.len();
    std::ranges::copy(state.handshake_hash(), ck.bytes.bytes().begin());

    // MixHash(data): h = HASH(h || data).
    ASSERT_EQ(state.mix_hash(bytes_of("data")), Error::kNone);
    ASSERT_EQ(hash.digest(&h, h.span(), bytes_of("data")), Error::kNone);
    EXPECT_EQ(hex(state.handshake_hash()), hex(h.span()));

    // MixKey(ikm): ck, temp_k = HKDF(ck, ikm, 2); the key is temp_k's first 32 bytes.
    ASSERT_EQ(state.mix_key(bytes_of("ikm")), Error::kNone);
    HashOutput next_ck;
    ASSERT_EQ(hash.hkdf(&next_ck, &temp_k, nullptr, ck.span(), bytes_of("ikm")), Error::kNone);
    ck = std::move(next_ck);
    EXPECT_TRUE(state.has_key());
    CipherState expected_cipher;
    ASSERT_EQ(expected_cipher.initialize_key(temp_k.span().first<kKeyLen>()), Error::kNone);
    // EncryptAndHash(p) = EncryptWithAd(h, p), then MixHash of the ciphertext.
    Bytes got(3 + kTagLen), want(3 + kTagLen);
    std::size_t n = 0;
    ASSERT_EQ(state.encrypt_and_hash(&n, got, Bytes{1, 2, 3}), Error::kNone);
    ASSERT_EQ(expected_cipher.encrypt_with_ad(&n, want, h.span(), Bytes{1, 2, 3}), Error::kNone);
    EXPECT_EQ(got, want);
    ASSERT_EQ(hash.digest(&h, h.span(), want), Error::kNone);
    EXPECT_EQ(hex(state.handshake_hash()), hex(h.span()));

    // MixKeyAndHash(ikm): ck, temp_h, temp_k = HKDF(ck, ikm, 3); MixHash(temp_h).
    ASSERT_EQ(state.mix_key_and_hash(bytes_of("psk")), Error::kNone);
    ASSERT_EQ(hash.hkdf(&next_ck, &temp_h, &temp_k, ck.span(), bytes_of("psk")), Error::kNone);
    ck = std::move(next_ck);
    ASSERT_EQ(hash.digest(&h, h.span(), temp_h.span()), Error::kNone);
    EXPECT_EQ(hex(state.handshake_hash()), hex(h.span()));

    // Split: temp_k1, temp_k2 = HKDF(ck, empty, 2).
    CipherState c1, c2, e1, e2;
    ASSERT_EQ(state.split(&c1, &c2), Error::kNone);
    HashOutput k1, k2;
    ASSERT_EQ(hash.hkdf(&k1, &k2, nullptr, ck.span(), {}), Error::kNone);
    ASSERT_EQ(e1.initialize_key(k1.span().first<kKeyLen>()), Error::kNone);
    ASSERT_EQ(e2.initialize_key(k2.span().first<kKeyLen>()), Error::kNone);
    Bytes a(1 + kTagLen), b(1 + kTagLen);
    ASSERT_EQ(c1.encrypt_with_ad(&n, a, {}, Bytes{9}), Error::kNone);
    ASSERT_EQ(e1.encrypt_with_ad(&n, b, {}, Bytes{9}), Error::kNone);
    EXPECT_EQ(a, b);
    ASSERT_EQ(c2.encrypt_with_ad(&n, a, {}, Bytes{9}), Error::kNone);
    ASSERT_EQ(e2.encrypt_with_ad(&n, b, {}, Bytes{9}), Error::kNone);
    EXPECT_EQ(a, b);
  }
}

TEST(NoiseSymmetricStateTest, DecryptAndHashInPlaceAndOnFailure) {
  SymmetricState sender, receiver;
  for (SymmetricState* s : {&sender, &receiver}) {
    ASSERT_EQ(s->init(CipherKind::kChaChaPoly, HashKind::kSha512), Error::kNone);
    ASSERT_EQ(s->initialize_symmetric("Noise_test"), Error::kNone);
    ASSERT_EQ(s->mix_key(bytes_of("shared")), Error::kNone);
  }
  Bytes buffer(4 + kTagLen);
  std::size_t n = 0;
  ASSERT_EQ(sender.encrypt_and_hash(&n, buffer, Bytes{1, 2, 3, 4}), Error::kNone);
  const std::string h_before = hex(receiver.handshake_hash());
  Bytes forged = buffer;
  forged[0] ^= 1;
  Bytes out(4);
  EXPECT_EQ(receiver.decrypt_and_hash(&n, out, forged), Error::kAuthenticationFailed);
  EXPECT_EQ(hex(receiver.handshake_hash()), h_before);
  // In place: the output overwrites the ciphertext, and h still hashes the ciphertext.
  ASSERT_EQ(receiver.decrypt_and_hash(&n, buffer, buffer), Error::kNone);
  EXPECT_EQ(Bytes(buffer.begin(), buffer.begin() + 4), (Bytes{1, 2, 3, 4}));
  EXPECT_EQ(hex(receiver.handshake_hash()), hex(sender.handshake_hash()));
}

TEST(NoiseSymmetricStateTest, UninitializedRefuses) {
  SymmetricState state;
  EXPECT_EQ(state.initialize_symmetric("Noise_x"), Error::kWrongState);
  EXPECT_EQ(state.mix_hash({}), Error::kWrongState);
}

}  // namespace
}  // namespace p2pnet::noise
