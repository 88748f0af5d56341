// Copyright The P2PNet Authors. SPDX-License-Identifier: Apache-2.0
#include "p2pnet/internal/byte_buffer.h"

#include <sodium.h>

#include <algorithm>
#include <new>

namespace p2pnet {

ByteBuffer::~ByteBuffer() { wipe(); }

ByteBuffer::ByteBuffer(ByteBuffer&& other) noexcept
    : data_(std::move(other.data_)), capacity_(other.capacity_) {
  other.capacity_ = 0;
}

ByteBuffer& ByteBuffer::operator=(ByteBuffer&& other) noexcept {
  if (this != &other) {
    wipe();
    data_ = std::move(other.data_);
    capacity_ = other.capacity_;
    other.capacity_ = 0;
  }
  return *this;
}

bool ByteBuffer::reserve(std::size_t capacity, std::size_t keep) {
  if (capacity <= capacity_) return true;
  // Default-initialised (no zero fill of bytes that are about to be written), and
  // nothrow: a failed allocation is reported, not thrown.
  std::unique_ptr<std::uint8_t[]> grown(new (std::nothrow) std::uint8_t[capacity]);
  if (!grown) return false;
  std::copy_n(data_.get(), std::min(keep, capacity_), grown.get());
  wipe();
  data_ = std::move(grown);
  capacity_ = capacity;
  return true;
}

void ByteBuffer::release() {
  wipe();
  data_.reset();
  capacity_ = 0;
}

void ByteBuffer::wipe() {
  if (data_) sodium_memzero(data_.get(), capacity_);
}

}  // namespace p2pnet
