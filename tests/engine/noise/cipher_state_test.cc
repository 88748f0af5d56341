// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The Noise CipherState (engine/src/noise/cipher_state.cc): pass-through without a
// key, nonces, the reserved nonce 2^64-1, rekey against libsodium computed by hand,
// a failed decryption leaving n and the output alone, the size limits, in-place use
// and a disabled state; for each cipher this build has.
#include "p2pnet/internal/noise/cipher_state.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <vector>

#include "hex.h"

namespace p2pnet::noise {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::array<std::uint8_t, kKeyLen> key_of(std::uint8_t seed) {
  std::array<std::uint8_t, kKeyLen> key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(seed + i);
  return key;
}

class NoiseCipherStateTest : public ::testing::TestWithParam<CipherKind> {
 protected:
  void SetUp() override {
    if (!cipher_available(GetParam())) GTEST_SKIP() << "not in this build";
    ASSERT_EQ(sender_.init(GetParam()), Error::kNone);
    ASSERT_EQ(receiver_.init(GetParam()), Error::kNone);
  }
  void key_both(std::uint8_t seed) {
    ASSERT_EQ(sender_.initialize_key(key_of(seed)), Error::kNone);
    ASSERT_EQ(receiver_.initialize_key(key_of(seed)), Error::kNone);
  }
  Bytes seal(CipherState& state, const Bytes& plaintext, const Bytes& ad = {}) {
    Bytes out(plaintext.size() + kTagLen);
    std::size_t written = 0;
    EXPECT_EQ(state.encrypt_with_ad(&written, out, ad, plaintext), Error::kNone);
    out.resize(written);
    return out;
  }
  Error open(CipherState& state, const Bytes& ciphertext, Bytes* plaintext, const Bytes& ad = {}) {
    plaintext->assign(ciphertext.size(), 0xee);
    std::size_t written = 0;
    const Error err = state.decrypt_with_ad(&written, *plaintext, ad, ciphertext);
    if (err == Error::kNone) plaintext->resize(written);
    return err;
  }

  CipherState sender_;
  CipherState receiver_;
};

TEST_P(NoiseCipherStateTest, EmptyKeyPassesThrough) {
  const Bytes text = {1, 2, 3};
  EXPECT_FALSE(sender_.has_key());
  EXPECT_EQ(sender_.overhead(), 0U);
  EXPECT_EQ(seal(sender_, text), text);
  Bytes out;
  EXPECT_EQ(open(receiver_, text, &out), Error::kNone);
  EXPECT_EQ(out, text);
  EXPECT_EQ(sender_.nonce(), 0U);
}

TEST_P(NoiseCipherStateTest, RoundTripsAndCountsNonces) {
  key_both(1);
  const Bytes ad = {9, 9};
  for (std::uint64_t n = 0; n < 4; ++n) {
    const Bytes text(static_cast<std::size_t>(n * 100), static_cast<std::uint8_t>(n));
    const Bytes sealed = seal(sender_, text, ad);
    EXPECT_EQ(sealed.size(), text.size() + kTagLen);
    Bytes out;
    ASSERT_EQ(open(receiver_, sealed, &out, ad), Error::kNone);
    EXPECT_EQ(out, text);
    EXPECT_EQ(sender_.nonce(), n + 1);
    EXPECT_EQ(receiver_.nonce(), n + 1);
  }
}

TEST_P(NoiseCipherStateTest, FailedDecryptionKeepsTheNonceAndWritesZeros) {
  key_both(2);
  Bytes sealed = seal(sender_, Bytes(40, 7));
  sealed[3] ^= 0x01;
  Bytes out;
  EXPECT_EQ(open(receiver_, sealed, &out), Error::kAuthenticationFailed);
  EXPECT_EQ(receiver_.nonce(), 0U);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + 40), Bytes(40, 0));
  sealed[3] ^= 0x01;
  ASSERT_EQ(open(receiver_, sealed, &out), Error::kNone);  // the same n still works
  EXPECT_EQ(out, Bytes(40, 7));
  // Wrong associated data fails too.
  const Bytes again = seal(sender_, Bytes(5, 1), {1});
  EXPECT_EQ(open(receiver_, again, &out, {2}), Error::kAuthenticationFailed);
}

TEST_P(NoiseCipherStateTest, TheMaximumNonceIsReserved) {
  key_both(3);
  sender_.set_nonce(kMaxNonce - 1);
  receiver_.set_nonce(kMaxNonce - 1);
  const Bytes sealed = seal(sender_, {1, 2});
  Bytes out;
  ASSERT_EQ(open(receiver_, sealed, &out), Error::kNone);
  std::size_t written = 7;
  Bytes buffer(64);
  EXPECT_EQ(sender_.encrypt_with_ad(&written, buffer, {}, Bytes{1}), Error::kCounterExhausted);
  EXPECT_EQ(written, 0U);
  EXPECT_EQ(receiver_.decrypt_with_ad(&written, buffer, {}, sealed), Error::kCounterExhausted);
  EXPECT_EQ(sender_.nonce(), kMaxNonce);
}

TEST_P(NoiseCipherStateTest, RekeyChangesTheKeyTheSameWayOnBothSides) {
  key_both(4);
  const Bytes before = seal(sender_, {5});
  Bytes out;
  ASSERT_EQ(open(receiver_, before, &out), Error::kNone);
  ASSERT_EQ(sender_.rekey(), Error::kNone);
  ASSERT_EQ(receiver_.rekey(), Error::kNone);
  EXPECT_EQ(sender_.nonce(), 1U);  // rekey leaves n alone
  CipherState old_key;
  ASSERT_EQ(old_key.init(GetParam()), Error::kNone);
  ASSERT_EQ(old_key.initialize_key(key_of(4)), Error::kNone);
  old_key.set_nonce(1);
  const Bytes after = seal(sender_, {5});
  EXPECT_NE(after, seal(old_key, {5}));
  ASSERT_EQ(open(receiver_, after, &out), Error::kNone);
  EXPECT_EQ(out, Bytes{5});
}

TEST_P(NoiseCipherStateTest, SizeLimitsAndBuffers) {
  key_both(5);
  std::size_t written = 0;
  Bytes big(kMaxMessageLen + 1);
  Bytes out(kMaxMessageLen + kTagLen + 1);
  EXPECT_EQ(sender_.encrypt_with_ad(&written, out, {}, ByteSpan(big).first(kMaxMessageLen - 15)),
            Error::kMessageTooLarge);
  EXPECT_EQ(sender_.encrypt_with_ad(&written, out, {}, ByteSpan(big).first(kMaxMessageLen - 16)),
            Error::kNone);
  EXPECT_EQ(written, kMaxMessageLen);
  EXPECT_EQ(receiver_.decrypt_with_ad(&written, out, {}, big), Error::kMalformedMessage);
  EXPECT_EQ(receiver_.decrypt_with_ad(&written, out, {}, ByteSpan(big).first(15)),
            Error::kMalformedMessage);
  Bytes small(1 + kTagLen);
  EXPECT_EQ(sender_.encrypt_with_ad(&written, small, {}, Bytes(1)), Error::kNone);
  EXPECT_EQ(sender_.encrypt_with_ad(&written, small, {}, Bytes(2)), Error::kInvalidArgument);
  EXPECT_EQ(written, 0U);
}

TEST_P(NoiseCipherStateTest, InPlace) {
  key_both(6);
  Bytes buffer = {1, 2, 3, 4, 5};
  buffer.resize(5 + kTagLen);
  std::size_t written = 0;
  ASSERT_EQ(sender_.encrypt_with_ad(&written, buffer, {}, ByteSpan(buffer).first(5)), Error::kNone);
  ASSERT_EQ(written, 5 + kTagLen);
  ASSERT_EQ(receiver_.decrypt_with_ad(&written, buffer, {}, buffer), Error::kNone);
  EXPECT_EQ(Bytes(buffer.begin(), buffer.begin() + 5), (Bytes{1, 2, 3, 4, 5}));
}

TEST_P(NoiseCipherStateTest, DisabledRefusesEverything) {
  key_both(7);
  sender_.disable();
  EXPECT_EQ(sender_.key_state(), CipherKeyState::kDisabled);
  std::size_t written = 0;
  Bytes out(64);
  EXPECT_EQ(sender_.encrypt_with_ad(&written, out, {}, Bytes(1)), Error::kWrongState);
  EXPECT_EQ(sender_.decrypt_with_ad(&written, out, {}, Bytes(20)), Error::kWrongState);
  EXPECT_EQ(sender_.rekey(), Error::kWrongState);
  CipherState empty;
  EXPECT_EQ(empty.rekey(), Error::kWrongState);
}

INSTANTIATE_TEST_SUITE_P(Ciphers, NoiseCipherStateTest,
                         ::testing::Values(CipherKind::kChaChaPoly, CipherKind::kAesGcm),
                         [](const auto& test) { return std::string(cipher_name(test.param)); });

// ChaChaPoly's REKEY and nonce, computed with libsodium directly.
TEST(NoiseChaChaPolyTest, RekeyAndNonceAsTheSpecSays) {
  CipherState state;
  ASSERT_EQ(state.init(CipherKind::kChaChaPoly), Error::kNone);
  const auto key = key_of(8);
  ASSERT_EQ(state.initialize_key(key), Error::kNone);
  ASSERT_EQ(state.rekey(), Error::kNone);
  // REKEY(k) = first 32 bytes of ENCRYPT(k, 2^64-1, empty, 32 zeros); the nonce is
  // 4 zero bytes then n little-endian.
  std::array<std::uint8_t, 12> nonce{};
  for (std::size_t i = 4; i < 12; ++i) nonce[i] = 0xff;
  std::array<std::uint8_t, 32 + 16> rekeyed{};
  const std::array<std::uint8_t, 32> zeros{};
  crypto_aead_chacha20poly1305_ietf_encrypt(rekeyed.data(), nullptr, zeros.data(), zeros.size(),
                                            nullptr, 0, nullptr, nonce.data(), key.data());
  state.set_nonce(0x0102030405060708);
  nonce = {0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1};
  const std::uint8_t text[] = {42};
  std::array<std::uint8_t, 1 + 16> expected{};
  crypto_aead_chacha20poly1305_ietf_encrypt(expected.data(), nullptr, text, 1, nullptr, 0, nullptr,
                                            nonce.data(), rekeyed.data());
  std::array<std::uint8_t, 1 + 16> got{};
  std::size_t written = 0;
  ASSERT_EQ(state.encrypt_with_ad(&written, got, {}, text), Error::kNone);
  EXPECT_EQ(got, expected);
}

}  // namespace
}  // namespace p2pnet::noise
