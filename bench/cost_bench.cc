// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// cost_bench.cc: the price of each libsodium primitive the handshake uses, one call per
// iteration. They explain the handshake figures: docs/benchmarks.md adds them up to
// show where the engine's time over the crypto floor goes (for instance the Ed25519
// point validation protocol-v1 requires on each received identity, which the floor,
// as the issue defines it, leaves out).
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <array>

namespace p2pnet::bench {
namespace {

struct Keys {
  std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES> sign_public{};
  std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> sign_secret{};
  std::array<std::uint8_t, 32> dh_secret{};
  std::array<std::uint8_t, 32> dh_public{};
  std::array<std::uint8_t, 181> content{};  // the longest signed content
  std::array<std::uint8_t, crypto_sign_BYTES> signature{};
  Keys() {
    crypto_sign_keypair(sign_public.data(), sign_secret.data());
    randombytes_buf(dh_secret.data(), dh_secret.size());
    crypto_scalarmult_base(dh_public.data(), dh_secret.data());
    crypto_sign_detached(signature.data(), nullptr, content.data(), content.size(),
                         sign_secret.data());
  }
  ~Keys() {
    sodium_memzero(sign_secret.data(), sign_secret.size());
    sodium_memzero(dh_secret.data(), dh_secret.size());
  }
};

void BM_Cost_X25519Base(benchmark::State& state) {
  Keys keys;
  std::array<std::uint8_t, 32> out{};
  for (auto _ : state) {
    crypto_scalarmult_base(out.data(), keys.dh_secret.data());
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_Cost_X25519Base);

void BM_Cost_X25519(benchmark::State& state) {
  Keys keys;
  std::array<std::uint8_t, 32> out{};
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        crypto_scalarmult(out.data(), keys.dh_secret.data(), keys.dh_public.data()));
  }
  sodium_memzero(out.data(), out.size());
}
BENCHMARK(BM_Cost_X25519);

void BM_Cost_Ed25519Sign(benchmark::State& state) {
  Keys keys;
  std::array<std::uint8_t, crypto_sign_BYTES> out{};
  for (auto _ : state) {
    crypto_sign_detached(out.data(), nullptr, keys.content.data(), keys.content.size(),
                         keys.sign_secret.data());
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_Cost_Ed25519Sign);

void BM_Cost_Ed25519Verify(benchmark::State& state) {
  Keys keys;
  for (auto _ : state) {
    if (crypto_sign_verify_detached(keys.signature.data(), keys.content.data(), keys.content.size(),
                                    keys.sign_public.data()) != 0) {
      state.SkipWithError("verify failed");
      break;
    }
  }
}
BENCHMARK(BM_Cost_Ed25519Verify);

// crypto_core_ed25519_is_valid_point: the engine's is_valid_public_key on each peer id.
void BM_Cost_Ed25519IsValidPoint(benchmark::State& state) {
  Keys keys;
  for (auto _ : state) {
    if (crypto_core_ed25519_is_valid_point(keys.sign_public.data()) != 1) {
      state.SkipWithError("invalid point");
      break;
    }
  }
}
BENCHMARK(BM_Cost_Ed25519IsValidPoint);

void BM_Cost_Random32(benchmark::State& state) {
  std::array<std::uint8_t, 32> out{};
  for (auto _ : state) {
    randombytes_buf(out.data(), out.size());
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_Cost_Random32);

}  // namespace
}  // namespace p2pnet::bench
