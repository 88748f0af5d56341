// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// pattern.h: a Noise handshake pattern as data (docs/noise.md, "Patterns as data").
// A Pattern is two pre-messages and up to kMaxMessages message patterns, each a short
// list of tokens; messages alternate initiator, responder, initiator, ... (the spec's
// Alice-initiated form). One interpreter (handshake_state.cc) walks any of them: no
// pattern has code of its own.
//
// The table (pattern.cc) holds every pattern of the spec (revision 34): the 3 one-way
// ones (section 7.4), the 12 fundamental interactive ones (7.5) and the 23 deferred
// ones (18.1), written in the spec's own notation. The psk modifiers (psk0, psk1, ...,
// several at once: section 9.4) are applied to a copy by apply_psk_modifier.
// check_pattern (pattern_check.cc) enforces the validity rules (sections 7.3 and 9.3);
// HandshakeState runs it on every pattern it is given, so a broken pattern is refused
// when the state is made, never in the middle of a handshake.
#ifndef P2PNET_INTERNAL_NOISE_PATTERN_H_
#define P2PNET_INTERNAL_NOISE_PATTERN_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "p2pnet/errors.h"

namespace p2pnet::noise {

enum class Token : std::uint8_t { kE, kS, kEE, kES, kSE, kSS, kPsk };

// token_name: "e", "s", "ee", "es", "se", "ss" or "psk".
std::string_view token_name(Token token);

// The largest pattern of the spec has 4 messages (X1K1 and friends); the longest
// message has 5 tokens ("e, ee, se, s, es"), and psk modifiers add at most two to one
// message (psk0 and psk1 on the first).
inline constexpr std::size_t kMaxMessages = 8;
inline constexpr std::size_t kMaxTokens = 12;
// A psk modifier per position at most: psk0 .. psk<kMaxMessages>.
inline constexpr std::size_t kMaxPsks = kMaxMessages + 1;
// Room for a pattern name section with its modifiers ("XXpsk0+psk1+psk2+psk3").
inline constexpr std::size_t kMaxPatternNameLen = 48;

// MessagePattern: the tokens of one message (or of a pre-message: "e", "s", "e, s").
struct MessagePattern {
  std::array<Token, kMaxTokens> tokens{};
  std::uint8_t size = 0;

  std::span<const Token> span() const { return std::span(tokens).first(size); }
  // push appends |token|; false, with nothing changed, if the message is full.
  [[nodiscard]] bool push(Token token);
  // push_front inserts |token| first; false, with nothing changed, if full.
  [[nodiscard]] bool push_front(Token token);
};

struct Pattern {
  // The name section of the protocol name: the base name and its modifiers ("XXpsk3").
  std::array<char, kMaxPatternNameLen> name_bytes{};
  std::uint8_t name_size = 0;
  MessagePattern initiator_premessage;  // "-> ..." before "..."
  MessagePattern responder_premessage;  // "<- ..." before "..."
  std::array<MessagePattern, kMaxMessages> messages{};
  std::uint8_t message_count = 0;

  std::string_view name() const { return std::string_view(name_bytes.data(), name_size); }
  std::span<const MessagePattern> message_span() const {
    return std::span(messages).first(message_count);
  }
  // set_name replaces the name; false, with nothing changed, if it is too long.
  [[nodiscard]] bool set_name(std::string_view name);
  // one_way: a single message, so only the initiator sends transport messages (7.4).
  bool one_way() const { return message_count == 1; }
  // psk_mode: a "psk" token appears, so every "e" also calls MixKey (section 9.2).
  bool psk_mode() const;
  // psk_count: how many "psk" tokens, hence how many PSKs the handshake takes.
  std::size_t psk_count() const;
};

// parse_message_pattern reads a message or pre-message in the spec's notation, tokens
// separated by ", " ("e, ee, s, es"; "" is an empty one) into |*out|. Returns false,
// with |*out| unchanged, for an unknown token, another separator or too many tokens.
[[nodiscard]] bool parse_message_pattern(MessagePattern* out, std::string_view text);

// kPatternCount: the size of the table, 3 + 12 + 23.
inline constexpr std::size_t kPatternCount = 38;

// pattern_table returns every pattern of the spec, without modifiers.
std::span<const Pattern, kPatternCount> pattern_table();

// find_pattern looks up a base name ("XX", "X1K1"); nullptr if the spec has none.
const Pattern* find_pattern(std::string_view name);

// apply_psk_modifier adds the "psk" token that modifier psk|position| places: first
// in the first message (position 0) or last in message |position|, counted from 1
// (section 9.4). It appends "psk<position>" to the name ("+" before it unless it is
// the first modifier). Returns kInvalidArgument, with |*pattern| unchanged, when the
// pattern has no such message or the name or message would grow too long.
[[nodiscard]] Error apply_psk_modifier(Pattern* pattern, std::size_t position);

// Why check_pattern refused a pattern: one value per validity rule.
enum class PatternCheck : std::uint8_t {
  kValid,
  kNoMessages,            // no message at all
  kBadPreMessage,         // a pre-message other than "e", "s" or "e, s"
  kKeySentTwice,          // a party sends its e or s twice (7.3 rule 2)
  kDhTwice,               // one of ee, es, se, ss appears twice (7.3 rule 3)
  kDhWithoutKey,          // a DH with a key not sent before it (7.3 rule 1)
  kEncryptAfterStaticDh,  // encrypting after a DH with the local static key but
                          // without the matching ephemeral DH (7.3 rule 4)
  kPskWithoutEphemeral,   // encrypting after a psk before sending an e (9.3)
};

// pattern_check_name: the enumerator's name without the 'k', for messages and tests.
std::string_view pattern_check_name(PatternCheck check);

// check_pattern returns kValid if |pattern| keeps every validity rule of the spec
// (sections 7.3 and 9.3), else the first rule it breaks. A one-way pattern's
// responder sends nothing, so rule 4 is not asked of it for transport messages.
PatternCheck check_pattern(const Pattern& pattern);

}  // namespace p2pnet::noise

#endif  // P2PNET_INTERNAL_NOISE_PATTERN_H_
