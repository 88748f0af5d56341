// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// main.cc: the benchmark binary's entry point. It initialises libsodium (the engine
// requires it) and prints the library versions under test to stderr, so a saved log
// says what was measured; Google Benchmark prints the machine context itself.
#include <benchmark/benchmark.h>
#include <openssl/crypto.h>
#include <sodium.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (sodium_init() < 0) {
    std::fprintf(stderr, "sodium_init failed\n");
    return 1;
  }
  std::fprintf(stderr, "libsodium %s, %s\n", sodium_version_string(),
               OpenSSL_version(OPENSSL_VERSION));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
