// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// log.h: the library's log hook. An embedder that sets ClientConfig::log_hook or
// ServerConfig::log_hook (config.h) is told, as one short English sentence each, when
// a handshake starts, completes (with the peer's full public key), is refused (the
// peer's full key and why) or fails (the error's name and the wire code sent, if
// any). Off by default: with no hook nothing is formatted. The hook is called
// synchronously from inside the connection call that caused the event, on the
// caller's thread; it must not call back into that connection. Messages never hold
// secret material: public keys, error names and wire codes only (tests/engine/
// connection_log_test.cc checks that no key of the session appears).
//
// A hook that throws does not throw through the engine: the connection catches it
// and fails closed, with Error::kHookFailed (Error::kOutOfMemory for std::bad_alloc,
// which formatting the message may throw too), every key wiped and, at completion,
// the completion never reported (docs/architecture.md, "Hooks"). Only the failure
// message is exempt: the connection has failed already. Catch inside the hook if
// losing a line is acceptable.
#ifndef P2PNET_LOG_H_
#define P2PNET_LOG_H_

#include <cstdint>
#include <functional>
#include <string_view>

namespace p2pnet {

enum class LogLevel : std::uint8_t {
  kDebug,    // handshake started
  kInfo,     // handshake completed
  kWarning,  // peer refused (not on the allow-list, or not the expected server)
  kError,    // handshake or channel failed
};

// log_level_name returns "debug", "info", "warning" or "error".
std::string_view log_level_name(LogLevel level);

// LogHook receives one event: its level, the connection's id (ClientConfig::log_id /
// ServerConfig::log_id, chosen by the embedder, e.g. the socket server's
// ConnectionId) and the message, valid only during the call.
using LogHook =
    std::function<void(LogLevel level, std::uint64_t connection_id, std::string_view message)>;

}  // namespace p2pnet

#endif  // P2PNET_LOG_H_
