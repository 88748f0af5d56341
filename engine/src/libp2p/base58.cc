// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// base58btc (internal/libp2p/base58.h), by schoolbook conversion between base 256
// and base 58 in fixed arrays: quadratic, and the inputs are a few dozen bytes.
#include "p2pnet/internal/libp2p/base58.h"

#include <array>
#include <cstdint>

namespace p2pnet::libp2p {
namespace {

constexpr std::string_view kAlphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr unsigned kBase = 58;
constexpr char kZeroDigit = '1';

// digit_value returns the value of one character, or -1 outside the alphabet.
int digit_value(char c) {
  const std::size_t at = kAlphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

}  // namespace

std::optional<std::size_t> encode_base58btc(ByteSpan in, std::span<char> out) {
  if (in.size() > kMaxBase58Bytes) return std::nullopt;
  std::size_t zeros = 0;
  while (zeros < in.size() && in[zeros] == 0) ++zeros;
  // The base-58 digits of the number, least significant first; |used| of them so far.
  std::array<std::uint8_t, kMaxBase58Text> digits{};
  std::size_t used = 0;
  for (const std::uint8_t byte : in.subspan(zeros)) {
    unsigned carry = byte;
    for (std::size_t i = 0; i < used; ++i) {
      carry += static_cast<unsigned>(digits[i]) << 8;
      digits[i] = static_cast<std::uint8_t>(carry % kBase);
      carry /= kBase;
    }
    while (carry != 0) {
      if (used == digits.size()) return std::nullopt;  // cannot happen for 64 bytes
      digits[used++] = static_cast<std::uint8_t>(carry % kBase);
      carry /= kBase;
    }
  }
  const std::size_t length = zeros + used;
  if (out.size() < length) return std::nullopt;
  std::size_t at = 0;
  for (std::size_t i = 0; i < zeros; ++i) out[at++] = kZeroDigit;
  for (std::size_t i = used; i > 0; --i) out[at++] = kAlphabet[digits[i - 1]];
  return length;
}

std::optional<std::size_t> decode_base58btc(std::string_view text, MutableByteSpan out) {
  if (text.empty() || text.size() > kMaxBase58Text) return std::nullopt;
  std::size_t zeros = 0;
  while (zeros < text.size() && text[zeros] == kZeroDigit) ++zeros;
  // The bytes of the number, least significant first. 88 digits need at most 65
  // bytes (88 * log(58) / log(256) < 64.5), and |zeros| of them are not in here.
  std::array<std::uint8_t, kMaxBase58Bytes + 1> bytes{};
  std::size_t used = 0;
  for (const char c : text.substr(zeros)) {
    const int value = digit_value(c);
    if (value < 0) return std::nullopt;
    auto carry = static_cast<unsigned>(value);
    for (std::size_t i = 0; i < used; ++i) {
      carry += static_cast<unsigned>(bytes[i]) * kBase;
      bytes[i] = static_cast<std::uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    while (carry != 0) {
      if (used == bytes.size()) return std::nullopt;
      bytes[used++] = static_cast<std::uint8_t>(carry & 0xff);
      carry >>= 8;
    }
  }
  const std::size_t length = zeros + used;
  if (out.size() < length) return std::nullopt;
  std::size_t at = 0;
  for (std::size_t i = 0; i < zeros; ++i) out[at++] = 0;
  for (std::size_t i = used; i > 0; --i) out[at++] = bytes[i - 1];
  return length;
}

}  // namespace p2pnet::libp2p
