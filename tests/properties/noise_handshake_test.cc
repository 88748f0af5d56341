// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The Noise core (engine/src/noise/), for any pattern of the table, any psk
// placement, any cipher and hash this build has, any keys, prologue and payloads:
//   - both sides finish together with the same handshake hash and transport keys
//     (each direction decrypts what the other encrypts, and the two directions
//     differ), and every payload arrives as sent;
//   - one flipped bit in any handshake message, a different prologue or a different
//     PSK makes the handshake fail at the first message that can notice it (the first
//     whose payload is encrypted from then on), never later and never silently;
//   - any hand-written pattern is refused at initialize if it breaks a validity
//     rule, and one that is accepted always runs to the end.
// The message at which a failure must show is computed here by a walk of the
// pattern's tokens independent of the engine's.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "noise_parties.h"
#include "p2pnet/internal/noise/handshake_state.h"

namespace p2pnet::noise {
// showValue: RapidCheck prints a generated protocol by its name.
void showValue(const Protocol& protocol, std::ostream& os) {
  ProtocolName name;
  os << (protocol_name(&name, protocol) == Error::kNone ? name.view() : protocol.pattern.name());
}
}  // namespace p2pnet::noise

namespace p2pnet::testing {
namespace {

using Bytes = std::vector<std::uint8_t>;
using noise::CipherState;
using noise::HandshakeState;
using noise::HandshakeStatus;
using noise::Protocol;
using noise::Role;
using noise::Token;

// gen_protocol: a table pattern, a random set of psk positions, an available suite.
rc::Gen<Protocol> gen_protocol() {
  return rc::gen::exec([] {
    const auto table = noise::pattern_table();
    Protocol protocol;
    protocol.pattern = table[*rc::gen::inRange<std::size_t>(0, table.size())];
    for (std::size_t p = 0; p <= protocol.pattern.message_count; ++p) {
      if (*rc::gen::weightedElement<bool>({{3, false}, {1, true}})) {
        RC_ASSERT(noise::apply_psk_modifier(&protocol.pattern, p) == Error::kNone);
      }
    }
    std::vector<noise::CipherKind> ciphers;
    for (const auto c : {noise::CipherKind::kChaChaPoly, noise::CipherKind::kAesGcm}) {
      if (noise::cipher_available(c)) ciphers.push_back(c);
    }
    std::vector<noise::HashKind> hashes;
    for (const auto h : {noise::HashKind::kSha256, noise::HashKind::kSha512,
                         noise::HashKind::kBlake2s, noise::HashKind::kBlake2b}) {
      if (noise::hash_available(h)) hashes.push_back(h);
    }
    protocol.cipher = *rc::gen::elementOf(ciphers);
    protocol.hash = *rc::gen::elementOf(hashes);
    return protocol;
  });
}

// payload_encrypted[m]: whether message m's payload is encrypted (a key is set by
// then): after any DH or psk token, or an e in a PSK handshake (spec 5.3, 9.2).
std::vector<bool> payload_encrypted(const noise::Pattern& pattern) {
  bool psk = false;
  for (const auto& message : pattern.message_span()) {
    for (const Token t : message.span()) psk = psk || t == Token::kPsk;
  }
  bool key = false;
  for (const auto* pre : {&pattern.initiator_premessage, &pattern.responder_premessage}) {
    for (const Token t : pre->span()) key = key || (psk && t == Token::kE);
  }
  std::vector<bool> out;
  for (const auto& message : pattern.message_span()) {
    for (const Token t : message.span()) {
      if (t == Token::kE) {
        key = key || psk;
      } else if (t != Token::kS) {
        key = true;  // ee, es, se, ss, psk
      }
    }
    out.push_back(key);
  }
  return out;
}

// first_detecting: the first message from |from| on whose payload is encrypted.
std::size_t first_detecting(const noise::Pattern& pattern, std::size_t from) {
  const std::vector<bool> encrypted = payload_encrypted(pattern);
  for (std::size_t m = from; m < encrypted.size(); ++m) {
    if (encrypted[m]) return m;
  }
  return encrypted.size();
}

struct Run {
  Error error = Error::kNone;
  std::size_t failed_at = 0;  // the message whose read failed
};

// play runs the handshake, flipping |flip_bit| (if set) of message |flip_message|,
// and reports the first failure.
Run play(HandshakeState& initiator, HandshakeState& responder, std::size_t message_count,
         std::optional<std::pair<std::size_t, std::size_t>> flip,
         const std::vector<Bytes>& payloads) {
  Bytes message(noise::kMaxMessageLen), payload(noise::kMaxMessageLen);
  for (std::size_t m = 0; m < message_count; ++m) {
    HandshakeState& sender = m % 2 == 0 ? initiator : responder;
    HandshakeState& receiver = m % 2 == 0 ? responder : initiator;
    std::size_t written = 0;
    const Error w = sender.write_message(&written, message, payloads[m]);
    RC_ASSERT(w == Error::kNone);  // the sender's own state is always sound
    if (flip && flip->first == m) {
      const std::size_t bit = flip->second % (written * 8);
      message[bit / 8] ^= static_cast<std::uint8_t>(1U << (bit % 8));
    }
    std::size_t read = 0;
    const Error r = receiver.read_message(&read, payload, ByteSpan(message).first(written));
    if (r != Error::kNone) return {r, m};
    // A flipped bit in a clear payload changes it, unnoticed until a later message.
    if (flip && flip->first == m) continue;
    RC_ASSERT(Bytes(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(read)) ==
              payloads[m]);
  }
  return {Error::kNone, message_count};
}

std::vector<Bytes> gen_payloads(std::size_t count) {
  std::vector<Bytes> out;
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(*rc::gen::resize(64, rc::gen::arbitrary<Bytes>()));
  }
  return out;
}

Bytes seal(CipherState& state, const Bytes& text) {
  Bytes out(text.size() + noise::kTagLen);
  std::size_t written = 0;
  RC_ASSERT(state.encrypt_with_ad(&written, out, {}, text) == Error::kNone);
  out.resize(written);
  return out;
}

std::optional<Bytes> open(CipherState& state, const Bytes& sealed) {
  Bytes out(sealed.size());
  std::size_t written = 0;
  if (state.decrypt_with_ad(&written, out, {}, sealed) != Error::kNone) return std::nullopt;
  out.resize(written);
  return out;
}

RC_GTEST_PROP(NoiseHandshake, BothSidesAgreeOnHashAndTransportKeys, ()) {
  const Protocol protocol = *gen_protocol();
  NoiseParties parties(*rc::gen::arbitrary<std::uint32_t>());
  const Bytes prologue = *rc::gen::arbitrary<Bytes>();
  auto ic = parties.config(protocol, Role::kInitiator);
  auto rc_config = parties.config(protocol, Role::kResponder);
  ic.prologue = prologue;
  rc_config.prologue = prologue;
  HandshakeState initiator, responder;
  RC_ASSERT(initiator.initialize(ic) == Error::kNone);
  RC_ASSERT(responder.initialize(rc_config) == Error::kNone);
  const auto payloads = gen_payloads(protocol.pattern.message_count);
  const Run run =
      play(initiator, responder, protocol.pattern.message_count, std::nullopt, payloads);
  RC_ASSERT(run.error == Error::kNone);
  RC_ASSERT(initiator.status() == HandshakeStatus::kComplete);
  RC_ASSERT(responder.status() == HandshakeStatus::kComplete);
  const ByteSpan ih = initiator.handshake_hash();
  RC_ASSERT(ih.size() == noise::hash_len(protocol.hash));
  RC_ASSERT(std::ranges::equal(ih, responder.handshake_hash()));

  CipherState is, ir, rs, rr;
  RC_ASSERT(initiator.split(&is, &ir) == Error::kNone);
  RC_ASSERT(responder.split(&rs, &rr) == Error::kNone);
  const Bytes text = *rc::gen::arbitrary<Bytes>();
  const Bytes sealed = seal(is, text);
  RC_ASSERT(open(rr, sealed) == std::optional<Bytes>(text));
  if (!protocol.pattern.one_way()) {
    const Bytes back = seal(rs, text);
    RC_ASSERT(open(ir, back) == std::optional<Bytes>(text));
    // The two directions have different keys: the same text at the same nonce differs.
    RC_ASSERT(back != sealed);
  }
}

RC_GTEST_PROP(NoiseHandshake, AFlippedBitFailsAtTheFirstMessageThatCanNotice, ()) {
  const Protocol protocol = *gen_protocol();
  NoiseParties parties(*rc::gen::arbitrary<std::uint32_t>());
  HandshakeState initiator, responder;
  RC_ASSERT(initiator.initialize(parties.config(protocol, Role::kInitiator)) == Error::kNone);
  RC_ASSERT(responder.initialize(parties.config(protocol, Role::kResponder)) == Error::kNone);
  const std::size_t count = protocol.pattern.message_count;
  const std::size_t flipped = *rc::gen::inRange<std::size_t>(0, count);
  const std::size_t bit = *rc::gen::arbitrary<std::size_t>();
  const Run run =
      play(initiator, responder, count, std::make_pair(flipped, bit), gen_payloads(count));
  const std::size_t expected = first_detecting(protocol.pattern, flipped);
  RC_ASSERT(expected < count);  // every pattern of the table encrypts its last payload
  RC_ASSERT(run.error == Error::kAuthenticationFailed);
  RC_ASSERT(run.failed_at == expected);
}

RC_GTEST_PROP(NoiseHandshake, ADifferentPrologueOrPskFailsWhereItIsFirstUsed, ()) {
  const Protocol protocol = *gen_protocol();
  NoiseParties parties(*rc::gen::arbitrary<std::uint32_t>());
  auto ic = parties.config(protocol, Role::kInitiator);
  auto rc_config = parties.config(protocol, Role::kResponder);
  const std::size_t psks = protocol.pattern.psk_count();
  const bool change_psk = psks > 0 && *rc::gen::arbitrary<bool>();
  const Bytes other_prologue = {0x01};
  std::vector<noise::Psk> responder_psks;
  std::size_t expected = 0;
  if (change_psk) {
    const std::size_t changed = *rc::gen::inRange<std::size_t>(0, psks);
    for (std::size_t i = 0; i < psks; ++i) {
      noise::Psk psk;
      std::ranges::copy(parties.psks[i].bytes(), psk.bytes().begin());
      if (i == changed) psk.bytes()[0] ^= 0x01;
      responder_psks.push_back(std::move(psk));
    }
    rc_config.psks = responder_psks;
    // The message holding the changed psk token.
    std::size_t seen = 0;
    for (std::size_t m = 0; m < protocol.pattern.message_count; ++m) {
      for (const Token t : protocol.pattern.messages[m].span()) {
        if (t == Token::kPsk && seen++ == changed) expected = m;
      }
    }
    expected = first_detecting(protocol.pattern, expected);
  } else {
    rc_config.prologue = other_prologue;
    expected = first_detecting(protocol.pattern, 0);
  }
  HandshakeState initiator, responder;
  RC_ASSERT(initiator.initialize(ic) == Error::kNone);
  RC_ASSERT(responder.initialize(rc_config) == Error::kNone);
  const std::size_t count = protocol.pattern.message_count;
  const Run run = play(initiator, responder, count, std::nullopt, gen_payloads(count));
  RC_ASSERT(run.error == Error::kAuthenticationFailed);
  RC_ASSERT(run.failed_at == expected);
}

// gen_message: up to five random tokens (any of the seven).
rc::Gen<noise::MessagePattern> gen_message(std::size_t max_tokens) {
  return rc::gen::exec([max_tokens] {
    noise::MessagePattern message;
    const std::size_t size = *rc::gen::inRange<std::size_t>(1, max_tokens + 1);
    for (std::size_t i = 0; i < size; ++i) {
      RC_ASSERT(message.push(*rc::gen::element(Token::kE, Token::kS, Token::kEE, Token::kES,
                                               Token::kSE, Token::kSS, Token::kPsk)));
    }
    return message;
  });
}

RC_GTEST_PROP(NoiseHandshake, InvalidPatternsAreRefusedAndValidOnesRunToTheEnd, ()) {
  Protocol protocol;
  noise::Pattern& pattern = protocol.pattern;
  RC_ASSERT(pattern.set_name("RANDOM"));
  const std::vector<std::string> premessages = {"", "e", "s", "e, s"};
  RC_ASSERT(noise::parse_message_pattern(&pattern.initiator_premessage,
                                         *rc::gen::elementOf(premessages)));
  RC_ASSERT(noise::parse_message_pattern(&pattern.responder_premessage,
                                         *rc::gen::elementOf(premessages)));
  pattern.message_count = *rc::gen::inRange<std::uint8_t>(1, 5);
  for (std::size_t m = 0; m < pattern.message_count; ++m) pattern.messages[m] = *gen_message(5);
  const noise::PatternCheck check = noise::check_pattern(pattern);
  RC_TAG(noise::pattern_check_name(check));

  NoiseParties parties(*rc::gen::arbitrary<std::uint32_t>());
  HandshakeState initiator, responder;
  const Error ie = initiator.initialize(parties.config(protocol, Role::kInitiator));
  const Error re = responder.initialize(parties.config(protocol, Role::kResponder));
  if (check != noise::PatternCheck::kValid) {
    RC_ASSERT(ie == Error::kInvalidArgument);
    RC_ASSERT(re == Error::kInvalidArgument);
    RC_ASSERT(initiator.last_pattern_check() == check);
    return;
  }
  RC_ASSERT(ie == Error::kNone);
  RC_ASSERT(re == Error::kNone);
  Bytes message(noise::kMaxMessageLen), payload(noise::kMaxMessageLen);
  RC_ASSERT(play_handshake(initiator, responder, Bytes{1, 2, 3}, message, payload) == Error::kNone);
  RC_ASSERT(std::ranges::equal(initiator.handshake_hash(), responder.handshake_hash()));
  CipherState is, ir, rs, rr;
  RC_ASSERT(initiator.split(&is, &ir) == Error::kNone);
  RC_ASSERT(responder.split(&rs, &rr) == Error::kNone);
  RC_ASSERT(open(rr, seal(is, Bytes{7})) == std::optional<Bytes>(Bytes{7}));
}

}  // namespace
}  // namespace p2pnet::testing
