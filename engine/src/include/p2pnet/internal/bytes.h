// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// bytes.h: a non-owning reader cursor and a writer into caller memory (after
// BoringSSL's CBS/CBB). Every read is checked and leaves the reader unchanged on
// failure; the parsers built on them call `empty()` to reject trailing bytes. No code
// outside this header does pointer arithmetic on wire bytes.
#ifndef P2PNET_INTERNAL_BYTES_H_
#define P2PNET_INTERNAL_BYTES_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "p2pnet/byte_span.h"

namespace p2pnet {

// ByteReader reads from a span it does not own.
class ByteReader {
 public:
  explicit ByteReader(ByteSpan data) : data_(data) {}

  std::size_t remaining() const { return data_.size(); }
  bool empty() const { return data_.empty(); }

  // read_u8 stores the next byte in |*out|; false, with nothing consumed, if empty.
  [[nodiscard]] bool read_u8(std::uint8_t* out) {
    if (data_.empty()) return false;
    *out = data_[0];
    data_ = data_.subspan(1);
    return true;
  }

  // read_u32_be reads a 4-byte big-endian integer; false, nothing consumed, if short.
  [[nodiscard]] bool read_u32_be(std::uint32_t* out) {
    if (data_.size() < 4) return false;
    *out = (std::uint32_t{data_[0]} << 24) | (std::uint32_t{data_[1]} << 16) |
           (std::uint32_t{data_[2]} << 8) | std::uint32_t{data_[3]};
    data_ = data_.subspan(4);
    return true;
  }

  // read_array copies the next N bytes into |*out|; false, nothing consumed, if short.
  template <std::size_t N>
  [[nodiscard]] bool read_array(std::array<std::uint8_t, N>* out) {
    if (data_.size() < N) return false;
    std::copy_n(data_.begin(), N, out->begin());
    data_ = data_.subspan(N);
    return true;
  }

  // read_up_to returns the next min(n, remaining()) bytes, without copying, and
  // consumes them: it cannot fail, so a caller that takes what there is needs no check.
  ByteSpan read_up_to(std::size_t n) {
    const ByteSpan out = data_.first(std::min(n, data_.size()));
    data_ = data_.subspan(out.size());
    return out;
  }

  // read_span points |*out| at the next |n| bytes without copying.
  [[nodiscard]] bool read_span(std::size_t n, ByteSpan* out) {
    if (data_.size() < n) return false;
    *out = data_.first(n);
    data_ = data_.subspan(n);
    return true;
  }

 private:
  ByteSpan data_;
};

// ByteWriter appends into caller memory. A write that does not fit writes nothing and
// marks the writer failed; check `ok()` ([[nodiscard]]) once at the end instead of
// after every call. Every engine writer does, through P2PNET_ASSERT where the buffer
// is sized for the content (internal/assert.h), and the wire codecs return it.
class ByteWriter {
 public:
  explicit ByteWriter(MutableByteSpan out) : out_(out) {}

  void write_u8(std::uint8_t value) {
    if (!reserve(1)) return;
    out_[written_++] = value;
  }

  void write_u32_be(std::uint32_t value) {
    if (!reserve(4)) return;
    out_[written_++] = static_cast<std::uint8_t>(value >> 24);
    out_[written_++] = static_cast<std::uint8_t>(value >> 16);
    out_[written_++] = static_cast<std::uint8_t>(value >> 8);
    out_[written_++] = static_cast<std::uint8_t>(value);
  }

  void write(ByteSpan bytes) {
    if (!reserve(bytes.size())) return;
    std::ranges::copy(bytes, out_.subspan(written_).begin());
    written_ += bytes.size();
  }

  [[nodiscard]] bool ok() const { return ok_; }
  std::size_t written() const { return written_; }
  ByteSpan result() const { return out_.first(written_); }

 private:
  bool reserve(std::size_t n) {
    if (!ok_ || out_.size() - written_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }

  MutableByteSpan out_;
  std::size_t written_ = 0;
  bool ok_ = true;
};

// store_u64_le writes |value| little-endian into |out| (the transport nonce counter).
inline void store_u64_le(std::span<std::uint8_t, 8> out, std::uint64_t value) {
  for (std::size_t i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(value >> (8 * i));
}

// store_u32_be and load_u32_be: a 4-byte big-endian integer in a span of exactly four
// bytes (the frame header), so neither can run short.
inline void store_u32_be(std::span<std::uint8_t, 4> out, std::uint32_t value) {
  for (std::size_t i = 0; i < 4; ++i) out[i] = static_cast<std::uint8_t>(value >> (24 - 8 * i));
}
inline std::uint32_t load_u32_be(std::span<const std::uint8_t, 4> in) {
  return (std::uint32_t{in[0]} << 24) | (std::uint32_t{in[1]} << 16) | (std::uint32_t{in[2]} << 8) |
         std::uint32_t{in[3]};
}

// copy_bounded copies |in| to the start of |out| and returns how many bytes it copied:
// all of |in|, or as many as |out| holds. The bound is spelled out so that the optimizer
// sees it too (g++ 12 at -O3 otherwise reports an overflow it cannot rule out).
inline std::size_t copy_bounded(MutableByteSpan out, ByteSpan in) {
  const std::size_t n = std::min(out.size(), in.size());
  if (n != 0) std::memcpy(out.data(), in.data(), n);
  return n;
}

// concat_into copies |parts|, in order, into |out|, which they must fill exactly. The
// sizes are checked when the call is compiled, so a call that compiles cannot fail
// when it runs: there is no failure for a caller to forget (the signed contents of
// key_schedule.cc are built with it; tests/engine/check_concat_into.cmake checks that
// a mismatch does not compile).
template <std::size_t N, std::size_t... Sizes>
void concat_into(std::span<std::uint8_t, N> out, const std::array<std::uint8_t, Sizes>&... parts) {
  static_assert((Sizes + ... + std::size_t{0}) == N,
                "concat_into: the parts must fill the output exactly");
  std::size_t at = 0;
  ((std::ranges::copy(parts, out.subspan(at, Sizes).begin()), at += Sizes), ...);
}

}  // namespace p2pnet

#endif  // P2PNET_INTERNAL_BYTES_H_
