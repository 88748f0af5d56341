// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Keys and certificates are made in memory at start-up (nothing touches the disk).
// OpenSSL's own allocations use malloc and are not seen by the counting allocator.
#include "openssl_tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>

namespace p2pnet::bench {
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

struct Credential {
  PkeyPtr key;
  X509Ptr cert;
};

bool add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (extension == nullptr) return false;
  const bool ok = X509_add_ext(cert, extension, -1) == 1;
  X509_EXTENSION_free(extension);
  return ok;
}

// make_credential creates an Ed25519 key and a certificate for |common_name|, signed
// by |issuer| (or self-signed when |issuer| is null). |is_ca| marks a CA certificate;
// otherwise a leaf gets CA:FALSE only when it is CA-issued (a pinned self-signed
// leaf carries no extensions, the plainest certificate OpenSSL accepts as an anchor).
Credential make_credential(const char* common_name, const Credential* issuer, bool is_ca) {
  Credential out;
  out.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  out.cert.reset(X509_new());
  if (!out.key || !out.cert) return {};
  X509* cert = out.cert.get();
  static long serial = 1;
  bool ok = X509_set_version(cert, X509_VERSION_3) == 1 &&
            ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(cert), -3600) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(cert), 24L * 3600) != nullptr &&
            X509_set_pubkey(cert, out.key.get()) == 1;
  X509_NAME* name = X509_get_subject_name(cert);
  ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                        reinterpret_cast<const unsigned char*>(common_name), -1, -1,
                                        0) == 1;
  X509* issuer_cert = issuer != nullptr ? issuer->cert.get() : cert;
  EVP_PKEY* signing_key = issuer != nullptr ? issuer->key.get() : out.key.get();
  ok = ok && X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert)) == 1;
  if (is_ca) {
    ok = ok && add_extension(cert, issuer_cert, NID_basic_constraints, "critical,CA:TRUE") &&
         add_extension(cert, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign") &&
         add_extension(cert, issuer_cert, NID_subject_key_identifier, "hash");
  } else if (issuer != nullptr) {
    ok = ok && add_extension(cert, issuer_cert, NID_basic_constraints, "critical,CA:FALSE") &&
         add_extension(cert, issuer_cert, NID_key_usage, "critical,digitalSignature") &&
         add_extension(cert, issuer_cert, NID_ext_key_usage, "serverAuth,clientAuth") &&
         add_extension(cert, issuer_cert, NID_authority_key_identifier, "keyid:always");
  }
  // Ed25519 signs the whole message: no separate digest (md = null).
  ok = ok && X509_sign(cert, signing_key, nullptr) > 0;
  if (!ok) return {};
  return out;
}

// make_context configures one side: its own certificate and key, the one certificate
// it trusts, and mutual authentication (a server requires a client certificate).
SslCtxPtr make_context(bool server, const Credential& own, X509* trusted, TlsProfile profile) {
  SslCtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  if (!ctx || !own.key || !own.cert || trusted == nullptr) return nullptr;
  SSL_CTX* c = ctx.get();
  bool ok = SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION) == 1 &&
            SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION) == 1 &&
            SSL_CTX_use_certificate(c, own.cert.get()) == 1 &&
            SSL_CTX_use_PrivateKey(c, own.key.get()) == 1 && SSL_CTX_check_private_key(c) == 1 &&
            X509_STORE_add_cert(SSL_CTX_get_cert_store(c), trusted) == 1;
  SSL_CTX_set_verify(
      c, server ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_PEER, nullptr);
  if (profile == TlsProfile::kLeanPinned) {
    ok = ok && SSL_CTX_set_ciphersuites(c, "TLS_CHACHA20_POLY1305_SHA256") == 1 &&
         SSL_CTX_set1_groups_list(c, "X25519") == 1 && SSL_CTX_set_num_tickets(c, 0) == 1;
    SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  }
  if (!ok) return nullptr;
  return ctx;
}

bool step(SSL* ssl, bool* done) {
  if (*done) return true;
  const int result = SSL_do_handshake(ssl);
  if (result == 1) {
    *done = true;
    return true;
  }
  const int error = SSL_get_error(ssl, result);
  return error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE;
}

bool peer_verified(SSL* ssl) {
  return SSL_get_verify_result(ssl) == X509_V_OK && SSL_get0_peer_certificate(ssl) != nullptr;
}

std::string key_type(const X509* cert) {
  if (cert == nullptr) return "none";
  const EVP_PKEY* key = X509_get0_pubkey(cert);
  const char* name = key != nullptr ? EVP_PKEY_get0_type_name(key) : nullptr;
  return name != nullptr ? name : "unknown";
}

}  // namespace

TlsContexts TlsContexts::create(TlsProfile profile) {
  TlsContexts contexts;
  if (profile == TlsProfile::kLeanPinned) {
    const Credential client = make_credential("p2pnet-bench-client", nullptr, false);
    const Credential server = make_credential("p2pnet-bench-server", nullptr, false);
    contexts.client_ = make_context(false, client, server.cert.get(), profile);
    contexts.server_ = make_context(true, server, client.cert.get(), profile);
  } else {
    const Credential ca = make_credential("p2pnet-bench-ca", nullptr, true);
    const Credential client = make_credential("p2pnet-bench-client", &ca, false);
    const Credential server = make_credential("p2pnet-bench-server", &ca, false);
    contexts.client_ = make_context(false, client, ca.cert.get(), profile);
    contexts.server_ = make_context(true, server, ca.cert.get(), profile);
  }
  return contexts;
}

TlsContexts TlsContexts::create_untrusted_server() {
  TlsContexts contexts;
  const Credential client = make_credential("p2pnet-bench-client", nullptr, false);
  const Credential server = make_credential("p2pnet-bench-server", nullptr, false);
  const Credential impostor = make_credential("p2pnet-bench-server", nullptr, false);
  contexts.client_ = make_context(false, client, server.cert.get(), TlsProfile::kLeanPinned);
  contexts.server_ = make_context(true, impostor, client.cert.get(), TlsProfile::kLeanPinned);
  return contexts;
}

TlsPair::TlsPair(const TlsContexts& contexts)
    : client_(SSL_new(contexts.client())), server_(SSL_new(contexts.server())) {
  BIO* client_bio = nullptr;
  BIO* server_bio = nullptr;
  if (!client_ || !server_ ||
      BIO_new_bio_pair(&client_bio, kBioPairBufferSize, &server_bio, kBioPairBufferSize) != 1) {
    client_.reset();
    server_.reset();
    return;
  }
  SSL_set_bio(client_.get(), client_bio, client_bio);  // each SSL now owns its end
  SSL_set_bio(server_.get(), server_bio, server_bio);
  SSL_set_connect_state(client_.get());
  SSL_set_accept_state(server_.get());
}

bool TlsPair::handshake() {
  if (!client_ || !server_) return false;
  bool client_done = false;
  bool server_done = false;
  // TLS 1.3 mutual auth takes two flights each way; a handful of rounds is plenty.
  for (int round = 0; round < 8 && !(client_done && server_done); ++round) {
    if (!step(client_.get(), &client_done) || !step(server_.get(), &server_done)) {
      ERR_clear_error();
      return false;
    }
  }
  if (!client_done || !server_done) return false;
  // Let the client process whatever followed the handshake (NewSessionTicket under
  // the default profile), as a real client does on its next read.
  std::array<unsigned char, 1> byte{};
  const int read = SSL_read(client_.get(), byte.data(), 1);
  if (read > 0 || SSL_get_error(client_.get(), read) != SSL_ERROR_WANT_READ) return false;
  ERR_clear_error();
  return peer_verified(client_.get()) && peer_verified(server_.get());
}

std::string TlsPair::describe() const {
  if (!client_ || !server_) return "no connection";
  const auto group = static_cast<int>(SSL_get_negotiated_group(client_.get()));
  const char* group_name = group != 0 ? OBJ_nid2sn(group) : nullptr;
  const SSL_CIPHER* cipher = SSL_get_current_cipher(client_.get());
  std::string out = SSL_get_version(client_.get());
  out += ", group ";
  out += group_name != nullptr ? group_name : "unknown";
  out += ", cipher ";
  out += cipher != nullptr ? SSL_CIPHER_get_name(cipher) : "unknown";
  out += ", server key ";
  out += key_type(SSL_get0_peer_certificate(client_.get()));
  out += ", client key ";
  out += key_type(SSL_get0_peer_certificate(server_.get()));
  out += ", server chain ";
  const STACK_OF(X509)* chain = SSL_get0_verified_chain(client_.get());
  out += std::to_string(chain != nullptr ? sk_X509_num(chain) : 0);
  out += " cert(s) verified";
  return out;
}

}  // namespace p2pnet::bench
