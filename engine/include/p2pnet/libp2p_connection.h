// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// libp2p_connection.h: the libp2p Noise secure channel (docs/libp2p.md), the engine's
// second profile beside protocol v1: multistream-select 1.0 negotiates "/noise", then
// Noise_XX_25519_ChaChaPoly_SHA256 with an empty prologue and 2-byte big-endian
// framing, each side's static X25519 key signed by its Ed25519 identity inside the
// NoiseHandshakePayload; then an encrypted byte stream, chunked into Noise messages of
// at most 65535 bytes. Sans-IO, like Connection: bytes in, bytes out, events pulled.
//
// Polling order (the same as Connection's):
//   1. handle_bytes(input, now) with what the transport delivered (an empty span is
//      the end of the stream). It stops after each decrypted chunk of data, so pull
//      every event with poll_event() and offer the unconsumed rest again.
//   2. poll_transmit(out) until pending_transmit() is 0; write it all to the transport.
//   3. poll_timeout() for the handshake deadline; handle_timeout(now) when it passes.
// After close(), once pending_transmit() is 0, shut down the transport's write side.
//
// libp2p's Noise channel has no close message: its end is authenticated only by the
// stream muxer above it (yamux's GoAway and FIN). So the engine never reports an end
// as data: a stream that ends inside a Noise message fails with kTruncated, and one
// that ends between messages gives kPeerEnded, which an embedder must treat as an
// unclean end unless its muxer closed the stream first.
#ifndef P2PNET_LIBP2P_CONNECTION_H_
#define P2PNET_LIBP2P_CONNECTION_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "p2pnet/byte_span.h"
#include "p2pnet/errors.h"
#include "p2pnet/identity.h"
#include "p2pnet/random.h"
#include "p2pnet/read_result.h"
#include "p2pnet/secret.h"
#include "p2pnet/time.h"

namespace p2pnet {

inline constexpr std::size_t kLibp2pStaticKeySize = 32;
// The largest Noise message (libp2p's framing: a 2-byte length), and the plaintext
// one transport message carries (the rest is the 16-byte tag).
inline constexpr std::size_t kLibp2pMaxNoiseMessage = 65535;
inline constexpr std::size_t kLibp2pMaxChunk = kLibp2pMaxNoiseMessage - 16;
inline constexpr std::string_view kLibp2pNoiseProtocolName = "Noise_XX_25519_ChaChaPoly_SHA256";

// Libp2pStaticKey: the X25519 static key of the Noise handshake. libp2p keeps it apart
// from the identity key (which signs it in every handshake); make one per process with
// generate() and give it to every connection. It is never stored: nothing in the
// engine writes it out. Not copyable; wiped on destruction.
class Libp2pStaticKey {
 public:
  // generate draws a fresh key from |random|; nullopt if |random| fails.
  [[nodiscard]] static std::optional<Libp2pStaticKey> generate(RandomSource& random);
  // from_private_key makes the key from fixed bytes (test vectors; never for real use).
  static Libp2pStaticKey from_private_key(
      std::span<const std::uint8_t, kLibp2pStaticKeySize> private_key);

  const std::array<std::uint8_t, kLibp2pStaticKeySize>& public_key() const { return public_; }

 private:
  friend class Libp2pConnection;  // hands the private key to the handshake, nothing else
  Libp2pStaticKey() = default;
  Secret<kLibp2pStaticKeySize> private_;
  std::array<std::uint8_t, kLibp2pStaticKeySize> public_{};
};

enum class Libp2pRole : std::uint8_t {
  kDialer,    // multistream-select initiator and Noise initiator
  kListener,  // multistream-select responder and Noise responder
};

// The most stream muxers a connection offers (the payload codec's bound).
inline constexpr std::size_t kLibp2pMaxStreamMuxers = 16;
inline constexpr std::size_t kLibp2pMaxStreamMuxerSize = 256;

// Libp2pConfig: what a connection needs. The pointers and spans are borrowed: what
// they point to must outlive the connection.
struct Libp2pConfig {
  Libp2pRole role = Libp2pRole::kDialer;
  const Identity* identity = nullptr;           // required: signs the static key
  const Libp2pStaticKey* static_key = nullptr;  // required
  // Dialer: the peer it means to reach (from the /p2p/ peer ID); another peer fails
  // the handshake with kPeerNotAllowed. nullopt accepts any authenticated peer.
  std::optional<PublicKey> expected_peer;
  // Listener: the peers it accepts; empty accepts any authenticated peer.
  std::span<const PublicKey> allowed_peers;
  // The stream muxers offered in the handshake's extensions, most preferred first
  // (at most 16, each 1..256 bytes), e.g. "/yamux/1.0.0". Empty offers none.
  std::span<const std::string_view> stream_muxers;
  // Negotiate "/noise" with multistream-select first (what libp2p's upgrader does on
  // TCP). Off: the Noise handshake starts at once (the encrypter alone, as tests and
  // transports that negotiate elsewhere use it).
  bool negotiate = true;
  Duration handshake_timeout = Duration(10'000);
  // The bound on encrypted bytes waiting in poll_transmit; send() beyond it fails with
  // kSendBufferFull (not terminal). At least 2 + 65535.
  std::size_t max_pending_output = 4 * 1024 * 1024;
  // Where ephemeral keys come from; null means the system's.
  RandomSource* random = nullptr;
};

enum class Libp2pEventType : std::uint8_t {
  kHandshakeComplete,  // the peer is authenticated; send() is allowed
  kData,               // Libp2pEvent::data holds decrypted stream bytes
  kPeerEnded,          // the stream ended between messages (unclean unless the muxer closed)
};

struct Libp2pEvent {
  Libp2pEventType type;
  ByteSpan data;  // kData only; valid until the next handle_bytes call
};

enum class Libp2pState : std::uint8_t {
  kNegotiating,  // multistream-select
  kHandshake,    // the three Noise XX messages
  kEstablished,  // the encrypted stream
  kPeerEnded,    // the peer's direction ended; sending is still allowed
  kFailed,       // terminal: error() says why, every key is wiped
};

class Libp2pConnection {
 public:
  // dialer and listener start a connection; the role comes from the function, not
  // from config.role. A config that is unusable (no identity or static key, a muxer
  // list over the bounds, max_pending_output too small) gives a connection failed with
  // kInvalidArgument; no memory for its buffers, one failed with kOutOfMemory.
  static Libp2pConnection dialer(const Libp2pConfig& config, Instant now) noexcept;
  static Libp2pConnection listener(const Libp2pConfig& config, Instant now) noexcept;

  Libp2pConnection(Libp2pConnection&&) noexcept;
  Libp2pConnection& operator=(Libp2pConnection&&) noexcept;
  Libp2pConnection(const Libp2pConnection&) = delete;
  Libp2pConnection& operator=(const Libp2pConnection&) = delete;
  ~Libp2pConnection();

  // handle_bytes consumes transport bytes; an empty |input| is the end of the stream.
  // Errors (terminal, and error() from then on): kMalformedMessage (a bad
  // multistream-select message, a second header, too many refused proposals, a bad
  // handshake payload or key encoding), kProtocolNotSupported (the listener answered
  // "na" to "/noise"), kAuthenticationFailed (a Noise message or signature does not
  // verify, or the identity key is not Ed25519), kPeerNotAllowed (not the expected
  // peer, not on the allow-list), kFrameAuthFailed (a transport message does not
  // decrypt), kConnectionClosed (the stream ended before the handshake did),
  // kTruncated (it ended inside a transport message), kTimeout.
  ReadResult handle_bytes(ByteSpan input, Instant now) noexcept;
  std::optional<Libp2pEvent> poll_event() noexcept;
  std::size_t pending_transmit() const noexcept;
  std::size_t poll_transmit(MutableByteSpan out) noexcept;
  std::optional<Instant> poll_timeout() const noexcept;
  void handle_timeout(Instant now) noexcept;

  // send encrypts |bytes| into Noise messages of at most kLibp2pMaxChunk bytes of
  // plaintext each. All or nothing. Errors: kWrongState before the handshake is
  // complete or after a failure (then error() is returned), kAlreadyClosed after
  // close(), kSendBufferFull when max_pending_output would be passed (not terminal),
  // kCounterExhausted, kOutOfMemory (terminal).
  [[nodiscard]] Error send(ByteSpan bytes) noexcept;
  // close ends this side's direction: send() fails from now on; once pending output is
  // drained, the embedder shuts down the transport's write side (libp2p's Noise channel
  // has no close message). Errors: kWrongState before the handshake is complete.
  [[nodiscard]] Error close() noexcept;

  Libp2pState state() const noexcept;
  std::string_view state_name() const noexcept;
  Error error() const noexcept;
  // peer_identity: the peer's authenticated Ed25519 key once the handshake completed.
  const PublicKey* peer_identity() const noexcept;
  // stream_muxer: the muxer both offered, the first of the initiator's list that the
  // responder also lists; empty when either offered none or none is common.
  std::string_view stream_muxer() const noexcept;
  // handshake_hash: the Noise handshake hash h once complete (32 bytes), else empty.
  ByteSpan handshake_hash() const noexcept;

  struct Impl;

 private:
  explicit Libp2pConnection(std::unique_ptr<Impl> impl, Error error) noexcept;
  static Libp2pConnection make(const Libp2pConfig& config, Libp2pRole role, Instant now) noexcept;
  static const Secret<kLibp2pStaticKeySize>& static_secret(const Libp2pStaticKey& key) {
    return key.private_;
  }
  std::unique_ptr<Impl> impl_;
  Error early_error_ = Error::kNone;  // when there is no Impl (kOutOfMemory)
};

}  // namespace p2pnet

#endif  // P2PNET_LIBP2P_CONNECTION_H_
