// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The AEAD backends (engine/include/p2pnet/aead.h) are one cipher: a frame sealed by
// either opens with the other, byte for byte the same, at every size 0..65536 and at
// random sizes beyond; the transport frames of tests/vectors come out of each; a
// forged frame is refused by both and leaves zeros, never plaintext. Without the
// OpenSSL backend in the build the same tests compare libsodium with itself.
#include "p2pnet/internal/aead.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#ifdef P2PNET_HAVE_OPENSSL_AEAD
#include <openssl/err.h>
#endif

#include "hex.h"

namespace p2pnet {
namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr std::uint8_t kAd[4] = {0x00, 0x01, 0x02, 0x03};

Key key_from(std::uint8_t seed) {
  Key key;
  for (std::size_t i = 0; i < kKeySize; ++i)
    key.data()[i] = static_cast<std::uint8_t>(seed + 7 * i);
  return key;
}

// A sealed message: ciphertext || tag.
Bytes seal(AeadKey& key, const Bytes& plaintext, std::uint64_t counter, AeadBackend backend) {
  Bytes sealed(plaintext.size() + kAeadTagSize);
  key.seal(sealed.data(), sealed.data() + plaintext.size(), plaintext.data(), plaintext.size(),
           ByteSpan(kAd), counter, backend);
  return sealed;
}

bool open(AeadKey& key, const Bytes& sealed, std::uint64_t counter, AeadBackend backend,
          Bytes* plaintext) {
  const std::size_t size = sealed.size() - kAeadTagSize;
  plaintext->assign(size, 0xAA);
  return key.open(plaintext->data(), sealed.data(), size, sealed.data() + size, ByteSpan(kAd),
                  counter, backend);
}

TEST(AeadTest, BuildSaysWhichBackendsItHas) {
#ifdef P2PNET_HAVE_OPENSSL_AEAD
  EXPECT_TRUE(aead_openssl_built_in());
#else
  EXPECT_FALSE(aead_openssl_built_in());
#endif
}

TEST(AeadTest, EitherBackendOpensTheOthersFramesAtEverySizeUpTo64KiB) {
  // Both seal every size, byte for byte the same, and OpenSSL opens libsodium's frame.
  // libsodium opening OpenSSL's frame is then libsodium opening the very bytes it
  // sealed itself; it is still done at every 61st size, which keeps the test at three
  // AEAD calls per size (a few seconds for the 2 GiB it seals).
  if (!aead_openssl_built_in())
    GTEST_SKIP() << "one backend only: nothing to compare at every size";
  AeadKey sealer(key_from(1));
  AeadKey opener(key_from(1));
  Bytes plaintext(65536 + 1);
  randombytes_buf(plaintext.data(), plaintext.size());
  Bytes by_sodium(plaintext.size() + kAeadTagSize), by_openssl(plaintext.size() + kAeadTagSize);
  Bytes opened(plaintext.size());
  std::size_t failures = 0;
  for (std::size_t size = 0; size <= 65536 && failures < 5; ++size) {
    const std::uint64_t counter = size * 0x9E3779B97F4A7C15ull;  // every nonce byte moves
    const auto same_plaintext = [&] {
      return std::equal(opened.begin(), opened.begin() + static_cast<std::ptrdiff_t>(size),
                        plaintext.begin());
    };
    sealer.seal(by_sodium.data(), by_sodium.data() + size, plaintext.data(), size, ByteSpan(kAd),
                counter, AeadBackend::kSodium);
    sealer.seal(by_openssl.data(), by_openssl.data() + size, plaintext.data(), size, ByteSpan(kAd),
                counter, AeadBackend::kOpenSsl);
    bool ok = std::equal(by_sodium.begin(),
                         by_sodium.begin() + static_cast<std::ptrdiff_t>(size + kAeadTagSize),
                         by_openssl.begin());
    ok = ok &&
         opener.open(opened.data(), by_sodium.data(), size, by_sodium.data() + size, ByteSpan(kAd),
                     counter, AeadBackend::kOpenSsl) &&
         same_plaintext();
    if (ok && size % 61 == 0) {
      ok = opener.open(opened.data(), by_openssl.data(), size, by_openssl.data() + size,
                       ByteSpan(kAd), counter, AeadBackend::kSodium) &&
           same_plaintext();
    }
    if (!ok) {
      ADD_FAILURE() << "backends disagree at size " << size;
      ++failures;
    }
  }
}

TEST(AeadTest, EitherBackendOpensTheOthersFramesAtRandomSizes) {
  std::mt19937_64 rng(20261129);
  AeadKey sealer(key_from(9));
  AeadKey opener(key_from(9));
  const AeadBackend backends[] = {AeadBackend::kSodium, AeadBackend::kOpenSsl, AeadBackend::kAuto};
  for (int round = 0; round < 40; ++round) {
    Bytes plaintext(std::uniform_int_distribution<std::size_t>(0, 1 << 20)(rng));
    randombytes_buf(plaintext.data(), plaintext.size());
    const std::uint64_t counter = rng();
    const AeadBackend seal_with = backends[round % 3];
    const AeadBackend open_with = backends[(round / 3) % 3];
    const Bytes sealed = seal(sealer, plaintext, counter, seal_with);
    EXPECT_EQ(sealed, seal(sealer, plaintext, counter, AeadBackend::kSodium)) << plaintext.size();
    Bytes opened;
    ASSERT_TRUE(open(opener, sealed, counter, open_with, &opened)) << plaintext.size();
    EXPECT_EQ(opened, plaintext);
  }
}

TEST(AeadTest, BothBackendsRefuseForgeriesAndLeaveZeros) {
  AeadKey key(key_from(3));
  for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{511}, std::size_t{512},
                                 std::size_t{16384}, std::size_t{65536}}) {
    Bytes plaintext(size, 0x5C);
    const Bytes sealed = seal(key, plaintext, 42, AeadBackend::kSodium);
    for (const AeadBackend backend : {AeadBackend::kSodium, AeadBackend::kOpenSsl}) {
      for (const std::size_t flip : {std::size_t{0}, size / 2, size, sealed.size() - 1}) {
        Bytes forged = sealed;
        forged[flip] ^= 0x01;
        Bytes opened;
        EXPECT_FALSE(open(key, forged, 42, backend, &opened)) << size << " flip " << flip;
        EXPECT_EQ(opened, Bytes(size, 0)) << size;
      }
      Bytes opened;
      EXPECT_FALSE(open(key, sealed, 43, backend, &opened)) << "wrong counter, size " << size;
      AeadKey other(key_from(4));
      EXPECT_FALSE(open(other, sealed, 42, backend, &opened)) << "wrong key, size " << size;
    }
  }
#ifdef P2PNET_HAVE_OPENSSL_AEAD
  // A refused frame leaves nothing in the calling thread's OpenSSL error queue,
  // which belongs to the embedder.
  EXPECT_EQ(ERR_peek_error(), 0u);
#endif
}

TEST(AeadTest, InPlaceSealAndOpenMatch) {
  for (const AeadBackend backend : {AeadBackend::kSodium, AeadBackend::kOpenSsl}) {
    AeadKey key(key_from(5));
    Bytes plaintext(4000);
    randombytes_buf(plaintext.data(), plaintext.size());
    const Bytes expected = seal(key, plaintext, 7, AeadBackend::kSodium);
    Bytes buffer = plaintext;
    buffer.resize(plaintext.size() + kAeadTagSize);
    key.seal(buffer.data(), buffer.data() + plaintext.size(), buffer.data(), plaintext.size(),
             ByteSpan(kAd), 7, backend);
    EXPECT_EQ(buffer, expected);
    ASSERT_TRUE(key.open(buffer.data(), buffer.data(), plaintext.size(),
                         buffer.data() + plaintext.size(), ByteSpan(kAd), 7, backend));
    EXPECT_TRUE(std::equal(plaintext.begin(), plaintext.end(), buffer.begin()));
  }
}

TEST(AeadTest, WipedKeyIsZeroAndMovedFromKeyIsZero) {
  AeadKey key(key_from(6));
  Bytes plaintext(2048, 1);
  const Bytes before = seal(key, plaintext, 0, AeadBackend::kOpenSsl);  // creates a context
  AeadKey moved(std::move(key));
  // NOLINTNEXTLINE(bugprone-use-after-move): the moved-from key is what is checked.
  EXPECT_EQ(key.key().bytes()[0], 0);
  EXPECT_EQ(seal(moved, plaintext, 0, AeadBackend::kOpenSsl), before);
  moved.wipe();
  for (const std::uint8_t byte : moved.key().bytes()) EXPECT_EQ(byte, 0);
  // A wiped key seals with the all-zero key (no stale context holds the old one).
  AeadKey zero;
  EXPECT_EQ(seal(moved, plaintext, 0, AeadBackend::kOpenSsl),
            seal(zero, plaintext, 0, AeadBackend::kSodium));
}

TEST(AeadTest, TransportVectorsComeOutOfEachBackend) {
  std::ifstream file(P2PNET_VECTORS_FILE);
  ASSERT_TRUE(file);
  const nlohmann::json cases = nlohmann::json::parse(file);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.value("name", "unnamed case"));
    for (const AeadBackend backend : {AeadBackend::kSodium, AeadBackend::kOpenSsl}) {
      Key c2s, s2c;
      const Bytes c2s_bytes = testing::from_hex(c.at("key_c2s").get<std::string>()).value();
      const Bytes s2c_bytes = testing::from_hex(c.at("key_s2c").get<std::string>()).value();
      std::copy(c2s_bytes.begin(), c2s_bytes.end(), c2s.data());
      std::copy(s2c_bytes.begin(), s2c_bytes.end(), s2c.data());
      AeadKey keys[2] = {AeadKey(std::move(c2s)), AeadKey(std::move(s2c))};
      std::uint64_t counters[2] = {0, 0};
      for (const auto& frame : c.at("transport")) {
        const int direction = frame.at("direction") == "c2s" ? 0 : 1;
        const Bytes plaintext = testing::from_hex(frame.at("plaintext").get<std::string>()).value();
        const Bytes expected = testing::from_hex(frame.at("frame").get<std::string>()).value();
        ASSERT_EQ(expected.size(), 4 + plaintext.size() + kAeadTagSize);
        Bytes sealed(expected.size());
        std::copy_n(expected.begin(), 4, sealed.begin());  // the header is the AD
        keys[direction].seal(sealed.data() + 4, sealed.data() + 4 + plaintext.size(),
                             plaintext.data(), plaintext.size(), ByteSpan(sealed.data(), 4),
                             counters[direction], backend);
        EXPECT_EQ(sealed, expected);
        Bytes opened(plaintext.size());
        EXPECT_TRUE(keys[direction].open(opened.data(), expected.data() + 4, plaintext.size(),
                                         expected.data() + 4 + plaintext.size(),
                                         ByteSpan(expected.data(), 4), counters[direction],
                                         backend));
        EXPECT_EQ(opened, plaintext);
        ++counters[direction];
      }
    }
  }
}

}  // namespace
}  // namespace p2pnet
