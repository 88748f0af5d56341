// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The sentences of the log hook and the line of the key log. Public keys are shown in
// full (43 characters), so an operator can copy a refused client's key into an
// allow-list; nothing secret is ever formatted here except the key log line, which is
// built in a fixed buffer and wiped after its hook returns or throws.
//
// Formatting allocates and a hook is the embedder's code, so either may throw. Nothing
// thrown leaves this file: run_hook turns it into an error for Connection, which
// fails closed on it (docs/architecture.md, "Hooks").
#include "connection_log.h"

#include <sodium.h>

#include <array>
#include <new>
#include <string>

#include "p2pnet/key_log.h"

namespace p2pnet {

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kError: return "error";
  }
  return "unknown";  // unreachable: every enumerator is listed
}

bool key_log_available() {
#if P2PNET_KEY_LOG
  return true;
#else
  return false;
#endif
}

namespace {

std::string_view role_name(Role role) { return role == Role::kClient ? "client" : "server"; }

std::string wire_code_text(Error error) {
  const WireErrorCode code = wire_code_for(error);
  if (code == WireErrorCode::kNone) return "no Error sent";
  constexpr char kHex[] = "0123456789abcdef";
  const auto value = static_cast<unsigned>(code);
  return std::string("sent Error 0x") + kHex[(value >> 4) & 0xf] + kHex[value & 0xf];
}

// run_hook runs |call| (format, then call the hook) and returns what it threw as an
// error: kOutOfMemory for std::bad_alloc, kHookFailed for anything else.
template <typename Call>
Error run_hook(const Call& call) noexcept {
  try {
    call();
    return Error::kNone;
  } catch (const std::bad_alloc&) {
    return Error::kOutOfMemory;
  } catch (...) {
    return Error::kHookFailed;
  }
}

}  // namespace

Error log_handshake_started(const LogHook* hook, std::uint64_t id, Role role) noexcept {
  if (hook == nullptr || !*hook) return Error::kNone;
  return run_hook(
      [&] { (*hook)(LogLevel::kDebug, id, std::string(role_name(role)) + " handshake started"); });
}

Error log_handshake_complete(const LogHook* hook, std::uint64_t id,
                             const PublicKey& peer) noexcept {
  if (hook == nullptr || !*hook) return Error::kNone;
  return run_hook(
      [&] { (*hook)(LogLevel::kInfo, id, "handshake complete, peer " + encode_public_key(peer)); });
}

void log_failure(const LogHook* hook, std::uint64_t id, Role role, bool established, Error error,
                 const PublicKey& peer) noexcept {
  if (hook == nullptr || !*hook) return;
  // The connection has failed already: a hook that throws here changes nothing.
  (void)run_hook([&] {
    if (error == Error::kPeerNotAllowed) {
      const char* reason =
          role == Role::kServer ? "client not on the allow-list" : "server is not the expected one";
      (*hook)(LogLevel::kWarning, id,
              "refused peer " + encode_public_key(peer) + ": " + reason + " (" +
                  wire_code_text(error) + ")");
      return;
    }
    // A channel sends no Error message, whatever its failure (kInternalError and
    // kOutOfMemory have a wire code for the handshake only).
    (*hook)(LogLevel::kError, id,
            std::string(established ? "channel failed: " : "handshake failed: ") +
                std::string(error_name(error)) + " (" +
                (established ? std::string("no Error sent") : wire_code_text(error)) + ")");
  });
}

Error write_key_log(const KeyLogHook* hook, const Transcript& transcript, const Key& key_c2s,
                    const Key& key_s2c) noexcept {
#if P2PNET_KEY_LOG
  if (hook == nullptr || !*hook) return Error::kNone;
  // label, then three 64-character hex values, each after a space, and the NUL
  // sodium_bin2hex writes.
  constexpr std::size_t kHexSize = 2 * kKeySize;
  static_assert(kChallengeSize == kKeySize);
  std::array<char, kKeyLogLabel.size() + 3 * (1 + kHexSize) + 1> line{};
  std::size_t at = kKeyLogLabel.copy(line.data(), kKeyLogLabel.size());
  for (const std::span<const std::uint8_t> value :
       {std::span<const std::uint8_t>(transcript.challenge),
        std::span<const std::uint8_t>(key_c2s.bytes()),
        std::span<const std::uint8_t>(key_s2c.bytes())}) {
    line[at++] = ' ';
    sodium_bin2hex(line.data() + at, kHexSize + 1, value.data(), value.size());
    at += kHexSize;
  }
  const Error error = run_hook([&] { (*hook)(std::string_view(line.data(), at)); });
  sodium_memzero(line.data(), line.size());  // whether the hook returned or threw
  return error;
#else
  (void)hook, (void)transcript, (void)key_c2s, (void)key_s2c;  // refused at creation instead
  return Error::kNone;
#endif
}

}  // namespace p2pnet
