// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// connection_status.h: how the socket layer's drivers (server.cc, blocking.cc) report
// a connection whose engine failed (internal to the socket adapter).
#ifndef P2PNET_SOCKET_SRC_CONNECTION_STATUS_H_
#define P2PNET_SOCKET_SRC_CONNECTION_STATUS_H_

#include <string>

#include "p2pnet/socket/status.h"

namespace p2pnet::net {

// connection_failure is the status for a connection whose engine failed with |error|.
// A stream that ended without close_notify (kTruncated, or kConnectionClosed during
// the handshake) is kConnectionClosed, which is what callers test for; every other
// error is Status::engine's (kEngine, or kTimeout for the handshake deadline).
inline Status connection_failure(Error error) {
  if (error == Error::kTruncated || error == Error::kConnectionClosed) {
    return Status(StatusCode::kConnectionClosed, std::string(error_message(error)));
  }
  return Status::engine(error);
}

}  // namespace p2pnet::net

#endif  // P2PNET_SOCKET_SRC_CONNECTION_STATUS_H_
