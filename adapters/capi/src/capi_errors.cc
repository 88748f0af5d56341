// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// capi_errors.cc: the C API's error reporting, shared by the blocking API
// (p2pnet_capi.cc) and the sans-IO engine (conn.cc): the per-thread last error, the
// static names, and the single mapping from engine errors to p2p_error_t.
//
// Recording an error never allocates: the message is copied into a fixed buffer of
// the thread's last-error slot (cut at its size, which no message of this library
// reaches). So reporting a failure, out of memory included, cannot itself fail, and
// the code a call returns is always the one p2p_last_error() reports.
#include <sodium.h>

#include <array>
#include <string_view>

#include "capi_internal.h"

namespace p2pnet::capi {
namespace {

struct LastError {
  p2p_error_t code = P2P_OK;
  std::array<char, 512> message{};  // NUL-terminated
};
thread_local LastError t_last_error;

}  // namespace

p2p_error_t set_error(p2p_error_t code, std::string_view message) noexcept {
  t_last_error.code = code;
  const std::size_t size =
      message.copy(t_last_error.message.data(), t_last_error.message.size() - 1);
  t_last_error.message[size] = '\0';
  return code;
}

p2p_error_t from_engine(Error error) noexcept {
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
    // The blocking driver drains before it retries, so only the sans-IO API reports it.
    case Error::kSendBufferFull: return P2P_ERR_SEND_BUFFER_FULL;
    case Error::kRandomFailure: return P2P_ERR_RANDOM;
    case Error::kInternalError:
    // A C hook cannot throw: only a C++ embedder's hook reaches this, never through C.
    case Error::kHookFailed: return P2P_ERR_INTERNAL;
    case Error::kOutOfMemory: return P2P_ERR_OUT_OF_MEMORY;
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
    case Error::kCounterExhaustedRemote:
    case Error::kProtocolNotSupported: return P2P_ERR_PROTOCOL;
    case Error::kPeerAbortMalformed:
    case Error::kPeerAbortAuthenticationFailed:
    case Error::kPeerAbortNotAccepted:
    case Error::kPeerAbortTimeout:
    case Error::kPeerAbortReplayedChallenge:
    case Error::kPeerAbortInternal:
    case Error::kPeerAbortUnknownCode: return P2P_ERR_REJECTED_BY_PEER;
    case Error::kTimeout:
    case Error::kFrameTimeout: return P2P_ERR_TIMEOUT;
  }
  return P2P_ERR_INTERNAL;
}

p2p_error_t record_engine(Error error) noexcept {
  if (error == Error::kNone) return ok();
  return set_error(from_engine(error), error_message(error));
}

bool ensure_sodium() noexcept {
  static const bool ready = sodium_init() >= 0;
  if (!ready) set_error(P2P_ERR_INTERNAL, "libsodium failed to initialise");
  return ready;
}

}  // namespace p2pnet::capi

extern "C" {

p2p_error_t p2p_last_error(void) { return p2pnet::capi::t_last_error.code; }
const char* p2p_last_error_message(void) { return p2pnet::capi::t_last_error.message.data(); }

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
    case P2P_ERR_SEND_BUFFER_FULL: return "P2P_ERR_SEND_BUFFER_FULL";
  }
  return "P2P_ERR_UNKNOWN";
}

}  // extern "C"
