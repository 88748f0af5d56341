// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// p2pnet_capi.cc: the C API over the socket adapter's blocking driver. Each entry
// point runs its body inside `guard`, which records the outcome in the thread's
// last-error slot and turns any C++ exception (only std::bad_alloc is expected) into
// an error code, so nothing unwinds through C frames.
#include "p2pnet.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "p2pnet/socket/blocking.h"
#include "p2pnet/socket/identity_file.h"

using p2pnet::net::Status;
using p2pnet::net::StatusCode;

struct p2p_socket {
  p2pnet::net::Socket socket;
  p2pnet::Duration timeout{P2P_DEFAULT_TIMEOUT_MS};
};

struct p2p_keypair {
  explicit p2p_keypair(p2pnet::Identity id) : identity(std::move(id)) {}
  p2pnet::Identity identity;  // wipes its secret key on destruction
};

struct p2p_session {
  p2p_socket* socket = nullptr;  // borrowed
  std::unique_ptr<p2pnet::net::BlockingSession> session;
  p2pnet::PublicKey peer;
  p2pnet::Secret<P2P_SESSION_KEY_SIZE> key;
  std::vector<std::uint8_t> held;  // a message too large for the caller's buffer
  bool has_held = false;

  ~p2p_session() { wipe_held(); }
  void wipe_held() {
    if (!held.empty()) sodium_memzero(held.data(), held.size());
    held.clear();
    has_held = false;
  }
};

namespace {

struct LastError {
  p2p_error_t code = P2P_OK;
  std::string message;
};
thread_local LastError t_last_error;

p2p_error_t set_error(p2p_error_t code, std::string message) {
  t_last_error.code = code;
  t_last_error.message = std::move(message);
  return code;
}

p2p_error_t from_engine(p2pnet::Error error) {
  using p2pnet::Error;
  // Every engine error is listed (no default), so a new one fails to compile here
  // until it is given a C code.
  switch (error) {
    case Error::kNone: return P2P_OK;
    case Error::kInvalidArgument:
    case Error::kBadPublicKeyText: return P2P_ERR_INVALID_ARGUMENT;
    case Error::kWrongState:
    case Error::kAlreadyClosed:
    case Error::kCounterExhausted: return P2P_ERR_STATE;
    case Error::kMessageTooLarge: return P2P_ERR_MESSAGE_TOO_LARGE;
    case Error::kSendBufferFull: return P2P_ERR_INTERNAL;  // the driver drains before retrying
    case Error::kRandomFailure: return P2P_ERR_RANDOM;
    case Error::kBadIdentityFile: return P2P_ERR_FILE_INVALID;
    case Error::kAuthenticationFailed: return P2P_ERR_AUTHENTICATION;
    case Error::kPeerNotAllowed: return P2P_ERR_PEER_NOT_ALLOWED;
    case Error::kConnectionClosed:
    case Error::kTruncated: return P2P_ERR_CONNECTION_CLOSED;
    case Error::kMalformedMessage:
    case Error::kReplayedChallenge:
    case Error::kFrameTooLarge:
    case Error::kFrameAuthFailed:
    case Error::kDataAfterClose:
    case Error::kCounterExhaustedRemote: return P2P_ERR_PROTOCOL;
    case Error::kPeerAbortMalformed:
    case Error::kPeerAbortAuthenticationFailed:
    case Error::kPeerAbortNotAccepted:
    case Error::kPeerAbortTimeout:
    case Error::kPeerAbortReplayedChallenge:
    case Error::kPeerAbortInternal: return P2P_ERR_REJECTED_BY_PEER;
    case Error::kTimeout: return P2P_ERR_TIMEOUT;
  }
  return P2P_ERR_INTERNAL;
}

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
    case StatusCode::kOverloaded: return P2P_ERR_INTERNAL;  // the server's; no C API call reports it
    case StatusCode::kFileExists: return P2P_ERR_FILE_EXISTS;
    case StatusCode::kFileNotFound: return P2P_ERR_FILE_NOT_FOUND;
    case StatusCode::kFilePermissions: return P2P_ERR_FILE_PERMISSIONS;
    case StatusCode::kFileInvalid: return P2P_ERR_FILE_INVALID;
  }
  return P2P_ERR_INTERNAL;
}

p2p_error_t record(const Status& status) { return set_error(from_status(status), status.message()); }
p2p_error_t ok() { return set_error(P2P_OK, ""); }
p2p_error_t invalid(const char* what) { return set_error(P2P_ERR_INVALID_ARGUMENT, what); }

// guard runs |body| and converts an escaping exception into a recorded error.
template <typename Result, typename Body>
Result guard(Result on_exception, Body body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    set_error(P2P_ERR_OUT_OF_MEMORY, "out of memory");
  } catch (...) {
    set_error(P2P_ERR_INTERNAL, "internal error");
  }
  return on_exception;
}

bool ensure_sodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) set_error(P2P_ERR_INTERNAL, "libsodium failed to initialise");
  return ready;
}

p2pnet::Duration timeout_or_default(std::uint32_t timeout_ms) {
  return p2pnet::Duration(timeout_ms == 0 ? P2P_DEFAULT_TIMEOUT_MS : timeout_ms);
}

p2pnet::PublicKey key_from(const std::uint8_t* bytes) {
  p2pnet::PublicKey key;
  std::memcpy(key.bytes.data(), bytes, key.bytes.size());
  return key;
}

p2p_session_t* finish_handshake(p2p_socket_t* sock, std::unique_ptr<p2pnet::net::BlockingSession> session) {
  auto out = std::make_unique<p2p_session>();
  out->socket = sock;
  out->peer = session->peer_identity();
  const auto key = session->connection().session_key();
  std::copy(key.begin(), key.end(), out->key.data());
  out->session = std::move(session);
  ok();
  return out.release();
}

}  // namespace

extern "C" {

p2p_error_t p2p_last_error(void) { return t_last_error.code; }
const char* p2p_last_error_message(void) { return t_last_error.message.c_str(); }

const char* p2p_error_name(p2p_error_t error) {
  switch (error) {
    case P2P_OK: return "P2P_OK";
    case P2P_ERR_INVALID_ARGUMENT: return "P2P_ERR_INVALID_ARGUMENT";
    case P2P_ERR_OUT_OF_MEMORY: return "P2P_ERR_OUT_OF_MEMORY";
    case P2P_ERR_SYSTEM: return "P2P_ERR_SYSTEM";
    case P2P_ERR_ADDRESS: return "P2P_ERR_ADDRESS";
    case P2P_ERR_CONNECT: return "P2P_ERR_CONNECT";
    case P2P_ERR_TIMEOUT: return "P2P_ERR_TIMEOUT";
    case P2P_ERR_CONNECTION_CLOSED: return "P2P_ERR_CONNECTION_CLOSED";
    case P2P_ERR_PEER_CLOSED: return "P2P_ERR_PEER_CLOSED";
    case P2P_ERR_AUTHENTICATION: return "P2P_ERR_AUTHENTICATION";
    case P2P_ERR_PEER_NOT_ALLOWED: return "P2P_ERR_PEER_NOT_ALLOWED";
    case P2P_ERR_REJECTED_BY_PEER: return "P2P_ERR_REJECTED_BY_PEER";
    case P2P_ERR_PROTOCOL: return "P2P_ERR_PROTOCOL";
    case P2P_ERR_MESSAGE_TOO_LARGE: return "P2P_ERR_MESSAGE_TOO_LARGE";
    case P2P_ERR_BUFFER_TOO_SMALL: return "P2P_ERR_BUFFER_TOO_SMALL";
    case P2P_ERR_STATE: return "P2P_ERR_STATE";
    case P2P_ERR_FILE_EXISTS: return "P2P_ERR_FILE_EXISTS";
    case P2P_ERR_FILE_NOT_FOUND: return "P2P_ERR_FILE_NOT_FOUND";
    case P2P_ERR_FILE_PERMISSIONS: return "P2P_ERR_FILE_PERMISSIONS";
    case P2P_ERR_FILE_INVALID: return "P2P_ERR_FILE_INVALID";
    case P2P_ERR_RANDOM: return "P2P_ERR_RANDOM";
    case P2P_ERR_INTERNAL: return "P2P_ERR_INTERNAL";
  }
  return "P2P_ERR_UNKNOWN";
}

p2p_socket_t* p2p_socket_connect(const char* host, uint16_t port, uint32_t timeout_ms) {
  return guard<p2p_socket_t*>(nullptr, [&]() -> p2p_socket_t* {
    if (host == nullptr) return invalid("host is NULL"), nullptr;
    auto sock = std::make_unique<p2p_socket>();
    const Status s = p2pnet::net::connect_tcp(&sock->socket, host, port,
                                              p2pnet::net::deadline_after(timeout_or_default(timeout_ms)));
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
    const p2pnet::net::Deadline deadline = p2pnet::net::deadline_after(timeout_or_default(timeout_ms));
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
        if (waited.code() == StatusCode::kTimeout) return set_error(P2P_ERR_TIMEOUT, "no connection arrived in time"), nullptr;
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
    if (sock == nullptr || my_keypair == nullptr) return invalid("socket or keypair is NULL"), nullptr;
    if (!ensure_sodium()) return nullptr;
    p2pnet::ClientConfig config;
    config.identity = &my_keypair->identity;
    if (expected_peer_pubkey != nullptr) config.expected_server = key_from(expected_peer_pubkey);
    config.handshake_timeout = sock->timeout;
    std::unique_ptr<p2pnet::net::BlockingSession> session;
    const Status s = p2pnet::net::BlockingSession::handshake_client(&session, sock->socket, config,
                                                                    p2pnet::net::deadline_after(sock->timeout));
    if (!s.ok()) return record(s), nullptr;
    return finish_handshake(sock, std::move(session));
  });
}

p2p_session_t* p2p_handshake_server(p2p_socket_t* sock, p2p_keypair_t* my_keypair, const uint8_t** allowed_peers,
                                    size_t num_allowed) {
  return guard<p2p_session_t*>(nullptr, [&]() -> p2p_session_t* {
    if (sock == nullptr || my_keypair == nullptr) return invalid("socket or keypair is NULL"), nullptr;
    if (!ensure_sodium()) return nullptr;
    // The engine borrows the allow-list only during the handshake: this copy lives
    // until the call returns.
    std::vector<p2pnet::PublicKey> allowed;
    p2pnet::ServerConfig config;
    config.identity = &my_keypair->identity;
    if (allowed_peers != nullptr) {
      allowed.reserve(num_allowed);
      for (size_t i = 0; i < num_allowed; ++i) {
        if (allowed_peers[i] == nullptr) return invalid("allowed_peers holds a NULL key"), nullptr;
        allowed.push_back(key_from(allowed_peers[i]));
      }
      config.allowed_clients = std::span<const p2pnet::PublicKey>(allowed);
    }
    config.handshake_timeout = sock->timeout;
    std::unique_ptr<p2pnet::net::BlockingSession> session;
    const Status s = p2pnet::net::BlockingSession::handshake_server(&session, sock->socket, config,
                                                                    p2pnet::net::deadline_after(sock->timeout));
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
  ok();
  return session->key.data();
}

void p2p_session_free(p2p_session_t* session) {
  delete session;  // Secret and the engine's buffers wipe themselves
  ok();
}

p2p_error_t p2p_session_send(p2p_session_t* session, const uint8_t* data, size_t length) {
  return guard<p2p_error_t>(P2P_ERR_INTERNAL, [&]() -> p2p_error_t {
    if (session == nullptr || (data == nullptr && length > 0)) return invalid("session or data is NULL");
    if (length == 0) return invalid("an empty message cannot be sent (use p2p_session_close)");
    const Status s = session->session->send(p2pnet::ByteSpan(data, length),
                                            p2pnet::net::deadline_after(session->socket->timeout));
    return record(s);
  });
}

p2p_error_t p2p_session_receive(p2p_session_t* session, uint8_t* buffer, size_t capacity, size_t* received) {
  return guard<p2p_error_t>(P2P_ERR_INTERNAL, [&]() -> p2p_error_t {
    if (session == nullptr || received == nullptr || (buffer == nullptr && capacity > 0)) {
      return invalid("session, buffer or received is NULL");
    }
    *received = 0;
    if (!session->has_held) {
      p2pnet::ByteSpan message;
      const Status s = session->session->receive(&message, p2pnet::net::deadline_after(session->socket->timeout));
      if (!s.ok()) return record(s);
      if (message.size() <= capacity) {
        std::memcpy(buffer, message.data(), message.size());
        *received = message.size();
        return ok();
      }
      // Too large for the caller: keep it (the engine's span dies on the next call).
      session->held.assign(message.begin(), message.end());
      session->has_held = true;
    }
    *received = session->held.size();
    if (session->held.size() > capacity) {
      return set_error(P2P_ERR_BUFFER_TOO_SMALL,
                       "message of " + std::to_string(session->held.size()) + " bytes does not fit the buffer");
    }
    std::memcpy(buffer, session->held.data(), session->held.size());
    session->wipe_held();
    return ok();
  });
}

p2p_error_t p2p_session_close(p2p_session_t* session) {
  return guard<p2p_error_t>(P2P_ERR_INTERNAL, [&]() -> p2p_error_t {
    if (session == nullptr) return invalid("session is NULL");
    return record(session->session->close(p2pnet::net::deadline_after(session->socket->timeout)));
  });
}

}  // extern "C"
