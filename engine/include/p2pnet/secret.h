// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// secret.h: fixed-size key material that wipes itself. A Secret cannot be copied; a
// move copies the bytes and wipes the source (noise-c cleans before freeing; s2n
// wipes stuffers). Compare secrets only with `equal_constant_time`.
#ifndef P2PNET_SECRET_H_
#define P2PNET_SECRET_H_

#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace p2pnet {

template <std::size_t N>
class Secret {
 public:
  static constexpr std::size_t kSize = N;

  Secret() { bytes_.fill(0); }
  ~Secret() { wipe(); }

  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  Secret(Secret&& other) noexcept : bytes_(other.bytes_) { other.wipe(); }
  Secret& operator=(Secret&& other) noexcept {
    if (this != &other) {
      bytes_ = other.bytes_;
      other.wipe();
    }
    return *this;
  }

  std::span<std::uint8_t, N> bytes() { return bytes_; }
  std::span<const std::uint8_t, N> bytes() const { return bytes_; }
  std::uint8_t* data() { return bytes_.data(); }
  const std::uint8_t* data() const { return bytes_.data(); }

  void wipe() { sodium_memzero(bytes_.data(), bytes_.size()); }

 private:
  std::array<std::uint8_t, N> bytes_;
};

// equal_constant_time compares two equal-length byte strings without a data-dependent
// branch (sodium_memcmp). Different lengths compare unequal.
inline bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace p2pnet

#endif  // P2PNET_SECRET_H_
