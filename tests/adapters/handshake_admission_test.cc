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

#include "p2pnet/internal/assert.h"

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
  // 0: the share applies always; with two addresses in a table of 4 it is the cap, 2.
  HandshakeAdmission admission(/*capacity=*/4, /*per_source_cap=*/2, /*limits_above_percent=*/0);
  const SourceKey a = key("192.0.2.1");
  const SourceKey b = key("192.0.2.2");
  ASSERT_TRUE(admission.add(10, b));
  for (HandshakeAdmission::Id id = 1; id <= 2; ++id) {
    ASSERT_EQ(admission.decide(a).verdict, Verdict::kAdmit);
    ASSERT_TRUE(admission.add(id, a));
  }
  EXPECT_EQ(admission.decide(a).verdict, Verdict::kRefuseSourceAtCap);
  EXPECT_EQ(admission.decide(b).verdict, Verdict::kAdmit);
  EXPECT_EQ(admission.count(a), 2u);

  admission.remove(1);
  EXPECT_EQ(admission.count(a), 1u);
  EXPECT_EQ(admission.decide(a).verdict, Verdict::kAdmit);
  admission.remove(2);
  EXPECT_EQ(admission.sources(), 1u);  // a source with none left is forgotten
  admission.remove(2);                 // unknown ids are ignored
  EXPECT_EQ(admission.size(), 1u);
}

// Issue 21 item 10: the per-address share applies only above the threshold, so an
// idle server takes many handshakes from one address.
TEST(HandshakeAdmissionTest, ThePerSourceCapBitesOnlyAboveTheThreshold) {
  HandshakeAdmission admission(/*capacity=*/20, /*per_source_cap=*/2, /*limits_above_percent=*/50);
  const SourceKey a = key("192.0.2.1");
  // Up to 10 of 20 (not above half) nobody is refused, whatever the source holds.
  for (HandshakeAdmission::Id id = 1; id <= 10; ++id) {
    ASSERT_FALSE(admission.under_pressure());
    ASSERT_EQ(admission.decide(a).verdict, Verdict::kAdmit) << id;
    ASSERT_TRUE(admission.add(id, a));
  }
  ASSERT_TRUE(admission.add(11, key("192.0.2.2")));
  // 11 of 20 is above half: |a| holds 10, over its share now that another address
  // is in the table (20 / 2 = 10), so it is refused...
  EXPECT_TRUE(admission.under_pressure());
  EXPECT_EQ(admission.share(a), 10u);
  EXPECT_EQ(admission.decide(a).verdict, Verdict::kRefuseSourceAtCap);
  // ...and another address is still admitted.
  EXPECT_EQ(admission.decide(key("192.0.2.3")).verdict, Verdict::kAdmit);
  EXPECT_EQ(admission.share(key("192.0.2.3")), 6u);  // 20 / 3 sources
  // With many addresses the share falls to per_source_cap, never below.
  HandshakeAdmission many(/*capacity=*/20, /*per_source_cap=*/2, /*limits_above_percent=*/50);
  for (HandshakeAdmission::Id id = 1; id <= 15; ++id)
    ASSERT_TRUE(many.add(id, key(("10.0.0." + std::to_string(id)).c_str())));
  EXPECT_EQ(many.share(key("10.0.0.1")), 2u);
  // 100 never applies it; 0 always does.
  HandshakeAdmission never(/*capacity=*/2, /*per_source_cap=*/1, /*limits_above_percent=*/100);
  ASSERT_TRUE(never.add(1, a));
  ASSERT_TRUE(never.add(2, a));
  EXPECT_EQ(never.decide(a).verdict, Verdict::kEvictThenAdmit);
  HandshakeAdmission always(/*capacity=*/2, /*per_source_cap=*/1, /*limits_above_percent=*/0);
  ASSERT_TRUE(always.add(1, a));
  ASSERT_TRUE(always.add(2, key("192.0.2.2")));
  EXPECT_EQ(always.decide(a).verdict, Verdict::kRefuseSourceAtCap);
}

TEST(HandshakeAdmissionTest, AFullTableEvictsTheOldestNotTheNewcomer) {
  HandshakeAdmission admission(/*capacity=*/3, /*per_source_cap=*/8, /*limits_above_percent=*/50);
  for (HandshakeAdmission::Id id = 1; id <= 3; ++id)
    ASSERT_TRUE(admission.add(id, key("192.0.2.1")));
  const HandshakeAdmission::Decision decision = admission.decide(key("192.0.2.9"));
  EXPECT_EQ(decision.verdict, Verdict::kEvictThenAdmit);
  EXPECT_EQ(decision.victim, 1u);
}

// Issue 21 item 8: a ClientHello costs nothing, so it buys no priority; the address
// with the largest share loses its oldest, and a lone honest handshake is kept even
// when it is the oldest of all.
TEST(HandshakeAdmissionTest, TheLargestShareLosesItsOldestAndALoneClientIsKept) {
  HandshakeAdmission admission(/*capacity=*/4, /*per_source_cap=*/8, /*limits_above_percent=*/100);
  const SourceKey honest = key("192.0.2.1");
  const SourceKey churn_a = key("198.51.100.1");
  const SourceKey churn_b = key("198.51.100.2");
  ASSERT_TRUE(admission.add(1, honest));  // the oldest of all
  ASSERT_TRUE(admission.add(2, churn_a));
  ASSERT_TRUE(admission.add(3, churn_b));
  ASSERT_TRUE(admission.add(4, churn_a));
  EXPECT_EQ(admission.victim(), 2u);  // churn_a has two: its oldest
  admission.remove(2);
  ASSERT_TRUE(admission.add(5, churn_b));
  EXPECT_EQ(admission.victim(), 3u);  // churn_b has two now
  admission.remove(3);
  ASSERT_TRUE(admission.add(6, churn_a));
  // churn_a holds 4 and 6: the honest one (1) stays, the oldest of the largest goes.
  EXPECT_EQ(admission.victim(), 4u);
  // Equal shares: the oldest of all goes.
  admission.remove(4);
  admission.remove(6);
  EXPECT_EQ(admission.count(churn_a), 0u);
  EXPECT_EQ(admission.victim(), 1u);  // honest (1) and churn_b (5) hold one each; 1 is older
}

TEST(HandshakeAdmissionTest, TheRefusalForASourceComesBeforeEviction) {
  HandshakeAdmission admission(/*capacity=*/2, /*per_source_cap=*/2, /*limits_above_percent=*/50);
  ASSERT_TRUE(admission.add(1, key("192.0.2.1")));
  ASSERT_TRUE(admission.add(2, key("192.0.2.1")));
  // Full, and the source is at its cap: it cannot push out its own or others' handshakes.
  EXPECT_EQ(admission.decide(key("192.0.2.1")).verdict, Verdict::kRefuseSourceAtCap);
  EXPECT_EQ(admission.decide(key("192.0.2.2")).verdict, Verdict::kEvictThenAdmit);
}

TEST(SourceCountsTest, CountsPerSourceAndForgetsZero) {
  SourceCounts counts;
  counts.add(key("192.0.2.1"));
  counts.add(key("192.0.2.1"));
  counts.add(key("2001:db8::1"));
  EXPECT_EQ(counts.count(key("192.0.2.1")), 2u);
  EXPECT_EQ(counts.count(key("2001:db8::2")), 1u);  // the same /64
  counts.remove(key("192.0.2.1"));
  counts.remove(key("192.0.2.1"));
  EXPECT_EQ(counts.count(key("192.0.2.1")), 0u);
  EXPECT_EQ(counts.sources(), 1u);
  EXPECT_FALSE(above_share(5, 10, 50));
  EXPECT_TRUE(above_share(6, 10, 50));
  EXPECT_TRUE(above_share(1, 10, 0));
  EXPECT_FALSE(above_share(10, 10, 100));
}

// The invariants are P2PNET_ASSERTs (issue 21: not a plain assert, which NDEBUG
// compiles away): a caller that breaks them aborts a build with assertions, and in
// one without them is refused, so the bounds hold whatever the caller does.
TEST(HandshakeAdmissionTest, ABrokenPreconditionAbortsOrIsRefusedNeverGrowsTheTable) {
  HandshakeAdmission admission(/*capacity=*/1, /*per_source_cap=*/1, /*limits_above_percent=*/50);
  ASSERT_TRUE(admission.add(1, key("192.0.2.1")));
  SourceCounts counts;
  if (internal::assertions_abort()) {
    EXPECT_DEATH((void)admission.add(2, key("192.0.2.2")), "");  // the table is full
    EXPECT_DEATH((void)admission.add(1, key("192.0.2.2")), "");  // the id is taken
    EXPECT_DEATH(counts.remove(key("192.0.2.1")), "");           // nothing to remove
  } else {
    EXPECT_FALSE(admission.add(2, key("192.0.2.2")));
    EXPECT_FALSE(admission.add(1, key("192.0.2.2")));
    counts.remove(key("192.0.2.1"));
  }
  EXPECT_EQ(admission.size(), 1u);
  EXPECT_EQ(admission.count(key("192.0.2.2")), 0u);
  EXPECT_EQ(counts.sources(), 0u);
}

// A plain model: a list of handshakes in arrival order; the victim is the oldest of
// the source with the most (ties: the oldest of all). Random operations must agree
// with it, and the bounds must hold after every one.
TEST(HandshakeAdmissionTest, AgreesWithAPlainModelOverRandomOperations) {
  struct Model {
    HandshakeAdmission::Id id;
    int source;
  };
  constexpr std::size_t kCapacity = 16;
  constexpr std::size_t kCap = 3;
  constexpr unsigned kAbove = 50;
  constexpr int kSources = 12;
  std::vector<SourceKey> sources;
  sources.reserve(kSources);
  for (int i = 0; i < kSources; ++i)
    sources.push_back(key(("10.0.0." + std::to_string(i)).c_str()));

  std::mt19937_64 random(20240610);
  HandshakeAdmission admission(kCapacity, kCap, kAbove);
  std::vector<Model> model;  // oldest first
  HandshakeAdmission::Id next_id = 1;
  int refusals = 0, evictions = 0, admitted_over_cap = 0;
  const auto from = [&](int source) {
    return static_cast<std::size_t>(std::count_if(
        model.begin(), model.end(), [&](const Model& m) { return m.source == source; }));
  };
  for (int round = 0; round < 20000; ++round) {
    // Busy and quiet spells in turn, so the table both fills and drains.
    const bool busy = (round / 500) % 2 == 0;
    const bool newcomer = random() % 4 < (busy ? 3u : 1u);
    if (newcomer) {
      // Half of the newcomers from one busy source (a NAT), the rest spread.
      const int source = random() % 2 == 0 ? 0 : static_cast<int>(random() % kSources);
      const HandshakeAdmission::Decision decision =
          admission.decide(sources[static_cast<std::size_t>(source)]);
      const bool pressure = model.size() * 100 > kCapacity * kAbove;
      std::vector<int> present;
      present.reserve(model.size() + 1);
      for (const Model& m : model) present.push_back(m.source);
      present.push_back(source);
      std::sort(present.begin(), present.end());
      const auto sources_present =
          static_cast<std::size_t>(std::unique(present.begin(), present.end()) - present.begin());
      const std::size_t share = std::max(kCap, kCapacity / sources_present);
      if (pressure && from(source) >= share) {
        ASSERT_EQ(decision.verdict, Verdict::kRefuseSourceAtCap);
        ++refusals;
        continue;
      }
      if (from(source) >= kCap) ++admitted_over_cap;  // no pressure, or a large share
      if (model.size() >= kCapacity) {
        auto victim = model.begin();
        for (auto it = model.begin(); it != model.end(); ++it) {
          if (from(it->source) > from(victim->source)) victim = it;  // first: the oldest
        }
        ASSERT_EQ(decision.verdict, Verdict::kEvictThenAdmit);
        ASSERT_EQ(decision.victim, victim->id);
        ++evictions;
        admission.remove(victim->id);
        model.erase(victim);
      } else {
        ASSERT_EQ(decision.verdict, Verdict::kAdmit);
      }
      ASSERT_TRUE(admission.add(next_id, sources[static_cast<std::size_t>(source)]));
      model.push_back({next_id++, source});
    } else if (!model.empty()) {  // a handshake completes or fails
      const auto m = model.begin() + static_cast<std::ptrdiff_t>(random() % model.size());
      admission.remove(m->id);
      model.erase(m);
    }
    ASSERT_EQ(admission.size(), model.size());
    ASSERT_LE(admission.size(), kCapacity);
    ASSERT_LE(admission.sources(), admission.size());
    for (int i = 0; i < kSources; ++i)
      ASSERT_EQ(admission.count(sources[static_cast<std::size_t>(i)]), from(i));
  }
  // Every branch was taken many times.
  EXPECT_GT(refusals, 100);
  EXPECT_GT(evictions, 100);
  EXPECT_GT(admitted_over_cap, 100);
}

}  // namespace
}  // namespace p2pnet::net
