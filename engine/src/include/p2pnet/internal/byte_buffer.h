// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
//
// byte_buffer.h: a growable byte buffer for the channel that allocates only when it
// must grow past its high-water mark and never zero-fills what it is about to
// overwrite, so a channel in steady state allocates nothing per message. It wipes
// its contents when it grows and when it is destroyed, because it holds plaintext.
#ifndef P2PNET_INTERNAL_BYTE_BUFFER_H_
#define P2PNET_INTERNAL_BYTE_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "p2pnet/byte_span.h"

namespace p2pnet {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ~ByteBuffer();
  ByteBuffer(ByteBuffer&& other) noexcept;
  ByteBuffer& operator=(ByteBuffer&& other) noexcept;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;

  // reserve makes room for |capacity| bytes, keeping the first |keep| bytes. Returns
  // false, with the buffer unchanged, when the allocation fails: it never throws, so
  // the channel fails closed (kOutOfMemory) instead of unwinding with a half-read frame.
  [[nodiscard]] bool reserve(std::size_t capacity, std::size_t keep);
  // wipe zeroes the whole allocation (sodium_memzero) but keeps it.
  void wipe();
  // release wipes and frees the allocation; capacity() is 0 afterwards.
  void release();

  std::uint8_t* data() { return data_.get(); }
  const std::uint8_t* data() const { return data_.get(); }
  std::size_t capacity() const { return capacity_; }
  // bytes: the whole allocation, so users cut it with subspan instead of pointers.
  MutableByteSpan bytes() { return MutableByteSpan(data_.get(), capacity_); }
  ByteSpan bytes() const { return ByteSpan(data_.get(), capacity_); }

 private:
  std::unique_ptr<std::uint8_t[]> data_;
  std::size_t capacity_ = 0;
};

}  // namespace p2pnet

#endif  // P2PNET_INTERNAL_BYTE_BUFFER_H_
