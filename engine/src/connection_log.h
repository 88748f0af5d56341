// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// connection_log.h: what a Connection tells its log hook and key log (log.h,
// key_log.h). Only formatting lives here; Connection decides when. Every function
// does nothing when its hook is null, so a connection without hooks formats nothing.
// None of them throws: what the formatting or the hook throws comes back as an error,
// kOutOfMemory (std::bad_alloc) or kHookFailed (anything else), and Connection fails
// closed on it.
#ifndef P2PNET_CONNECTION_LOG_H_
#define P2PNET_CONNECTION_LOG_H_

#include <cstdint>
#include <span>

#include "p2pnet/config.h"
#include "p2pnet/errors.h"
#include "p2pnet/internal/key_schedule.h"

namespace p2pnet {

[[nodiscard]] Error log_handshake_started(const LogHook* hook, std::uint64_t id,
                                          Role role) noexcept;
[[nodiscard]] Error log_handshake_complete(const LogHook* hook, std::uint64_t id,
                                           const PublicKey& peer) noexcept;
// log_failure reports |error|: as a refusal naming |peer| for kPeerNotAllowed, else
// as a failure with the error's name and the wire code sent for it, if any.
// |established| tells a channel failure from a handshake failure. The connection has
// failed already, so a hook that throws here is ignored.
void log_failure(const LogHook* hook, std::uint64_t id, Role role, bool established, Error error,
                 const PublicKey& peer) noexcept;
// write_key_log calls |hook| with the session's key log line (key_log.h) and wipes the
// line, whether the hook returns or throws.
[[nodiscard]] Error write_key_log(const KeyLogHook* hook, const Transcript& transcript,
                                  const Key& key_c2s, const Key& key_s2c) noexcept;

}  // namespace p2pnet

#endif  // P2PNET_CONNECTION_LOG_H_
