// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// handshake_admission.cc: the server's handshake admission policy (see the header).
#include "handshake_admission.h"

#include <sodium.h>

#include <algorithm>
#include <cassert>

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

HandshakeAdmission::SourceHash::SourceHash() {
  static_assert(sizeof key_ == crypto_shorthash_KEYBYTES);
  randombytes_buf(key_.data(), key_.size());
}

std::size_t HandshakeAdmission::SourceHash::operator()(const SourceKey& key) const {
  std::array<std::uint8_t, crypto_shorthash_BYTES> hash{};
  crypto_shorthash(hash.data(), key.bytes.data(), key.bytes.size(), key_.data());
  std::size_t out = 0;
  for (std::size_t i = 0; i < sizeof out && i < hash.size(); ++i) out = (out << 8) | hash[i];
  return out;
}

HandshakeAdmission::HandshakeAdmission(std::size_t capacity, std::size_t per_source_cap)
    : capacity_(capacity), per_source_cap_(per_source_cap) {}

HandshakeAdmission::Decision HandshakeAdmission::decide(const SourceKey& source) const {
  if (count(source) >= per_source_cap_) return {Verdict::kRefuseSourceAtCap, 0};
  if (entries_.size() < capacity_) return {Verdict::kAdmit, 0};
  const std::optional<Id> id = victim();
  // capacity_ > 0 and the table is full, so some queue holds a handshake.
  assert(id.has_value() && "full table with empty queues");
  if (!id) return {Verdict::kRefuseSourceAtCap, 0};
  return {Verdict::kEvictThenAdmit, *id};
}

std::optional<HandshakeAdmission::Id> HandshakeAdmission::victim() const {
  // The least progress first, and within a step the one that reached it first.
  for (const std::list<Id>& queue : queues_) {
    if (!queue.empty()) return queue.front();
  }
  return std::nullopt;
}

void HandshakeAdmission::add(Id id, const SourceKey& source) {
  assert(entries_.size() < capacity_ && count(source) < per_source_cap_ && !entries_.contains(id));
  std::list<Id>& queue = queues_[0];
  queue.push_back(id);
  entries_.emplace(id, Entry{source, 0, std::prev(queue.end())});
  ++per_source_[source];
}

void HandshakeAdmission::advance(Id id) {
  const auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Entry& entry = it->second;
  const std::uint8_t next = static_cast<std::uint8_t>(std::min<int>(entry.step + 1, kSteps - 1));
  // Re-queued even at the last step: "stalled since" restarts with each message.
  std::list<Id>& to = queues_[next];
  to.splice(to.end(), queues_[entry.step], entry.position);
  entry.step = next;
}

void HandshakeAdmission::remove(Id id) {
  const auto it = entries_.find(id);
  if (it == entries_.end()) return;
  const Entry& entry = it->second;
  queues_[entry.step].erase(entry.position);
  const auto count_it = per_source_.find(entry.source);
  assert(count_it != per_source_.end() && count_it->second > 0);
  if (--count_it->second == 0) per_source_.erase(count_it);
  entries_.erase(it);
}

std::size_t HandshakeAdmission::count(const SourceKey& source) const {
  const auto it = per_source_.find(source);
  return it == per_source_.end() ? 0 : it->second;
}

int HandshakeAdmission::step(Id id) const {
  const auto it = entries_.find(id);
  return it == entries_.end() ? -1 : it->second.step;
}

}  // namespace p2pnet::net
