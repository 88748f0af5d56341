// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The Noise HandshakeState (handshake_state.h; spec sections 5.3 and 9).
//
// Theory of operation. initialize checks everything the pattern will ask for (its
// validity, the crypto functions, every key and PSK), so a handshake that starts can
// fail only through the peer's bytes or the random source. Then one interpreter walks
// the pattern's tokens, in write_message for this side's messages and in
// read_message for the peer's, exactly as the spec's WriteMessage and ReadMessage
// do; the only state is the index of the next message and the keys. status() says
// whose turn it is. Any failure wipes every secret and is terminal; split hands the
// transport keys out once and leaves only h.
#include "p2pnet/internal/noise/handshake_state.h"

#include <algorithm>
#include <utility>

#include "p2pnet/internal/assert.h"
#include "p2pnet/internal/bytes.h"

namespace p2pnet::noise {
namespace {

// has_token: whether |token| is in |message|.
bool has_token(const MessagePattern& message, Token token) {
  return std::ranges::find(message.span(), token) != message.span().end();
}

}  // namespace

std::string_view handshake_status_name(HandshakeStatus status) {
  switch (status) {
    case HandshakeStatus::kUninitialized: return "Uninitialized";
    case HandshakeStatus::kWriteMessage: return "WriteMessage";
    case HandshakeStatus::kReadMessage: return "ReadMessage";
    case HandshakeStatus::kComplete: return "Complete";
    case HandshakeStatus::kSplit: return "Split";
    case HandshakeStatus::kFailed: return "Failed";
  }
  return "?";
}

void HandshakeState::wipe() {
  symmetric_.wipe();
  s_.private_key.wipe();
  e_.private_key.wipe();
  s_.public_key.fill(0);
  e_.public_key.fill(0);
  rs_.fill(0);
  re_.fill(0);
  has_s_ = has_e_ = fixed_e_ = has_rs_ = has_re_ = false;
  for (Psk& psk : psks_) psk.wipe();
  psk_count_ = next_psk_ = 0;
}

Error HandshakeState::fail(Error error) {
  wipe();
  error_ = error;
  status_ = HandshakeStatus::kFailed;
  return error;
}

bool HandshakeState::sends(std::size_t message) const {
  return (message % 2 == 0) == (role_ == Role::kInitiator);
}

Error HandshakeState::initialize_keys(const HandshakeConfig& config) {
  const Pattern& pattern = protocol_.pattern;
  const bool initiator = role_ == Role::kInitiator;
  const MessagePattern& local_pre =
      initiator ? pattern.initiator_premessage : pattern.responder_premessage;
  const MessagePattern& remote_pre =
      initiator ? pattern.responder_premessage : pattern.initiator_premessage;
  // s is needed if this side sends it: in its pre-message or in one of its messages
  // (and only then can it take part in a DH: check_pattern, rule 1).
  bool needs_s = has_token(local_pre, Token::kS);
  for (std::size_t i = 0; i < pattern.message_count; ++i) {
    needs_s = needs_s || (sends(i) && has_token(pattern.messages[i], Token::kS));
  }
  if (needs_s && config.static_key == nullptr) return Error::kInvalidArgument;
  if (has_token(local_pre, Token::kE) && config.ephemeral_key == nullptr) {
    return Error::kInvalidArgument;
  }
  if (has_token(remote_pre, Token::kS) && config.remote_static.size() != kDhLen) {
    return Error::kInvalidArgument;
  }
  if (has_token(remote_pre, Token::kE) && config.remote_ephemeral.size() != kDhLen) {
    return Error::kInvalidArgument;
  }
  if (config.psks.size() != pattern.psk_count() || config.psks.size() > kMaxPsks) {
    return Error::kInvalidArgument;
  }

  if (config.static_key != nullptr) {
    std::ranges::copy(config.static_key->bytes(), s_.private_key.bytes().begin());
    if (config.static_public_key != nullptr) {
      s_.public_key = *config.static_public_key;
    } else {
      dh_public_key(&s_.public_key, s_.private_key);
    }
    has_s_ = true;
  }
  if (config.ephemeral_key != nullptr) {
    std::ranges::copy(config.ephemeral_key->bytes(), e_.private_key.bytes().begin());
    dh_public_key(&e_.public_key, e_.private_key);
    fixed_e_ = true;
  }
  if (has_token(remote_pre, Token::kS)) {
    std::ranges::copy(config.remote_static, rs_.begin());
    has_rs_ = true;
  }
  if (has_token(remote_pre, Token::kE)) {
    std::ranges::copy(config.remote_ephemeral, re_.begin());
    has_re_ = true;
  }
  for (std::size_t i = 0; i < config.psks.size(); ++i) {
    std::ranges::copy(config.psks[i].bytes(), psks_[i].bytes().begin());
  }
  psk_count_ = config.psks.size();
  return Error::kNone;
}

Error HandshakeState::mix_ephemeral(std::span<const std::uint8_t, kDhLen> public_key) {
  if (const Error err = symmetric_.mix_hash(public_key); err != Error::kNone) return err;
  // Section 9.2: in a PSK handshake every "e" is also mixed into the key.
  if (protocol_.pattern.psk_mode()) return symmetric_.mix_key(public_key);
  return Error::kNone;
}

Error HandshakeState::mix_premessage(const MessagePattern& premessage, bool ours) {
  for (const Token token : premessage.span()) {
    if (token == Token::kE) {
      if (ours) has_e_ = true;
      const Error err = mix_ephemeral(ours ? e_.public_key : re_);
      if (err != Error::kNone) return err;
    } else {
      const Error err = symmetric_.mix_hash(ours ? s_.public_key : rs_);
      if (err != Error::kNone) return err;
    }
  }
  return Error::kNone;
}

Error HandshakeState::initialize(const HandshakeConfig& config) {
  wipe();
  status_ = HandshakeStatus::kFailed;
  error_ = Error::kNone;
  protocol_ = config.protocol;
  role_ = config.role;
  next_message_ = 0;
  pattern_check_ = check_pattern(protocol_.pattern);
  if (pattern_check_ != PatternCheck::kValid) return fail(Error::kInvalidArgument);
  if (!cipher_available(protocol_.cipher) || !hash_available(protocol_.hash)) {
    return fail(Error::kInvalidArgument);
  }
  ProtocolName name;
  if (const Error err = protocol_name(&name, protocol_); err != Error::kNone) return fail(err);
  if (const Error err = initialize_keys(config); err != Error::kNone) return fail(err);
  if (const Error err = symmetric_.init(protocol_.cipher, protocol_.hash); err != Error::kNone) {
    return fail(err);
  }
  if (const Error err = spare_.init(protocol_.cipher); err != Error::kNone) return fail(err);
  random_ = config.random != nullptr ? config.random : &system_random();

  Error err = symmetric_.initialize_symmetric(name.view());
  if (err == Error::kNone) err = symmetric_.mix_hash(config.prologue);
  // The initiator's pre-message first, then the responder's (section 5.3).
  const bool initiator = role_ == Role::kInitiator;
  if (err == Error::kNone) err = mix_premessage(protocol_.pattern.initiator_premessage, initiator);
  if (err == Error::kNone) err = mix_premessage(protocol_.pattern.responder_premessage, !initiator);
  if (err != Error::kNone) return fail(err);
  status_ = sends(0) ? HandshakeStatus::kWriteMessage : HandshakeStatus::kReadMessage;
  return Error::kNone;
}

Error HandshakeState::mix_dh(Token token) {
  const bool initiator = role_ == Role::kInitiator;
  // Which local private key and which remote public key (section 5.3).
  bool local_static = false;
  bool remote_static = false;
  switch (token) {
    case Token::kEE: break;
    case Token::kES:
      local_static = !initiator;
      remote_static = initiator;
      break;
    case Token::kSE:
      local_static = initiator;
      remote_static = !initiator;
      break;
    case Token::kSS:
      local_static = true;
      remote_static = true;
      break;
    case Token::kE:
    case Token::kS:
    case Token::kPsk:
      if (!P2PNET_ASSERT(false)) return Error::kInternalError;
      break;
  }
  // initialize and check_pattern make sure both keys exist by now.
  const bool have = (local_static ? has_s_ : has_e_) && (remote_static ? has_rs_ : has_re_);
  if (!P2PNET_ASSERT(have)) return Error::kInternalError;
  Secret<kDhLen> shared;
  const Error err =
      dh(&shared, local_static ? s_.private_key : e_.private_key, remote_static ? rs_ : re_);
  if (err != Error::kNone) return err;
  return symmetric_.mix_key(shared.bytes());
}

void HandshakeState::finish_message() {
  ++next_message_;
  if (next_message_ < protocol_.pattern.message_count) {
    status_ = sends(next_message_) ? HandshakeStatus::kWriteMessage : HandshakeStatus::kReadMessage;
    return;
  }
  // The private keys and PSKs are no longer needed; ck and h stay until split.
  status_ = HandshakeStatus::kComplete;
  s_.private_key.wipe();
  e_.private_key.wipe();
  for (Psk& psk : psks_) psk.wipe();
}

std::size_t HandshakeState::next_message_size(std::size_t payload_size) const {
  if (status_ != HandshakeStatus::kWriteMessage) return 0;
  bool key = symmetric_.has_key();
  std::size_t size = 0;
  for (const Token token : protocol_.pattern.messages[next_message_].span()) {
    switch (token) {
      case Token::kE:
        size += kDhLen;
        key = key || protocol_.pattern.psk_mode();
        break;
      case Token::kS: size += kDhLen + (key ? kTagLen : 0); break;
      case Token::kEE:
      case Token::kES:
      case Token::kSE:
      case Token::kSS:
      case Token::kPsk: key = true; break;
    }
  }
  return size + payload_size + (key ? kTagLen : 0);
}

Error HandshakeState::write_message(std::size_t* written, MutableByteSpan out, ByteSpan payload) {
  *written = 0;
  switch (status_) {
    case HandshakeStatus::kWriteMessage: break;
    case HandshakeStatus::kFailed: return error_;
    case HandshakeStatus::kReadMessage: return fail(Error::kWrongState);
    case HandshakeStatus::kUninitialized:
    case HandshakeStatus::kComplete:
    case HandshakeStatus::kSplit: return Error::kWrongState;
  }
  if (payload.size() > kMaxMessageLen) return fail(Error::kMessageTooLarge);
  const std::size_t size = next_message_size(payload.size());
  if (size > kMaxMessageLen) return fail(Error::kMessageTooLarge);
  if (out.size() < size) return fail(Error::kInvalidArgument);

  std::size_t at = 0;
  for (const Token token : protocol_.pattern.messages[next_message_].span()) {
    Error err = Error::kNone;
    switch (token) {
      case Token::kE:
        if (!fixed_e_) err = dh_generate_keypair(&e_, *random_);
        if (err == Error::kNone) {
          has_e_ = true;
          std::ranges::copy(e_.public_key, out.subspan(at).begin());
          at += kDhLen;
          err = mix_ephemeral(e_.public_key);
        }
        break;
      case Token::kS: {
        std::size_t n = 0;
        err = symmetric_.encrypt_and_hash(&n, out.subspan(at), s_.public_key);
        at += n;
        break;
      }
      case Token::kEE:
      case Token::kES:
      case Token::kSE:
      case Token::kSS: err = mix_dh(token); break;
      case Token::kPsk: err = symmetric_.mix_key_and_hash(psks_[next_psk_++].bytes()); break;
    }
    if (err != Error::kNone) return fail(err);
  }
  std::size_t n = 0;
  if (const Error err = symmetric_.encrypt_and_hash(&n, out.subspan(at), payload);
      err != Error::kNone) {
    return fail(err);
  }
  at += n;
  if (!P2PNET_ASSERT(at == size)) return fail(Error::kInternalError);
  *written = at;
  finish_message();
  return Error::kNone;
}

Error HandshakeState::read_message(std::size_t* payload_size, MutableByteSpan payload_out,
                                   ByteSpan message) {
  *payload_size = 0;
  switch (status_) {
    case HandshakeStatus::kReadMessage: break;
    case HandshakeStatus::kFailed: return error_;
    case HandshakeStatus::kWriteMessage: return fail(Error::kWrongState);
    case HandshakeStatus::kUninitialized:
    case HandshakeStatus::kComplete:
    case HandshakeStatus::kSplit: return Error::kWrongState;
  }
  if (message.size() > kMaxMessageLen) return fail(Error::kMalformedMessage);

  ByteReader reader(message);
  for (const Token token : protocol_.pattern.messages[next_message_].span()) {
    Error err = Error::kNone;
    switch (token) {
      case Token::kE:
        if (!reader.read_array(&re_)) return fail(Error::kMalformedMessage);
        has_re_ = true;
        err = mix_ephemeral(re_);
        break;
      case Token::kS: {
        ByteSpan sealed;
        if (!reader.read_span(kDhLen + (symmetric_.has_key() ? kTagLen : 0), &sealed)) {
          return fail(Error::kMalformedMessage);
        }
        std::size_t n = 0;
        err = symmetric_.decrypt_and_hash(&n, rs_, sealed);
        has_rs_ = err == Error::kNone;
        break;
      }
      case Token::kEE:
      case Token::kES:
      case Token::kSE:
      case Token::kSS: err = mix_dh(token); break;
      case Token::kPsk: err = symmetric_.mix_key_and_hash(psks_[next_psk_++].bytes()); break;
    }
    if (err != Error::kNone) return fail(err);
  }
  const ByteSpan rest = reader.read_up_to(reader.remaining());
  if (const Error err = symmetric_.decrypt_and_hash(payload_size, payload_out, rest);
      err != Error::kNone) {
    *payload_size = 0;
    return fail(err);
  }
  finish_message();
  return Error::kNone;
}

Error HandshakeState::split(CipherState* send, CipherState* receive) {
  switch (status_) {
    case HandshakeStatus::kComplete: break;
    case HandshakeStatus::kFailed: return error_;
    case HandshakeStatus::kUninitialized:
    case HandshakeStatus::kWriteMessage:
    case HandshakeStatus::kReadMessage:
    case HandshakeStatus::kSplit: return Error::kWrongState;
  }
  if (send == receive) return Error::kInvalidArgument;  // nothing changes
  const bool initiator = role_ == Role::kInitiator;
  CipherState* c1 = initiator ? send : receive;
  CipherState* c2 = initiator ? receive : send;
  // The handshake's cipher context and the spare become the transport states'; the
  // caller's old states come back here, to be reused by the next initialize.
  std::swap(*c1, symmetric_.cipher());
  std::swap(*c2, spare_);
  if (const Error err = symmetric_.split(c1, c2); err != Error::kNone) {
    c1->clear_key();
    c2->clear_key();
    return fail(err);
  }
  if (protocol_.pattern.one_way()) {
    // Section 7.4: only the initiator sends; the other direction is never used.
    c2->disable();
  }
  symmetric_.wipe_keys();  // h stays, for channel binding
  status_ = HandshakeStatus::kSplit;
  return Error::kNone;
}

ByteSpan HandshakeState::handshake_hash() const {
  const bool done = status_ == HandshakeStatus::kComplete || status_ == HandshakeStatus::kSplit;
  return done ? symmetric_.handshake_hash() : ByteSpan();
}

ByteSpan HandshakeState::remote_static() const { return has_rs_ ? ByteSpan(rs_) : ByteSpan(); }

ByteSpan HandshakeState::remote_ephemeral() const { return has_re_ ? ByteSpan(re_) : ByteSpan(); }

ByteSpan HandshakeState::local_ephemeral() const {
  return has_e_ ? ByteSpan(e_.public_key) : ByteSpan();
}

}  // namespace p2pnet::noise
