// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The pattern table (engine/src/noise/pattern.cc) against the spec's list of names and
// shapes, the psk modifiers, and every validity rule of check_pattern refusing a
// pattern that breaks it (engine/src/noise/pattern_check.cc).
#include "p2pnet/internal/noise/pattern.h"

#include <gtest/gtest.h>

#include <bit>
#include <set>
#include <string>
#include <vector>

namespace p2pnet::noise {
namespace {

std::string render(const MessagePattern& message) {
  std::string out;
  for (const Token token : message.span()) {
    if (!out.empty()) out += ", ";
    out += token_name(token);
  }
  return out;
}

std::vector<std::string> render(const Pattern& pattern) {
  std::vector<std::string> out;
  for (const MessagePattern& message : pattern.message_span()) out.push_back(render(message));
  return out;
}

Pattern make(std::string_view initiator_pre, std::string_view responder_pre,
             const std::vector<std::string_view>& messages) {
  Pattern pattern;
  EXPECT_TRUE(pattern.set_name("TEST"));
  EXPECT_TRUE(parse_message_pattern(&pattern.initiator_premessage, initiator_pre));
  EXPECT_TRUE(parse_message_pattern(&pattern.responder_premessage, responder_pre));
  for (const std::string_view message : messages) {
    EXPECT_TRUE(parse_message_pattern(&pattern.messages[pattern.message_count++], message));
  }
  return pattern;
}

TEST(NoisePatternTest, TableHasEveryPatternOfTheSpec) {
  const std::set<std::string> one_way = {"N", "K", "X"};
  const std::set<std::string> fundamental = {"NN", "NK", "NX", "KN", "KK", "KX",
                                             "XN", "XK", "XX", "IN", "IK", "IX"};
  const std::set<std::string> deferred = {
      "NK1",  "NX1", "X1N", "X1K",  "XK1", "X1K1", "X1X", "XX1",  "X1X1", "K1N", "K1K", "KK1",
      "K1K1", "K1X", "KX1", "K1X1", "I1N", "I1K",  "IK1", "I1K1", "I1X",  "IX1", "I1X1"};
  EXPECT_EQ(fundamental.size(), 12U);
  EXPECT_EQ(deferred.size(), 23U);
  std::set<std::string> names;
  for (const Pattern& pattern : pattern_table()) {
    const std::string name(pattern.name());
    names.insert(name);
    EXPECT_EQ(pattern.one_way(), one_way.contains(name)) << name;
    EXPECT_FALSE(pattern.psk_mode()) << name;
    EXPECT_EQ(find_pattern(name), &pattern);
  }
  std::set<std::string> expected = one_way;
  expected.insert(fundamental.begin(), fundamental.end());
  expected.insert(deferred.begin(), deferred.end());
  EXPECT_EQ(names, expected);
  EXPECT_EQ(find_pattern("XY"), nullptr);
  EXPECT_EQ(find_pattern("xx"), nullptr);
}

TEST(NoisePatternTest, ShapesMatchTheSpec) {
  const Pattern& xx = *find_pattern("XX");
  EXPECT_EQ(render(xx), (std::vector<std::string>{"e", "e, ee, s, es", "s, se"}));
  EXPECT_EQ(render(xx.initiator_premessage), "");
  const Pattern& ik = *find_pattern("IK");
  EXPECT_EQ(render(ik), (std::vector<std::string>{"e, es, s, ss", "e, ee, se"}));
  EXPECT_EQ(render(ik.responder_premessage), "s");
  const Pattern& k = *find_pattern("K");
  EXPECT_EQ(render(k), (std::vector<std::string>{"e, es, ss"}));
  EXPECT_EQ(render(k.initiator_premessage), "s");
  const Pattern& x1k1 = *find_pattern("X1K1");
  EXPECT_EQ(render(x1k1), (std::vector<std::string>{"e", "e, ee, es", "s", "se"}));
  const Pattern& i1x1 = *find_pattern("I1X1");
  EXPECT_EQ(render(i1x1), (std::vector<std::string>{"e, s", "e, ee, s", "se, es"}));
}

TEST(NoisePatternTest, EveryTablePatternAndPskPlacementIsValid) {
  for (const Pattern& base : pattern_table()) {
    EXPECT_EQ(check_pattern(base), PatternCheck::kValid) << base.name();
    // Every set of psk positions: psk0 .. psk<message_count>.
    const std::size_t positions = base.message_count + 1U;
    for (std::size_t mask = 1; mask < (std::size_t{1} << positions); ++mask) {
      Pattern pattern = base;
      for (std::size_t p = 0; p < positions; ++p) {
        if ((mask >> p) & 1U) {
          ASSERT_EQ(apply_psk_modifier(&pattern, p), Error::kNone);
        }
      }
      EXPECT_EQ(check_pattern(pattern), PatternCheck::kValid) << pattern.name();
      EXPECT_EQ(pattern.psk_count(), static_cast<std::size_t>(std::popcount(mask)));
    }
  }
}

TEST(NoisePatternTest, PskModifiersPlaceTheToken) {
  Pattern pattern = *find_pattern("XX");
  ASSERT_EQ(apply_psk_modifier(&pattern, 0), Error::kNone);
  ASSERT_EQ(apply_psk_modifier(&pattern, 3), Error::kNone);
  EXPECT_EQ(pattern.name(), "XXpsk0+psk3");
  EXPECT_EQ(render(pattern), (std::vector<std::string>{"psk, e", "e, ee, s, es", "s, se, psk"}));
  EXPECT_TRUE(pattern.psk_mode());
  // No fourth message: refused, nothing changed.
  const Pattern before = pattern;
  EXPECT_EQ(apply_psk_modifier(&pattern, 4), Error::kInvalidArgument);
  EXPECT_EQ(pattern.name(), before.name());
  EXPECT_EQ(render(pattern), render(before));
}

TEST(NoisePatternTest, ParseMessagePatternRefusesNonsense) {
  MessagePattern message;
  EXPECT_TRUE(parse_message_pattern(&message, "e, ee, s, es"));
  EXPECT_EQ(render(message), "e, ee, s, es");
  EXPECT_FALSE(parse_message_pattern(&message, "e,ee"));
  EXPECT_FALSE(parse_message_pattern(&message, "e, ex"));
  EXPECT_FALSE(parse_message_pattern(&message, "e, "));
  EXPECT_FALSE(parse_message_pattern(&message, "e, e, e, e, e, e, e, e, e, e, e, e, e"));
  EXPECT_EQ(render(message), "e, ee, s, es");  // unchanged by the failures
}

TEST(NoisePatternTest, EachValidityRuleRefusesItsPattern) {
  EXPECT_EQ(check_pattern(Pattern{}), PatternCheck::kNoMessages);
  EXPECT_EQ(check_pattern(make("s, e", "", {"e"})), PatternCheck::kBadPreMessage);
  EXPECT_EQ(check_pattern(make("", "ee", {"e"})), PatternCheck::kBadPreMessage);
  EXPECT_EQ(check_pattern(make("psk", "", {"e"})), PatternCheck::kBadPreMessage);
  // Rule 2: e or s sent twice, also counting pre-messages.
  EXPECT_EQ(check_pattern(make("", "", {"e, e"})), PatternCheck::kKeySentTwice);
  EXPECT_EQ(check_pattern(make("", "", {"e", "e, ee", "e"})), PatternCheck::kKeySentTwice);
  EXPECT_EQ(check_pattern(make("s", "", {"e, s", "e, ee"})), PatternCheck::kKeySentTwice);
  // Rule 3: one DH twice.
  EXPECT_EQ(check_pattern(make("", "", {"e", "e, ee, ee"})), PatternCheck::kDhTwice);
  // Rule 1: a DH with a key not yet sent.
  EXPECT_EQ(check_pattern(make("", "", {"e, es", "e, ee"})), PatternCheck::kDhWithoutKey);
  EXPECT_EQ(check_pattern(make("", "", {"e, ee"})), PatternCheck::kDhWithoutKey);
  EXPECT_EQ(check_pattern(make("", "", {"e", "e, ee", "se, s"})), PatternCheck::kDhWithoutKey);
  // Rule 4, each of its four cases.
  EXPECT_EQ(check_pattern(make("s", "", {"e", "e, se"})), PatternCheck::kEncryptAfterStaticDh);
  EXPECT_EQ(check_pattern(make("", "s", {"e, es", "e, ee", "s, se"})), PatternCheck::kValid);
  EXPECT_EQ(check_pattern(make("", "s", {"e", "es"})), PatternCheck::kEncryptAfterStaticDh);
  EXPECT_EQ(check_pattern(make("s", "s", {"e, ss"})), PatternCheck::kEncryptAfterStaticDh);
  EXPECT_EQ(check_pattern(make("s", "s", {"e, es, ss", "e, ee"})),
            PatternCheck::kEncryptAfterStaticDh);  // the responder, after ss without se
  EXPECT_EQ(check_pattern(make("s", "", {"e", "e, ee", "se"})), PatternCheck::kValid);
  EXPECT_EQ(check_pattern(make("s", "", {"e", "e", "se"})),
            PatternCheck::kEncryptAfterStaticDh);  // the initiator, after se without ee
  // Section 9.3: encrypting after a psk before sending an e.
  EXPECT_EQ(check_pattern(make("", "", {"psk"})), PatternCheck::kPskWithoutEphemeral);
  EXPECT_EQ(check_pattern(make("", "", {"e, psk", "psk"})), PatternCheck::kPskWithoutEphemeral);
  EXPECT_EQ(check_pattern(make("", "", {"e, psk", "e, psk"})), PatternCheck::kValid);
}

TEST(NoisePatternTest, NamesOfChecks) {
  EXPECT_EQ(pattern_check_name(PatternCheck::kEncryptAfterStaticDh), "EncryptAfterStaticDh");
  EXPECT_EQ(token_name(Token::kPsk), "psk");
}

}  // namespace
}  // namespace p2pnet::noise
