// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzz target identity_file: drives the identity file codec of identity.h
// (parse_identity_file, encode_identity_file) and the key pair behind it.
//   1. Parse: an accepted file is 72 bytes, encodes back to itself byte for byte,
//      and its key pair signs and verifies (a flipped message does not verify).
//   2. Write then parse: the input's first 32 bytes as a seed give a file that
//      parses back to the same public key; any single flipped byte of that file,
//      chosen by the input, is rejected, so a corrupt file never loads as someone.
//   3. Identity::generate from an input-seeded DeterministicRandom, from the default
//      system_random(), and from a source that fails (no identity, never weak bytes).
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "p2pnet/identity.h"
#include "p2pnet/internal/bytes.h"
#include "p2pnet/random.h"
#include "support/fuzz_check.h"

namespace p2pnet::fuzz {
namespace {

class FailingRandom final : public RandomSource {
 public:
  bool fill(std::span<std::uint8_t>) override { return false; }
};

void check_key_pair(const Identity& identity, ByteSpan message) {
  const Signature signature = identity.sign(message);
  FUZZ_CHECK(verify_signature(identity.public_key(), message, signature));
  Signature forged = signature;
  forged[message.size() % forged.size()] ^= 0x01;
  FUZZ_CHECK(!verify_signature(identity.public_key(), message, forged));
}

}  // namespace
}  // namespace p2pnet::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace p2pnet;
  using namespace p2pnet::fuzz;
  const ByteSpan in(data, size);
#if defined(P2PNET_FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
  // This target generates identities from the default source: the same bytes every run.
  fuzzing::reset_system_random(0);
#endif

  if (const auto identity = parse_identity_file(in)) {
    FUZZ_CHECK(size == kIdentityFileSize);
    const IdentityFileBytes encoded = encode_identity_file(*identity);
    FUZZ_CHECK(std::ranges::equal(encoded.bytes(), in));
    FUZZ_CHECK(std::ranges::equal(identity->public_key().bytes, in.last(kPublicKeySize)));
    check_key_pair(*identity, in);
  }

  if (size >= kIdentitySeedSize) {
    const Identity identity = Identity::from_seed(in.first<kIdentitySeedSize>());
    IdentityFileBytes file = encode_identity_file(identity);
    const auto parsed = parse_identity_file(file.bytes());
    FUZZ_CHECK(parsed.has_value());
    FUZZ_CHECK(parsed->public_key() == identity.public_key());
    const std::size_t at = size > kIdentitySeedSize ? in[kIdentitySeedSize] % kIdentityFileSize : 0;
    const std::uint8_t flip = size > kIdentitySeedSize + 1 ? in[kIdentitySeedSize + 1] : 0x80;
    file.bytes()[at] ^= flip == 0 ? 0x80 : flip;
    FUZZ_CHECK(!parse_identity_file(file.bytes()).has_value());

    std::array<std::uint8_t, 32> seed;
    std::copy_n(in.begin(), seed.size(), seed.begin());
    DeterministicRandom random(seed);
    const auto generated = Identity::generate(random);
    FUZZ_CHECK(generated.has_value());
    check_key_pair(*generated, in.subspan(kIdentitySeedSize));
  }

  FailingRandom failing;
  FUZZ_CHECK(!Identity::generate(failing).has_value());
  // The default source (libsodium's CSPRNG): its bytes differ per run, but whatever
  // they are, the key pair must work, so the checks stay reproducible.
  const auto fresh = Identity::generate(system_random());
  FUZZ_CHECK(fresh.has_value());
  check_key_pair(*fresh, in);
  return 0;
}
