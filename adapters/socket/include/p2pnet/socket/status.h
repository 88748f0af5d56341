// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// status.h: the result of an adapter call. The engine reports protocol failures as
// p2pnet::Error; the adapters add what only they can see (an address that does not
// parse, a refused connect, a deadline, a reset, a file with loose permissions). A
// Status carries one code from StatusCode, the engine error when the code is kEngine,
// and a one-line message for people. Messages never contain a secret.
#ifndef P2PNET_SOCKET_STATUS_H_
#define P2PNET_SOCKET_STATUS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "p2pnet/errors.h"

namespace p2pnet::net {

enum class StatusCode : std::uint8_t {
  kOk,
  kInvalidArgument,   // the caller passed something unusable (empty path, port 0 to connect)
  kAddress,           // a host that is not a numeric IPv4/IPv6 address
  kSystem,            // a socket or file call failed for another reason (message has it)
  kConnectFailed,     // the TCP connect was refused or failed
  kTimeout,           // a deadline passed before the operation finished
  kConnectionClosed,  // the peer closed or reset the TCP stream
  kPeerClosed,        // the peer sent close_notify: a clean end, no more messages
  kEngine,            // the protocol engine failed; engine_error() says why
  kOverloaded,        // a server shed this connection to stay within its bounds
  kFileExists,        // the identity file exists and overwriting was not asked for
  kFileNotFound,      // the identity file does not exist
  kFilePermissions,   // the identity file is readable or writable by group/other, or a symlink
  kFileInvalid,       // the identity file has the wrong size or content
};

// status_code_name returns a stable name for logs, e.g. "Timeout".
std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // success
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  // engine wraps an engine error; the message is the engine's sentence for it.
  static Status engine(Error error);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  // engine_error is the engine's error for kEngine, Error::kNone otherwise.
  Error engine_error() const { return engine_error_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  Error engine_error_ = Error::kNone;
  std::string message_;
};

}  // namespace p2pnet::net

#endif  // P2PNET_SOCKET_STATUS_H_
