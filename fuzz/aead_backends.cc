// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzz target aead_backends: the two ChaCha20-Poly1305 implementations behind
// engine/include/p2pnet/aead.h (libsodium and, when built in, OpenSSL) are one cipher.
// Without the OpenSSL backend the target compares libsodium with itself.
//
// Input: [mode] [counter: 8 bytes LE] [ad length] [ad] [body...]. The key is the
// fixed c2s channel key (fixtures.h); bit 0 of mode selects the s2c key instead.
//   - Open: body is ciphertext || tag (at least 16 bytes). Both backends must agree on
//     accept or reject; on accept both give the same plaintext, on reject both leave
//     zeros. Bit 1 of mode opens in place instead of into a separate buffer.
//   - Seal (bit 2): body is a plaintext. Both backends must give the same bytes; each
//     opens the other's frame back to body; with one byte flipped (at the position
//     the counter picks) both refuse it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "p2pnet/config.h"
#include "p2pnet/internal/aead.h"
#include "support/fixtures.h"
#include "support/fuzz_check.h"

namespace p2pnet::fuzz {
namespace {

using Bytes = std::vector<std::uint8_t>;

bool all_zero(const Bytes& bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

// open_with opens |sealed| with one backend; |in_place| decrypts over the input copy.
bool open_with(AeadKey& key, AeadBackend backend, const Bytes& sealed, ByteSpan ad,
               std::uint64_t counter, bool in_place, Bytes* plaintext) {
  const std::size_t size = sealed.size() - kAeadTagSize;
  Bytes work = sealed;
  plaintext->assign(size, 0xA5);
  std::uint8_t* out = in_place ? work.data() : plaintext->data();
  const bool ok = key.open(out, work.data(), size, work.data() + size, ad, counter, backend);
  if (in_place) plaintext->assign(work.begin(), work.begin() + static_cast<std::ptrdiff_t>(size));
  return ok;
}

void check_open(AeadKey& sodium, AeadKey& openssl, const Bytes& sealed, ByteSpan ad,
                std::uint64_t counter, bool in_place) {
  Bytes by_sodium, by_openssl;
  const bool sodium_ok =
      open_with(sodium, AeadBackend::kSodium, sealed, ad, counter, in_place, &by_sodium);
  const bool openssl_ok =
      open_with(openssl, AeadBackend::kOpenSsl, sealed, ad, counter, in_place, &by_openssl);
  FUZZ_CHECK(sodium_ok == openssl_ok);
  FUZZ_CHECK(by_sodium == by_openssl);
  if (!sodium_ok) FUZZ_CHECK(all_zero(by_sodium));
}

Bytes seal_with(AeadKey& key, AeadBackend backend, ByteSpan plaintext, ByteSpan ad,
                std::uint64_t counter) {
  Bytes sealed(plaintext.size() + kAeadTagSize);
  key.seal(sealed.data(), sealed.data() + plaintext.size(), plaintext.data(), plaintext.size(), ad,
           counter, backend);
  return sealed;
}

}  // namespace
}  // namespace p2pnet::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace p2pnet;
  using namespace p2pnet::fuzz;
  ByteSpan input(data, size);
  if (input.size() < 10) return 0;
  const std::uint8_t mode = input[0];
  std::uint64_t counter = 0;
  for (int i = 0; i < 8; ++i)
    counter |= std::uint64_t{input[1 + static_cast<std::size_t>(i)]} << (8 * i);
  const std::size_t ad_size = std::min<std::size_t>(input[9], input.size() - 10);
  const ByteSpan ad = input.subspan(10, ad_size);
  const ByteSpan body = input.subspan(10 + ad_size);
  if (body.size() > kMaxMessageSizeLimit) return 0;

  const bool s2c = (mode & 0x01) != 0;
  AeadKey sodium(s2c ? channel_key_s2c() : channel_key_c2s());
  AeadKey openssl(s2c ? channel_key_s2c() : channel_key_c2s());

  if ((mode & 0x04) == 0) {
    if (body.size() < kAeadTagSize) return 0;
    check_open(sodium, openssl, Bytes(body.begin(), body.end()), ad, counter, (mode & 0x02) != 0);
    return 0;
  }

  const Bytes by_sodium = seal_with(sodium, AeadBackend::kSodium, body, ad, counter);
  const Bytes by_openssl = seal_with(openssl, AeadBackend::kOpenSsl, body, ad, counter);
  FUZZ_CHECK(by_sodium == by_openssl);
  Bytes opened;
  FUZZ_CHECK(open_with(openssl, AeadBackend::kOpenSsl, by_sodium, ad, counter, false, &opened));
  FUZZ_CHECK(std::equal(opened.begin(), opened.end(), body.begin(), body.end()));
  FUZZ_CHECK(open_with(sodium, AeadBackend::kSodium, by_openssl, ad, counter, true, &opened));
  FUZZ_CHECK(std::equal(opened.begin(), opened.end(), body.begin(), body.end()));
  Bytes forged = by_sodium;
  forged[counter % forged.size()] ^= static_cast<std::uint8_t>(1u << (counter % 8));
  check_open(sodium, openssl, forged, ad, counter, (mode & 0x02) != 0);
  Bytes refused;
  FUZZ_CHECK(!open_with(sodium, AeadBackend::kSodium, forged, ad, counter, false, &refused));
  return 0;
}
