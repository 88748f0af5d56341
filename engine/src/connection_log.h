// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// connection_log.h: what a Connection tells its log hook and key log (log.h,
// key_log.h). Only formatting lives here; Connection decides when. Every function
// does nothing when its hook is null, so a connection without hooks formats nothing.
#ifndef P2PNET_CONNECTION_LOG_H_
#define P2PNET_CONNECTION_LOG_H_

#include <cstdint>
#include <span>

#include "p2pnet/config.h"
#include "p2pnet/errors.h"
#include "p2pnet/internal/key_schedule.h"

namespace p2pnet {

void log_handshake_started(const LogHook* hook, std::uint64_t id, Role role);
void log_handshake_complete(const LogHook* hook, std::uint64_t id, const PublicKey& peer);
// log_failure reports |error|: as a refusal naming |peer| for kPeerNotAllowed, else
// as a failure with the error's name and the wire code sent for it, if any.
// |established| tells a channel failure from a handshake failure.
void log_failure(const LogHook* hook, std::uint64_t id, Role role, bool established, Error error,
                 const PublicKey& peer);
// write_key_log calls |hook| with the session's key log line (key_log.h) and wipes it.
void write_key_log(const KeyLogHook* hook, const Transcript& transcript,
                   std::span<const std::uint8_t> key_c2s, std::span<const std::uint8_t> key_s2c);

}  // namespace p2pnet

#endif  // P2PNET_CONNECTION_LOG_H_
