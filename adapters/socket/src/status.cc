// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// status.cc: names of the adapter status codes and the engine-error wrapper.
#include "p2pnet/socket/status.h"

namespace p2pnet::net {

std::string_view status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "Ok";
    case StatusCode::kInvalidArgument: return "InvalidArgument";
    case StatusCode::kAddress: return "Address";
    case StatusCode::kSystem: return "System";
    case StatusCode::kConnectFailed: return "ConnectFailed";
    case StatusCode::kTimeout: return "Timeout";
    case StatusCode::kConnectionClosed: return "ConnectionClosed";
    case StatusCode::kPeerClosed: return "PeerClosed";
    case StatusCode::kEngine: return "Engine";
    case StatusCode::kOverloaded: return "Overloaded";
    case StatusCode::kFileExists: return "FileExists";
    case StatusCode::kFileNotFound: return "FileNotFound";
    case StatusCode::kFilePermissions: return "FilePermissions";
    case StatusCode::kFileInvalid: return "FileInvalid";
  }
  return "Unknown";
}

Status Status::engine(Error error) {
  if (error == Error::kNone) return Status();
  // An engine deadline (the handshake's, a frame's) is a timeout to the caller
  // whichever layer noticed it.
  Status status(
      error_category(error) == ErrorCategory::kTimeout ? StatusCode::kTimeout : StatusCode::kEngine,
      std::string(error_message(error)));
  status.engine_error_ = error;
  return status;
}

}  // namespace p2pnet::net
