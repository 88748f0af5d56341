// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// Theory of operation. Every transition of the handshake lives in this file.
//
//   client                                            server
//   ------                                            ------
//   [start] queue ClientHello
//   ClientAwaitServerHello                            ServerAwaitClientHello
//                                                     on ClientHello: not allowed
//                                                       -> 0x03 (before any
//                                                       challenge); else draw challenge,
//                                                       queue ServerHello
//   on ServerHello: not the expected server ->         ServerAwaitKeyExchange
//     0x03 (no KeyExchange);
//     challenge signed before -> 0x05; else draw
//     eph, sign, queue KeyExchange
//   ClientAwaitAccept                                 on KeyExchange: verify client_sig
//                                                       -> 0x02; draw eph; X25519 all
//                                                       zero -> 0x02; derive keys; sign,
//                                                       queue Accept
//   on Accept: verify server_sig -> 0x02;             Complete
//     X25519 all zero -> 0x02; derive keys
//   Complete
//
// Bytes are assembled into one whole message at a time: the first byte must be the
// type the state waits for or Error (0xFF), and fixes the size; any other first byte
// fails at once as malformed, before more bytes are buffered. A received Error ends
// the handshake without a reply, even one with an undefined code. Every failure is
// terminal (Failed) and queues an Error message with the code protocol-v1 assigns,
// unless the peer is gone or aborted first. The deadline is checked on every input
// and on handle_timeout. Nothing here allocates: messages, keys and output live in
// fixed arrays inside the object.
//
// The derived keys are never stored here: the handler that completes the handshake
// returns them, and handle_bytes hands them over in the HandshakeStep of that call.
// There is no accessor to take them from afterwards, so they cannot be taken twice
// (and a wiped copy cannot be taken at all).
#include "p2pnet/internal/handshake.h"

#include <algorithm>

#include "p2pnet/internal/assert.h"

namespace p2pnet {

std::string_view handshake_state_name(HandshakeState state) {
  switch (state) {
    case HandshakeState::kClientAwaitServerHello: return "ClientAwaitServerHello";
    case HandshakeState::kClientAwaitAccept: return "ClientAwaitAccept";
    case HandshakeState::kServerAwaitClientHello: return "ServerAwaitClientHello";
    case HandshakeState::kServerAwaitKeyExchange: return "ServerAwaitKeyExchange";
    case HandshakeState::kComplete: return "Complete";
    case HandshakeState::kFailed: return "Failed";
  }
  return "Unknown";
}

Handshake::Handshake(Role role, Instant now, Duration timeout)
    : role_(role),
      state_(role == Role::kClient ? HandshakeState::kClientAwaitServerHello
                                   : HandshakeState::kServerAwaitClientHello),
      deadline_(saturating_add(now, timeout)) {}

Handshake Handshake::client(const ClientConfig& config, Instant now) {
  Handshake handshake(Role::kClient, now, config.handshake_timeout);
  handshake.identity_ = config.identity;
  handshake.random_ = config.random != nullptr ? config.random : &system_random();
  handshake.expected_server_ = config.expected_server;
  handshake.replay_cache_ = config.replay_cache;
  if (config.identity == nullptr || config.handshake_timeout <= Duration::zero() ||
      !channel_config_is_valid(config.channel) || (config.key_log && !key_log_available())) {
    handshake.fail(Error::kInvalidArgument);
    return handshake;
  }
  handshake.transcript_.client_id = config.identity->public_key();
  handshake.queue_client_hello();
  return handshake;
}

Handshake Handshake::server(const ServerConfig& config, Instant now) {
  Handshake handshake(Role::kServer, now, config.handshake_timeout);
  handshake.identity_ = config.identity;
  handshake.random_ = config.random != nullptr ? config.random : &system_random();
  handshake.allowed_clients_ = config.allowed_clients;
  if (config.identity == nullptr || config.handshake_timeout <= Duration::zero() ||
      !channel_config_is_valid(config.channel) || (config.key_log && !key_log_available())) {
    handshake.fail(Error::kInvalidArgument);
    return handshake;
  }
  handshake.transcript_.server_id = config.identity->public_key();
  return handshake;
}

void Handshake::queue_client_hello() {
  ByteWriter out(MutableByteSpan(tx_).subspan(tx_size_));
  if (!P2PNET_ASSERT(write_client_hello(out, ClientHello{transcript_.client_id}))) {
    return fail(Error::kInternalError);
  }
  tx_size_ += out.written();
}

HandshakeStep Handshake::handle_bytes(ByteSpan input, Instant now) {
  if (state_ == HandshakeState::kFailed || state_ == HandshakeState::kComplete) {
    return {0, error_, std::nullopt};
  }
  if (handle_timeout(now) != Error::kNone) return {0, error_, std::nullopt};
  if (input.empty()) {
    fail(Error::kConnectionClosed);
    return {0, error_, std::nullopt};
  }

  std::optional<SessionKeys> keys;  // set by the message that completes the handshake
  ByteReader reader(input);
  while (!reader.empty() && state_ != HandshakeState::kFailed &&
         state_ != HandshakeState::kComplete) {
    if (rx_size_ == 0) {
      std::uint8_t type = 0;
      (void)reader.read_u8(&type);
      const auto expected = expected_message();
      if (type != static_cast<std::uint8_t>(MessageType::kError) &&
          (!expected || type != static_cast<std::uint8_t>(*expected))) {
        fail(Error::kMalformedMessage);  // wrong or unknown type: fail before buffering
        break;
      }
      rx_[rx_size_++] = type;
    }
    const std::size_t size = *message_size(rx_[0]);
    const ByteSpan chunk = reader.read_up_to(size - rx_size_);
    std::copy(chunk.begin(), chunk.end(), rx_.begin() + static_cast<std::ptrdiff_t>(rx_size_));
    rx_size_ += chunk.size();
    if (rx_size_ == size) {
      rx_size_ = 0;
      keys = dispatch(ByteSpan(rx_.data(), size));  // the loop ends once complete
    }
  }
  return {input.size() - reader.remaining(), error_, std::move(keys)};
}

std::optional<MessageType> Handshake::expected_message() const {
  switch (state_) {
    case HandshakeState::kClientAwaitServerHello: return MessageType::kServerHello;
    case HandshakeState::kClientAwaitAccept: return MessageType::kAccept;
    case HandshakeState::kServerAwaitClientHello: return MessageType::kClientHello;
    case HandshakeState::kServerAwaitKeyExchange: return MessageType::kKeyExchange;
    case HandshakeState::kComplete:
    case HandshakeState::kFailed: return std::nullopt;
  }
  return std::nullopt;
}

std::optional<SessionKeys> Handshake::dispatch(ByteSpan message) {
  if (message[0] == static_cast<std::uint8_t>(MessageType::kError)) {
    // protocol-v1: an Error is never answered, so an undefined code is a peer abort
    // too (kPeerAbortUnknownCode, no wire code) rather than malformed (which sends 0x01).
    const auto error = parse_error_message(message);
    fail(error ? error_from_wire_code(error->code) : Error::kPeerAbortUnknownCode);
    return std::nullopt;
  }
  switch (state_) {
    case HandshakeState::kClientAwaitServerHello: on_server_hello(message); return std::nullopt;
    case HandshakeState::kClientAwaitAccept: return on_accept(message);
    case HandshakeState::kServerAwaitClientHello: on_client_hello(message); return std::nullopt;
    case HandshakeState::kServerAwaitKeyExchange: return on_key_exchange(message);
    case HandshakeState::kComplete:
    case HandshakeState::kFailed: return std::nullopt;  // unreachable: the read loop stops first
  }
  return std::nullopt;
}

// --- Client --------------------------------------------------------------------------

void Handshake::on_server_hello(ByteSpan message) {
  const auto hello = parse_server_hello(message);
  if (!hello) return fail(Error::kMalformedMessage);
  // No point validation of server_id here: an invalid or small-order key can never
  // verify the Accept (libsodium's verification rejects it), which fails with 0x02.
  // protocol-v1: a client that expects a server aborts without sending KeyExchange.
  transcript_.server_id = hello->server_id;  // before the check: a refusal names it (log.h)
  if (expected_server_ && hello->server_id != *expected_server_) {
    return fail(Error::kPeerNotAllowed);
  }
  transcript_.challenge = hello->challenge;

  Secret<kX25519KeySize> eph_secret;
  if (!draw(eph_secret.bytes())) return;
  // Record the challenge only once nothing else can fail before we sign it.
  if (replay_cache_ != nullptr && !replay_cache_->insert(hello->challenge)) {
    return fail(Error::kReplayedChallenge);
  }
  my_eph_ = ephemeral_from_secret(std::move(eph_secret));
  transcript_.client_eph = my_eph_->public_key;

  const KeyExchange reply{my_eph_->public_key,
                          identity_->sign(client_signed_content(transcript_).span())};
  ByteWriter out(MutableByteSpan(tx_).subspan(tx_size_));
  if (!P2PNET_ASSERT(write_key_exchange(out, reply))) return fail(Error::kInternalError);
  tx_size_ += out.written();
  state_ = HandshakeState::kClientAwaitAccept;
}

std::optional<SessionKeys> Handshake::on_accept(ByteSpan message) {
  const auto accept = parse_accept(message);
  if (!accept) return fail(Error::kMalformedMessage), std::nullopt;
  transcript_.server_eph = accept->server_eph;
  if (!verify_signature(transcript_.server_id, server_signed_content(transcript_).span(),
                        accept->server_sig)) {
    return fail(Error::kAuthenticationFailed), std::nullopt;
  }
  auto keys = derive_session_keys(my_eph_->secret_key, transcript_.server_eph, transcript_);
  my_eph_.reset();  // forward secrecy: the ephemeral secret is gone either way
  if (!keys) return fail(Error::kAuthenticationFailed), std::nullopt;
  state_ = HandshakeState::kComplete;
  return keys;
}

// --- Server --------------------------------------------------------------------------

void Handshake::on_client_hello(ByteSpan message) {
  const auto hello = parse_client_hello(message);
  if (!hello) return fail(Error::kMalformedMessage);
  // As for server_id: a bad client_id fails the KeyExchange's verification with 0x02.
  // Validating it here as well would cost a scalar multiplication per handshake.
  // protocol-v1: refuse a client that is not allowed before issuing any challenge.
  transcript_.client_id = hello->client_id;  // before the check: a refusal names it (log.h)
  if (allowed_clients_ && std::find(allowed_clients_->begin(), allowed_clients_->end(),
                                    hello->client_id) == allowed_clients_->end()) {
    return fail(Error::kPeerNotAllowed);
  }
  if (!draw(transcript_.challenge)) return;

  ByteWriter out(MutableByteSpan(tx_).subspan(tx_size_));
  if (!P2PNET_ASSERT(
          write_server_hello(out, ServerHello{transcript_.server_id, transcript_.challenge}))) {
    return fail(Error::kInternalError);
  }
  tx_size_ += out.written();
  state_ = HandshakeState::kServerAwaitKeyExchange;
}

std::optional<SessionKeys> Handshake::on_key_exchange(ByteSpan message) {
  const auto exchange = parse_key_exchange(message);
  if (!exchange) return fail(Error::kMalformedMessage), std::nullopt;
  transcript_.client_eph = exchange->client_eph;
  if (!verify_signature(transcript_.client_id, client_signed_content(transcript_).span(),
                        exchange->client_sig)) {
    return fail(Error::kAuthenticationFailed), std::nullopt;
  }
  Secret<kX25519KeySize> eph_secret;
  if (!draw(eph_secret.bytes())) return std::nullopt;
  const EphemeralKeyPair eph = ephemeral_from_secret(std::move(eph_secret));
  transcript_.server_eph = eph.public_key;
  auto keys = derive_session_keys(eph.secret_key, transcript_.client_eph, transcript_);
  if (!keys) return fail(Error::kAuthenticationFailed), std::nullopt;

  const Accept reply{eph.public_key, identity_->sign(server_signed_content(transcript_).span())};
  ByteWriter out(MutableByteSpan(tx_).subspan(tx_size_));
  // On failure the keys go out of scope here, wiped, and are never handed out.
  if (!P2PNET_ASSERT(write_accept(out, reply))) return fail(Error::kInternalError), std::nullopt;
  tx_size_ += out.written();
  state_ = HandshakeState::kComplete;
  return keys;
}

// --- Shared --------------------------------------------------------------------------

bool Handshake::draw(std::span<std::uint8_t> out) {
  // The random source may be the embedder's: one that throws has failed like one that
  // returns false, and nothing it throws leaves the engine.
  bool filled = false;
  try {
    filled = random_->fill(out);
  } catch (...) {
    filled = false;
  }
  if (filled) return true;
  fail(Error::kRandomFailure);
  return false;
}

void Handshake::abort(Error error) {
  if (state_ != HandshakeState::kComplete) fail(error);
}

void Handshake::fail(Error error) {
  if (state_ == HandshakeState::kFailed) return;
  state_ = HandshakeState::kFailed;
  error_ = error;
  my_eph_.reset();
  const WireErrorCode code = wire_code_for(error);
  if (code != WireErrorCode::kNone) {
    ByteWriter out(MutableByteSpan(tx_).subspan(tx_size_));
    // The output is sized for the worst case (handshake.h); should it not fit, the
    // handshake has failed all the same, only without telling the peer.
    if (P2PNET_ASSERT(write_error_message(out, ErrorMessage{code}))) tx_size_ += out.written();
  }
}

Error Handshake::handle_timeout(Instant now) {
  if ((state_ != HandshakeState::kFailed && state_ != HandshakeState::kComplete) &&
      now >= deadline_) {
    fail(Error::kTimeout);
  }
  return error_;
}

std::optional<Instant> Handshake::poll_timeout() const {
  if (state_ == HandshakeState::kFailed || state_ == HandshakeState::kComplete) return std::nullopt;
  return deadline_;
}

std::size_t Handshake::poll_transmit(MutableByteSpan out) {
  const std::size_t n = std::min(out.size(), pending_transmit());
  std::copy_n(peek_transmit().begin(), n, out.begin());
  consume_transmit(n);
  return n;
}

void Handshake::consume_transmit(std::size_t n) {
  tx_sent_ += std::min(n, pending_transmit());
  if (tx_sent_ == tx_size_) tx_sent_ = tx_size_ = 0;
}

const PublicKey& Handshake::peer_identity() const {
  return role_ == Role::kClient ? transcript_.server_id : transcript_.client_id;
}

}  // namespace p2pnet
