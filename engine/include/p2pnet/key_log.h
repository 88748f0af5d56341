// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// key_log.h: the key log, for decrypting captures while debugging (after NSS's
// SSLKEYLOGFILE for TLS). DANGEROUS: whoever reads a key log reads every message of
// the sessions it lists, forever. Never set it in production; a file holding one is
// as secret as the traffic itself (docs/debugging.md).
//
// A connection whose ClientConfig::key_log or ServerConfig::key_log is set calls it
// once, when its handshake completes, with one line:
//
//   P2PNET_V1_TRAFFIC_KEYS <challenge> <key_c2s> <key_s2c>
//
// each value in lowercase hex (64 characters). The challenge is public (it is sent in
// the ServerHello) and names the session; the two traffic keys open the frames of
// each direction (docs/protocol.md, "Transport frames"). The line is wiped after the
// call, so the hook must copy what it keeps. A hook that throws ends the connection
// (Error::kHookFailed, log.h): a session whose line was not written does not go on. The engine
// never opens a file or reads the environment for this: the embedder decides where the line goes
// (the p2pnet tool's --keylog FILE, docs/cli.md).
//
// Builds configured with -DP2PNET_KEY_LOG=OFF have no key log at all: a connection
// given one fails at once with Error::kInvalidArgument rather than silently logging
// nothing, and key_log_available() returns false.
#ifndef P2PNET_KEY_LOG_H_
#define P2PNET_KEY_LOG_H_

#include <functional>
#include <string_view>

namespace p2pnet {

inline constexpr std::string_view kKeyLogLabel = "P2PNET_V1_TRAFFIC_KEYS";

// KeyLogHook receives one line (no line ending), valid and secret during the call only.
using KeyLogHook = std::function<void(std::string_view line)>;

// key_log_available: whether this build of the engine can write a key log
// (the CMake option P2PNET_KEY_LOG, ON by default).
bool key_log_available();

}  // namespace p2pnet

#endif  // P2PNET_KEY_LOG_H_
