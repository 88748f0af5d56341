// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// p2pnet_capi.cc: the C API over the socket adapter's blocking driver. Each entry
// point runs its body inside `guard`, which records the outcome in the thread's
// last-error slot and turns any C++ exception (only std::bad_alloc is expected) into
// an error code, so nothing unwinds through C frames. The error reporting it shares
// with the sans-IO API (conn.cc) lives in capi_errors.cc.
//
// A session fails like the engine's connection does: terminally. A send, receive or
// close whose error leaves it unusable (the engine's own failure, the transport's,
// running out of memory) ends it at once: the engine and every key in it are
// destroyed, and the session key copy that p2p_session_key() gives out is wiped;
// every later call returns the same error. The copy is also wiped as soon as the
// engine wipes its own (close_notify both ways).
#include <sodium.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "capi_internal.h"
#include "p2pnet.h"
#include "p2pnet/socket/blocking.h"
#include "p2pnet/socket/identity_file.h"

using p2pnet::net::Status;
using p2pnet::net::StatusCode;

struct p2p_socket {
  p2pnet::net::Socket socket;
  p2pnet::Duration timeout{P2P_DEFAULT_TIMEOUT_MS};
};

struct p2p_session {
  p2p_socket* socket = nullptr;  // borrowed
  // The engine; destroyed, with every key it holds, when the session fails.
  std::unique_ptr<p2pnet::net::BlockingSession> session;
  p2p_error_t failure = P2P_OK;  // the error that ended the session, or P2P_OK
  p2pnet::PublicKey peer;
  // What p2p_session_key() points at: a copy, so the pointer stays valid until
  // p2p_session_free, but wiped together with the engine's key (settle()).
  p2pnet::Secret<P2P_SESSION_KEY_SIZE> key;
  bool key_held = false;
  std::vector<std::uint8_t> held;  // a message too large for the caller's buffer
  bool has_held = false;

  ~p2p_session() { wipe_held(); }
  void wipe_held() {
    if (!held.empty()) sodium_memzero(held.data(), held.size());
    held.clear();
    has_held = false;
  }
  // fail ends the session with |code|: the engine goes (its destructor wipes every
  // key and buffer), and so do the key copy and any kept message.
  void fail(p2p_error_t code) noexcept {
    failure = code;
    session.reset();
    wipe_key();
    wipe_held();
  }
  void wipe_key() noexcept {
    key.wipe();
    key_held = false;
  }
};

namespace {

using p2pnet::capi::ensure_sodium;
using p2pnet::capi::from_engine;
using p2pnet::capi::guard;
using p2pnet::capi::invalid;
using p2pnet::capi::ok;
using p2pnet::capi::set_error;

p2p_error_t from_status(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return P2P_OK;
    case StatusCode::kInvalidArgument: return P2P_ERR_INVALID_ARGUMENT;
    case StatusCode::kAddress: return P2P_ERR_ADDRESS;
    case StatusCode::kSystem: return P2P_ERR_SYSTEM;
    case StatusCode::kConnectFailed: return P2P_ERR_CONNECT;
    case StatusCode::kTimeout: return P2P_ERR_TIMEOUT;
    case StatusCode::kConnectionClosed: return P2P_ERR_CONNECTION_CLOSED;
    case StatusCode::kPeerClosed: return P2P_ERR_PEER_CLOSED;
    case StatusCode::kEngine: return from_engine(status.engine_error());
    case StatusCode::kOverloaded:
      return P2P_ERR_INTERNAL;  // the server's; no C API call reports it
    case StatusCode::kFileExists: return P2P_ERR_FILE_EXISTS;
    case StatusCode::kFileNotFound: return P2P_ERR_FILE_NOT_FOUND;
    case StatusCode::kFilePermissions: return P2P_ERR_FILE_PERMISSIONS;
    case StatusCode::kFileInvalid: return P2P_ERR_FILE_INVALID;
  }
  return P2P_ERR_INTERNAL;
}

p2p_error_t record(const Status& status) {
  return set_error(from_status(status), status.message());
}

p2pnet::Duration timeout_or_default(std::uint32_t timeout_ms) {
  return p2pnet::Duration(timeout_ms == 0 ? P2P_DEFAULT_TIMEOUT_MS : timeout_ms);
}

p2pnet::PublicKey key_from(const std::uint8_t* bytes) {
  p2pnet::PublicKey key;
  std::memcpy(key.bytes.data(), bytes, key.bytes.size());
  return key;
}

p2p_session_t* finish_handshake(p2p_socket_t* sock,
                                std::unique_ptr<p2pnet::net::BlockingSession> session) {
  auto out = std::make_unique<p2p_session>();
  out->socket = sock;
  out->peer = session->peer_identity();
  const auto key = session->connection().session_key();
  std::copy(key.begin(), key.end(), out->key.data());
  out->key_held = key.size() == P2P_SESSION_KEY_SIZE;
  out->session = std::move(session);
  ok();
  return out.release();
}

// ends_session: whether |code|, the result of a session call, leaves the session
// unusable. Refusals that change nothing, a message kept for a larger buffer, the
// peer's clean close_notify and a receive that saw nothing in time do not; a send or
// close that timed out may have written part of a frame, so it does.
bool ends_session(p2p_error_t code, bool receiving) noexcept {
  switch (code) {
    case P2P_OK:
    case P2P_ERR_INVALID_ARGUMENT:
    case P2P_ERR_MESSAGE_TOO_LARGE:
    case P2P_ERR_BUFFER_TOO_SMALL:
    case P2P_ERR_STATE:
    case P2P_ERR_SEND_BUFFER_FULL:
    case P2P_ERR_PEER_CLOSED: return false;
    case P2P_ERR_TIMEOUT: return !receiving;
    case P2P_ERR_OUT_OF_MEMORY:
    case P2P_ERR_SYSTEM:
    case P2P_ERR_ADDRESS:
    case P2P_ERR_CONNECT:
    case P2P_ERR_CONNECTION_CLOSED:
    case P2P_ERR_AUTHENTICATION:
    case P2P_ERR_PEER_NOT_ALLOWED:
    case P2P_ERR_REJECTED_BY_PEER:
    case P2P_ERR_PROTOCOL:
    case P2P_ERR_FILE_EXISTS:
    case P2P_ERR_FILE_NOT_FOUND:
    case P2P_ERR_FILE_PERMISSIONS:
    case P2P_ERR_FILE_INVALID:
    case P2P_ERR_RANDOM:
    case P2P_ERR_INTERNAL: return true;
  }
  return true;
}

// settle runs after every session call, with the code it returned (and recorded): it
// ends a session that |code| leaves unusable, and wipes the key copy once the engine
// holds no session key (close_notify went both ways). Returns |code|.
p2p_error_t settle(p2p_session_t* session, p2p_error_t code, bool receiving) noexcept {
  if (session->failure == P2P_OK && ends_session(code, receiving)) session->fail(code);
  if (session->key_held &&
      (!session->session || session->session->connection().session_key().empty())) {
    session->wipe_key();
  }
  return code;
}

// failed_earlier: the error of a session that has failed, recorded again, or P2P_OK.
p2p_error_t failed_earlier(const p2p_session_t* session) noexcept {
  if (session->failure == P2P_OK) return P2P_OK;
  return set_error(session->failure, "the session failed earlier and holds no key: free it");
}

}  // namespace

extern "C" {

p2p_socket_t* p2p_socket_connect(const char* host, uint16_t port, uint32_t timeout_ms) {
  return guard<p2p_socket_t*>(nullptr, [&]() -> p2p_socket_t* {
    if (host == nullptr) return invalid("host is NULL"), nullptr;
    auto sock = std::make_unique<p2p_socket>();
    const Status s = p2pnet::net::connect_tcp(
        &sock->socket, host, port, p2pnet::net::deadline_after(timeout_or_default(timeout_ms)));
    if (!s.ok()) return record(s), nullptr;
    ok();
    return sock.release();
  });
}

p2p_socket_t* p2p_socket_listen(const char* host, uint16_t port) {
  return guard<p2p_socket_t*>(nullptr, [&]() -> p2p_socket_t* {
    if (host == nullptr) return invalid("host is NULL"), nullptr;
    auto sock = std::make_unique<p2p_socket>();
    const Status s = p2pnet::net::listen_tcp(&sock->socket, host, port, 128);
    if (!s.ok()) return record(s), nullptr;
    ok();
    return sock.release();
  });
}

uint16_t p2p_socket_local_port(const p2p_socket_t* sock) {
  return guard<uint16_t>(0, [&]() -> uint16_t {
    if (sock == nullptr) return invalid("socket is NULL"), 0;
    std::uint16_t port = 0;
    const Status s = p2pnet::net::local_port(sock->socket, &port);
    if (!s.ok()) return record(s), 0;
    ok();
    return port;
  });
}

p2p_socket_t* p2p_socket_accept(p2p_socket_t* listener, uint32_t timeout_ms) {
  return guard<p2p_socket_t*>(nullptr, [&]() -> p2p_socket_t* {
    if (listener == nullptr) return invalid("listener is NULL"), nullptr;
    const p2pnet::net::Deadline deadline =
        p2pnet::net::deadline_after(timeout_or_default(timeout_ms));
    auto sock = std::make_unique<p2p_socket>();
    for (;;) {
      std::string peer;
      const Status s = p2pnet::net::accept_tcp(listener->socket, &sock->socket, &peer);
      if (s.ok()) break;
      if (s.code() != StatusCode::kTimeout) return record(s), nullptr;
      unsigned ready = 0;
      const Status waited =
          p2pnet::net::wait_ready(listener->socket, p2pnet::net::kWaitReadable, deadline, &ready);
      if (!waited.ok()) {
        if (waited.code() == StatusCode::kTimeout)
          return set_error(P2P_ERR_TIMEOUT, "no connection arrived in time"), nullptr;
        return record(waited), nullptr;
      }
    }
    ok();
    return sock.release();
  });
}

p2p_error_t p2p_socket_set_timeout(p2p_socket_t* sock, uint32_t timeout_ms) {
  if (sock == nullptr) return invalid("socket is NULL");
  sock->timeout = timeout_or_default(timeout_ms);
  return ok();
}

void p2p_socket_close(p2p_socket_t* sock) {
  delete sock;
  ok();
}

p2p_socket_t* p2p_socket_adopt(intptr_t fd_or_socket) {
  return guard<p2p_socket_t*>(nullptr, [&]() -> p2p_socket_t* {
#ifdef _WIN32
    // A SOCKET is an unsigned pointer-sized integer; INVALID_SOCKET arrives as -1.
    const auto handle = static_cast<p2pnet::net::NativeSocket>(fd_or_socket);
#else
    if (fd_or_socket < 0 || fd_or_socket > INT_MAX) {
      return invalid("not a socket: not a file descriptor number"), nullptr;
    }
    const auto handle = static_cast<p2pnet::net::NativeSocket>(fd_or_socket);
#endif
    auto sock = std::make_unique<p2p_socket>();
    const Status s = p2pnet::net::adopt_stream_socket(handle, &sock->socket);
    if (!s.ok()) return record(s), nullptr;
    ok();
    return sock.release();
  });
}

p2p_keypair_t* p2p_keypair_generate(void) {
  return guard<p2p_keypair_t*>(nullptr, [&]() -> p2p_keypair_t* {
    if (!ensure_sodium()) return nullptr;
    std::optional<p2pnet::Identity> identity = p2pnet::Identity::generate(p2pnet::system_random());
    if (!identity) return set_error(P2P_ERR_RANDOM, "the system random source failed"), nullptr;
    auto keypair = std::make_unique<p2p_keypair>(std::move(*identity));
    ok();
    return keypair.release();
  });
}

p2p_keypair_t* p2p_keypair_load(const char* path) {
  return guard<p2p_keypair_t*>(nullptr, [&]() -> p2p_keypair_t* {
    if (path == nullptr) return invalid("path is NULL"), nullptr;
    if (!ensure_sodium()) return nullptr;
    std::optional<p2pnet::Identity> identity;
    const Status s = p2pnet::net::load_identity_file(path, &identity);
    if (!s.ok()) return record(s), nullptr;
    auto keypair = std::make_unique<p2p_keypair>(std::move(*identity));
    ok();
    return keypair.release();
  });
}

p2p_error_t p2p_keypair_save(const p2p_keypair_t* keypair, const char* path, int overwrite) {
  return guard<p2p_error_t>(P2P_ERR_INTERNAL, [&]() -> p2p_error_t {
    if (keypair == nullptr || path == nullptr) return invalid("keypair or path is NULL");
    return record(p2pnet::net::save_identity_file(path, keypair->identity, overwrite != 0));
  });
}

const uint8_t* p2p_keypair_public_key(const p2p_keypair_t* keypair) {
  if (keypair == nullptr) return invalid("keypair is NULL"), nullptr;
  ok();
  return keypair->identity.public_key().bytes.data();
}

void p2p_keypair_free(p2p_keypair_t* keypair) {
  delete keypair;
  ok();
}

p2p_error_t p2p_public_key_to_text(const uint8_t* pubkey, char out[P2P_PUBLIC_KEY_TEXT_SIZE]) {
  return guard<p2p_error_t>(P2P_ERR_INTERNAL, [&]() -> p2p_error_t {
    if (pubkey == nullptr || out == nullptr) return invalid("pubkey or out is NULL");
    const std::string text = p2pnet::encode_public_key(key_from(pubkey));
    std::memcpy(out, text.c_str(), text.size() + 1);
    return ok();
  });
}

p2p_error_t p2p_public_key_from_text(const char* text, uint8_t out[P2P_PUBLIC_KEY_SIZE]) {
  return guard<p2p_error_t>(P2P_ERR_INTERNAL, [&]() -> p2p_error_t {
    if (text == nullptr || out == nullptr) return invalid("text or out is NULL");
    if (!ensure_sodium()) return P2P_ERR_INTERNAL;
    const std::optional<p2pnet::PublicKey> key = p2pnet::decode_public_key(text);
    if (!key) return invalid("not a valid 43-character public key");
    std::memcpy(out, key->bytes.data(), key->bytes.size());
    return ok();
  });
}

p2p_session_t* p2p_handshake_client(p2p_socket_t* sock, p2p_keypair_t* my_keypair,
                                    const uint8_t* expected_peer_pubkey) {
  return guard<p2p_session_t*>(nullptr, [&]() -> p2p_session_t* {
    if (sock == nullptr || my_keypair == nullptr)
      return invalid("socket or keypair is NULL"), nullptr;
    if (!ensure_sodium()) return nullptr;
    p2pnet::ClientConfig config;
    config.identity = &my_keypair->identity;
    if (expected_peer_pubkey != nullptr) config.expected_server = key_from(expected_peer_pubkey);
    config.handshake_timeout = sock->timeout;
    std::unique_ptr<p2pnet::net::BlockingSession> session;
    const Status s = p2pnet::net::BlockingSession::handshake_client(
        &session, sock->socket, config, p2pnet::net::deadline_after(sock->timeout));
    if (!s.ok()) return record(s), nullptr;
    return finish_handshake(sock, std::move(session));
  });
}

p2p_session_t* p2p_handshake_server(p2p_socket_t* sock, p2p_keypair_t* my_keypair,
                                    const uint8_t** allowed_peers, size_t num_allowed) {
  return guard<p2p_session_t*>(nullptr, [&]() -> p2p_session_t* {
    if (sock == nullptr || my_keypair == nullptr)
      return invalid("socket or keypair is NULL"), nullptr;
    if (!ensure_sodium()) return nullptr;
    // The engine borrows the allow-list only during the handshake: this copy lives
    // until the call returns.
    std::vector<p2pnet::PublicKey> allowed;
    p2pnet::ServerConfig config;
    config.identity = &my_keypair->identity;
    if (allowed_peers != nullptr) {
      if (num_allowed > P2P_MAX_ALLOWED_PEERS) {
        return invalid("num_allowed is over P2P_MAX_ALLOWED_PEERS"), nullptr;
      }
      allowed.reserve(num_allowed);
      for (size_t i = 0; i < num_allowed; ++i) {
        if (allowed_peers[i] == nullptr) return invalid("allowed_peers holds a NULL key"), nullptr;
        allowed.push_back(key_from(allowed_peers[i]));
      }
      config.allowed_clients = std::span<const p2pnet::PublicKey>(allowed);
    }
    config.handshake_timeout = sock->timeout;
    std::unique_ptr<p2pnet::net::BlockingSession> session;
    const Status s = p2pnet::net::BlockingSession::handshake_server(
        &session, sock->socket, config, p2pnet::net::deadline_after(sock->timeout));
    if (!s.ok()) return record(s), nullptr;
    return finish_handshake(sock, std::move(session));
  });
}

const uint8_t* p2p_session_peer_pubkey(p2p_session_t* session) {
  if (session == nullptr) return invalid("session is NULL"), nullptr;
  ok();
  return session->peer.bytes.data();
}

const uint8_t* p2p_session_key(p2p_session_t* session) {
  if (session == nullptr) return invalid("session is NULL"), nullptr;
  if (!session->key_held) {
    return set_error(P2P_ERR_STATE,
                     "the session key is wiped: the session failed or closed both ways"),
           nullptr;
  }
  ok();
  return session->key.data();
}

void p2p_session_free(p2p_session_t* session) {
  delete session;  // Secret and the engine's buffers wipe themselves
  ok();
}

p2p_error_t p2p_session_send(p2p_session_t* session, const uint8_t* data, size_t length) {
  if (session == nullptr || (data == nullptr && length > 0)) {
    return invalid("session or data is NULL");
  }
  const p2p_error_t code = guard<p2p_error_t>(P2P_ERR_INTERNAL, [&]() -> p2p_error_t {
    if (session->failure != P2P_OK) return failed_earlier(session);
    if (length == 0) return invalid("an empty message cannot be sent (use p2p_session_close)");
    const Status s = session->session->send(p2pnet::ByteSpan(data, length),
                                            p2pnet::net::deadline_after(session->socket->timeout));
    return record(s);
  });
  return settle(session, code, false);
}

p2p_error_t p2p_session_receive(p2p_session_t* session, uint8_t* buffer, size_t capacity,
                                size_t* received) {
  if (received != nullptr) *received = 0;
  if (session == nullptr || received == nullptr || (buffer == nullptr && capacity > 0)) {
    return invalid("session, buffer or received is NULL");
  }
  const p2p_error_t code = guard<p2p_error_t>(P2P_ERR_INTERNAL, [&]() -> p2p_error_t {
    if (session->failure != P2P_OK) return failed_earlier(session);
    if (!session->has_held) {
      p2pnet::ByteSpan message;
      const Status s = session->session->receive(
          &message, p2pnet::net::deadline_after(session->socket->timeout));
      if (!s.ok()) return record(s);
      if (message.size() <= capacity) {
        // buffer is NULL only with capacity 0 (checked above), so there is nothing to
        // copy; memcpy's pointers must be valid even for zero bytes.
        if (buffer != nullptr) std::memcpy(buffer, message.data(), message.size());
        *received = message.size();
        return ok();
      }
      // Too large for the caller: keep it (the engine's span dies on the next call).
      // Should the copy fail, the message would be lost: out of memory ends the
      // session (settle) rather than let a later receive skip it.
      session->held.assign(message.begin(), message.end());
      session->has_held = true;
    }
    *received = session->held.size();
    if (session->held.size() > capacity) {
      return set_error(P2P_ERR_BUFFER_TOO_SMALL,
                       "the message does not fit the buffer: *received is its size");
    }
    if (buffer != nullptr) std::memcpy(buffer, session->held.data(), session->held.size());
    session->wipe_held();
    return ok();
  });
  return settle(session, code, true);
}

p2p_error_t p2p_session_close(p2p_session_t* session) {
  if (session == nullptr) return invalid("session is NULL");
  const p2p_error_t code = guard<p2p_error_t>(P2P_ERR_INTERNAL, [&]() -> p2p_error_t {
    if (session->failure != P2P_OK) return failed_earlier(session);
    return record(session->session->close(p2pnet::net::deadline_after(session->socket->timeout)));
  });
  return settle(session, code, false);
}

}  // extern "C"
