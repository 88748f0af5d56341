// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// The multiformats unsigned varint (internal/libp2p/varint.h).
#include "p2pnet/internal/libp2p/varint.h"

#include <array>

namespace p2pnet::libp2p {
namespace {

constexpr std::uint8_t kContinuation = 0x80;
constexpr std::uint8_t kGroupMask = 0x7f;
constexpr unsigned kGroupBits = 7;

}  // namespace

DecodeStatus read_varint(ByteReader& reader, std::uint64_t* out) {
  ByteReader probe = reader;
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < kMaxVarintSize; ++i) {
    std::uint8_t byte = 0;
    if (!probe.read_u8(&byte)) return DecodeStatus::kNeedMore;
    value |= std::uint64_t{static_cast<std::uint8_t>(byte & kGroupMask)} << (kGroupBits * i);
    if ((byte & kContinuation) == 0) {
      // Minimal: a last group of zero is only allowed as the single byte of 0.
      if (byte == 0 && i > 0) return DecodeStatus::kMalformed;
      reader = probe;
      *out = value;
      return DecodeStatus::kOk;
    }
  }
  return DecodeStatus::kMalformed;  // a tenth byte would be needed: over 63 bits
}

std::size_t varint_size(std::uint32_t value) {
  std::size_t size = 1;
  while (value > kGroupMask) {
    value >>= kGroupBits;
    ++size;
  }
  return size;
}

void write_varint(ByteWriter& out, std::uint32_t value) {
  std::array<std::uint8_t, kMaxVarintSize> bytes{};
  std::size_t size = 0;
  do {
    auto group = static_cast<std::uint8_t>(value & kGroupMask);
    value >>= kGroupBits;
    if (value != 0) group |= kContinuation;
    bytes[size++] = group;  // at most 5 groups in 32 bits
  } while (value != 0);
  out.write(ByteSpan(bytes).first(size));
}

}  // namespace p2pnet::libp2p
