// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// key_schedule.h: the signed contents and key derivations of protocol-v1
// ("Signatures" and "Keys"). Pure functions, so tests and the test vectors can check
// each step on its own.
#ifndef P2PNET_INTERNAL_KEY_SCHEDULE_H_
#define P2PNET_INTERNAL_KEY_SCHEDULE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "p2pnet/fingerprint.h"
#include "p2pnet/identity.h"
#include "p2pnet/internal/messages.h"
#include "p2pnet/secret.h"

namespace p2pnet {

inline constexpr std::size_t kKeySize = 32;
using Key = Secret<kKeySize>;

inline constexpr std::string_view kClientAuthLabel = "P2PNet-v1 client auth";
inline constexpr std::string_view kServerAuthLabel = "P2PNet-v1 server auth";
inline constexpr std::string_view kSessionKeyLabel = "P2PNetSessionKey";
inline constexpr std::string_view kClientToServerLabel = "P2PNet-v1 c2s";
inline constexpr std::string_view kServerToClientLabel = "P2PNet-v1 s2c";
inline constexpr std::string_view kFingerprintLabel = "P2PNet-v1 fingerprint";  // fingerprint.h

// The public values both sides agree on by the time keys are derived.
struct Transcript {
  PublicKey client_id;
  PublicKey server_id;
  Challenge challenge{};
  EphemeralPublicKey client_eph{};
  EphemeralPublicKey server_eph{};
};

// Signed contents: each form's exact size, and room for the longest (server) one.
inline constexpr std::size_t kClientSignedContentSize =
    kClientAuthLabel.size() + kChallengeSize + kX25519KeySize + 2 * kPublicKeySize;
inline constexpr std::size_t kServerSignedContentSize =
    kServerAuthLabel.size() + kChallengeSize + 2 * kX25519KeySize + 2 * kPublicKeySize;
inline constexpr std::size_t kMaxSignedContentSize = kServerSignedContentSize;
static_assert(kClientSignedContentSize <= kMaxSignedContentSize);
struct SignedContent {
  std::array<std::uint8_t, kMaxSignedContentSize> bytes{};
  std::size_t size = 0;
  ByteSpan span() const { return ByteSpan(bytes.data(), size); }
};

// client_signed_content = label || challenge || client_eph || client_id || server_id
// (kClientSignedContentSize bytes). Cannot fail: the sizes are checked when compiled.
SignedContent client_signed_content(const Transcript& t);
// server_signed_content = label || challenge || server_eph || client_eph || client_id || server_id
// (kServerSignedContentSize bytes). Cannot fail, likewise.
SignedContent server_signed_content(const Transcript& t);

// EphemeralKeyPair is an X25519 pair; the secret half wipes itself.
struct EphemeralKeyPair {
  Secret<kX25519KeySize> secret_key;
  EphemeralPublicKey public_key{};
};

// ephemeral_from_secret computes the public half of an X25519 secret key
// (crypto_scalarmult_base). The secret is moved in.
EphemeralKeyPair ephemeral_from_secret(Secret<kX25519KeySize> secret_key);

struct SessionKeys {
  Key session_key;  // docs/protocol.md "Keys"; reported by p2p_session_key(); never encrypts
  Key key_c2s;      // client -> server traffic
  Key key_s2c;      // server -> client traffic
};

// derive_session_keys runs X25519(my_eph_secret, peer_eph) and the BLAKE2b schedule.
// Returns nullopt when the shared secret is all zero (a low-order peer key): the
// handshake then fails with authentication failed. The shared secret is wiped here.
std::optional<SessionKeys> derive_session_keys(const Secret<kX25519KeySize>& my_eph_secret,
                                               const EphemeralPublicKey& peer_eph,
                                               const Transcript& t);

}  // namespace p2pnet

#endif  // P2PNET_INTERNAL_KEY_SCHEDULE_H_
