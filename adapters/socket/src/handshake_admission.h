// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// handshake_admission.h: which connections the server lets into its handshake table,
// and how many connections each source holds (internal to the socket adapter; the
// policy is docs/adapters.md, "Handshake admission"). Pure bookkeeping, no socket or
// clock, so it is tested on its own.
//
// The table holds at most |capacity| handshakes. For a newcomer:
//   1. under pressure, when the table holds more than |limits_above_percent| of its
//      capacity, a source (IPv4 address, IPv6 /64) that already has its share of
//      handshakes in the table is refused. The share is an equal split of the table
//      among the sources in it (the newcomer's included), and never less than
//      |per_source_cap|: one address cannot crowd the others out, and needs refusing
//      only when others compete for the table. An idle server applies no share at
//      all, and a busy one with few addresses a generous one, so many honest clients
//      behind one address (a NAT, a load test) are served;
//   2. otherwise, if the table is full, one handshake is evicted to make room; the
//      newcomer is never the one refused for a full table;
//   3. otherwise the newcomer is admitted.
// The victim: priority follows work that costs the peer, and nothing a handshake in
// this table has done costs it anything. In protocol v1 the client's only costly
// work, its signature, comes in the KeyExchange, which ends the handshake and takes
// it out of the table; a ClientHello is free to send (random bytes without an
// allow-list), so "more messages" is no priority: a peer that churns connections
// through their ClientHello would push out honest clients waiting one round trip.
// So every handshake here is of equal work, and among equals the share decides: the
// victim comes from the source with the most handshakes in the table, and within it
// it is the oldest (the oldest of all breaks a tie between sources). A flood from
// many addresses then evicts itself before a client whose address has one handshake.
//
// Memory is bounded by the table: one entry per handshake, one list per distinct
// source present (erased when empty). Per-source maps are keyed with SipHash under a
// random key, so peers choosing addresses cannot make their buckets collide.
#ifndef P2PNET_SOCKET_SRC_HANDSHAKE_ADMISSION_H_
#define P2PNET_SOCKET_SRC_HANDSHAKE_ADMISSION_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <unordered_map>

#include "p2pnet/socket/socket.h"

namespace p2pnet::net {

// SourceKey is what a connection is counted against: an IPv4 address whole, an IPv6
// address by its /64 prefix (the rest zero). An IPv4-mapped IPv6 address
// (::ffff:a.b.c.d, what a dual-stack listener reports) is the IPv4 address.
struct SourceKey {
  std::array<std::uint8_t, 16> bytes{};
  bool operator==(const SourceKey&) const = default;
};

// source_key maps a peer's address to its key.
SourceKey source_key(const IpAddress& address);

// SourceHash is SipHash-2-4 (crypto_shorthash) under a key drawn at construction.
class SourceHash {
 public:
  SourceHash();
  std::size_t operator()(const SourceKey& key) const;

 private:
  std::array<std::uint8_t, 16> key_{};
};

// above_share: |used| is more than |percent| % of |capacity| (the pressure rule).
// 0 % means always once anything is used; 100 % never.
bool above_share(std::size_t used, std::size_t capacity, unsigned percent);

// SourceCounts counts connections per source (the server's
// max_connections_per_address). A count that drops to zero is erased.
class SourceCounts {
 public:
  void add(const SourceKey& source) { ++counts_[source]; }
  void remove(const SourceKey& source);
  std::size_t count(const SourceKey& source) const;
  std::size_t sources() const { return counts_.size(); }

 private:
  std::unordered_map<SourceKey, std::size_t, SourceHash> counts_;
};

class HandshakeAdmission {
 public:
  using Id = std::uint64_t;

  // |capacity| and |per_source_cap| must be positive, |limits_above_percent| at most
  // 100 (Server::create checks). 0 applies the per-source cap always.
  HandshakeAdmission(std::size_t capacity, std::size_t per_source_cap,
                     unsigned limits_above_percent);

  enum class Verdict : std::uint8_t {
    kAdmit,              // room in the table, and the source may have one more
    kEvictThenAdmit,     // the table is full: remove |victim|, then add the newcomer
    kRefuseSourceAtCap,  // under pressure, the source already has its share
  };
  struct Decision {
    Verdict verdict = Verdict::kAdmit;
    Id victim = 0;  // kEvictThenAdmit only
  };

  // decide says what to do with a new connection from |source|. Changes nothing: the
  // caller removes the victim (remove) and adds the newcomer (add) when it acts.
  Decision decide(const SourceKey& source) const;
  // victim is the oldest handshake of the source with the most handshakes in the
  // table (see above), or nullopt when the table is empty. The server also uses it
  // when its connection bound, not the table, is full.
  std::optional<Id> victim() const;
  // share is what |source| may hold under pressure: max(per_source_cap, capacity /
  // the number of sources with a handshake, |source| counted even without one).
  std::size_t share(const SourceKey& source) const;
  // under_pressure: the table holds more than limits_above_percent of its capacity.
  bool under_pressure() const { return above_share(size(), capacity_, limits_above_percent_); }

  // add records a new handshake. The caller has followed decide: the table has room
  // and, under pressure, the source is under its share; |id| is not in the table. If
  // that does not hold (a bug in the caller), nothing is added and it returns false,
  // so the bounds hold whatever happens (P2PNET_ASSERT: a test build aborts).
  [[nodiscard]] bool add(Id id, const SourceKey& source);
  // remove forgets handshake |id| (completed, failed or evicted). Unknown ids are
  // ignored.
  void remove(Id id);

  std::size_t size() const { return entries_.size(); }
  // count is how many handshakes |source| has in the table.
  std::size_t count(const SourceKey& source) const;
  // sources is how many distinct sources have a handshake in the table.
  std::size_t sources() const { return per_source_.size(); }
  bool contains(Id id) const { return entries_.contains(id); }

 private:
  struct Entry {
    SourceKey source;
    std::uint64_t arrival = 0;         // order of admission: smaller is older
    std::list<Id>::iterator position;  // in per_source_[source], oldest first
  };

  std::size_t capacity_;
  std::size_t per_source_cap_;
  unsigned limits_above_percent_;
  std::uint64_t next_arrival_ = 0;
  std::unordered_map<Id, Entry> entries_;
  std::unordered_map<SourceKey, std::list<Id>, SourceHash> per_source_;
};

}  // namespace p2pnet::net

#endif  // P2PNET_SOCKET_SRC_HANDSHAKE_ADMISSION_H_
