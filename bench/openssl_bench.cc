// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// openssl_bench.cc: the OpenSSL 3 TLS 1.3 side of the comparison (openssl_tls.h
// describes the two profiles). BM_Handshake_OpenSSL_TLS13[_CA] time a full mutual
// handshake including SSL object creation and teardown, the counterpart of
// BM_Handshake_Engine. BM_Transport_OpenSSL_TLS13 times SSL_write on the client and
// SSL_read on the server of one lean connection, the counterpart of
// BM_Transport_Engine. The negotiated parameters are printed once per profile.
#include <benchmark/benchmark.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <cstdio>
#include <vector>

#include "openssl_tls.h"

namespace p2pnet::bench {
namespace {

// run_handshakes times full handshakes under |profile|; the first run of the
// benchmark prints what was negotiated (|printed| remembers that it did).
void run_handshakes(benchmark::State& state, TlsProfile profile, const char* label, bool& printed) {
  const TlsContexts contexts = TlsContexts::create(profile);
  if (!contexts.ok()) {
    state.SkipWithError("could not configure OpenSSL contexts");
    return;
  }
  {
    TlsPair first(contexts);
    if (!first.handshake()) {
      state.SkipWithError("OpenSSL handshake or verification failed");
      return;
    }
    if (!printed) {
      printed = true;
      std::fprintf(stderr, "openssl %s: %s\n", label, first.describe().c_str());
    }
  }
  for (auto _ : state) {
    TlsPair pair(contexts);  // SSL_new x2, BIO pair; freed at the end of the iteration
    if (!pair.handshake()) {
      state.SkipWithError("OpenSSL handshake or verification failed");
      break;
    }
  }
  state.counters["handshakes_per_s"] =
      benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Handshake_OpenSSL_TLS13(benchmark::State& state) {
  // A server the client does not trust must be refused, or the figures below would
  // be for a handshake that checks nothing.
  const TlsContexts untrusted = TlsContexts::create_untrusted_server();
  if (!untrusted.ok() || TlsPair(untrusted).handshake()) {
    state.SkipWithError("OpenSSL accepted an untrusted server: verification is not enforced");
    return;
  }
  static bool printed = false;
  run_handshakes(state, TlsProfile::kLeanPinned, "lean pinned", printed);
}
BENCHMARK(BM_Handshake_OpenSSL_TLS13);

void BM_Handshake_OpenSSL_TLS13_CA(benchmark::State& state) {
  static bool printed = false;
  run_handshakes(state, TlsProfile::kCaDefaults, "CA defaults", printed);
}
BENCHMARK(BM_Handshake_OpenSSL_TLS13_CA);

void BM_Transport_OpenSSL_TLS13(benchmark::State& state) {
  const auto message_size = static_cast<std::size_t>(state.range(0));
  const TlsContexts contexts = TlsContexts::create(TlsProfile::kLeanPinned);
  if (!contexts.ok()) {
    state.SkipWithError("could not configure OpenSSL contexts");
    return;
  }
  TlsPair pair(contexts);
  if (!pair.handshake()) {
    state.SkipWithError("OpenSSL handshake or verification failed");
    return;
  }
  std::vector<unsigned char> message(message_size);
  std::vector<unsigned char> received(message_size);
  if (RAND_bytes(message.data(), static_cast<int>(message.size())) != 1) {
    state.SkipWithError("RAND_bytes failed");
    return;
  }
  const int size = static_cast<int>(message_size);
  for (auto _ : state) {
    // The BIO pair holds a whole 64 KiB message, so SSL_write completes in one call.
    if (SSL_write(pair.client(), message.data(), size) != size) {
      state.SkipWithError("SSL_write failed");
      break;
    }
    // SSL_read returns at most one record (16 KiB) per call.
    int got = 0;
    while (got < size) {
      const int n = SSL_read(pair.server(), received.data() + got, size - got);
      if (n <= 0) break;
      got += n;
    }
    if (got != size) {
      state.SkipWithError("SSL_read failed");
      break;
    }
    benchmark::DoNotOptimize(received.data());
  }
  ERR_clear_error();
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(message_size));
  state.counters["messages_per_s"] =
      benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Transport_OpenSSL_TLS13)->Arg(64)->Arg(1024)->Arg(16384)->Arg(65536);

}  // namespace
}  // namespace p2pnet::bench
