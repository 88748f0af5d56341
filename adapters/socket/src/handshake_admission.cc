// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// handshake_admission.cc: the server's handshake admission policy (see the header).
// Its invariants are P2PNET_ASSERTs (p2pnet/internal/assert.h): a test build aborts
// where one breaks; a release build fails closed (refuses, or adds nothing), so a
// bug can never let the table grow past its bounds.
#include "handshake_admission.h"

#include <sodium.h>

#include <algorithm>

#include "p2pnet/internal/assert.h"

namespace p2pnet::net {

SourceKey source_key(const IpAddress& address) {
  SourceKey key;
  if (address.is_v4()) {
    key.bytes = address.bytes;  // the whole IPv4 address, in its mapped form
  } else {
    // IPv6: the /64 prefix. One subscriber is given at least a /64 and can use any
    // address in it, so counting single addresses would give it 2^64 caps.
    std::copy_n(address.bytes.begin(), 8, key.bytes.begin());
  }
  return key;
}

SourceHash::SourceHash() {
  static_assert(sizeof key_ == crypto_shorthash_KEYBYTES);
  randombytes_buf(key_.data(), key_.size());
}

std::size_t SourceHash::operator()(const SourceKey& key) const {
  std::array<std::uint8_t, crypto_shorthash_BYTES> hash{};
  crypto_shorthash(hash.data(), key.bytes.data(), key.bytes.size(), key_.data());
  std::size_t out = 0;
  for (std::size_t i = 0; i < sizeof out && i < hash.size(); ++i) out = (out << 8) | hash[i];
  return out;
}

bool above_share(std::size_t used, std::size_t capacity, unsigned percent) {
  // In long double: used * 100 cannot overflow, and the sizes are far below 2^64.
  return static_cast<long double>(used) * 100 > static_cast<long double>(capacity) * percent;
}

void SourceCounts::remove(const SourceKey& source) {
  const auto it = counts_.find(source);
  if (!P2PNET_ASSERT(it != counts_.end() && it->second > 0)) return;  // nothing to undo
  if (--it->second == 0) counts_.erase(it);
}

std::size_t SourceCounts::count(const SourceKey& source) const {
  const auto it = counts_.find(source);
  return it == counts_.end() ? 0 : it->second;
}

HandshakeAdmission::HandshakeAdmission(std::size_t capacity, std::size_t per_source_cap,
                                       unsigned limits_above_percent)
    : capacity_(capacity),
      per_source_cap_(per_source_cap),
      limits_above_percent_(limits_above_percent) {}

HandshakeAdmission::Decision HandshakeAdmission::decide(const SourceKey& source) const {
  if (under_pressure() && count(source) >= share(source)) return {Verdict::kRefuseSourceAtCap, 0};
  if (entries_.size() < capacity_) return {Verdict::kAdmit, 0};
  const std::optional<Id> id = victim();
  // capacity_ > 0 and the table is full, so some source holds a handshake. If not,
  // refuse the newcomer: the table never grows past its capacity.
  if (!P2PNET_ASSERT(id.has_value())) return {Verdict::kRefuseSourceAtCap, 0};
  return {Verdict::kEvictThenAdmit, *id};
}

std::size_t HandshakeAdmission::share(const SourceKey& source) const {
  // The addresses that would hold a handshake, the newcomer's included.
  const std::size_t sources = per_source_.size() + (per_source_.contains(source) ? 0 : 1);
  return std::max(per_source_cap_, capacity_ / sources);
}

std::optional<HandshakeAdmission::Id> HandshakeAdmission::victim() const {
  // The source with the most handshakes; between equals, the one whose oldest is
  // older. O(sources), at most the capacity, and only when the table is full.
  const std::list<Id>* chosen = nullptr;
  std::uint64_t chosen_arrival = 0;
  for (const auto& [source, ids] : per_source_) {
    if (ids.empty()) continue;
    const std::uint64_t arrival = entries_.at(ids.front()).arrival;
    if (chosen == nullptr || ids.size() > chosen->size() ||
        (ids.size() == chosen->size() && arrival < chosen_arrival)) {
      chosen = &ids;
      chosen_arrival = arrival;
    }
  }
  if (chosen == nullptr) return std::nullopt;
  return chosen->front();
}

bool HandshakeAdmission::add(Id id, const SourceKey& source) {
  const bool room = entries_.size() < capacity_;
  const bool within_share = !under_pressure() || count(source) < share(source);
  if (!P2PNET_ASSERT(room && within_share && !entries_.contains(id))) return false;
  std::list<Id>& ids = per_source_[source];
  ids.push_back(id);
  entries_.emplace(id, Entry{source, next_arrival_++, std::prev(ids.end())});
  return true;
}

void HandshakeAdmission::remove(Id id) {
  const auto it = entries_.find(id);
  if (it == entries_.end()) return;
  const auto ids = per_source_.find(it->second.source);
  if (P2PNET_ASSERT(ids != per_source_.end())) {
    ids->second.erase(it->second.position);
    if (ids->second.empty()) per_source_.erase(ids);
  }
  entries_.erase(it);
}

std::size_t HandshakeAdmission::count(const SourceKey& source) const {
  const auto it = per_source_.find(source);
  return it == per_source_.end() ? 0 : it->second.size();
}

}  // namespace p2pnet::net
