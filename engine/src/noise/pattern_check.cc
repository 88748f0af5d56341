// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// check_pattern: the validity rules of the Noise spec (sections 7.3 and 9.3), checked
// by walking the pattern once, the way both parties will: who has sent which key,
// which DHs are done, whether a key is set (so that a token or payload is
// encrypted) and whether a psk was mixed in. Every encryption a party would make,
// of an "s", of a payload, or of its transport messages, is checked where it happens.
#include <array>
#include <cstddef>

#include "p2pnet/internal/noise/pattern.h"

namespace p2pnet::noise {
namespace {

enum Party : std::size_t { kInitiator = 0, kResponder = 1 };
enum Dh : std::size_t { kEE = 0, kES = 1, kSE = 2, kSS = 3 };

struct Walk {
  std::array<bool, 2> sent_e{};
  std::array<bool, 2> sent_s{};
  std::array<bool, 4> dh{};
  bool key = false;        // k is set: the next EncryptAndHash calls ENCRYPT
  bool psk_mixed = false;  // a "psk" token has been processed

  // encrypt: may |party| call ENCRYPT now? |always| for transport messages, which
  // are always encrypted.
  PatternCheck encrypt(Party party, bool always) const {
    if (!key && !always) return PatternCheck::kValid;
    // Rule 4: after a DH with the local static key, the DH of the local ephemeral
    // with the same remote key must have happened too.
    if (party == kInitiator && ((dh[kSE] && !dh[kEE]) || (dh[kSS] && !dh[kES]))) {
      return PatternCheck::kEncryptAfterStaticDh;
    }
    if (party == kResponder && ((dh[kES] && !dh[kEE]) || (dh[kSS] && !dh[kSE]))) {
      return PatternCheck::kEncryptAfterStaticDh;
    }
    // Section 9.3: a PSK-derived key is used only once the sender's e is mixed in.
    if (psk_mixed && !sent_e[party]) return PatternCheck::kPskWithoutEphemeral;
    return PatternCheck::kValid;
  }

  // dh_keys_sent: rule 1, both keys of the DH |token| have been sent (pre-messages
  // count): the initiator's first, the responder's second.
  bool dh_keys_sent(Dh which) const {
    switch (which) {
      case kEE: return sent_e[kInitiator] && sent_e[kResponder];
      case kES: return sent_e[kInitiator] && sent_s[kResponder];
      case kSE: return sent_s[kInitiator] && sent_e[kResponder];
      case kSS: return sent_s[kInitiator] && sent_s[kResponder];
    }
    return false;
  }
};

// premessage_ok: "", "e", "s" or "e, s" (section 7.1).
bool premessage_ok(const MessagePattern& premessage) {
  const std::span<const Token> tokens = premessage.span();
  switch (tokens.size()) {
    case 0: return true;
    case 1: return tokens[0] == Token::kE || tokens[0] == Token::kS;
    case 2: return tokens[0] == Token::kE && tokens[1] == Token::kS;
    default: return false;
  }
}

Dh dh_of(Token token) {
  switch (token) {
    case Token::kEE: return kEE;
    case Token::kES: return kES;
    case Token::kSE: return kSE;
    case Token::kSS:
    case Token::kE:
    case Token::kS:
    case Token::kPsk: return kSS;  // only DH tokens reach here
  }
  return kSS;
}

}  // namespace

std::string_view pattern_check_name(PatternCheck check) {
  switch (check) {
    case PatternCheck::kValid: return "Valid";
    case PatternCheck::kNoMessages: return "NoMessages";
    case PatternCheck::kBadPreMessage: return "BadPreMessage";
    case PatternCheck::kKeySentTwice: return "KeySentTwice";
    case PatternCheck::kDhTwice: return "DhTwice";
    case PatternCheck::kDhWithoutKey: return "DhWithoutKey";
    case PatternCheck::kEncryptAfterStaticDh: return "EncryptAfterStaticDh";
    case PatternCheck::kPskWithoutEphemeral: return "PskWithoutEphemeral";
  }
  return "?";
}

PatternCheck check_pattern(const Pattern& pattern) {
  if (pattern.message_count == 0 || pattern.message_count > kMaxMessages) {
    return PatternCheck::kNoMessages;
  }
  if (!premessage_ok(pattern.initiator_premessage) ||
      !premessage_ok(pattern.responder_premessage)) {
    return PatternCheck::kBadPreMessage;
  }
  const bool psk_mode = pattern.psk_mode();
  Walk walk;
  const std::array<const MessagePattern*, 2> premessages = {&pattern.initiator_premessage,
                                                            &pattern.responder_premessage};
  for (const Party party : {kInitiator, kResponder}) {
    for (const Token token : premessages[party]->span()) {
      if (token == Token::kE) {
        walk.sent_e[party] = true;
        walk.key = walk.key || psk_mode;  // MixKey(e) in a PSK handshake
      } else {
        walk.sent_s[party] = true;
      }
    }
  }

  for (std::size_t i = 0; i < pattern.message_count; ++i) {
    const Party sender = i % 2 == 0 ? kInitiator : kResponder;
    for (const Token token : pattern.messages[i].span()) {
      switch (token) {
        case Token::kE:
          if (walk.sent_e[sender]) return PatternCheck::kKeySentTwice;
          walk.sent_e[sender] = true;
          walk.key = walk.key || psk_mode;
          break;
        case Token::kS:
          if (walk.sent_s[sender]) return PatternCheck::kKeySentTwice;
          if (const PatternCheck c = walk.encrypt(sender, false); c != PatternCheck::kValid) {
            return c;
          }
          walk.sent_s[sender] = true;
          break;
        case Token::kEE:
        case Token::kES:
        case Token::kSE:
        case Token::kSS: {
          const Dh which = dh_of(token);
          if (walk.dh[which]) return PatternCheck::kDhTwice;
          if (!walk.dh_keys_sent(which)) return PatternCheck::kDhWithoutKey;
          walk.dh[which] = true;
          walk.key = true;
          break;
        }
        case Token::kPsk:
          walk.psk_mixed = true;
          walk.key = true;
          break;
      }
    }
    if (const PatternCheck c = walk.encrypt(sender, false); c != PatternCheck::kValid) return c;
  }
  // Transport messages: the initiator always sends; the responder unless one-way.
  if (const PatternCheck c = walk.encrypt(kInitiator, true); c != PatternCheck::kValid) return c;
  if (!pattern.one_way()) return walk.encrypt(kResponder, true);
  return PatternCheck::kValid;
}

}  // namespace p2pnet::noise
