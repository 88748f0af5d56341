// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// handshake_admission.h: which connections the server lets into its handshake table
// (internal to the socket adapter; the policy is docs/adapters.md, "Handshake
// admission"). Pure bookkeeping, no socket or clock, so it is tested on its own.
//
// The table holds at most |capacity| handshakes. For a newcomer:
//   1. a source (IPv4 address, IPv6 /64) that already has |per_source_cap| handshakes
//      in the table is refused: one address cannot fill the table;
//   2. otherwise, if the table is full, the handshake that has made the least
//      progress for the longest is evicted to make room; the newcomer is never the
//      one refused for a full table;
//   3. otherwise the newcomer is admitted.
// Progress is counted in complete handshake messages received from the client. On
// the server that is step 0 (connected, no complete ClientHello yet) or step 1
// (ClientHello complete, ServerHello sent, waiting for KeyExchange); a complete
// KeyExchange ends the handshake either way, so there is no step 2. Partial messages
// count for nothing, so trickling bytes buys no protection. "For the longest" is the
// time since the handshake reached its current step: each step keeps its handshakes
// in a queue in the order they reached it, so the victim is the front of the lowest
// non-empty queue. No clock is needed, and every operation is O(1) on average.
//
// Memory is bounded by the table: one entry per handshake, and one per-source count
// per distinct source present (a count that drops to zero is erased). The per-source
// map is keyed with SipHash under a random key, so peers choosing addresses cannot
// make its buckets collide.
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

// SourceKey is what a handshake is counted against: an IPv4 address whole, an IPv6
// address by its /64 prefix (the rest zero). An IPv4-mapped IPv6 address
// (::ffff:a.b.c.d, what a dual-stack listener reports) is the IPv4 address.
struct SourceKey {
  std::array<std::uint8_t, 16> bytes{};
  bool operator==(const SourceKey&) const = default;
};

// source_key maps a peer's address to its key.
SourceKey source_key(const IpAddress& address);

class HandshakeAdmission {
 public:
  using Id = std::uint64_t;
  static constexpr std::uint8_t kSteps = 2;  // see "Progress" above

  // Both bounds must be positive (Server::create checks).
  HandshakeAdmission(std::size_t capacity, std::size_t per_source_cap);

  enum class Verdict : std::uint8_t {
    kAdmit,              // room in the table, and the source is under its cap
    kEvictThenAdmit,     // the table is full: remove |victim|, then add the newcomer
    kRefuseSourceAtCap,  // the newcomer's source already has per_source_cap handshakes
  };
  struct Decision {
    Verdict verdict = Verdict::kAdmit;
    Id victim = 0;  // kEvictThenAdmit only
  };

  // decide says what to do with a new connection from |source|. Changes nothing: the
  // caller removes the victim (remove) and adds the newcomer (add) when it acts.
  Decision decide(const SourceKey& source) const;
  // victim is the handshake that has made the least progress for the longest, or
  // nullopt when the table is empty. The server also uses it when its connection
  // bound, not the table, is full.
  std::optional<Id> victim() const;

  // add records a new handshake at step 0. The caller has followed decide: the table
  // has room and the source is under its cap. |id| must not be in the table.
  void add(Id id, const SourceKey& source);
  // advance records that handshake |id| completed one more client message: it moves
  // to the back of the next step's queue (it stays at the last step). Unknown ids are
  // ignored.
  void advance(Id id);
  // remove forgets handshake |id| (completed, failed or evicted). Unknown ids are
  // ignored.
  void remove(Id id);

  std::size_t size() const { return entries_.size(); }
  // count is how many handshakes |source| has in the table.
  std::size_t count(const SourceKey& source) const;
  // sources is how many distinct sources have a handshake in the table.
  std::size_t sources() const { return per_source_.size(); }
  // step is |id|'s progress, or -1 when it is not in the table.
  int step(Id id) const;

 private:
  // SourceHash is SipHash-2-4 (crypto_shorthash) under a key drawn at construction.
  class SourceHash {
   public:
    SourceHash();
    std::size_t operator()(const SourceKey& key) const;

   private:
    std::array<std::uint8_t, 16> key_{};
  };

  struct Entry {
    SourceKey source;
    std::uint8_t step = 0;
    std::list<Id>::iterator position;  // in queues_[step]
  };

  std::size_t capacity_;
  std::size_t per_source_cap_;
  std::unordered_map<Id, Entry> entries_;
  std::array<std::list<Id>, kSteps> queues_;  // per step: oldest arrival at that step first
  std::unordered_map<SourceKey, std::size_t, SourceHash> per_source_;
};

}  // namespace p2pnet::net

#endif  // P2PNET_SOCKET_SRC_HANDSHAKE_ADMISSION_H_
