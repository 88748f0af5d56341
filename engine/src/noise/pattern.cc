// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The pattern table: every handshake pattern of the Noise spec (revision 34), written
// as the spec writes it. Each row is the name, the initiator's and the responder's
// pre-message, then the messages, which alternate "->" and "<-" starting with "->".
// The rows are turned into Pattern values when the program is compiled (a row that
// does not parse does not compile), and tests/engine/noise/pattern_test.cc checks
// the table against the spec's names and shapes.
#include "p2pnet/internal/noise/pattern.h"

#include <algorithm>
#include <cstdlib>

namespace p2pnet::noise {
namespace {

struct Row {
  std::string_view name;
  std::string_view initiator_pre;
  std::string_view responder_pre;
  // Up to four messages; the unused ones are empty (no message of the spec is).
  std::array<std::string_view, 4> messages;
};

// kRows: sections 7.4 (one-way), 7.5 (fundamental) and 18.1 (deferred).
constexpr Row kRows[] = {
    // One-way (7.4).
    {"N", "", "s", {"e, es"}},
    {"K", "s", "s", {"e, es, ss"}},
    {"X", "", "s", {"e, es, s, ss"}},
    // Fundamental interactive (7.5).
    {"NN", "", "", {"e", "e, ee"}},
    {"NK", "", "s", {"e, es", "e, ee"}},
    {"NX", "", "", {"e", "e, ee, s, es"}},
    {"KN", "s", "", {"e", "e, ee, se"}},
    {"KK", "s", "s", {"e, es, ss", "e, ee, se"}},
    {"KX", "s", "", {"e", "e, ee, se, s, es"}},
    {"XN", "", "", {"e", "e, ee", "s, se"}},
    {"XK", "", "s", {"e, es", "e, ee", "s, se"}},
    {"XX", "", "", {"e", "e, ee, s, es", "s, se"}},
    {"IN", "", "", {"e, s", "e, ee, se"}},
    {"IK", "", "s", {"e, es, s, ss", "e, ee, se"}},
    {"IX", "", "", {"e, s", "e, ee, se, s, es"}},
    // Deferred interactive (18.1).
    {"NK1", "", "s", {"e", "e, ee, es"}},
    {"NX1", "", "", {"e", "e, ee, s", "es"}},
    {"X1N", "", "", {"e", "e, ee", "s", "se"}},
    {"X1K", "", "s", {"e, es", "e, ee", "s", "se"}},
    {"XK1", "", "s", {"e", "e, ee, es", "s, se"}},
    {"X1K1", "", "s", {"e", "e, ee, es", "s", "se"}},
    {"X1X", "", "", {"e", "e, ee, s, es", "s", "se"}},
    {"XX1", "", "", {"e", "e, ee, s", "es, s, se"}},
    {"X1X1", "", "", {"e", "e, ee, s", "es, s", "se"}},
    {"K1N", "s", "", {"e", "e, ee", "se"}},
    {"K1K", "s", "s", {"e, es", "e, ee", "se"}},
    {"KK1", "s", "s", {"e", "e, ee, se, es"}},
    {"K1K1", "s", "s", {"e", "e, ee, es", "se"}},
    {"K1X", "s", "", {"e", "e, ee, s, es", "se"}},
    {"KX1", "s", "", {"e", "e, ee, se, s", "es"}},
    {"K1X1", "s", "", {"e", "e, ee, s", "se, es"}},
    {"I1N", "", "", {"e, s", "e, ee", "se"}},
    {"I1K", "", "s", {"e, es, s", "e, ee", "se"}},
    {"IK1", "", "s", {"e, s", "e, ee, se, es"}},
    {"I1K1", "", "s", {"e, s", "e, ee, es", "se"}},
    {"I1X", "", "", {"e, s", "e, ee, s, es", "se"}},
    {"IX1", "", "", {"e, s", "e, ee, se, s", "es"}},
    {"I1X1", "", "", {"e, s", "e, ee, s", "se, es"}},
};
static_assert(std::size(kRows) == kPatternCount);

// Not constexpr: reaching it while compiling the table stops the compilation.
void bad_table_row() { std::abort(); }

constexpr Token parse_token(std::string_view text) {
  if (text == "e") return Token::kE;
  if (text == "s") return Token::kS;
  if (text == "ee") return Token::kEE;
  if (text == "es") return Token::kES;
  if (text == "se") return Token::kSE;
  if (text == "ss") return Token::kSS;
  if (text == "psk") return Token::kPsk;
  bad_table_row();
  return Token::kPsk;
}

// parse_message reads "e, ee, s, es" (tokens separated by ", ").
constexpr MessagePattern parse_message(std::string_view text) {
  MessagePattern out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view token = text.substr(0, comma);
    if (out.size == kMaxTokens) bad_table_row();
    out.tokens[out.size++] = parse_token(token);
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
    if (!text.starts_with(' ')) bad_table_row();
    text = text.substr(1);
  }
  return out;
}

constexpr Pattern make_pattern(const Row& row) {
  Pattern out;
  if (row.name.size() > kMaxPatternNameLen) bad_table_row();
  std::ranges::copy(row.name, out.name_bytes.begin());
  out.name_size = static_cast<std::uint8_t>(row.name.size());
  out.initiator_premessage = parse_message(row.initiator_pre);
  out.responder_premessage = parse_message(row.responder_pre);
  for (const std::string_view& message : row.messages) {
    if (message.empty()) break;
    out.messages[out.message_count++] = parse_message(message);
  }
  return out;
}

constexpr std::array<Pattern, kPatternCount> make_table() {
  std::array<Pattern, kPatternCount> out{};
  for (std::size_t i = 0; i < kPatternCount; ++i) out[i] = make_pattern(kRows[i]);
  return out;
}

constexpr std::array<Pattern, kPatternCount> kTable = make_table();

}  // namespace

bool parse_message_pattern(MessagePattern* out, std::string_view text) {
  MessagePattern message;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view name = text.substr(0, comma);
    const Token tokens[] = {Token::kE,  Token::kS,  Token::kEE, Token::kES,
                            Token::kSE, Token::kSS, Token::kPsk};
    const auto* token = std::ranges::find(tokens, name, token_name);
    if (token == std::end(tokens) || !message.push(*token)) return false;
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
    if (!text.starts_with(' ') || text.size() < 2) return false;
    text = text.substr(1);
  }
  *out = message;
  return true;
}

std::string_view token_name(Token token) {
  switch (token) {
    case Token::kE: return "e";
    case Token::kS: return "s";
    case Token::kEE: return "ee";
    case Token::kES: return "es";
    case Token::kSE: return "se";
    case Token::kSS: return "ss";
    case Token::kPsk: return "psk";
  }
  return "?";
}

bool MessagePattern::push(Token token) {
  if (size == kMaxTokens) return false;
  tokens[size++] = token;
  return true;
}

bool MessagePattern::push_front(Token token) {
  if (size == kMaxTokens) return false;
  for (std::size_t i = size; i > 0; --i) tokens[i] = tokens[i - 1];
  tokens[0] = token;
  ++size;
  return true;
}

bool Pattern::set_name(std::string_view name) {
  if (name.size() > kMaxPatternNameLen) return false;
  name_bytes.fill(0);
  std::ranges::copy(name, name_bytes.begin());
  name_size = static_cast<std::uint8_t>(name.size());
  return true;
}

std::size_t Pattern::psk_count() const {
  std::size_t count = 0;
  for (const MessagePattern& message : message_span()) {
    count += static_cast<std::size_t>(std::ranges::count(message.span(), Token::kPsk));
  }
  return count;
}

bool Pattern::psk_mode() const { return psk_count() > 0; }

std::span<const Pattern, kPatternCount> pattern_table() { return kTable; }

const Pattern* find_pattern(std::string_view name) {
  for (const Pattern& pattern : kTable) {
    if (pattern.name() == name) return &pattern;
  }
  return nullptr;
}

Error apply_psk_modifier(Pattern* pattern, std::size_t position) {
  if (pattern->message_count == 0 || position > pattern->message_count) {
    return Error::kInvalidArgument;
  }
  // "psk<position>", after a "+" unless the name has no modifier yet (its last
  // character is then the base name's: an upper-case letter or a digit after one).
  std::array<char, kMaxPatternNameLen + 8> name{};
  const std::string_view old_name = pattern->name();
  bool has_modifier = false;
  for (const char c : old_name) has_modifier = has_modifier || (c >= 'a' && c <= 'z');
  std::size_t size = 0;
  for (const char c : old_name) name[size++] = c;
  if (has_modifier) name[size++] = '+';
  for (const char c : std::string_view("psk")) name[size++] = c;
  if (position >= 10) name[size++] = static_cast<char>('0' + position / 10);
  name[size++] = static_cast<char>('0' + position % 10);

  Pattern modified = *pattern;
  if (!modified.set_name(std::string_view(name.data(), size))) return Error::kInvalidArgument;
  const bool fits = position == 0 ? modified.messages[0].push_front(Token::kPsk)
                                  : modified.messages[position - 1].push(Token::kPsk);
  if (!fits) return Error::kInvalidArgument;
  *pattern = modified;
  return Error::kNone;
}

}  // namespace p2pnet::noise
