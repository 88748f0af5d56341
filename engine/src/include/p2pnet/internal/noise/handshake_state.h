// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// handshake_state.h: the Noise HandshakeState (spec section 5.3), the entry point of
// the engine's Noise core (docs/noise.md). Sans-IO: bytes in, bytes out, randomness
// from an injected RandomSource; no allocation once the state is initialized (but
// see hash.h for BLAKE2s); every secret in Secret storage, wiped when done.
//
// Usage (both roles alike):
//
//   noise::HandshakeConfig config;
//   Error err = noise::parse_protocol_name(&config.protocol,
//                                          "Noise_XX_25519_ChaChaPoly_BLAKE2b");
//   config.role = noise::Role::kInitiator;
//   config.prologue = prologue;        // optional
//   config.static_key = &my_static;    // when the pattern uses s (a DhPrivateKey)
//   config.remote_static = peer_pub;   // when a pre-message has the peer's s
//   config.psks = psks;                // one per psk token, in order
//   noise::HandshakeState hs;
//   err = hs.initialize(config);       // the pattern's validity is checked here
//   while (hs.status() != noise::HandshakeStatus::kComplete) {
//     if (hs.status() == noise::HandshakeStatus::kWriteMessage) {
//       std::size_t n = 0;
//       err = hs.write_message(&n, message_buffer, payload);   // send message[0, n)
//     } else {
//       std::size_t n = 0;
//       err = hs.read_message(&n, payload_buffer, received);   // payload[0, n)
//     }
//     if (err != Error::kNone) break;  // the state is failed for good
//   }
//   noise::CipherState send, receive;
//   err = hs.split(&send, &receive);   // transport keys for this role
//   // hs.handshake_hash() stays readable for channel binding.
//
// A failure from initialize until the handshake completes leaves the state in kFailed
// with its secrets wiped, and every later call returns the same error. A call that
// does not fit a state outside the handshake (before initialize, after completion, a
// second split) returns kWrongState and changes nothing. initialize starts over,
// keeping the libcrypto contexts of the last suite: reusing one HandshakeState and
// the same two transport CipherStates never allocates (BLAKE2s aside: hash.h).
#ifndef P2PNET_INTERNAL_NOISE_HANDSHAKE_STATE_H_
#define P2PNET_INTERNAL_NOISE_HANDSHAKE_STATE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "p2pnet/byte_span.h"
#include "p2pnet/errors.h"
#include "p2pnet/internal/noise/cipher_state.h"
#include "p2pnet/internal/noise/dh.h"
#include "p2pnet/internal/noise/pattern.h"
#include "p2pnet/internal/noise/protocol.h"
#include "p2pnet/internal/noise/symmetric_state.h"
#include "p2pnet/random.h"

namespace p2pnet::noise {

enum class Role : std::uint8_t { kInitiator, kResponder };

using Psk = Secret<kKeyLen>;

struct HandshakeConfig {
  // The pattern and crypto functions: parse_protocol_name, or a hand-made Pattern.
  Protocol protocol;
  Role role = Role::kInitiator;
  // Hashed in before anything else; both sides must give the same bytes (section 6).
  ByteSpan prologue;
  // s: the local static private key, needed when the pattern sends or uses it.
  const DhPrivateKey* static_key = nullptr;
  // s.public_key: the public key of |static_key|, when the caller keeps it (protocol v2
  // converts it from the identity once, when it loads it). Given, it is used as is and
  // saves a scalar multiplication per handshake; a wrong one makes the peer's DH
  // disagree, so the handshake fails. Null: derived from |static_key|.
  const DhPublicKey* static_public_key = nullptr;
  // e: a fixed local ephemeral private key instead of a fresh one (test vectors, and
  // patterns with e in a pre-message); leave null otherwise.
  const DhPrivateKey* ephemeral_key = nullptr;
  // rs and re: the peer's public keys, used only when a pre-message lists them
  // (kDhLen bytes each, or empty).
  ByteSpan remote_static;
  ByteSpan remote_ephemeral;
  // The PSKs, one per "psk" token in the order the tokens come; exactly that many.
  std::span<const Psk> psks;
  // Where fresh ephemeral keys come from; null means system_random().
  RandomSource* random = nullptr;
};

enum class HandshakeStatus : std::uint8_t {
  kUninitialized,  // initialize has not succeeded yet
  kWriteMessage,   // this side writes the next message
  kReadMessage,    // this side reads the next message
  kComplete,       // every message is done: split, handshake_hash
  kSplit,          // split has handed out the transport keys; handshake_hash remains
  kFailed,         // terminal until initialize; error() says why
};

// handshake_status_name: the enumerator's name without the 'k', for logs and tests.
std::string_view handshake_status_name(HandshakeStatus status);

class HandshakeState {
 public:
  HandshakeState() = default;
  ~HandshakeState() { wipe(); }
  HandshakeState(HandshakeState&&) noexcept = default;
  HandshakeState& operator=(HandshakeState&&) noexcept = default;
  HandshakeState(const HandshakeState&) = delete;
  HandshakeState& operator=(const HandshakeState&) = delete;

  // initialize: Initialize(handshake_pattern, initiator, prologue, s, e, rs, re, psks)
  // of section 5.3, after checking everything the handshake will need, so that a
  // handshake that starts cannot fail for a reason known now. Errors, all
  // kInvalidArgument (the state is then kFailed): the pattern breaks a validity
  // rule (check_pattern; last_pattern_check() says which), a crypto function this
  // build lacks, a key the pattern needs is missing or of the wrong size (s when the
  // pattern sends or uses it, e or re or rs for a pre-message), the number of PSKs is
  // not the number of psk tokens. Also kOutOfMemory (a libcrypto context), and
  // libcrypto failures as kInternalError.
  [[nodiscard]] Error initialize(const HandshakeConfig& config);

  HandshakeStatus status() const { return status_; }
  Error error() const { return error_; }
  Role role() const { return role_; }
  const Protocol& protocol() const { return protocol_; }
  // last_pattern_check: why the last initialize refused the pattern, or kValid.
  PatternCheck last_pattern_check() const { return pattern_check_; }
  // message_index: how many handshake messages are done (written or read).
  std::size_t message_index() const { return next_message_; }

  // next_message_size: the size of the next message this side writes with a
  // |payload_size|-byte payload, or 0 if it is not this side's turn.
  std::size_t next_message_size(std::size_t payload_size) const;

  // write_message: WriteMessage(payload, message_buffer) of section 5.3 into |out|;
  // the message's size goes to |*written|. |out| must not overlap |payload|.
  // Errors (all terminal): kWrongState if it is not this side's turn,
  // kMessageTooLarge if the message would be over 65535 bytes, kInvalidArgument if
  // |out| is smaller than next_message_size, kRandomFailure if a fresh ephemeral
  // key cannot be drawn, kAuthenticationFailed if a DH gives zeros (a low-order key
  // the peer sent earlier), kOutOfMemory and kInternalError from libcrypto.
  [[nodiscard]] Error write_message(std::size_t* written, MutableByteSpan out, ByteSpan payload);

  // read_message: ReadMessage(message, payload_buffer) of section 5.3; the payload
  // goes to the start of |payload_out|, its size to |*payload_size|. |payload_out|
  // must not overlap |message|. Errors (all terminal): kWrongState if it is not this
  // side's turn, kMalformedMessage if |message| is too short for the pattern or over
  // 65535 bytes, kAuthenticationFailed if a tag does not match or a DH gives zeros,
  // kInvalidArgument if |payload_out| is too small, kOutOfMemory and kInternalError
  // from libcrypto.
  [[nodiscard]] Error read_message(std::size_t* payload_size, MutableByteSpan payload_out,
                                   ByteSpan message);

  // split: Split() once the handshake is complete, handed out by role: |*send|
  // encrypts this side's transport messages, |*receive| decrypts the peer's. In a
  // one-way pattern the direction nobody may use (the responder's send, the
  // initiator's receive) is disabled (CipherState::disable). The handshake's secrets
  // (ck, keys, PSKs) are wiped; h stays. The CipherStates take this state's libcrypto
  // contexts, or keep their own (no allocation either way). Errors: kWrongState
  // unless status() is kComplete, kInvalidArgument if |send| and |receive| are the
  // same object (the state is unchanged), and those of SymmetricState::split
  // (terminal).
  [[nodiscard]] Error split(CipherState* send, CipherState* receive);

  // handshake_hash: h once the handshake is complete (kComplete or kSplit), HASHLEN
  // bytes; empty before.
  ByteSpan handshake_hash() const;
  // remote_static: the peer's static public key once known (pre-message or
  // received), else empty.
  ByteSpan remote_static() const;
  // remote_ephemeral: the peer's ephemeral public key once known, else empty.
  ByteSpan remote_ephemeral() const;
  // local_ephemeral: this side's ephemeral public key once made, else empty.
  ByteSpan local_ephemeral() const;

 private:
  [[nodiscard]] Error fail(Error error);
  [[nodiscard]] Error initialize_keys(const HandshakeConfig& config);
  [[nodiscard]] Error mix_premessage(const MessagePattern& premessage, bool ours);
  [[nodiscard]] Error mix_ephemeral(std::span<const std::uint8_t, kDhLen> public_key);
  [[nodiscard]] Error mix_dh(Token token);
  bool sends(std::size_t message) const;
  void finish_message();
  void wipe();

  Protocol protocol_;
  Role role_ = Role::kInitiator;
  HandshakeStatus status_ = HandshakeStatus::kUninitialized;
  Error error_ = Error::kNone;
  PatternCheck pattern_check_ = PatternCheck::kValid;
  std::size_t next_message_ = 0;
  RandomSource* random_ = nullptr;
  SymmetricState symmetric_;
  CipherState spare_;  // the second transport CipherState's context, made by initialize

  DhKeypair s_;
  DhKeypair e_;
  DhPublicKey rs_{};
  DhPublicKey re_{};
  bool has_s_ = false;
  bool has_e_ = false;
  bool fixed_e_ = false;  // e_ came from the config: "e" uses it instead of a fresh one
  bool has_rs_ = false;
  bool has_re_ = false;
  std::array<Psk, kMaxPsks> psks_{};
  std::size_t psk_count_ = 0;
  std::size_t next_psk_ = 0;
};

}  // namespace p2pnet::noise

#endif  // P2PNET_INTERNAL_NOISE_HANDSHAKE_STATE_H_
