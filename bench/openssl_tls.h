// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// openssl_tls.h: OpenSSL 3 TLS 1.3 with mutual authentication, both ends in memory
// over a BIO pair in one thread, as the comparison point for the engine. Two profiles:
//   kLeanPinned  each side's self-signed Ed25519 leaf is the other's only trust anchor,
//                X25519 only, TLS_CHACHA20_POLY1305_SHA256, session tickets and the
//                session cache off: the least work TLS 1.3 mutual auth can do.
//   kCaDefaults  Ed25519 leaves issued by an Ed25519 CA that both trust (chain
//                building), with OpenSSL's default groups, ciphers and tickets.
// Every handshake checks both verification results and that both peers presented a
// certificate, so a misconfiguration cannot pass as a fast handshake.
#ifndef P2PNET_BENCH_OPENSSL_TLS_H_
#define P2PNET_BENCH_OPENSSL_TLS_H_

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>

namespace p2pnet::bench {

enum class TlsProfile { kLeanPinned, kCaDefaults };

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using SslPtr = std::unique_ptr<SSL, SslDeleter>;

// TlsContexts holds a client and a server SSL_CTX with fresh keys and certificates.
class TlsContexts {
 public:
  // create returns contexts for |profile|, or null contexts (ok() false) on failure.
  static TlsContexts create(TlsProfile profile);
  // create_untrusted_server returns lean contexts whose client trusts a different
  // certificate than the server presents: a handshake must fail, which proves the
  // benchmark's verification checks are live.
  static TlsContexts create_untrusted_server();
  bool ok() const { return client_ && server_; }
  SSL_CTX* client() const { return client_.get(); }
  SSL_CTX* server() const { return server_.get(); }

 private:
  SslCtxPtr client_;
  SslCtxPtr server_;
};

// The BIO pair's buffer: large enough for a 64 KiB message in TLS records.
inline constexpr std::size_t kBioPairBufferSize = 256 * 1024;

// TlsPair is one client and one server SSL joined by a BIO pair.
class TlsPair {
 public:
  explicit TlsPair(const TlsContexts& contexts);
  // handshake drives both sides to completion, lets the client take any session
  // tickets, and checks both peers' verification. Returns false on any failure.
  bool handshake();
  // describe names the negotiated protocol, group, cipher and both key types.
  std::string describe() const;

  SSL* client() const { return client_.get(); }
  SSL* server() const { return server_.get(); }

 private:
  SslPtr client_;
  SslPtr server_;
};

}  // namespace p2pnet::bench

#endif  // P2PNET_BENCH_OPENSSL_TLS_H_
