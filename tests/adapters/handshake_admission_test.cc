// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// handshake_admission_test.cc: the server's admission policy without sockets
// (adapters/socket/src/handshake_admission.h): source keys, the per-source cap, which
// handshake a full table evicts, and a comparison with a plain model over random
// operations.
#include "handshake_admission.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace p2pnet::net {
namespace {

using Verdict = HandshakeAdmission::Verdict;

IpAddress ip(const char* text) {
  IpAddress out;
  in_addr v4{};
  if (::inet_pton(AF_INET, text, &v4) == 1) {
    out.bytes[10] = 0xFF;
    out.bytes[11] = 0xFF;
    std::memcpy(out.bytes.data() + 12, &v4, 4);
    return out;
  }
  EXPECT_EQ(::inet_pton(AF_INET6, text, out.bytes.data()), 1) << text;
  return out;
}

SourceKey key(const char* text) { return source_key(ip(text)); }

TEST(SourceKeyTest, Ipv4IsTheWholeAddressAndIpv4MappedIpv6IsIpv4) {
  EXPECT_EQ(key("192.0.2.1"), key("192.0.2.1"));
  EXPECT_NE(key("192.0.2.1"), key("192.0.2.2"));
  EXPECT_EQ(key("::ffff:192.0.2.1"), key("192.0.2.1"));
  EXPECT_TRUE(ip("::ffff:192.0.2.1").is_v4());
  EXPECT_FALSE(ip("2001:db8::1").is_v4());
}

TEST(SourceKeyTest, Ipv6IsGroupedByItsSlash64) {
  EXPECT_EQ(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff:ffff:ffff:fffe"));
  EXPECT_NE(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
  // An IPv6 /64 that happens to hold an IPv4-looking tail is not that IPv4 address.
  EXPECT_NE(key("2001:db8::c000:201"), key("192.0.2.1"));
}

TEST(HandshakeAdmissionTest, ASourceAtItsCapIsRefusedAndOthersAreNot) {
  HandshakeAdmission admission(/*capacity=*/10, /*per_source_cap=*/2);
  const SourceKey a = key("192.0.2.1");
  const SourceKey b = key("192.0.2.2");
  for (HandshakeAdmission::Id id = 1; id <= 2; ++id) {
    ASSERT_EQ(admission.decide(a).verdict, Verdict::kAdmit);
    admission.add(id, a);
  }
  EXPECT_EQ(admission.decide(a).verdict, Verdict::kRefuseSourceAtCap);
  EXPECT_EQ(admission.decide(b).verdict, Verdict::kAdmit);
  EXPECT_EQ(admission.count(a), 2u);

  admission.remove(1);
  EXPECT_EQ(admission.count(a), 1u);
  EXPECT_EQ(admission.decide(a).verdict, Verdict::kAdmit);
  admission.remove(2);
  EXPECT_EQ(admission.sources(), 0u);  // a count that reaches zero is forgotten
  admission.remove(2);                 // unknown ids are ignored
  EXPECT_EQ(admission.size(), 0u);
}

TEST(HandshakeAdmissionTest, AFullTableEvictsTheOldestWithoutProgressNotTheNewcomer) {
  HandshakeAdmission admission(/*capacity=*/3, /*per_source_cap=*/8);
  for (HandshakeAdmission::Id id = 1; id <= 3; ++id) admission.add(id, key("192.0.2.1"));
  const HandshakeAdmission::Decision decision = admission.decide(key("192.0.2.9"));
  EXPECT_EQ(decision.verdict, Verdict::kEvictThenAdmit);
  EXPECT_EQ(decision.victim, 1u);
}

TEST(HandshakeAdmissionTest, ProgressProtectsAndWithinAStepTheLongestStalledGoesFirst) {
  HandshakeAdmission admission(/*capacity=*/3, /*per_source_cap=*/8);
  for (HandshakeAdmission::Id id = 1; id <= 3; ++id) admission.add(id, key("192.0.2.1"));
  // 1 and 3 complete their ClientHello, 3 before 1.
  admission.advance(3);
  admission.advance(1);
  EXPECT_EQ(admission.step(1), 1);
  EXPECT_EQ(admission.step(2), 0);
  // 2 made no progress: it goes first, although 1 is older.
  EXPECT_EQ(admission.decide(key("192.0.2.9")).victim, 2u);
  admission.remove(2);
  admission.add(4, key("192.0.2.9"));
  EXPECT_EQ(admission.decide(key("192.0.2.9")).victim, 4u);  // the newest, still at step 0
  admission.remove(4);
  admission.add(5, key("192.0.2.9"));
  admission.advance(5);
  // All at step 1: the one that reached it first (3), not the oldest connection (1).
  EXPECT_EQ(admission.decide(key("192.0.2.9")).victim, 3u);
  admission.advance(42);  // unknown ids are ignored
  EXPECT_EQ(admission.step(42), -1);
}

TEST(HandshakeAdmissionTest, TheRefusalForASourceComesBeforeEviction) {
  HandshakeAdmission admission(/*capacity=*/2, /*per_source_cap=*/2);
  admission.add(1, key("192.0.2.1"));
  admission.add(2, key("192.0.2.1"));
  // Full, and the source is at its cap: it cannot push out its own or others' handshakes.
  EXPECT_EQ(admission.decide(key("192.0.2.1")).verdict, Verdict::kRefuseSourceAtCap);
  EXPECT_EQ(admission.decide(key("192.0.2.2")).verdict, Verdict::kEvictThenAdmit);
}

// A plain model: a list of handshakes with a step and the time it was reached; the
// victim is the minimum of (step, time). Random operations must agree with it, and
// the bounds must hold after every one.
TEST(HandshakeAdmissionTest, AgreesWithAPlainModelOverRandomOperations) {
  struct Model {
    HandshakeAdmission::Id id;
    int source;
    int step;
    int since;
  };
  constexpr std::size_t kCapacity = 16;
  constexpr std::size_t kCap = 3;
  constexpr int kSources = 12;
  std::vector<SourceKey> sources;
  sources.reserve(kSources);
  for (int i = 0; i < kSources; ++i)
    sources.push_back(key(("10.0.0." + std::to_string(i)).c_str()));

  std::mt19937_64 random(20240610);
  HandshakeAdmission admission(kCapacity, kCap);
  std::vector<Model> model;
  HandshakeAdmission::Id next_id = 1;
  int clock = 0;
  int refusals = 0, evictions_at_step[2] = {0, 0};
  for (int round = 0; round < 20000; ++round) {
    ++clock;
    const int op = static_cast<int>(random() % 5);  // 0, 1: newcomer; 2, 3: progress; 4: end
    if (op <= 1) {                                  // a newcomer
      const int source = static_cast<int>(random() % kSources);
      const auto from_source = std::count_if(model.begin(), model.end(),
                                             [&](const Model& m) { return m.source == source; });
      const HandshakeAdmission::Decision decision =
          admission.decide(sources[static_cast<std::size_t>(source)]);
      if (static_cast<std::size_t>(from_source) >= kCap) {
        ASSERT_EQ(decision.verdict, Verdict::kRefuseSourceAtCap);
        ++refusals;
        continue;
      }
      if (model.size() >= kCapacity) {
        const auto victim =
            std::min_element(model.begin(), model.end(), [](const Model& x, const Model& y) {
              return x.step != y.step ? x.step < y.step : x.since < y.since;
            });
        ASSERT_EQ(decision.verdict, Verdict::kEvictThenAdmit);
        ASSERT_EQ(decision.victim, victim->id);
        ++evictions_at_step[victim->step];
        admission.remove(victim->id);
        model.erase(victim);
      } else {
        ASSERT_EQ(decision.verdict, Verdict::kAdmit);
      }
      admission.add(next_id, sources[static_cast<std::size_t>(source)]);
      model.push_back({next_id++, source, 0, clock});
    } else if (op <= 3) {  // a handshake at step 0 completes its ClientHello
      std::vector<Model*> waiting;
      for (Model& m : model) {
        if (m.step == 0) waiting.push_back(&m);
      }
      if (waiting.empty()) continue;
      Model& m = *waiting[random() % waiting.size()];
      admission.advance(m.id);
      m.step = 1;
      m.since = clock;
    } else if (!model.empty()) {  // a handshake completes or fails
      const auto m = model.begin() + static_cast<std::ptrdiff_t>(random() % model.size());
      admission.remove(m->id);
      model.erase(m);
    }
    ASSERT_EQ(admission.size(), model.size());
    ASSERT_LE(admission.size(), kCapacity);
    ASSERT_LE(admission.sources(), admission.size());
    for (int i = 0; i < kSources; ++i)
      ASSERT_LE(admission.count(sources[static_cast<std::size_t>(i)]), kCap);
  }
  // Every branch was taken many times.
  EXPECT_GT(refusals, 100);
  EXPECT_GT(evictions_at_step[0], 100);
  EXPECT_GT(evictions_at_step[1], 100);
}

}  // namespace
}  // namespace p2pnet::net
